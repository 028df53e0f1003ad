#!/usr/bin/env python3
"""Turn writers' draft files into corpus records and split them into train/dev/test.

The writers (see corpus/GUIDELINES.md, "How the corpus was written") delivered drafts,
one JSON object a line: ``text``, ``genre``, ``labels`` (names present), ``compass``,
``evidence`` (label -> exact quotes from the text) and ``meta``. This script turns
every quote into a character-offset span, fills ``cats`` with all 17 labels, numbers
the records, validates them, and writes ``corpus/{train,dev,test}.jsonl`` with a
grouped, iteratively stratified split.

The test split is frozen once written: the script refuses to overwrite an existing
``test.jsonl`` unless ``--refreeze`` is given. With ``--append`` later rounds of drafts
are added to train and dev only (split 7:1 by organisation, stratified in the same way);
their ids continue after the corpus's last id, and a draft about an organisation that
already has documents in the corpus joins that organisation's split, or is refused if
that split is test.
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
from pathlib import Path

from newpower_nlp.corpus import Span, split_files, validate_records, write_records
from newpower_nlp.labels import LABELS
from newpower_nlp.splits import group_key, stratified_group_split


def draft_to_record(draft: dict, rid: str, source: str) -> dict:
    """One draft -> one record dict (label schema v1, section 4)."""
    text = draft["text"]
    spans = []
    for label, quotes in (draft.get("evidence") or {}).items():
        for quote in quotes:
            start = text.find(quote)
            if start < 0:
                raise SystemExit(f"{source}: evidence for {label} not found in text: {quote!r}")
            spans.append(Span(start, start + len(quote), label))
    spans.sort(key=lambda s: (s.start, s.end, s.label))
    meta = dict(draft.get("meta") or {})
    meta["annotator"] = meta.get("annotator") or source.split("/")[-2]
    return {
        "id": rid,
        "text": text,
        "genre": draft["genre"],
        "cats": {name: int(name in draft["labels"]) for name in LABELS},
        "compass": draft.get("compass"),
        "spans": [s.to_dict() for s in spans],
        "meta": meta,
    }


def _jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def apply_agreement(folder: Path, raw: list[tuple[str, dict]], dicts: list[dict],
                    out: Path) -> None:
    """Write the two independent passes (by corpus id, no texts) and replace the labels
    of every adjudicated document with the adjudicated ones."""
    by_text = {d["text"]: i for i, (_, d) in enumerate(raw)}
    by_source = {src.split("/drafts/")[-1]: i for i, (src, _) in enumerate(raw)}
    with open(folder / "mapping.json", encoding="utf-8") as fh:
        mapping = {m["sid"]: by_text.get(m["text"], by_source.get(m["draft"]))
                   for m in json.load(fh)}
    second = _jsonl(folder / "annotator_b.jsonl")
    adjudicated = {a["sid"]: a for a in _jsonl(folder / "adjudicated.jsonl")}
    first_rows, second_rows, adj_rows = [], [], []
    for row in second:
        i = mapping[row["sid"]]
        rec, draft = dicts[i], raw[i][1]
        first_rows.append({"id": rec["id"], "labels": sorted(draft["labels"]),
                           "compass": draft.get("compass")})
        second_rows.append({"id": rec["id"], "labels": sorted(row["labels"]),
                            "compass": row.get("compass")})
        adj = adjudicated.get(row["sid"])
        if adj is None:
            continue
        dicts[i] = draft_to_record({**draft, "labels": adj["labels"],
                                    "compass": adj.get("compass"),
                                    "evidence": adj["evidence"]}, rec["id"],
                                   raw[i][0].rsplit(":", 1)[0])
        dicts[i]["meta"]["adjudicated"] = True
        adj_rows.append({"id": rec["id"], "labels": sorted(adj["labels"]),
                         "compass": adj.get("compass"), "note": adj.get("note", "")})
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("first_pass", first_rows), ("second_pass", second_rows),
                       ("adjudicated", adj_rows)):
        with open(out / f"{name}.jsonl", "w", encoding="utf-8") as fh:
            for row in sorted(rows, key=lambda r: r["id"]):
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_drafts(files: list[str]) -> list[tuple[str, dict]]:
    raw = []
    for path in files:
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if line.strip():
                    raw.append((f"{path}:{lineno}", json.loads(line)))
    return raw


def append(files: list[str], corpus: Path, seed: int) -> int:
    """Add drafts to the train and dev splits of an existing corpus (test untouched)."""
    out_files = split_files(corpus)
    existing = {split: validate_records(_jsonl(path), str(path), strict=True)[0]
                for split, path in out_files.items()}
    last = max(int(r.id.split("-")[1]) for rows in existing.values() for r in rows)
    raw = _read_drafts(files)
    dicts = [draft_to_record(d, f"np-{last + i:06d}", src.rsplit(":", 1)[0])
             for i, (src, d) in enumerate(raw, 1)]
    records, problems = validate_records(dicts, "drafts", strict=True)
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        return 1
    known_texts = {r.text for rows in existing.values() for r in rows}
    problems += [f"{src}: text already in the corpus" for (src, _), rec in zip(raw, dicts)
                 if rec["text"] in known_texts]
    split_of_group = {group_key(r): split for split, rows in existing.items() for r in rows
                      if r.meta.get("org")}
    fixed: dict[str, list] = {"train": [], "dev": []}
    free = []
    for (src, _), rec in zip(raw, records):
        split = split_of_group.get(group_key(rec)) if rec.meta.get("org") else None
        if split == "test":
            problems.append(f"{src}: organisation {rec.meta['org']!r} is in the frozen "
                            "test split; rename it or drop the draft")
        elif split:
            fixed[split].append(rec)
        else:
            free.append(rec)
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        return 1
    new = stratified_group_split(free, sizes=(0.875, 0.125, 0.0), seed=seed)
    for split in ("train", "dev"):
        recs = new[split] + fixed[split]
        recs.sort(key=lambda r: r.id)
        old = existing[split]
        write_records(out_files[split], [*old, *recs])
        print(f"{split}: +{len(recs)} records -> {out_files[split]} "
              f"({len(old) + len(recs)} in all)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("drafts", nargs="+", help="draft JSONL files or globs")
    parser.add_argument("--corpus", default="corpus", help="output corpus folder")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--agreement", help="folder with the agreement study: sample.jsonl, "
                        "mapping.json, annotator_b.jsonl, adjudicated.jsonl")
    parser.add_argument("--refreeze", action="store_true",
                        help="allow overwriting an existing (frozen) test split")
    parser.add_argument("--append", action="store_true",
                        help="add the drafts to the existing train and dev splits")
    args = parser.parse_args(argv)

    files = sorted({p for pattern in args.drafts for p in glob.glob(pattern)})
    if not files:
        print("no draft files matched", file=sys.stderr)
        return 2
    out_files = split_files(args.corpus)
    if args.append:
        return append(files, Path(args.corpus), args.seed)
    if out_files["test"].exists() and not args.refreeze:
        print(f"{out_files['test']} exists and is frozen; pass --refreeze to rebuild",
              file=sys.stderr)
        return 2

    raw = _read_drafts(files)
    dicts = [draft_to_record(d, f"np-{i:06d}", src.rsplit(":", 1)[0])
             for i, (src, d) in enumerate(raw, 1)]
    if args.agreement:
        apply_agreement(Path(args.agreement), raw, dicts, Path(args.corpus) / "agreement")
    records, problems = validate_records(dicts, "drafts", strict=True)
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        return 1
    splits = stratified_group_split(records, seed=args.seed)
    Path(args.corpus).mkdir(parents=True, exist_ok=True)
    for split, recs in splits.items():
        recs.sort(key=lambda r: r.id)
        write_records(out_files[split], recs)
        print(f"{split}: {len(recs)} records -> {out_files[split]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
