#!/usr/bin/env python3
"""Compare the real-world set's own labels with a reading of its texts by our manual.

The real-world set (``../shared/realworld/dev.jsonl``) was labelled by others, with the
same 17 label names but not necessarily our annotation manual. To separate "the model
does not transfer" from "the set's annotators draw the lines elsewhere", an independent
annotator who never saw the set's labels labelled its 160 texts by `corpus/GUIDELINES.md`.
That reading (ids, labels and compass only; no text) is kept in
``corpus/agreement/realworld/manual_reading.jsonl``.

This script writes ``corpus/agreement/realworld/agreement.json`` and prints:

1. the agreement between the set's labels and the manual reading (per-label kappa,
   Krippendorff's alpha, compass agreement) and the macro-F1 of the manual reading
   scored against the set's labels, a rough ceiling for a model that follows our manual;
2. with ``--score``, the shipped model and both baselines (trained in the same run)
   scored against the manual reading of the same texts: with their own thresholds,
   with thresholds calibrated on the reading (cross-validated), and by mean average
   precision.

Example::

    .venv/bin/python scripts/07_realworld_reading.py --score
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from newpower_nlp._io import atomic_write_text
from newpower_nlp.agreement import agreement, format_agreement, read_pass
from newpower_nlp.calibration import format_cv
from newpower_nlp.labels import LABELS

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "corpus" / "agreement" / "realworld"


def reading_f1(reference: dict, reading: dict) -> dict[str, float]:
    """Per-label F1 of ``reading`` scored against ``reference`` (0 where neither sets
    the label), and their macro average under ``"macro"``."""
    ids = sorted(reference)
    out = {}
    for label in LABELS:
        ref = np.array([label in reference[i]["labels"] for i in ids])
        got = np.array([label in reading[i]["labels"] for i in ids])
        denom = ref.sum() + got.sum()
        out[label] = float(2 * (ref & got).sum() / denom) if denom else 0.0
    out["macro"] = float(np.mean([out[label] for label in LABELS]))
    return out


def score_against_reading(texts_path: Path, reading_path: Path, seed: int = 0) -> dict:
    """Macro-F1 of the shipped model and both baselines against the manual reading."""
    from newpower_nlp.api import load_model
    from newpower_nlp.corpus import load_corpus
    from newpower_nlp.training import EvalData, evaluate_systems, load_realworld

    texts = load_realworld(texts_path)
    reading = read_pass(reading_path)
    y = np.array([[int(label in reading[i]["labels"]) for label in LABELS]
                  for i in texts.ids], dtype=int)
    compass = [reading[i]["compass"] for i in texts.ids]
    data = EvalData(texts.texts, y, compass, texts.ids)
    corpus = load_corpus()
    train, dev = EvalData.from_records(corpus["train"]), EvalData.from_records(corpus["dev"])
    scores = evaluate_systems(load_model().classifier, train, dev, {"reading": data},
                              seed=seed, calibrate_on=["reading"])
    return {name: {"macro_f1": round(s["reading"]["macro"]["f1"], 4),
                   "macro_f1_ci95": [round(v, 4) for v in s["reading"]["macro"]["f1_ci95"]],
                   "calibrated_cv": {
                       "macro_f1": round(s["reading"]["calibrated"]["macro_f1"], 4),
                       "runs": [round(v, 4) for v in s["reading"]["calibrated"]["runs"]],
                       "mean_ap": round(s["reading"]["calibrated"]["mean_ap"], 4)},
                   **({"paired": s["reading"]["paired"]} if "paired" in s["reading"] else {})}
            for name, s in scores.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realworld", type=Path,
                        default=ROOT.parent / "shared" / "realworld" / "dev.jsonl")
    parser.add_argument("--reading", type=Path, default=FOLDER / "manual_reading.jsonl")
    parser.add_argument("--score", action="store_true",
                        help="also score the shipped model and the baselines against the "
                             "manual reading")
    args = parser.parse_args(argv)
    if not args.realworld.is_file():
        raise SystemExit(f"error: {args.realworld}: no such file")
    gold, reading = read_pass(args.realworld), read_pass(args.reading)
    if set(gold) != set(reading):
        raise SystemExit(f"error: {args.reading}: its ids differ from {args.realworld}'s")
    result = agreement(gold, reading)
    result["reading_f1_against_set_labels"] = reading_f1(gold, reading)
    if args.score:
        result["systems_against_reading"] = score_against_reading(args.realworld,
                                                                   args.reading)
    atomic_write_text(FOLDER / "agreement.json", json.dumps(result, indent=2) + "\n")
    f1 = result["reading_f1_against_set_labels"]
    print("\n".join(format_agreement(result, f1, "F1")))
    print("(first: the set's own labels; second: the manual reading)")
    print(f"macro-F1 of the manual reading against the set's labels: {f1['macro']:.3f}")
    for name, s in result.get("systems_against_reading", {}).items():
        cal = s["calibrated_cv"]
        print(f"against the manual reading: {name:9} macro-F1 {s['macro_f1']:.3f} "
              f"({s['macro_f1_ci95'][0]:.3f}-{s['macro_f1_ci95'][1]:.3f}); thresholds "
              f"calibrated on it, cross-validated {format_cv(cal['macro_f1'], cal['runs'])}; "
              f"mean average precision {cal['mean_ap']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
