"""Array-based versions of spaCy's sentencizer and lookup lemmatizer.

spaCy's ``Sentencizer`` and lookup-mode ``Lemmatizer`` visit every token as a Python
``Token`` object, and on plain text each costs about as much as the tokenizer itself.
The two components here are subclasses that apply exactly the same rule and the same
tables (``spacy-lookups-data``) to the token attribute arrays instead:

- ``array_sentencizer``: a token starts a sentence when it is the first token, or when
  it is not punctuation and a sentence-final character (``punct_chars``) occurs after
  the previous such token. That is the rule of ``Sentencizer.predict``.
- ``cached_lookup_lemmatizer``: the lemma of a token is ``lemma_lookup[token.text]``
  (the text itself if absent), as in ``Lemmatizer.lookup_lemmatize``; each word type is
  looked up once and remembered by its hash.

The tests check, on the whole corpus and on odd texts, that both give the same
annotations as the spaCy components they replace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
from spacy.attrs import IS_PUNCT, LEMMA, ORTH, SENT_START
from spacy.errors import Errors
from spacy.language import Language
from spacy.lookups import Lookups
from spacy.pipeline import Sentencizer
from spacy.pipeline.lemmatizer import Lemmatizer
from spacy.strings import get_string_id
from spacy.tokens import Doc
from spacy.util import minibatch
from spacy.vocab import Vocab

__all__ = ["ArraySentencizer", "CachedLookupLemmatizer", "HashCache", "sorted_ids",
           "sorted_member", "stacked_arrays"]


def sorted_ids(strings: Iterable[str]) -> np.ndarray:
    """The spaCy hashes of ``strings``, as a sorted array (for :func:`sorted_member`)."""
    return np.array(sorted(get_string_id(s) for s in strings), dtype=np.uint64)


def sorted_member(values: np.ndarray, sorted_ids: np.ndarray) -> np.ndarray:
    """``np.isin(values, sorted_ids)`` for a small sorted id array (several times faster
    on short arrays, which is what a document gives)."""
    if not len(sorted_ids):
        return np.zeros(values.shape, dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_ids, values), len(sorted_ids) - 1)
    return sorted_ids[pos] == values


def stacked_arrays(docs: Iterable[Doc], attrs: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The ``attrs`` arrays of ``docs`` laid end to end (one row a token), and where each
    doc after the first starts (for ``np.split``)."""
    docs = list(docs)
    arr = np.concatenate([doc.to_array(attrs).reshape(-1, len(attrs)) for doc in docs])
    return arr, np.cumsum([len(doc) for doc in docs])[:-1]


class HashCache:
    """A ``uint64 -> uint64`` memo (spaCy hash to spaCy hash) looked up a whole array at
    a time: sorted arrays searched with ``np.searchsorted``, plus a small dict of recent
    entries that is merged into the arrays once it holds ``merge_at`` of them."""

    def __init__(self, merge_at: int = 256) -> None:
        self.merge_at = merge_at
        self._keys = np.zeros(0, dtype=np.uint64)
        self._values = np.zeros(0, dtype=np.uint64)
        self._recent: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._keys) + len(self._recent)

    def lookup(self, query: np.ndarray, learn: Callable[[int], int]) -> np.ndarray:
        """The value of every key in ``query``; ``learn(key)`` computes a missing one."""
        out = np.empty(len(query), dtype=np.uint64)
        if len(self._keys):
            pos = np.minimum(np.searchsorted(self._keys, query), len(self._keys) - 1)
            hit = self._keys[pos] == query
            out[hit] = self._values[pos[hit]]
            miss = np.flatnonzero(~hit)
        else:
            miss = np.arange(len(query))
        if len(miss):
            recent = self._recent
            values = []
            for key in query[miss].tolist():
                value = recent.get(key)
                if value is None:
                    value = recent[key] = learn(key)
                values.append(value)
            out[miss] = values
            if len(recent) >= self.merge_at:
                self._merge()
        return out

    def _merge(self) -> None:
        n = len(self._recent)
        keys = np.concatenate([self._keys, np.fromiter(self._recent, np.uint64, n)])
        values = np.concatenate([self._values,
                                 np.fromiter(self._recent.values(), np.uint64, n)])
        order = np.argsort(keys)
        self._keys, self._values = keys[order], values[order]
        self._recent = {}


# --------------------------------------------------------------------------- sentences


@Language.factory(
    "array_sentencizer",
    assigns=["token.is_sent_start", "doc.sents"],
    default_config={"punct_chars": None, "overwrite": False,
                    "scorer": {"@scorers": "spacy.senter_scorer.v1"}},
)
def make_array_sentencizer(nlp: Language, name: str, punct_chars: list[str] | None,
                           overwrite: bool, scorer: Callable | None) -> ArraySentencizer:
    """Factory for :class:`ArraySentencizer` (registered as ``array_sentencizer``)."""
    return ArraySentencizer(name, punct_chars=punct_chars, overwrite=overwrite, scorer=scorer)


class ArraySentencizer(Sentencizer):
    """spaCy's rule-based ``Sentencizer``, computed on token arrays."""

    def _punct_ids(self) -> np.ndarray:
        chars = frozenset(self.punct_chars)
        if getattr(self, "_punct_for", None) != chars:
            self._punct_for = chars
            self._punct_hashes = sorted_ids(chars)
        return self._punct_hashes

    def predict(self, docs: Iterable[Doc]) -> list[np.ndarray]:
        """One boolean array per doc: does the token start a sentence?"""
        return [self._starts(doc) for doc in docs]

    def _starts(self, doc: Doc) -> np.ndarray:
        n = len(doc)
        starts = np.zeros(n, dtype=bool)
        if not n:
            return starts
        arr = doc.to_array([ORTH, IS_PUNCT])
        final = sorted_member(arr[:, 0], self._punct_ids())
        wordlike = np.flatnonzero(~final & (arr[:, 1] == 0))
        seen = np.cumsum(final)
        before = np.concatenate([[0], seen[wordlike[:-1]]]) if len(wordlike) else wordlike
        starts[wordlike[seen[wordlike] > before]] = True
        starts[0] = True
        return starts

    def set_annotations(self, docs: Iterable[Doc] | Doc, batch_tag_ids: Any) -> None:
        """Write the predicted starts (1) and non-starts (-1) to the docs."""
        if isinstance(docs, Doc):
            docs = [docs]
        for doc, starts in zip(docs, batch_tag_ids):
            if not len(doc):
                continue
            new = np.where(np.asarray(starts, dtype=bool), 1, -1).astype(np.int64)
            # keep boundaries set before (a fresh doc has none: only its first token is
            # marked, and the rule marks it too)
            if not self.overwrite and doc.has_annotation("SENT_START"):
                old = doc.to_array([SENT_START]).astype(np.int64)
                new = np.where(old != 0, old, new)
            doc.from_array([SENT_START], new.astype(np.uint64).reshape(-1, 1))


# --------------------------------------------------------------------------- lemmas


@Language.factory(
    "cached_lookup_lemmatizer",
    assigns=["token.lemma"],
    default_config={"overwrite": False,
                    "scorer": {"@scorers": "spacy.lemmatizer_scorer.v1"}},
)
def make_cached_lookup_lemmatizer(nlp: Language, name: str, overwrite: bool,
                                  scorer: Callable | None) -> CachedLookupLemmatizer:
    """Factory for :class:`CachedLookupLemmatizer` (``cached_lookup_lemmatizer``)."""
    return CachedLookupLemmatizer(nlp.vocab, None, name, overwrite=overwrite, scorer=scorer)


class CachedLookupLemmatizer(Lemmatizer):
    """spaCy's lookup-mode ``Lemmatizer``, one table lookup per word type."""

    def __init__(self, vocab: Vocab, model: Any, name: str = "lemmatizer", *,
                 overwrite: bool = False, scorer: Callable | None = None) -> None:
        super().__init__(vocab, model, name, mode="lookup", overwrite=overwrite,
                         scorer=scorer)
        self._cache = HashCache()

    def initialize(self, get_examples: Callable[[], Iterable[Any]] | None = None, *,
                   nlp: Language | None = None, lookups: Lookups | None = None) -> None:
        """Load the tables (see ``Lemmatizer.initialize``) and forget cached lemmas."""
        super().initialize(get_examples, nlp=nlp, lookups=lookups)
        self._cache = HashCache()

    def _learn(self, orth: int) -> int:
        return self.vocab.strings.add(self.lookup_lemmatize_text(self.vocab.strings[orth]))

    def lookup_lemmatize_text(self, text: str) -> str:
        """The lookup lemma of a word form (the form itself if the table lacks it)."""
        result = self.lookups.get_table("lemma_lookup", {}).get(text, text)
        return result if isinstance(result, str) else result[0]

    def __call__(self, doc: Doc) -> Doc:
        """Set ``token.lemma`` on every token (unless set already and not overwriting)."""
        self._lemmatize([doc])
        return doc

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        """Lemmatize a stream of docs, ``batch_size`` at a time (one table look-up pass
        per batch)."""
        error_handler = self.get_error_handler()
        for docs in minibatch(stream, size=batch_size):
            try:
                self._lemmatize(docs)
                yield from docs
            except Exception as e:
                error_handler(self.name, self, docs, e)

    def _lemmatize(self, docs: list[Doc]) -> None:
        if not self._validated:
            self._validate_tables(Errors.E1004)
        docs = [doc for doc in docs if len(doc)]
        if not docs:
            return
        arr, bounds = stacked_arrays(docs, [ORTH, LEMMA])
        lemmas = self._cache.lookup(arr[:, 0], self._learn)
        if not self.overwrite:
            lemmas = np.where(arr[:, 1] == 0, lemmas, arr[:, 1])
        for doc, part in zip(docs, np.split(lemmas, bounds)):
            doc.from_array([LEMMA], part.reshape(-1, 1))
