"""The corpus: JSONL records (label schema v1, section 4), validation and loading.

A record is one JSON object a line::

    {"id": "np-000123", "text": "...", "genre": "mission_statement",
     "cats": {"new_governance": 1, ...all 17 labels...}, "compass": "crowd",
     "spans": [{"start": 40, "end": 118, "label": "new_governance"}],
     "meta": {"org": "...", "hard_case": null, "note": "..."}}

Validation reports every problem in every file (``file:line: field: message``), never
just the first, so that an annotator can fix a file in one pass.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newpower_nlp._io import atomic_open
from newpower_nlp.errors import CorpusError
from newpower_nlp.labels import COMPASS_VALUES, GENRES, IMPLIED_LABELS, LABELS

__all__ = [
    "SPLITS",
    "Problem",
    "Record",
    "Span",
    "default_corpus_dir",
    "load_corpus",
    "load_dataframe",
    "load_dataset_dict",
    "normalise_text",
    "read_records",
    "records_to_dataframe",
    "split_files",
    "validate_files",
    "validate_records",
    "write_records",
]

SPLITS: tuple[str, ...] = ("train", "dev", "test")
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class Span:
    """Character offsets of evidence for one label."""

    start: int
    end: int
    label: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {"start": self.start, "end": self.end, "label": self.label}


@dataclass
class Record:
    """One annotated document."""

    id: str
    text: str
    cats: dict[str, int]
    genre: str | None = None
    compass: str | None = None
    spans: list[Span] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        """The label names set to 1, in canonical order."""
        return [name for name in LABELS if self.cats.get(name) == 1]

    def to_dict(self) -> dict[str, Any]:
        """The JSONL record (cats in canonical label order)."""
        return {
            "id": self.id,
            "text": self.text,
            "genre": self.genre,
            "cats": {name: int(self.cats.get(name, 0)) for name in LABELS},
            "compass": self.compass,
            "spans": [s.to_dict() for s in self.spans],
            "meta": self.meta,
        }


@dataclass(frozen=True)
class Problem:
    """One validation problem, located by file, line and field."""

    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.field}: {self.message}"


def normalise_text(text: str) -> str:
    """Collapse whitespace and case, for duplicate detection."""
    return _WS.sub(" ", text).strip().lower()


def default_corpus_dir() -> Path:
    """The corpus folder: ``$NEWPOWER_CORPUS``, else the repository's ``corpus/``."""
    env = os.environ.get("NEWPOWER_CORPUS")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parent.parent / "corpus"
    return repo if repo.is_dir() else Path.cwd() / "corpus"


def split_files(corpus_dir: str | Path | None = None) -> dict[str, Path]:
    """Map each split name to its JSONL file under ``corpus_dir``."""
    root = Path(corpus_dir) if corpus_dir is not None else default_corpus_dir()
    return {split: root / f"{split}.jsonl" for split in SPLITS}


# --------------------------------------------------------------------------- validation


def _check_record(obj: Any, where: tuple[str, int], strict: bool) -> tuple[
    Record | None, list[Problem]
]:
    path, line = where
    problems: list[Problem] = []

    def bad(fld: str, msg: str) -> None:
        problems.append(Problem(path, line, fld, msg))

    if not isinstance(obj, dict):
        bad("record", f"expected a JSON object, got {type(obj).__name__}")
        return None, problems

    rid = obj.get("id")
    if not isinstance(rid, str) or not rid.strip():
        bad("id", "missing or empty id")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        bad("text", "missing or empty text")
        text = None

    genre = obj.get("genre")
    if genre is None:
        if strict:
            bad("genre", "missing genre")
    elif genre not in GENRES:
        bad("genre", f"unknown genre {genre!r} (expected one of {', '.join(GENRES)})")

    compass = obj.get("compass")
    if compass is not None and compass not in COMPASS_VALUES:
        bad("compass", f"unknown compass value {compass!r} (expected one of "
            f"{', '.join(COMPASS_VALUES)} or null)")

    cats_in = obj.get("cats")
    cats: dict[str, int] = {}
    if not isinstance(cats_in, dict):
        bad("cats", "missing cats object")
    else:
        for name, value in cats_in.items():
            if name not in LABELS:
                bad(f"cats.{name}", f"unknown label {name!r}")
            elif isinstance(value, bool) or value not in (0, 1):
                bad(f"cats.{name}", f"value must be 0 or 1, got {value!r}")
            else:
                cats[name] = int(value)
        for name in LABELS:
            if name not in cats_in:
                bad(f"cats.{name}", f"label {name!r} missing from cats")

    spans: list[Span] = []
    spans_in = obj.get("spans", [])
    if not isinstance(spans_in, list):
        bad("spans", "spans must be a list")
        spans_in = []
    for i, sp in enumerate(spans_in):
        fld = f"spans[{i}]"
        if not isinstance(sp, dict):
            bad(fld, "span must be an object with start, end, label")
            continue
        start, end, label = sp.get("start"), sp.get("end"), sp.get("label")
        if label not in LABELS:
            bad(f"{fld}.label", f"unknown label {label!r}")
        elif isinstance(cats_in, dict) and cats_in.get(label) == 0:
            bad(f"{fld}.label", f"span labelled {label!r} but cats.{label} is 0")
        if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool):
            bad(fld, f"start and end must be integers, got {start!r}, {end!r}")
            continue
        if start >= end:
            bad(fld, f"start {start} must be less than end {end}")
        elif text is not None and (start < 0 or end > len(text)):
            bad(fld, f"offsets {start}-{end} outside the text (length {len(text)})")
        elif label in LABELS:
            spans.append(Span(start, end, label))

    if strict and isinstance(cats_in, dict):
        with_span = {sp.get("label") for sp in spans_in if isinstance(sp, dict)}
        for name in LABELS:
            if cats_in.get(name) == 1 and name not in with_span:
                bad("spans", f"label {name!r} is 1 but has no evidence span")
        for label, implied in IMPLIED_LABELS.items():
            if cats_in.get(label) == 1 and cats_in.get(implied) != 1:
                bad(f"cats.{implied}", f"{label!r} is 1, so {implied!r} must be 1 too")

    meta = obj.get("meta", {})
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        bad("meta", "meta must be an object")
        meta = {}

    if problems:
        return None, problems
    return (
        Record(id=rid, text=text, cats=cats, genre=genre, compass=compass, spans=spans,
               meta=meta),
        [],
    )


def _parse_lines(lines: Iterable[str], path: str, strict: bool) -> Iterator[
    tuple[int, Record | None, list[Problem]]
]:
    for lineno, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield lineno, None, [Problem(path, lineno, "json", f"invalid JSON: {exc.msg} "
                                         f"(column {exc.colno})")]
            continue
        rec, probs = _check_record(obj, (path, lineno), strict)
        yield lineno, rec, probs


def validate_files(
    paths: Sequence[str | Path], *, strict: bool = True
) -> tuple[list[Record], list[Problem]]:
    """Validate JSONL files together; return the valid records and every problem found.

    Besides each record's own checks, ids and texts (after whitespace and case
    normalisation) must be unique across all the files.
    """
    records: list[Record] = []
    problems: list[Problem] = []
    seen_ids: dict[str, str] = {}
    seen_texts: dict[str, str] = {}
    for p in paths:
        path = str(p)
        try:
            with open(p, encoding="utf-8") as fh:
                lines = fh.readlines()
        except UnicodeDecodeError as exc:
            problems.append(Problem(path, 0, "file", f"not UTF-8 text ({exc.reason})"))
            continue
        except OSError as exc:
            problems.append(Problem(path, 0, "file", f"cannot read: {exc.strerror}"))
            continue
        for lineno, rec, probs in _parse_lines(lines, path, strict):
            problems.extend(probs)
            if rec is None:
                continue
            where = f"{path}:{lineno}"
            dup = seen_ids.get(rec.id)
            if dup:
                problems.append(Problem(path, lineno, "id", f"duplicate id {rec.id!r} "
                                        f"(first at {dup})"))
                continue
            key = normalise_text(rec.text)
            dup = seen_texts.get(key)
            if dup:
                problems.append(Problem(path, lineno, "text", f"duplicate text (same as {dup})"))
                continue
            seen_ids[rec.id] = where
            seen_texts[key] = where
            rec.meta.setdefault("_source", where)
            records.append(rec)
    return records, problems


def validate_records(records: Sequence[dict[str, Any]], source: str = "<records>",
                     *, strict: bool = False) -> tuple[list[Record], list[Problem]]:
    """Validate in-memory record dicts (numbered from 1 as if they were lines)."""
    out: list[Record] = []
    problems: list[Problem] = []
    for i, obj in enumerate(records, 1):
        rec, probs = _check_record(obj, (source, i), strict)
        problems.extend(probs)
        if rec is not None:
            out.append(rec)
    return out, problems


def read_records(path: str | Path, *, strict: bool = True) -> list[Record]:
    """Read one JSONL file; raise :class:`CorpusError` listing every problem."""
    records, problems = validate_files([path], strict=strict)
    if problems:
        raise CorpusError(problems)
    return records


def write_records(path: str | Path, records: Iterable[Record]) -> None:
    """Write records as JSONL, atomically."""
    with atomic_open(path) as fh:
        for rec in records:
            obj = rec.to_dict()
            obj["meta"] = {k: v for k, v in obj["meta"].items() if not k.startswith("_")}
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------- loading


def load_corpus(corpus_dir: str | Path | None = None) -> dict[str, list[Record]]:
    """Read and validate the train/dev/test files; raise :class:`CorpusError` if invalid."""
    files = split_files(corpus_dir)
    missing = [str(p) for p in files.values() if not p.exists()]
    if missing:
        raise CorpusError([Problem(m, 0, "file", "corpus split file not found")
                           for m in missing])
    records, problems = validate_files(list(files.values()))
    if problems:
        raise CorpusError(problems)
    by_split: dict[str, list[Record]] = {s: [] for s in SPLITS}
    for rec in records:
        src = rec.meta["_source"].rsplit(":", 1)[0]
        split = next(s for s, p in files.items() if str(p) == src)
        by_split[split].append(rec)
    return by_split


def records_to_dataframe(records: Iterable[Record], split: str | None = None):
    """A pandas DataFrame: id, split, genre, compass, text, n_words, then one 0/1 column
    per label."""
    import pandas as pd

    rows = []
    for rec in records:
        row = {
            "id": rec.id,
            "split": split,
            "genre": rec.genre,
            "compass": rec.compass,
            "text": rec.text,
            "n_words": len(rec.text.split()),
            "org": rec.meta.get("org"),
            "hard_case": rec.meta.get("hard_case"),
        }
        row.update({name: int(rec.cats.get(name, 0)) for name in LABELS})
        rows.append(row)
    columns = ["id", "split", "genre", "compass", "text", "n_words", "org", "hard_case",
               *LABELS]
    return pd.DataFrame(rows, columns=columns)


def load_dataframe(corpus_dir: str | Path | None = None):
    """The whole corpus as one DataFrame with a ``split`` column."""
    import pandas as pd

    by_split = load_corpus(corpus_dir)
    frames = [records_to_dataframe(recs, split) for split, recs in by_split.items()]
    return pd.concat(frames, ignore_index=True)


def load_dataset_dict(corpus_dir: str | Path | None = None):
    """The corpus as a ``datasets.DatasetDict`` with train/dev/test splits (offline).

    Each example has ``id``, ``text``, ``genre``, ``compass`` (``"none"`` when null),
    ``labels`` (a list of label names) and one 0/1 column per label.
    """
    from datasets import Dataset, DatasetDict

    by_split = load_corpus(corpus_dir)
    out = {}
    for split, recs in by_split.items():
        rows = {
            "id": [r.id for r in recs],
            "text": [r.text for r in recs],
            "genre": [r.genre or "other" for r in recs],
            "compass": [r.compass or "none" for r in recs],
            "labels": [r.labels for r in recs],
        }
        for name in LABELS:
            rows[name] = [int(r.cats.get(name, 0)) for r in recs]
        out[split] = Dataset.from_dict(rows)
    return DatasetDict(out)
