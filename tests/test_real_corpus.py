"""Checks on the shipped corpus under corpus/."""

import re
from collections import defaultdict

import pytest

from newpower_nlp.corpus import default_corpus_dir, load_corpus, split_files, validate_files


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(default_corpus_dir())


def test_shipped_corpus_is_valid():
    records, problems = validate_files(list(split_files(default_corpus_dir()).values()))
    assert problems == []
    assert len(records) >= 60


def test_every_label_is_exercised(corpus):
    from newpower_nlp.labels import COMPASS_VALUES, LABELS

    records = [r for recs in corpus.values() for r in recs]
    for name in LABELS:
        assert any(r.cats[name] for r in records), name
    for value in COMPASS_VALUES:
        assert any(r.compass == value for r in records), value


def test_no_two_documents_share_their_first_eight_words(corpus):
    openings = defaultdict(list)
    for recs in corpus.values():
        for r in recs:
            words = re.findall(r"[a-z0-9']+", r.text.lower())
            if len(words) >= 8:
                openings[" ".join(words[:8])].append(r.id)
    assert [ids for ids in openings.values() if len(ids) > 1] == []


def test_related_documents_stay_in_one_split(corpus):
    from newpower_nlp.splits import group_key

    where = defaultdict(set)
    for split, recs in corpus.items():
        for r in recs:
            where[group_key(r)].add(split)
    assert [k for k, splits in where.items() if len(splits) > 1] == []
