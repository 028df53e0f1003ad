"""New annotations for retraining: the corpus JSONL format, Prodigy-style JSONL and CSV.

Every record is validated first and every problem reported (``file:line: field:
message``); documents whose text duplicates one in the test split are refused, so that
no test document leaks into training.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from newpower_nlp.corpus import Problem, Record, normalise_text, validate_records
from newpower_nlp.labels import COMPASS_VALUES, LABELS

__all__ = ["UNKNOWN_COMPASS", "read_annotations"]

from newpower_nlp.model import UNKNOWN as UNKNOWN_COMPASS  # noqa: E402


def _prodigy(obj: dict[str, Any], rid: str) -> tuple[dict[str, Any] | None, str | None]:
    answer = obj.get("answer")
    if answer not in ("accept", "reject", "ignore"):
        return None, f"answer must be accept, reject or ignore, got {answer!r}"
    if answer != "accept":
        return None, None  # skipped, not an error
    accept = obj.get("accept")
    if not isinstance(accept, list):
        return None, "accept must be a list of label names"
    unknown = [a for a in accept if a not in LABELS]
    if unknown:
        return None, f"unknown label {unknown[0]!r} in accept"
    cats = {n: int(n in accept) for n in LABELS}
    return {"id": rid, "text": obj.get("text"), "cats": cats,
            "compass": obj.get("compass", UNKNOWN_COMPASS), "spans": [], "meta": {}}, None


def _read_jsonl(path: Path, raw: str) -> tuple[list[tuple[int, dict]], list[Problem]]:
    rows, problems = [], []
    for lineno, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(str(path), lineno, "json", f"invalid JSON: {exc.msg}"))
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(str(path), lineno, "record", "expected a JSON object"))
            continue
        rid = str(obj.get("id") or f"{path.stem}-{lineno}")
        if "accept" in obj or "answer" in obj:
            rec, msg = _prodigy(obj, rid)
            if msg:
                fld = "answer" if msg.startswith("answer") else "accept"
                problems.append(Problem(str(path), lineno, fld, msg))
            if rec is not None:
                rows.append((lineno, rec))
        else:
            obj.setdefault("id", rid)
            obj.setdefault("compass", None)
            rows.append((lineno, obj))
    return rows, problems


def _read_csv(path: Path, raw: str, text_column: str) -> tuple[list[tuple[int, dict]],
                                                               list[Problem]]:
    reader = csv.DictReader(io.StringIO(raw, newline=""))
    cols = reader.fieldnames or []
    problems = []
    if text_column not in cols:
        return [], [Problem(str(path), 1, "header", f"no {text_column!r} column")]
    unknown = [c for c in cols if c not in (text_column, "id", "compass", "genre")
               and c not in LABELS]
    for c in unknown:
        problems.append(Problem(str(path), 1, f"header.{c}", f"unknown label column {c!r}"))
    missing = [n for n in LABELS if n not in cols]
    if missing:
        problems.append(Problem(str(path), 1, "header",
                                f"missing label columns: {', '.join(missing)}"))
    if problems:
        return [], problems
    rows = []
    for row in reader:
        line = reader.line_num
        cats: dict[str, Any] = {}
        for n in LABELS:
            v = (row.get(n) or "").strip()
            cats[n] = int(v) if v in ("0", "1") else v
        rows.append((line, {
            "id": row.get("id") or f"{path.stem}-{line}",
            "text": row.get(text_column),
            "cats": cats,
            "compass": (row.get("compass") or "").strip() or UNKNOWN_COMPASS,
            "genre": (row.get("genre") or "").strip() or None,
            "spans": [],
            "meta": {},
        }))
    return rows, problems


def read_annotations(paths: Sequence[str | Path], test_texts: Iterable[str] = (),
                     text_column: str = "text") -> tuple[list[Record], list[Problem]]:
    """Read and validate added annotation files; return records and every problem.

    Format by content: ``.csv`` is a text column plus one 0/1 column per label (and an
    optional ``compass``); ``.jsonl`` lines with ``accept``/``answer`` are Prodigy
    records (only ``answer == "accept"`` is used); other ``.jsonl`` lines are corpus
    records. Added records need no evidence spans.
    """
    test_keys = {normalise_text(t) for t in test_texts}
    records: list[Record] = []
    problems: list[Problem] = []
    for p in paths:
        path = Path(p)
        try:
            raw = path.read_bytes().decode("utf-8-sig")
        except OSError as exc:
            problems.append(Problem(str(path), 0, "file", f"cannot read: {exc.strerror}"))
            continue
        except UnicodeDecodeError:
            problems.append(Problem(str(path), 0, "file", "not UTF-8 text"))
            continue
        if path.suffix.lower() == ".csv":
            rows, probs = _read_csv(path, raw, text_column)
        elif path.suffix.lower() in (".jsonl", ".json"):
            rows, probs = _read_jsonl(path, raw)
        else:
            rows, probs = [], [Problem(str(path), 0, "file",
                                       "unsupported file type (use .jsonl or .csv)")]
        problems.extend(probs)
        if not rows and not probs:
            problems.append(Problem(str(path), 0, "file", "no records"))
        for line, obj in rows:
            compass = obj.get("compass")
            unknown_compass = compass == UNKNOWN_COMPASS
            if unknown_compass:
                obj = {**obj, "compass": None}
            recs, probs = validate_records([obj], str(path))
            problems.extend(Problem(pr.path, line, pr.field, pr.message) for pr in probs)
            if compass not in (None, UNKNOWN_COMPASS, *COMPASS_VALUES):
                continue
            for rec in recs:
                if normalise_text(rec.text) in test_keys:
                    problems.append(Problem(str(path), line, "text",
                                            "duplicates a document in the test split "
                                            "(refused: no test leakage)"))
                    continue
                if unknown_compass:
                    rec.compass = UNKNOWN_COMPASS
                rec.meta["_source"] = f"{path}:{line}"
                records.append(rec)
    seen: dict[str, str] = {}
    for rec in records:
        key = normalise_text(rec.text)
        if key in seen:
            path, line = rec.meta["_source"].rsplit(":", 1)
            problems.append(Problem(path, int(line), "text",
                                    f"duplicate text (same as {seen[key]})"))
        seen.setdefault(key, rec.meta["_source"])
    return records, problems
