"""Text features for the classifier: lemma n-grams, character n-grams and cue counts.

:class:`PowerFeaturizer` is a scikit-learn transformer (it works in ``Pipeline``,
``clone`` and ``GridSearchCV``) that turns texts into one sparse matrix of three blocks:

- **words**: TF-IDF of lemma unigrams and bigrams (punctuation dropped), hashed and then
  compacted to the buckets seen at least ``min_df`` times in training;
- **chars**: TF-IDF of character n-grams inside words (``char_wb`` style), computed once
  per word type and cached, so a document costs a sparse product, not a string scan;
- **cues**: the ``newpower_signals`` cue counts per label, normalised by length
  (negated cues of a power value count for the opposite pole; hedged cues count half),
  plus the log length.

All of it is computed from spaCy ``Doc`` arrays with NumPy, which keeps it fast; the
same code builds rows for single sentences, which the classifier uses for evidence.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted
from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LEMMA, LENGTH, LOWER, SENT_START
from spacy.tokens import Doc
from spacy.util import minibatch

from newpower_nlp.components import stacked_arrays
from newpower_nlp.errors import TextTypeError
from newpower_nlp.labels import LABEL_INFO, LABELS
from newpower_nlp.signals import CUE_TABLE

__all__ = ["Analysis", "PowerFeaturizer", "analyze_docs"]

_MIX = np.uint64(0x9E3779B97F4A7C15)
_CUE_INDEX = {name: i for i, name in enumerate(LABELS)}
_OPPOSITE = {
    name: f"{'new' if info.pole == 'old' else 'old'}_{info.dimension}"
    for name, info in LABEL_INFO.items()
    if info.pole is not None
}


@dataclass
class Analysis:
    """What the featurizer needs from one spaCy ``Doc`` (cheap to build and to slice)."""

    text: str
    lemmas: np.ndarray  # uint64 lemma hashes of the kept (non-punctuation) tokens
    lowers: np.ndarray  # uint64 lower-case form hashes of the kept tokens
    starts: np.ndarray  # char offset of each kept token
    ends: np.ndarray  # char end offset of each kept token
    # (first kept token, end kept token, char start, char end) of each sentence
    sents: list[tuple[int, int, int, int]]
    cue_tokens: np.ndarray  # kept-token index of each cue match
    cue_labels: np.ndarray  # label index of each cue match (after negation flips)
    cue_weights: np.ndarray  # 1.0, or 0.5 if hedged
    cues: list[tuple[int, int, str, bool, bool]]  # (char start, char end, label, negated, hedged)
    strings: Any = None  # the StringStore that resolves the hashes

    @property
    def n_tokens(self) -> int:
        """Number of kept tokens."""
        return int(len(self.lemmas))


_ATTRS = [LEMMA, LOWER, IS_PUNCT, IS_SPACE, IDX, LENGTH, SENT_START]


def _analyze_batch(docs: Sequence[Doc], texts: Sequence[str | None],
                   spans_key: str = "newpower") -> list[Analysis]:
    """Analyses of a batch of docs, computed on their token arrays laid end to end (one
    pass of array operations for the whole batch, then a slice per doc)."""
    arr, splits = stacked_arrays(docs, _ATTRS)
    doc_start = np.concatenate([[0], splits, [len(arr)]]).astype(np.int64)  # per doc, +end
    lengths = np.diff(doc_start)
    keep = (arr[:, 2] == 0) & (arr[:, 3] == 0)
    # kept_before[p] = number of kept tokens before token p of the batch (p may be the end)
    kept_before = np.concatenate([[0], np.cumsum(keep)])
    kept = np.flatnonzero(keep)
    idx = arr[:, 4].astype(np.int64)
    ends = idx + arr[:, 5].astype(np.int64)
    # sentences: a doc's first token always starts one; each runs to the next start
    is_first = arr[:, 6] == 1
    is_first[doc_start[:-1][lengths > 0]] = True
    first = np.flatnonzero(is_first)
    last = np.append(first[1:], len(arr))
    solid = np.flatnonzero(arr[:, 3] == 0)  # non-space tokens, for tight offsets
    a_solid = np.searchsorted(solid, first)  # first solid token at or after a
    b_solid = np.searchsorted(solid, last) - 1  # last solid token before b
    has = a_solid <= b_solid
    first, last, a_solid, b_solid = first[has], last[has], a_solid[has], b_solid[has]
    sent_doc = np.searchsorted(doc_start, first, side="right") - 1
    base = kept_before[doc_start[sent_doc]]
    sent_rows = list(zip((kept_before[first] - base).tolist(),
                         (kept_before[last] - base).tolist(),
                         idx[solid[a_solid]].tolist(), ends[solid[b_solid]].tolist()))
    sent_bounds = np.searchsorted(sent_doc, np.arange(len(docs) + 1))
    kept_bounds = kept_before[doc_start]
    lemmas, lowers = arr[kept, 0], arr[kept, 1]
    starts, kept_ends = idx[kept], ends[kept]
    out = []
    for i, (doc, text) in enumerate(zip(docs, texts)):
        lo, hi = kept_bounds[i], kept_bounds[i + 1]
        offset, n_before = doc_start[i], kept_before[doc_start[i]]
        cue_tok, cue_lab, cue_w, cues = [], [], [], []
        for start, end, label, negated, hedged in _cue_rows(doc, spans_key):
            cues.append((int(idx[offset + start]), int(ends[offset + end - 1]), label,
                         negated, hedged))
            if negated:
                label = _OPPOSITE.get(label)
                if label is None:
                    continue
            cue_tok.append(int(kept_before[offset + start] - n_before))
            cue_lab.append(_CUE_INDEX[label])
            cue_w.append(0.5 if hedged else 1.0)
        out.append(Analysis(
            text=doc.text if text is None else text,  # Doc.text re-joins every token
            lemmas=lemmas[lo:hi],
            lowers=lowers[lo:hi],
            starts=starts[lo:hi],
            ends=kept_ends[lo:hi],
            sents=sent_rows[sent_bounds[i]:sent_bounds[i + 1]],
            cue_tokens=np.array(cue_tok, dtype=np.int64),
            cue_labels=np.array(cue_lab, dtype=np.int64),
            cue_weights=np.array(cue_w, dtype=np.float64),
            cues=cues,
            strings=doc.vocab.strings,
        ))
    return out


def _cue_rows(doc: Doc, spans_key: str) -> list[tuple[int, int, str, bool, bool]]:
    """(start, end, label, negated, hedged) of every cue span: read from the component's
    plain table when it still matches the group, else from the spans themselves."""
    group = doc.spans.get(spans_key)
    if group is None:
        return []
    table = group.attrs.get(CUE_TABLE)
    if table is not None and len(table) == len(group):
        return [(int(s), int(e), str(lab), bool(neg), bool(hed))
                for s, e, lab, neg, hed in table]
    return [(span.start, span.end, span.label_, bool(span._.negated), bool(span._.hedged))
            for span in group]


def analyze_docs(docs: Iterable[Doc], texts: Iterable[str] | None = None,
                 batch_size: int = 256) -> list[Analysis]:
    """Turn processed spaCy docs into :class:`Analysis` objects, ``batch_size`` docs at
    a time (a stream of docs is consumed lazily).

    ``texts``, if given, are the texts the docs were made from (saves rebuilding them).
    """
    pairs: Iterable[tuple[Doc, str | None]] = (
        ((doc, None) for doc in docs) if texts is None
        else zip(docs, texts, strict=True))
    out: list[Analysis] = []
    for batch in minibatch(pairs, batch_size):
        batch_docs, batch_texts = zip(*batch)
        out.extend(_analyze_batch(batch_docs, batch_texts))
    return out


def _check_texts(X: Any) -> list[str]:
    if isinstance(X, str):
        raise TextTypeError("expected a list of texts, got a single str")
    texts = list(X)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TextTypeError(f"text {i} is {type(t).__name__}, not str")
    return texts


@dataclass
class _Rows:
    """The tokens and cues of a batch, laid out row by row (a row is a document, or a
    sentence), as flat arrays."""

    n: int  # number of rows
    lemmas: np.ndarray  # lemma hash of every token, row after row
    lowers: np.ndarray  # lower-case form hash of every token
    token_row: np.ndarray  # row of every token (non-decreasing)
    n_tokens: np.ndarray  # tokens per row
    cue_row: np.ndarray  # row of every cue
    cue_label: np.ndarray  # label index of every cue
    cue_weight: np.ndarray  # weight of every cue

    @classmethod
    def build(cls, analyses: Sequence[Analysis], sentences: bool) -> _Rows:
        """Rows of documents, or with ``sentences=True`` rows of sentences."""
        lemmas, lowers, token_row, cue_row, cue_label, cue_weight = [], [], [], [], [], []
        n = 0
        for a in analyses:
            if sentences:
                bounds = np.array([s[:2] for s in a.sents], dtype=np.int64).reshape(-1, 2)
                tok = _row_of(np.arange(a.n_tokens), bounds)
                cue = _row_of(a.cue_tokens, bounds)
                n_rows = len(bounds)
            else:
                tok = np.zeros(a.n_tokens, dtype=np.int64)
                cue = np.zeros(len(a.cue_tokens), dtype=np.int64)
                n_rows = 1
            kept, kept_cue = tok >= 0, cue >= 0
            lemmas.append(a.lemmas[kept])
            lowers.append(a.lowers[kept])
            token_row.append(tok[kept] + n)
            cue_row.append(cue[kept_cue] + n)
            cue_label.append(a.cue_labels[kept_cue])
            cue_weight.append(a.cue_weights[kept_cue])
            n += n_rows

        def cat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
            return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(
                0, dtype)

        token_rows = cat(token_row, np.int64)
        return cls(n=n, lemmas=cat(lemmas, np.uint64), lowers=cat(lowers, np.uint64),
                   token_row=token_rows,
                   n_tokens=np.bincount(token_rows, minlength=n)[:n],
                   cue_row=cat(cue_row, np.int64), cue_label=cat(cue_label, np.int64),
                   cue_weight=cat(cue_weight, np.float64))


def _row_of(positions: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Index of the [lo, hi) range of ``bounds`` (sorted) holding each position, or -1."""
    if not len(bounds):
        return np.full(len(positions), -1, dtype=np.int64)
    row = np.searchsorted(bounds[:, 0], positions, side="right") - 1
    inside = (row >= 0) & (positions < bounds[np.maximum(row, 0), 1])
    return np.where(inside, row, -1)


def _ngram_hashes(lemmas: np.ndarray, token_row: np.ndarray, ngram_range: tuple[int, int]
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(row, hash) of every lemma n-gram that lies within one row."""
    rows, hashes = [], []
    lo, hi = ngram_range
    total = len(lemmas)
    for n in range(lo, hi + 1):
        if total < n:
            break
        span = total - n + 1
        h = lemmas[:span].copy()
        with np.errstate(over="ignore"):
            for k in range(1, n):
                h = h * _MIX + lemmas[k: span + k] + np.uint64(n)
        same = token_row[:span] == token_row[n - 1:]
        rows.append(token_row[:span][same])
        hashes.append(h[same])
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.uint64)
    return np.concatenate(rows), np.concatenate(hashes)


def _char_ngrams(word: str, ngram_range: tuple[int, int]) -> list[str]:
    padded = f" {word} "
    lo, hi = ngram_range
    grams = []
    for n in range(lo, hi + 1):
        if len(padded) < n:
            break
        grams.extend(padded[i: i + n] for i in range(len(padded) - n + 1))
    return grams


class PowerFeaturizer(TransformerMixin, BaseEstimator):
    """Texts (or spaCy docs) to a sparse feature matrix: words, chars and cue counts.

    Parameters
    ----------
    word_ngram_range, char_ngram_range
        n-gram ranges of the lemma and character blocks.
    min_df
        keep only n-grams seen in at least this many training documents.
    use_words, use_chars, use_cues
        switch each block on or off (for ablations).
    cue_scale, char_scale
        weights of the cue and character blocks relative to the (unit-norm) word block.
    n_hash
        size of the hashing space before compaction.
    batch_size, n_process
        passed to ``nlp.pipe``.
    """

    def __init__(
        self,
        word_ngram_range: tuple[int, int] = (1, 2),
        char_ngram_range: tuple[int, int] = (2, 5),
        min_df: int = 2,
        use_words: bool = True,
        use_chars: bool = True,
        use_cues: bool = True,
        cue_scale: float = 1.0,
        char_scale: float = 1.0,
        n_hash: int = 2**22,
        batch_size: int = 256,
        n_process: int = 1,
    ) -> None:
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.min_df = min_df
        self.use_words = use_words
        self.use_chars = use_chars
        self.use_cues = use_cues
        self.cue_scale = cue_scale
        self.char_scale = char_scale
        self.n_hash = n_hash
        self.batch_size = batch_size
        self.n_process = n_process

    # ------------------------------------------------------------------ analysis

    def analyze(self, X: Iterable[str] | Iterable[Doc]) -> list[Analysis]:
        """Run the spaCy pipeline (unless given docs) and extract the arrays."""
        from newpower_nlp.pipeline import get_nlp

        items = list(X) if not isinstance(X, str) else _check_texts(X)
        if items and all(isinstance(d, Doc) for d in items):
            return analyze_docs(items)
        texts = _check_texts(items)
        nlp = get_nlp()
        return analyze_docs(nlp.pipe(texts, batch_size=self.batch_size,
                                     n_process=self.n_process), texts,
                            batch_size=self.batch_size)

    # ------------------------------------------------------------------ blocks

    def _char_rows(self, word_hash: int, compact: bool, stores: Sequence[Any] = ()
                   ) -> np.ndarray:
        """Character n-gram columns of one word type (hashed, or compacted after fit)."""
        key = "_char_compact" if compact else "_char_cache"
        cache = self.__dict__.setdefault(key, {})
        got = cache.get(word_hash)
        if got is None:
            word = _resolve(word_hash, stores)
            grams = _char_ngrams(word, tuple(self.char_ngram_range))
            got = np.fromiter((zlib.crc32(g.encode("utf-8")) % self.n_hash for g in grams),
                              dtype=np.int64, count=len(grams))
            if compact:
                keep = self.columns_["chars"]
                pos = np.minimum(np.searchsorted(keep, got), max(len(keep) - 1, 0))
                got = pos[keep[pos] == got] if len(keep) else got[:0]
            cache[word_hash] = got
        return got

    def _word_columns(self) -> np.ndarray:
        """Bucket -> kept word column (-1 if dropped), as a dense table."""
        lut = self.__dict__.get("_word_lut")
        if lut is None:
            lut = self.__dict__["_word_lut"] = _column_table(self.columns_["words"],
                                                             self.n_hash)
        return lut

    def _count_blocks(self, analyses: Sequence[Analysis], sentences: bool = False,
                      compact: bool = False):
        """Count matrices for words (hashed) and chars (hashed, or compacted if
        ``compact``), and the cue block; one row per document (or per sentence)."""
        rows = _Rows.build(analyses, sentences)
        n = rows.n
        words = chars = cues = None
        if self.use_words:
            row, h = _ngram_hashes(rows.lemmas, rows.token_row,
                                   tuple(self.word_ngram_range))
            buckets = (h % np.uint64(self.n_hash)).astype(np.int64)
            width = self.n_hash
            if compact:  # straight to the kept columns, dropping the other buckets
                cols = self._word_columns()[buckets]
                hit = cols >= 0
                row, buckets, width = row[hit], cols[hit], len(self.columns_["words"])
            words = sp.csr_matrix((np.ones(len(buckets)), (row, buckets)),
                                  shape=(n, width))
            words.sum_duplicates()
        if self.use_chars:
            uniq, inv = np.unique(rows.lowers, return_inverse=True)
            doc_type = sp.csr_matrix(
                (np.ones(len(inv)), (rows.token_row, inv)), shape=(n, len(uniq)))
            stores = list({id(a.strings): a.strings for a in analyses
                           if a.strings is not None}.values())
            type_rows = [self._char_rows(w, compact, stores) for w in uniq.tolist()]
            width = len(self.columns_["chars"]) if compact else self.n_hash
            type_char = _rows_to_csr(type_rows, width)
            chars = (doc_type @ type_char).tocsr()
        if self.use_cues:
            cues = np.zeros((n, len(LABELS) + 1))
            np.add.at(cues, (rows.cue_row, rows.cue_label), rows.cue_weight)
            n_tok = rows.n_tokens.astype(np.float64)
            cues[:, :-1] = np.log1p(100.0 * cues[:, :-1] / np.maximum(n_tok, 10)[:, None])
            cues[:, -1] = np.log1p(n_tok)
        return words, chars, cues

    # ------------------------------------------------------------------ fit/transform

    def fit(self, X: Iterable[str] | Iterable[Doc], y: Any = None) -> PowerFeaturizer:
        """Learn the kept n-gram buckets, their IDF weights, and the cue scaling."""
        return self._fit_analyses(self.analyze(X))

    def _fit_analyses(self, analyses: Sequence[Analysis]) -> PowerFeaturizer:
        # parameters may have changed since the last fit: drop every cache
        for cache in _CACHES:
            self.__dict__.pop(cache, None)
        if not (self.use_words or self.use_chars or self.use_cues):
            raise ValueError("PowerFeaturizer needs at least one feature block")
        words, chars, cues = self._count_blocks(analyses)
        n = len(analyses)
        self.columns_ = {}
        self.idf_ = {}
        for name, block in (("words", words), ("chars", chars)):
            if block is None:
                continue
            df = np.bincount(block.indices, minlength=self.n_hash)
            keep = np.flatnonzero(df >= self.min_df)
            self.columns_[name] = keep
            self.idf_[name] = np.log((1 + n) / (1 + df[keep])) + 1.0
        if cues is not None:
            self.cue_max_ = np.maximum(cues.max(axis=0), 1e-9)
        self.n_features_out_ = (
            sum(len(c) for c in self.columns_.values()) + (len(LABELS) + 1 if self.use_cues
                                                           else 0))
        self.n_docs_ = n
        return self

    def transform(self, X: Iterable[str] | Iterable[Doc]) -> sp.csr_matrix:
        """Featurize texts (or spaCy docs) into a CSR matrix."""
        check_is_fitted(self, "columns_")
        return self.transform_analyses(self.analyze(X))

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> sp.csr_matrix:
        """Fit and transform in one pass over the spaCy pipeline."""
        analyses = self.analyze(X)
        return self._fit_analyses(analyses).transform_analyses(analyses)

    def transform_analyses(self, analyses: Sequence[Analysis], sentences: bool = False
                           ) -> sp.csr_matrix:
        """Featurize pre-computed analyses; with ``sentences=True`` one row per sentence."""
        check_is_fitted(self, "columns_")
        words, chars, cues = self._count_blocks(analyses, sentences, compact=True)
        blocks = []
        for name, block in (("words", words), ("chars", chars)):
            if block is None:
                continue
            sub = block
            sub.data = (1.0 + np.log(sub.data)) * self.idf_[name][sub.indices]
            scale = self.char_scale if name == "chars" else 1.0
            blocks.append(_l2_normalize(sub) * scale)
        if cues is not None:
            blocks.append(sp.csr_matrix(self.cue_scale * cues / self.cue_max_))
        return sp.hstack(blocks, format="csr")

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output features (hashed n-grams are named by block and bucket)."""
        check_is_fitted(self, "columns_")
        names = []
        for name in ("words", "chars"):
            if name in self.columns_:
                names.extend(f"{name}__{b}" for b in self.columns_[name])
        if self.use_cues:
            names.extend(f"cues__{label}" for label in LABELS)
            names.append("cues__log_length")
        return np.array(names, dtype=object)

    def block_slices(self) -> dict[str, slice]:
        """Column ranges of each block in the output matrix."""
        check_is_fitted(self, "columns_")
        out, start = {}, 0
        for name in ("words", "chars"):
            if name in self.columns_:
                out[name] = slice(start, start + len(self.columns_[name]))
                start += len(self.columns_[name])
        if self.use_cues:
            out["cues"] = slice(start, start + len(LABELS) + 1)
        return out

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for cache in _CACHES:
            state.pop(cache, None)
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags


def _resolve(word_hash: int, stores: Sequence[Any]) -> str:
    """The string of a spaCy hash, from the docs' own string stores."""
    for store in stores:
        if word_hash in store:
            return store[word_hash]
    from newpower_nlp.pipeline import get_nlp

    return get_nlp().vocab.strings[word_hash]


def _rows_to_csr(rows: Sequence[np.ndarray], n_cols: int) -> sp.csr_matrix:
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    m = sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(rows), n_cols))
    m.sum_duplicates()
    return m


#: Per-instance caches, rebuilt on demand and never saved.
_CACHES = ("_char_cache", "_char_compact", "_word_lut")
_TABLES: dict[tuple[int, bytes], np.ndarray] = {}


def _column_table(keep: np.ndarray, n_hash: int) -> np.ndarray:
    """A dense ``bucket -> column`` table for the kept (sorted) buckets, -1 elsewhere.

    Indexing it is several times faster than searching ``keep``. Tables are shared by
    featurizers that keep the same buckets (the document and the sentence featurizer
    usually do), so a model holds one or two of them (4 bytes a bucket)."""
    key = (n_hash, hashlib.blake2b(np.ascontiguousarray(keep).tobytes(),
                                   digest_size=16).digest())
    table = _TABLES.get(key)
    if table is None:
        table = np.full(n_hash, -1, dtype=np.int32)
        table[keep] = np.arange(len(keep), dtype=np.int32)
        if len(_TABLES) >= 4:
            _TABLES.clear()
        _TABLES[key] = table
    return table


def _l2_normalize(m: sp.csr_matrix) -> sp.csr_matrix:
    """Scale every row to unit length (rows of zeros stay zero), on the data array."""
    counts = np.diff(m.indptr)
    rows = np.repeat(np.arange(m.shape[0]), counts)
    norms = np.sqrt(np.bincount(rows, weights=m.data * m.data, minlength=m.shape[0]))
    norms[norms == 0] = 1.0
    out = m.copy()
    out.data = m.data / norms[rows]
    return out
