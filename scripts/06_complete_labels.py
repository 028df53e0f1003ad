#!/usr/bin/env python3
"""Apply a label-completion pass (a second reading for missed labels) to the corpus.

The agreement studies showed that the writers who first labelled the corpus missed
power-value labels that the manual requires, mostly in documents about participatory
organizations (independent second annotators added `new_governance` 38 times where the
writers had it 3 times). A completion pass has independent annotators re-read documents
with their current labels and list only the missing labels, each with an exact quote.

Input: completion files, one JSON object a line::

    {"id": "np-000123", "add": [{"label": "new_governance", "quote": "..."}], "note": "..."}

Each addition sets the label, adds the quote's character offsets as an evidence span and
lists the label in ``meta.completed``; the additions (ids, labels, offsets and notes, no
text) are kept in ``--log``. Only train and dev are changed unless ``--test`` is given
(the held-out split is relabelled only by the same blind procedure, and documented): an
id from the test split without it, an unknown id, a label outside the pass, or a quote
not found in the text is an error, and nothing is written unless every addition is valid
(files are replaced atomically).

``--implied`` also applies the manual's one mechanical rule to every split, test included:
`radical_transparency` implies `new_transparency` (lesson 3 of the agreement study). A
document that breaks it gets `new_transparency` with the `radical_transparency` spans as
evidence; the ids are logged.

``--pass-name`` records which reading an addition came from (``crowd_cheerleader``: the
first pass over participatory organizations; ``castle_co_opter``: the second).
``--only`` applies the proposals for some labels and skips the rest (the second pass
applied only the old-pole labels, the ones whose proposals agreed with the independent
agreement samples).

Example::

    .venv/bin/python scripts/06_complete_labels.py '/work/drafts/completion2/out_*.jsonl' \\
        --log corpus/agreement/completion/additions.jsonl --pass-name castle_co_opter \\
        --test --only old_governance,old_power_flow
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
from pathlib import Path

from newpower_nlp._io import atomic_open
from newpower_nlp.corpus import (
    Record,
    Span,
    read_records,
    split_files,
    validate_records,
    write_records,
)
from newpower_nlp.errors import CorpusError

#: The labels a completion pass may add.
FOCUS = ("new_governance", "new_power_flow", "new_engagement", "new_transparency",
         "new_leadership", "old_governance", "old_power_flow")


def read_additions(pattern: str) -> list[tuple[str, str, str, str]]:
    """(id, label, quote, note) of every addition in the files matching ``pattern``."""
    out = []
    paths = sorted(glob.glob(pattern))
    if not paths:
        raise SystemExit(f"error: no completion files match {pattern!r}")
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise SystemExit(f"error: {path}:{lineno}: not JSON ({exc.msg})") from None
                for add in obj.get("add", []):
                    out.append((str(obj.get("id")), str(add.get("label")),
                                str(add.get("quote", "")), str(obj.get("note", ""))))
    return out


def complete(records: dict[str, Record], test_ids: set[str],
             additions: list[tuple[str, str, str, str]]) -> list[dict]:
    """Apply ``additions`` to ``records`` (in place); the log rows. Raises SystemExit
    listing every invalid addition before anything is changed."""
    errors, rows = [], []
    for rid, label, quote, _note in additions:
        rec = records.get(rid)
        if rid in test_ids:
            errors.append(f"{rid}: in the test split, which a completion pass never changes")
        elif rec is None:
            errors.append(f"{rid}: no such document in the corpus")
        elif label not in FOCUS:
            errors.append(f"{rid}: label {label!r} is not one of {', '.join(FOCUS)}")
        elif not quote or rec.text.find(quote) < 0:
            errors.append(f"{rid}: quote for {label} not found in the text: {quote[:60]!r}")
    if errors:
        raise SystemExit("error: " + "\nerror: ".join(errors))
    for rid, label, quote, note in additions:
        rec = records[rid]
        if rec.cats.get(label) == 1:
            continue  # already set (a rerun, or set by an earlier addition)
        start = rec.text.find(quote)
        _add(rec, label, [Span(start, start + len(quote), label)])
        rows.append({"id": rid, "label": label, "start": start, "end": start + len(quote),
                     "note": note})
    return rows


def apply_implied(records: dict[str, Record]) -> list[dict]:
    """Set `new_transparency` wherever `radical_transparency` is set without it."""
    rows = []
    for rec in records.values():
        if rec.cats.get("radical_transparency") == 1 and rec.cats.get("new_transparency") != 1:
            spans = [Span(s.start, s.end, "new_transparency") for s in rec.spans
                     if s.label == "radical_transparency"]
            _add(rec, "new_transparency", spans)
            rows.append({"id": rec.id, "label": "new_transparency",
                         "start": spans[0].start if spans else None,
                         "end": spans[0].end if spans else None,
                         "note": "implied by radical_transparency (manual, lesson 3)"})
    return rows


def _add(rec: Record, label: str, spans: list[Span]) -> None:
    rec.cats[label] = 1
    rec.spans = sorted([*rec.spans, *spans], key=lambda s: (s.start, s.end, s.label))
    done = set(rec.meta.get("completed") or ())
    rec.meta = {**rec.meta, "completed": sorted(done | {label})}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pattern", help="glob of completion files (quote it)")
    parser.add_argument("--corpus", default=None, help="corpus directory (default: corpus/)")
    parser.add_argument("--log", type=Path, required=True,
                        help="JSONL file the applied additions are appended to")
    parser.add_argument("--test", action="store_true",
                        help="the completion files may also add labels to test documents")
    parser.add_argument("--pass-name", default=None,
                        help="name of the pass (which documents were re-read), logged "
                             "with every addition")
    parser.add_argument("--only", default=None, metavar="LABELS",
                        help="comma-separated labels: apply only the proposals for these")
    parser.add_argument("--implied", action="store_true",
                        help="also apply radical_transparency => new_transparency to "
                             "every split")
    args = parser.parse_args(argv)

    files = split_files(args.corpus)
    # read leniently (a file may break the implied rule that --implied repairs), then
    # check the result strictly before anything is written
    try:
        splits = {name: read_records(path, strict=False) for name, path in files.items()}
    except CorpusError as exc:
        raise SystemExit(f"error: {exc}") from None
    editable_splits = ("train", "dev", "test") if args.test else ("train", "dev")
    editable = {r.id: r for name in editable_splits for r in splits[name]}
    test_ids = set() if args.test else {r.id for r in splits["test"]}
    additions = read_additions(args.pattern)
    if args.only:
        only = {name.strip() for name in args.only.split(",") if name.strip()}
        unknown = sorted(only - set(FOCUS))
        if unknown:
            raise SystemExit(f"error: --only: {unknown[0]!r} is not one of {', '.join(FOCUS)}")
        skipped = sum(1 for a in additions if a[1] not in only)
        additions = [a for a in additions if a[1] in only]
        print(f"{skipped} proposals for other labels skipped (--only)")
    rows = complete(editable, test_ids, additions)
    if args.implied:
        rows += apply_implied({r.id: r for recs in splits.values() for r in recs})
    problems = [str(p) for name, path in files.items() for p in validate_records(
        [r.to_dict() for r in splits[name]], str(path), strict=True)[1]]
    if problems:
        raise SystemExit("error: " + "\nerror: ".join(problems))
    for name, path in files.items():
        write_records(path, splits[name])
    args.log.parent.mkdir(parents=True, exist_ok=True)
    if args.pass_name:
        rows = [{**row, "pass": args.pass_name} for row in rows]
    old = args.log.read_text(encoding="utf-8") if args.log.exists() else ""
    with atomic_open(args.log) as fh:
        fh.write(old + "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    by_split = {name: sum(1 for row in rows if row["id"] in {r.id for r in recs})
                for name, recs in splits.items()}
    print(f"{len(rows)} labels added ({', '.join(f'{k} {v}' for k, v in by_split.items())});"
          f" log: {args.log}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
