#!/usr/bin/env python3
"""Speed benchmark: throughput, single-document latency and peak memory of the model.

The documents are synthetic but varied, and no outside text is used. The sentences of the
project's own corpus (all splits) are shuffled with a fixed seed and joined until each
document has about ``--words`` words. When the sentences run out they are shuffled again,
so every document differs.

Measured in one run, each after one untimed warm-up pass, with ``time.perf_counter``:

1. baseline: ``spacy.blank("en")`` tokenizing the same texts, docs/second;
2. ``model.classify_many(texts, batch_size=256, n_process=N)``, evidence on (the default),
   docs/second;
3. the same with ``evidence=False``;
4. the ratios of (2) and (3) to (1);
5. warm single-document latency: median and p95 of 200 ``model.classify(text)`` calls on
   different texts, in ms;
6. peak memory of this process (``ru_maxrss``) after all runs, in MB.

The throughput repeats are interleaved (tokenizer, with evidence, without evidence, then
again), so that a slow spell of a noisy machine falls on all three alike; each throughput
is the best of ``--repeats`` repeats (default 5), and every repeat is reported.
The targets are: ratio >= 0.33 of tokenizer throughput, single-document latency < 20 ms
(median and p95 are each checked), peak memory < 500 MB. The script prints PASS or MISS
next to each and always exits 0, because it is a measurement, not a test.

The model is whatever ``newpower_nlp.load_model()`` loads (``models/default``).

Example::

    .venv/bin/python scripts/03_benchmark.py --docs 400 --json /tmp/bench.json
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import spacy

import newpower_nlp
from newpower_nlp import Model, load_model
from newpower_nlp.corpus import load_corpus

BATCH_SIZE = 256
REPEATS = 5
LATENCY_CALLS = 200
TARGET_RATIO = 0.33
TARGET_LATENCY_MS = 20.0
TARGET_MEMORY_MB = 500.0


@dataclass
class Throughput:
    """Docs/second of every timed repeat, and the best of them."""

    name: str
    repeats: list[float]

    @property
    def best(self) -> float:
        """The fastest repeat (the least disturbed by other load on the machine)."""
        return max(self.repeats)


@dataclass
class Latency:
    """Single-document latency over ``calls`` calls, in milliseconds."""

    calls: int
    median_ms: float
    p95_ms: float
    mean_ms: float
    max_ms: float


# --------------------------------------------------------------------------- arguments


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=_positive_int, default=2000,
                        help="number of synthetic documents (default: 2000)")
    parser.add_argument("--words", type=_positive_int, default=300,
                        help="about this many words per document (default: 300)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed for shuffling the corpus sentences (default: 0)")
    parser.add_argument("--repeats", type=_positive_int, default=REPEATS,
                        help=f"timed repeats of each throughput run (default: {REPEATS})")
    parser.add_argument("--n-process", type=_positive_int, default=1,
                        help="worker processes for classify_many (default: 1)")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE",
                        help="also write the figures to FILE as JSON")
    return parser.parse_args(argv)


# --------------------------------------------------------------------------- documents


def corpus_sentences() -> list[str]:
    """Every distinct sentence of the corpus (all splits), in corpus order."""
    texts = [rec.text for records in load_corpus().values() for rec in records]
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    sentences = (" ".join(sent.text.split()) for doc in nlp.pipe(texts) for sent in doc.sents)
    return list(dict.fromkeys(s for s in sentences if s))


def build_documents(sentences: Sequence[str], n_docs: int, n_words: int,
                    seed: int) -> list[str]:
    """``n_docs`` texts of about ``n_words`` words, each a run of shuffled sentences."""
    rng = random.Random(seed)
    pool: list[str] = []
    docs = []
    for _ in range(n_docs):
        parts: list[str] = []
        words = 0
        while words < n_words:
            if not pool:
                pool = list(sentences)
                rng.shuffle(pool)
            sentence = pool.pop()
            parts.append(sentence)
            words += len(sentence.split())
        docs.append(" ".join(parts))
    return docs


# --------------------------------------------------------------------------- measuring


def measure_throughput(runs: dict[str, Callable[[], int]], n_docs: int,
                       repeats: int = REPEATS) -> list[Throughput]:
    """Warm each run up once, then time them in turn, ``repeats`` rounds (each run returns
    how many docs it produced). Interleaving the rounds spreads the machine's slow spells
    over all runs instead of letting one of them take the whole spell."""
    for name, run in runs.items():
        print(f"  {name}: warm-up ...", file=sys.stderr, flush=True)
        _check_count(name, run(), n_docs)
    rates: dict[str, list[float]] = {name: [] for name in runs}
    for i in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            count = run()
            elapsed = time.perf_counter() - start
            _check_count(name, count, n_docs)
            rates[name].append(n_docs / elapsed)
            print(f"  {name}: repeat {i + 1}/{repeats}: {rates[name][-1]:,.1f} docs/s",
                  file=sys.stderr, flush=True)
    return [Throughput(name, r) for name, r in rates.items()]


def _check_count(name: str, count: int, expected: int) -> None:
    if count != expected:
        raise RuntimeError(f"{name} returned {count} results for {expected} texts")


def measure_latency(model: Model, texts: Sequence[str], calls: int = LATENCY_CALLS) -> Latency:
    """Median and p95 of ``calls`` warm ``model.classify`` calls, each on a different text
    (cycling through ``texts`` if there are fewer)."""
    model.classify(texts[-1])  # warm-up
    times_ms = []
    for i in range(calls):
        text = texts[i % len(texts)]
        start = time.perf_counter()
        model.classify(text)
        times_ms.append((time.perf_counter() - start) * 1000.0)
    return Latency(calls=calls, median_ms=statistics.median(times_ms),
                   p95_ms=float(np.percentile(times_ms, 95)),
                   mean_ms=statistics.fmean(times_ms), max_ms=max(times_ms))


def peak_memory_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size in MB (``ru_maxrss`` is KiB on Linux, bytes on macOS)."""
    maxrss = resource.getrusage(who).ru_maxrss
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


# --------------------------------------------------------------------------- reporting


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def build_report(args: argparse.Namespace, docs: Sequence[str], n_sentences: int,
                 model: Model, runs: Sequence[Throughput], latency: Latency,
                 memory_mb: float, children_mb: float | None) -> dict[str, Any]:
    """All figures, targets and verdicts as plain JSON-ready data."""
    baseline, *model_runs = runs
    ratios = {t.name: t.best / baseline.best for t in model_runs}
    words = [len(d.split()) for d in docs]
    checks = {f"ratio {name}": {"value": r, "target": f">= {TARGET_RATIO}",
                                "pass": r >= TARGET_RATIO} for name, r in ratios.items()}
    checks["latency median ms"] = {"value": latency.median_ms,
                                   "target": f"< {TARGET_LATENCY_MS:g}",
                                   "pass": latency.median_ms < TARGET_LATENCY_MS}
    checks["latency p95 ms"] = {"value": latency.p95_ms, "target": f"< {TARGET_LATENCY_MS:g}",
                                "pass": latency.p95_ms < TARGET_LATENCY_MS}
    checks["peak memory MB"] = {"value": memory_mb, "target": f"< {TARGET_MEMORY_MB:g}",
                                "pass": memory_mb < TARGET_MEMORY_MB}
    return {
        "config": {"docs": len(docs), "words": args.words, "seed": args.seed,
                   "n_process": args.n_process, "batch_size": BATCH_SIZE,
                   "repeats": args.repeats, "latency_calls": latency.calls},
        "documents": {"source_sentences": n_sentences, "mean_words": statistics.fmean(words),
                      "min_words": min(words), "max_words": max(words),
                      "total_words": sum(words)},
        "environment": {"python": platform.python_version(), "platform": platform.platform(),
                        "spacy": spacy.__version__, "newpower_nlp": newpower_nlp.__version__,
                        "model_version": model.version, "model_path": str(model.path)},
        "throughput": {t.name: {"best_docs_per_s": t.best, "repeats_docs_per_s": t.repeats}
                       for t in runs},
        "ratio_to_tokenizer": ratios,
        "latency": asdict(latency),
        "peak_memory_mb": memory_mb,
        "peak_memory_children_mb": children_mb,
        "checks": checks,
    }


def format_report(report: dict[str, Any]) -> str:
    """The report as a plain-text table."""
    cfg, docs, env = report["config"], report["documents"], report["environment"]
    lines = [
        "newpower-nlp speed benchmark",
        f"  model {env['model_version']} ({env['model_path']}), spaCy {env['spacy']}, "
        f"Python {env['python']}, {env['platform']}",
        f"  {cfg['docs']} docs, {docs['mean_words']:.1f} words on average "
        f"({docs['min_words']}-{docs['max_words']}, {docs['total_words']:,} in all), "
        f"from {docs['source_sentences']} corpus sentences, seed {cfg['seed']}",
        f"  batch_size {cfg['batch_size']}, n_process {cfg['n_process']}, "
        f"best of {cfg['repeats']} repeats after one warm-up pass",
        "",
        f"{'throughput':<34}{'best docs/s':>12}   repeats (docs/s)",
    ]
    for name, t in report["throughput"].items():
        reps = ", ".join(f"{r:,.1f}" for r in t["repeats_docs_per_s"])
        lines.append(f"  {name:<32}{t['best_docs_per_s']:>12,.1f}   {reps}")
    lat = report["latency"]
    lines += [
        "",
        f"single-document latency ({lat['calls']} warm classify() calls, evidence on): "
        f"median {lat['median_ms']:.2f} ms, p95 {lat['p95_ms']:.2f} ms, "
        f"mean {lat['mean_ms']:.2f} ms, max {lat['max_ms']:.2f} ms",
    ]
    if report["peak_memory_children_mb"] is not None:
        lines.append(f"largest worker process peak memory: "
                     f"{report['peak_memory_children_mb']:.1f} MB (not in the check below)")
    lines += ["", f"{'check':<34}{'value':>12}   {'target':<10}verdict"]
    for name, c in report["checks"].items():
        lines.append(f"  {name:<32}{c['value']:>12.3f}   {c['target']:<10}"
                     f"{_verdict(c['pass'])}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    """Build the documents, take every measurement and return the report."""
    print("building documents ...", file=sys.stderr, flush=True)
    sentences = corpus_sentences()
    docs = build_documents(sentences, args.docs, args.words, args.seed)
    model = load_model()
    tokenizer = spacy.blank("en")
    tokenizer.max_length = max(tokenizer.max_length, max(len(d) for d in docs) + 1)

    def classify(evidence: bool) -> Callable[[], int]:
        return lambda: len(list(model.classify_many(
            docs, batch_size=BATCH_SIZE, n_process=args.n_process, evidence=evidence)))

    print("measuring throughput ...", file=sys.stderr, flush=True)
    n = len(docs)
    runs = measure_throughput({
        # counted as they stream by: holding 2,000 docs would add their memory to the
        # model's peak below
        'spacy.blank("en") tokenizer': lambda: sum(1 for _ in tokenizer.pipe(docs)),
        "classify_many evidence=True": classify(True),
        "classify_many evidence=False": classify(False),
    }, n, args.repeats)
    print("measuring latency ...", file=sys.stderr, flush=True)
    latency = measure_latency(model, docs)
    children = peak_memory_mb(resource.RUSAGE_CHILDREN) if args.n_process > 1 else None
    return build_report(args, docs, len(sentences), model, runs, latency,
                        peak_memory_mb(), children)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    report = run_benchmark(args)
    print(format_report(report))
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
