"""Corpus statistics: counts per split, genre, label and compass value; label
co-occurrence; text length quantiles."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from newpower_nlp.corpus import Record
from newpower_nlp.labels import COMPASS_VALUES, GENRES, LABELS, NO_COMPASS

__all__ = ["corpus_stats", "render_stats"]

_QUANTILES = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)


def corpus_stats(by_split: Mapping[str, Sequence[Record]]) -> dict[str, Any]:
    """Compute the statistics of a corpus given as ``{split: records}``."""
    records = [r for recs in by_split.values() for r in recs]
    n = len(records)
    lengths = np.array([len(r.text.split()) for r in records]) if records else np.zeros(1)
    label_counts = {name: sum(r.cats.get(name, 0) for r in records) for name in LABELS}
    per_split_labels = {
        split: {name: sum(r.cats.get(name, 0) for r in recs) for name in LABELS}
        for split, recs in by_split.items()
    }
    compass = Counter(r.compass or NO_COMPASS for r in records)
    genres = Counter(r.genre or "other" for r in records)
    cooc = np.zeros((len(LABELS), len(LABELS)), dtype=int)
    for r in records:
        idx = [i for i, name in enumerate(LABELS) if r.cats.get(name) == 1]
        for i in idx:
            for j in idx:
                cooc[i, j] += 1
    hard = Counter(r.meta.get("hard_case") for r in records if r.meta.get("hard_case"))
    return {
        "documents": n,
        "splits": {split: len(recs) for split, recs in by_split.items()},
        "genres": {g: genres.get(g, 0) for g in GENRES},
        "labels": label_counts,
        "labels_per_split": per_split_labels,
        "compass": {c: compass.get(c, 0) for c in (*COMPASS_VALUES, NO_COMPASS)},
        "no_labels": sum(1 for r in records if not r.labels),
        "no_power_content": sum(1 for r in records if not r.labels and r.compass is None),
        "hard_cases": sum(hard.values()),
        "hard_case_types": dict(hard.most_common()),
        "labels_per_document": round(sum(label_counts.values()) / n, 3) if n else 0.0,
        "length_words": {
            **{f"q{int(q * 100)}": float(np.quantile(lengths, q)) for q in _QUANTILES},
            "share_over_400": round(float((lengths > 400).mean()), 4) if n else 0.0,
        },
        "cooccurrence": {
            "labels": list(LABELS),
            "matrix": cooc.tolist(),
        },
    }


def _pct(count: int, total: int) -> str:
    return f"{100 * count / total:.1f}%" if total else "-"


def render_stats(stats: Mapping[str, Any], console: Any) -> None:
    """Print the statistics as rich tables on ``console``."""
    from rich.table import Table

    n = stats["documents"]
    t = Table(title=f"Corpus: {n} documents", show_lines=False)
    t.add_column("split")
    t.add_column("docs", justify="right")
    t.add_column("share", justify="right")
    for split, count in stats["splits"].items():
        t.add_row(split, str(count), _pct(count, n))
    console.print(t)

    t = Table(title="Genres")
    t.add_column("genre")
    t.add_column("docs", justify="right")
    t.add_column("share", justify="right")
    for genre, count in stats["genres"].items():
        t.add_row(genre, str(count), _pct(count, n))
    console.print(t)

    splits = list(stats["labels_per_split"])
    t = Table(title="Labels (documents with the label set to 1)")
    t.add_column("label")
    t.add_column("all", justify="right")
    for split in splits:
        t.add_column(split, justify="right")
    for name, count in stats["labels"].items():
        t.add_row(name, str(count), *(str(stats["labels_per_split"][s][name]) for s in splits))
    console.print(t)

    t = Table(title="Compass")
    t.add_column("value")
    t.add_column("docs", justify="right")
    t.add_column("share", justify="right")
    for value, count in stats["compass"].items():
        t.add_row(value, str(count), _pct(count, n))
    console.print(t)

    lw = stats["length_words"]
    t = Table(title="Text length (words)")
    for key in lw:
        t.add_column(key, justify="right")
    t.add_row(*(f"{v:.0f}" if not k.startswith("share") else f"{100 * v:.1f}%"
                for k, v in lw.items()))
    console.print(t)

    console.print(
        f"documents with no label: {stats['no_labels']}; with no power content (no label, "
        f"no compass): {stats['no_power_content']}; hard cases: {stats['hard_cases']} "
        f"({_pct(stats['hard_cases'], n)}); labels per document: "
        f"{stats['labels_per_document']}"
    )

    labels = stats["cooccurrence"]["labels"]
    matrix = stats["cooccurrence"]["matrix"]
    t = Table(title="Label co-occurrence (documents with both; top 4 partners)")
    t.add_column("label")
    t.add_column("docs", justify="right")
    t.add_column("most often with")
    for i, name in enumerate(labels):
        partners = sorted(
            ((matrix[i][j], other) for j, other in enumerate(labels) if j != i and matrix[i][j]),
            reverse=True,
        )[:4]
        t.add_row(name, str(matrix[i][i]), ", ".join(f"{o} {c}" for c, o in partners))
    console.print(t)


def stats_markdown(stats: Mapping[str, Any]) -> str:
    """The datasheet's statistics section (Markdown tables), generated from the corpus."""
    n = stats["documents"]
    lines = [f"{n} documents: " + ", ".join(f"{s} {c}" for s, c in stats["splits"].items())
             + ".", "", "| genre | documents | share |", "|---|---|---|"]
    lines += [f"| {g} | {c} | {_pct(c, n)} |" for g, c in stats["genres"].items()]
    lines += ["", "| label | documents | train | dev | test |", "|---|---|---|---|---|"]
    per = stats["labels_per_split"]
    lines += [f"| `{name}` | {c} | {per['train'][name]} | {per['dev'][name]} | "
              f"{per['test'][name]} |" for name, c in stats["labels"].items()]
    lines += ["", "| compass | documents | share |", "|---|---|---|"]
    lines += [f"| {v} | {c} | {_pct(c, n)} |" for v, c in stats["compass"].items()]
    lw = stats["length_words"]
    lines += [
        "",
        f"Length in words: median {lw['q50']:.0f}, 10th-90th percentile {lw['q10']:.0f}-"
        f"{lw['q90']:.0f}, range {lw['q0']:.0f}-{lw['q100']:.0f}; "
        f"{100 * lw['share_over_400']:.1f}% over 400 words.",
        f"Documents with no label: {stats['no_labels']}; with no power content (no label, "
        f"no compass): {stats['no_power_content']}. Hard cases: {stats['hard_cases']} "
        f"({_pct(stats['hard_cases'], n)}): "
        + ", ".join(f"{k} {v}" for k, v in stats["hard_case_types"].items()) + ".",
        f"Labels per document: {stats['labels_per_document']}.",
    ]
    return "\n".join(lines)
