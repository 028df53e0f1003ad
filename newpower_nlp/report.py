"""Evaluation reports: report.json, report.md and PNG plots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from newpower_nlp._io import atomic_write_text
from newpower_nlp.calibration import format_cv
from newpower_nlp.labels import LABELS

__all__ = ["write_report"]

_NAMES = {"model": "model", "lexicon": "lexicon baseline", "tfidf_lr": "TF-IDF + LR baseline"}


def _plots(scores: dict[str, dict[str, Any]], data_name: str, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    files = []
    # per-label F1, every system side by side
    fig, ax = plt.subplots(figsize=(11, 5))
    systems = list(scores)
    width = 0.8 / len(systems)
    x = np.arange(len(LABELS))
    for k, name in enumerate(systems):
        f1 = [scores[name][data_name]["per_label"][n]["f1"] for n in LABELS]
        ax.bar(x + k * width, f1, width, label=_NAMES.get(name, name))
    ax.set_xticks(x + width * (len(systems) - 1) / 2)
    ax.set_xticklabels(LABELS, rotation=60, ha="right")
    ax.set_ylabel("F1")
    ax.set_ylim(0, 1)
    ax.set_title(f"Per-label F1 ({data_name})")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "per_label_f1.png", dpi=110)
    plt.close(fig)
    files.append("per_label_f1.png")

    comp = scores["model"][data_name]["compass"]
    cm = np.array(comp["confusion"])
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(len(comp["classes"])))
    ax.set_xticklabels(comp["classes"], rotation=40, ha="right")
    ax.set_yticks(range(len(comp["classes"])))
    ax.set_yticklabels(comp["classes"])
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(j, i, str(cm[i, j]), ha="center", va="center",
                    color="white" if cm[i, j] > cm.max() / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(f"Compass confusion ({data_name}), accuracy {comp['accuracy']:.2f}")
    fig.tight_layout()
    fig.savefig(out / "compass_confusion.png", dpi=110)
    plt.close(fig)
    files.append("compass_confusion.png")

    cal = scores["model"][data_name].get("calibration")
    if cal:
        bins = [b for b in cal["bins"] if b["count"]]
        fig, ax = plt.subplots(figsize=(5, 5))
        ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect")
        ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], "o-",
                label=f"model (ECE {cal['ece']:.3f})")
        ax.set_xlabel("predicted probability")
        ax.set_ylabel("observed frequency")
        ax.set_title(f"Reliability diagram ({data_name})")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "reliability.png", dpi=110)
        plt.close(fig)
        files.append("reliability.png")
    return files


def _markdown(scores: dict[str, dict[str, Any]], data_name: str, meta: dict[str, Any],
              plots: list[str]) -> str:
    m = scores["model"][data_name]
    lines = [f"# Evaluation on {data_name}", "",
             f"Model: `{meta.get('path', '')}` version {meta.get('version', '?')}; "
             f"{m['n']} documents.", "",
             "| system | macro-F1 | 95% CI | micro-F1 | samples-F1 | compass acc. |",
             "|---|---|---|---|---|---|"]
    for name, per in scores.items():
        s = per[data_name]
        ci = s["macro"].get("f1_ci95", [float("nan")] * 2)
        lines.append(f"| {_NAMES.get(name, name)} | {s['macro']['f1']:.3f} | "
                     f"{ci[0]:.3f}-{ci[1]:.3f} | {s['micro']['f1']:.3f} | "
                     f"{s['samples']['f1']:.3f} | {s['compass']['accuracy']:.3f} |")
    lines += ["", "## Per label (model)", "", "| label | precision | recall | F1 | support |",
              "|---|---|---|---|---|"]
    for n in LABELS:
        s = m["per_label"][n]
        lines.append(f"| `{n}` | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} "
                     f"| {s['support']} |")
    comp = m["compass"]
    lines += ["", "## Compass confusion matrix (rows gold, columns predicted)", "",
              "| gold \\ predicted | " + " | ".join(comp["classes"]) + " |",
              "|---|" + "---|" * len(comp["classes"])]
    lines += [f"| {c} | " + " | ".join(map(str, row)) + " |"
              for c, row in zip(comp["classes"], comp["confusion"])]
    if "calibration" in m:
        lines += ["", f"Expected calibration error: {m['calibration']['ece']:.4f}"]
    lines += _calibrated_lines(scores, data_name)
    lines += ["", "## Plots", ""] + [f"![{p}]({p})" for p in plots] + [""]
    return "\n".join(lines)


def _calibrated_lines(scores: dict[str, dict[str, Any]], data_name: str) -> list[str]:
    """What calibrating each system's thresholds on this data would give (if scored)."""
    rows = [(name, per[data_name]) for name, per in scores.items()
            if "calibrated" in per[data_name]]
    if not rows:
        return []
    cal = rows[0][1]["calibrated"]
    lines = ["", "## If you calibrate the thresholds on this data", "",
             f"Each system's thresholds re-tuned on this data (`newpower calibrate`) and "
             f"scored out of fold: {cal['folds']}-fold cross-validation repeated "
             f"{cal['repeats']} times; labels with fewer than {cal['min_positives']} "
             "positives keep their thresholds. Mean average precision needs no threshold.",
             "", "| system | macro-F1 | macro-F1 calibrated (mean, min-max) "
             "| mean average precision |", "|---|---|---|---|"]
    for name, s in rows:
        c = s["calibrated"]
        lines.append(f"| {_NAMES.get(name, name)} | {s['macro']['f1']:.3f} "
                     f"| {format_cv(c['macro_f1'], c['runs'])} | {c['mean_ap']:.3f} |")
    return lines


def write_report(scores: dict[str, dict[str, Any]], data_name: str, meta: dict[str, Any],
                 report_dir: str | Path) -> list[Path]:
    """Write report.json, report.md and the plots; return the paths written."""
    out = Path(report_dir)
    out.mkdir(parents=True, exist_ok=True)
    plots = _plots(scores, data_name, out)
    atomic_write_text(out / "report.json", json.dumps(
        {"data": data_name, "model": meta, "scores": scores}, indent=2) + "\n")
    atomic_write_text(out / "report.md", _markdown(scores, data_name, meta, plots))
    return [out / "report.json", out / "report.md", *(out / p for p in plots)]
