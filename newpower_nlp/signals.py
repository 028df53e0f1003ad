"""The ``newpower_signals`` spaCy component: a cue lexicon matched on lemmas.

It writes labelled cue spans to ``doc.spans["newpower"]``; each span's ``label_`` is the
cue's label and two extensions say whether the cue is negated ("we do **not** publish",
"**no longer** hierarchical") or hedged ("we **hope** to publish"). The group's
``attrs["cue_table"]`` repeats the same facts as plain rows (see :data:`CUE_TABLE`).
The lexicon is one JSONL file shipped with the package
(``newpower_nlp/data/cues.jsonl``), one pattern a line, that you can read and extend::

    {"label": "new_transparency", "pattern": "publish every salary"}
    {"label": "new_governance", "pattern": [{"LEMMA": "member"}, {"LEMMA": "vote"}]}

A string pattern is a phrase matched on case-folded lemmas (write it naturally: it is
lemmatized with the same pipeline); a list is a ``Matcher`` token pattern.
"""

from collections.abc import Iterable, Iterator, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import srsly
from spacy.attrs import LEMMA, LOWER, ORTH, SENT_START
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span, SpanGroup
from spacy.util import minibatch

from newpower_nlp.components import HashCache, sorted_ids, sorted_member, stacked_arrays
from newpower_nlp.labels import LABELS

__all__ = ["CUE_TABLE", "DEFAULT_SPANS_KEY", "NewPowerSignals", "default_patterns",
           "make_newpower_signals"]

DEFAULT_SPANS_KEY = "newpower"
#: Key of the span group's ``attrs`` entry that repeats every cue as a plain
#: ``(start, end, label, negated, hedged)`` row, in span order, so that code reading
#: many docs need not build a ``Span`` per cue. It describes the group only while it has
#: one row per span (code that edits the group should drop it).
CUE_TABLE = "cue_table"
NEGATORS = frozenset({"not", "n't", "n\u2019t", "no", "never", "without", "nor", "neither",
                      "cannot",
                      "nobody", "none", "nothing", "rather", "instead"})
HEDGES = frozenset({"may", "might", "could", "would", "aim", "hope", "plan", "seek", "strive",
                    "aspire", "wish", "intend", "promise", "claim", "consider", "explore"})
_CLAUSE_BREAKS = frozenset({",", ";", ":", "but", "and", "while", "whereas", "—", "-"})
_NEGATOR_SORTED = sorted_ids(NEGATORS)
_HEDGE_SORTED = sorted_ids(HEDGES)
_BREAK_SORTED = sorted_ids(_CLAUSE_BREAKS)


def default_patterns() -> list[dict[str, Any]]:
    """The cue lexicon shipped with the package."""
    path = files("newpower_nlp") / "data" / "cues.jsonl"
    return list(srsly.read_jsonl(str(path)))


def _ensure_extensions() -> None:
    for name in ("negated", "hedged"):
        if not Span.has_extension(name):
            Span.set_extension(name, default=False)


@Language.factory(
    "newpower_signals",
    assigns=["doc.spans", "token.lemma"],
    requires=["token.lemma"],
    default_config={"spans_key": DEFAULT_SPANS_KEY, "window": 4},
)
def make_newpower_signals(nlp: Language, name: str, spans_key: str, window: int
                          ) -> "NewPowerSignals":
    """Factory for :class:`NewPowerSignals` (registered as ``newpower_signals``)."""
    return NewPowerSignals(nlp, name, spans_key=spans_key, window=window)


class NewPowerSignals:
    """Match the cue lexicon and mark negated and hedged cues.

    Patterns are loaded in :meth:`initialize` (the shipped lexicon unless others are
    given) or with :meth:`add_patterns`.
    """

    def __init__(self, nlp: Language, name: str = "newpower_signals", *,
                 spans_key: str = DEFAULT_SPANS_KEY, window: int = 4) -> None:
        self.nlp = nlp
        self.name = name
        self.spans_key = spans_key
        self.window = window
        self.patterns: list[dict[str, Any]] = []
        self._phrases = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self._tokens = Matcher(nlp.vocab)
        self._lemma_table: dict[str, str] | None = None
        self._folded = HashCache()  # word form hash -> folded lemma hash
        self._nt = HashCache()  # lower-case form hash -> 1 if it ends in n't, else 0

    # ------------------------------------------------------------------ set-up

    def initialize(self, get_examples: Any = None, *, nlp: Language | None = None,
                   patterns: list[dict[str, Any]] | None = None) -> None:
        """Load ``patterns`` (default: the shipped lexicon), replacing any loaded ones."""
        self.clear()
        self.add_patterns(default_patterns() if patterns is None else patterns)

    def clear(self) -> None:
        """Remove every pattern."""
        self.patterns = []
        self._phrases = PhraseMatcher(self.nlp.vocab, attr="LEMMA")
        self._tokens = Matcher(self.nlp.vocab)

    def add_patterns(self, patterns: Iterable[dict[str, Any]]) -> None:
        """Add cue patterns (dicts with ``label`` and ``pattern``)."""
        for i, entry in enumerate(patterns):
            label, pattern = entry.get("label"), entry.get("pattern")
            if label not in LABELS:
                raise ValueError(f"cue pattern {i}: unknown label {label!r}")
            if isinstance(pattern, str) and pattern.strip():
                self._phrases.add(label, [self._pattern_doc(pattern)])
            elif isinstance(pattern, list) and pattern:
                self._tokens.add(label, [pattern])
            else:
                raise ValueError(f"cue pattern {i}: 'pattern' must be a phrase or a token list")
            self.patterns.append({"label": label, "pattern": pattern})

    def _pattern_doc(self, text: str) -> Doc:
        doc = self.nlp.make_doc(text)
        for name, proc in self.nlp.pipeline:
            if name == "lemmatizer":
                doc = proc(doc)
        self._fold_lemmas([doc])
        return doc

    def _fold_lemmas(self, docs: Sequence[Doc]) -> list[np.ndarray]:
        """Case-fold lemmas, so that cues match in any case ("MEMBERS ELECT"); return
        each doc's (lemma, lower, sent_start) rows, lemmas folded.

        Only tokens that need it are touched (found with one vectorized pass over the
        docs' arrays laid end to end): those the lookup table left unchanged although
        they are not lower case, and those whose lemma is not lower case.
        """
        if self._lemma_table is None:
            self._lemma_table = {}
            if "lemmatizer" in self.nlp.pipe_names:
                lookups = self.nlp.get_pipe("lemmatizer").lookups
                if lookups.has_table("lemma_lookup"):
                    self._lemma_table = lookups.get_table("lemma_lookup")
        arr, bounds = stacked_arrays(docs, [LEMMA, LOWER, SENT_START, ORTH])
        lemma, lower, orth = arr[:, 0], arr[:, 1], arr[:, 3]
        todo = np.flatnonzero(((orth != lower) & (lemma == orth)) | (lemma == 0))
        if len(todo):
            lemma[todo] = self._folded.lookup(orth[todo], self._fold)
        changed = np.bincount(np.searchsorted(bounds, todo, side="right"),
                              minlength=len(docs))
        rows = np.split(arr[:, :3], bounds)
        for doc, doc_rows, n_changed in zip(docs, rows, changed.tolist()):
            if n_changed:
                doc.from_array([LEMMA], np.ascontiguousarray(doc_rows[:, :1]))
        return rows

    def _fold(self, orth: int) -> int:
        """The case-folded lookup lemma of a word form (remembered by ``_folded``)."""
        lower = self.nlp.vocab.strings[orth].lower()
        lemma = self._lemma_table.get(lower, lower)
        if not isinstance(lemma, str):
            lemma = lemma[0]
        return self.nlp.vocab.strings.add(lemma.lower())

    # ------------------------------------------------------------------ matching

    def __call__(self, doc: Doc) -> Doc:
        """Write the cue spans of ``doc`` to ``doc.spans[spans_key]``."""
        _ensure_extensions()
        return self._match(doc, self._fold_lemmas([doc])[0])

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        """Process a stream of docs, ``batch_size`` at a time (the lemmas of a batch are
        folded in one pass)."""
        _ensure_extensions()
        for batch in minibatch(docs, size=batch_size):
            for doc, context in zip(batch, self._fold_lemmas(batch)):
                yield self._match(doc, context)

    def _match(self, doc: Doc, context: np.ndarray) -> Doc:
        """Match the cues of a doc whose lemmas are folded (``context``: its
        (lemma, lower, sent_start) rows)."""
        found: dict[tuple[int, int, str], None] = {}
        matches = list(self._phrases(doc))
        if len(self._tokens):
            matches.extend(self._tokens(doc))
        for match_id, start, end in matches:
            found[(start, end, self.nlp.vocab.strings[match_id])] = None
        spans, table = [], []
        if found:
            keys = sorted(found)
            flags = self._context(context, [k[0] for k in keys])
            for (start, end, label), (negated, hedged) in zip(keys, flags):
                span = Span(doc, start, end, label=label)
                if negated or hedged:  # both default to False
                    ext = span._
                    ext.negated, ext.hedged = negated, hedged
                spans.append(span)
                table.append((start, end, label, negated, hedged))
        doc.spans[self.spans_key] = SpanGroup(doc, name=self.spans_key,
                                              attrs={CUE_TABLE: table}, spans=spans)
        return doc

    def _context(self, context: np.ndarray, starts: Sequence[int]
                 ) -> list[tuple[bool, bool]]:
        """(negated, hedged) of the cues starting at ``starts``: look back up to
        ``window`` tokens, within the sentence and the clause. ``context`` holds the
        doc's (lemma, lower, sent_start) rows.

        A token before a cue is looked at unless a clause break (the token itself
        included) or a sentence start lies between it and the cue; all cues are done at
        once, with a cumulative "stopped" mask over the window."""
        if not len(starts):
            return []
        lemmas, lowers, sent_start = context[:, 0], context[:, 1], context[:, 2]
        back = np.asarray(starts, dtype=np.int64)[:, None] - np.arange(1, self.window + 1)
        inside = back >= 0
        at = np.where(inside, back, 0)  # (outside the doc: a placeholder, masked below)
        after = np.where(inside, back + 1, 0)  # the token after: it may start a sentence
        lemma, lower = lemmas[at], lowers[at]
        stop = ~inside | (sent_start[after] == 1) | sorted_member(lemma, _BREAK_SORTED)
        seen = ~np.logical_or.accumulate(stop, axis=1)
        negated = seen & (sorted_member(lemma, _NEGATOR_SORTED)
                          | sorted_member(lower, _NEGATOR_SORTED))
        rest = np.flatnonzero(seen & ~negated)  # forms still to test for a final n't
        if len(rest):
            negated.flat[rest] = self._nt.lookup(lower.flat[rest], self._ends_nt) == 1
        hedged = seen & sorted_member(lemma, _HEDGE_SORTED)
        return list(zip(negated.any(axis=1).tolist(), hedged.any(axis=1).tolist()))

    def _ends_nt(self, lower: int) -> int:
        """1 if the word form (a lower-case hash) ends in n't, else 0."""
        strings = self.nlp.vocab.strings
        return int(lower in strings and strings[lower].endswith(("n't", "n\u2019t")))

    # ------------------------------------------------------------------ persistence

    def to_disk(self, path: str | Path, *, exclude: Sequence[str] = ()) -> None:
        """Write the patterns to ``path/patterns.jsonl``."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_jsonl(path / "patterns.jsonl", self.patterns)

    def from_disk(self, path: str | Path, *, exclude: Sequence[str] = ()) -> "NewPowerSignals":
        """Read the patterns written by :meth:`to_disk`."""
        self.clear()
        self.add_patterns(srsly.read_jsonl(Path(path) / "patterns.jsonl"))
        return self
