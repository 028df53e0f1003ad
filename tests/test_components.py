"""The array-based sentencizer and lookup lemmatizer give exactly the annotations of the
spaCy components they replace, and the whole pipeline gives the same cue spans."""

from __future__ import annotations

import numpy as np
import pytest
import spacy
from spacy.attrs import SENT_START

from newpower_nlp.components import ArraySentencizer, CachedLookupLemmatizer
from newpower_nlp.corpus import load_corpus
from newpower_nlp.pipeline import build_nlp
from newpower_nlp.signals import DEFAULT_SPANS_KEY

ODD_TEXTS = [
    "",
    " ",
    "...",
    "Hello!!! world? yes. \n\n NO.",
    "\u201cQuoted.\u201d Next one",
    ". . a",
    "WE DON'T KNOW. MEMBERS VOTE! Members voted; the Board decides.",
    "a\n\nb",
    "Dr. Mensah said so. (And then left.) Fine!",
    "no punctuation at all just words running on and on",
    "?!",
    "The co-ops' members\u2019 votes were counted\u2026 twice.",
]


@pytest.fixture(scope="module")
def texts():
    corpus = [rec.text for records in load_corpus().values() for rec in records]
    return corpus[::3] + ODD_TEXTS


@pytest.fixture(scope="module")
def pipelines():
    return build_nlp(fast=False), build_nlp(fast=True)


def test_fast_pipeline_uses_the_array_components(pipelines):
    _, fast = pipelines
    assert isinstance(fast.get_pipe("sentencizer"), ArraySentencizer)
    assert isinstance(fast.get_pipe("lemmatizer"), CachedLookupLemmatizer)
    assert fast.pipe_names == ["sentencizer", "lemmatizer", "newpower_signals"]


def test_same_sentences_lemmas_and_cues_as_spacy_components(pipelines, texts):
    slow, fast = pipelines
    compared = 0
    for a, b in zip(slow.pipe(texts), fast.pipe(texts), strict=True):
        assert np.array_equal(a.to_array([SENT_START]), b.to_array([SENT_START])), a.text
        assert [t.lemma_ for t in a] == [t.lemma_ for t in b], a.text
        spans_a = [(s.start, s.end, s.label_, s._.negated, s._.hedged)
                   for s in a.spans[DEFAULT_SPANS_KEY]]
        spans_b = [(s.start, s.end, s.label_, s._.negated, s._.hedged)
                   for s in b.spans[DEFAULT_SPANS_KEY]]
        assert spans_a == spans_b, a.text
        compared += 1
    assert compared == len(texts)


def test_batched_pipe_gives_the_same_annotations_as_one_doc_at_a_time(pipelines):
    # the components process a batch on its docs' arrays laid end to end: nothing may
    # leak from one doc to the next (a sentence end, a lemma, a cue)
    _, fast = pipelines
    texts = ODD_TEXTS + ODD_TEXTS[::-1]
    for batch_size in (1, 3, len(texts)):
        for a, text in zip(fast.pipe(texts, batch_size=batch_size), texts, strict=True):
            b = fast(text)
            assert np.array_equal(a.to_array([SENT_START]), b.to_array([SENT_START])), text
            assert [t.lemma_ for t in a] == [t.lemma_ for t in b], text
            assert (a.spans[DEFAULT_SPANS_KEY].attrs["cue_table"]
                    == b.spans[DEFAULT_SPANS_KEY].attrs["cue_table"]), text


def test_array_sentencizer_matches_spacy_sentencizer_alone():
    ref = spacy.blank("en")
    ref.add_pipe("sentencizer")
    new = spacy.blank("en")
    new.add_pipe("array_sentencizer")
    for text in ODD_TEXTS:
        assert ([s.text for s in ref(text).sents] if text.strip() else []) == (
            [s.text for s in new(text).sents] if text.strip() else []), text


def test_array_sentencizer_respects_existing_starts_unless_overwriting():
    for overwrite, expected in ((False, ["One two", "three. Four"]),
                                (True, ["One two three.", "Four"])):
        nlp = spacy.blank("en")
        nlp.add_pipe("array_sentencizer", config={"overwrite": overwrite})
        doc = nlp.make_doc("One two three. Four")
        for token in doc:
            token.is_sent_start = token.i in (0, 2)
        doc = nlp.get_pipe("array_sentencizer")(doc)
        assert [s.text for s in doc.sents] == expected


def test_array_sentencizer_custom_punct_chars():
    nlp = spacy.blank("en")
    nlp.add_pipe("array_sentencizer", config={"punct_chars": [";"]})
    doc = nlp("first part; second part. still second")
    assert [s.text for s in doc.sents] == ["first part;", "second part. still second"]


def test_cached_lemmatizer_keeps_preset_lemmas_and_learns_new_words():
    nlp = spacy.blank("en")
    nlp.add_pipe("cached_lookup_lemmatizer")
    nlp.initialize()
    doc = nlp.make_doc("members voted zorblaxes")
    doc[0].lemma_ = "preset"
    doc = nlp.get_pipe("cached_lookup_lemmatizer")(doc)
    assert [t.lemma_ for t in doc] == ["preset", "vote", "zorblaxes"]
    again = nlp("Members voted zorblaxes")
    assert [t.lemma_ for t in again] == ["Members", "vote", "zorblaxes"]


def test_cached_lemmatizer_survives_to_and_from_disk(tmp_path):
    nlp = build_nlp()
    nlp.to_disk(tmp_path / "pipe")
    loaded = spacy.load(tmp_path / "pipe")
    assert isinstance(loaded.get_pipe("lemmatizer"), CachedLookupLemmatizer)
    assert [t.lemma_ for t in loaded("The members were voting")] == [
        t.lemma_ for t in nlp("The members were voting")]


def test_hash_cache_learns_once_and_merges():
    from newpower_nlp.components import HashCache

    calls = []

    def learn(key):
        calls.append(key)
        return key + 1

    cache = HashCache(merge_at=3)
    keys = np.array([5, 1, 5, 9], dtype=np.uint64)
    assert cache.lookup(keys, learn).tolist() == [6, 2, 6, 10]
    assert sorted(calls) == [1, 5, 9] and len(cache) == 3
    more = np.array([9, 4, 1, 7, 2**63 + 3], dtype=np.uint64)
    assert cache.lookup(more, learn).tolist() == [10, 5, 2, 8, 2**63 + 4]
    assert sorted(calls) == [1, 4, 5, 7, 9, 2**63 + 3]
    assert cache.lookup(np.zeros(0, dtype=np.uint64), learn).tolist() == []
