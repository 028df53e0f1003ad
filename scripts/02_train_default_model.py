#!/usr/bin/env python3
"""Rebuild the shipped default model (models/default) from the corpus.

Trains on corpus/train.jsonl, tunes thresholds on dev, scores the model, both baselines
and the feature ablations on the test split and on ../shared/realworld/dev.jsonl (when
present), and writes model.skops, meta.json and the model card README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from newpower_nlp.training import train_model, write_model

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=str(ROOT / "corpus"))
    parser.add_argument("--output", default=str(ROOT / "models" / "default"))
    parser.add_argument("--realworld", default=str(ROOT.parent / "shared" / "realworld" /
                                                   "dev.jsonl"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-ablations", action="store_true")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    outcome = train_model(args.corpus, seed=args.seed, realworld=args.realworld,
                          ablations=not args.no_ablations)
    write_model(outcome, args.output)
    summary = {name: {s: {k: v[k] for k in ("macro_f1", "compass_accuracy")}
                      for s, v in per.items()} for name, per in outcome.meta["metrics"].items()}
    print(json.dumps(summary, indent=2))
    print(f"wrote {args.output} in {time.perf_counter() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
