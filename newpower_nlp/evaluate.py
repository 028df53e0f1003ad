"""Evaluation: per-label and averaged scores, compass accuracy and confusion matrix,
calibration error, a bootstrap interval for macro-F1, and the baselines side by side."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)

from newpower_nlp.corpus import Record
from newpower_nlp.labels import COMPASS_VALUES, LABELS, NO_COMPASS

__all__ = [
    "COMPASS_CLASSES",
    "EvalData",
    "bootstrap_macro_f1",
    "paired_bootstrap_macro_f1",
    "compass_scores",
    "expected_calibration_error",
    "label_scores",
    "score_predictions",
]

COMPASS_CLASSES: tuple[str, ...] = (*COMPASS_VALUES, NO_COMPASS)


@dataclass
class EvalData:
    """Texts with gold labels (``y``: n x 17) and compass values."""

    texts: list[str]
    y: np.ndarray
    compass: list[str]
    ids: list[str]
    spans: list[list[tuple[int, int, str]]] | None = None  # evidence spans, if known

    @classmethod
    def from_records(cls, records: Sequence[Record]) -> EvalData:
        """Build from corpus records."""
        return cls(
            texts=[r.text for r in records],
            y=np.array([[r.cats.get(n, 0) for n in LABELS] for r in records], dtype=int)
            .reshape(len(records), len(LABELS)),
            compass=[r.compass or NO_COMPASS for r in records],
            ids=[r.id for r in records],
            spans=[[(s.start, s.end, s.label) for s in r.spans] for r in records],
        )

    def __len__(self) -> int:
        return len(self.texts)


def label_scores(y: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    """Per-label precision, recall, F1 and support; micro, macro and samples averages."""
    p, r, f, s = precision_recall_fscore_support(y, pred, average=None, zero_division=0)
    predicted = np.asarray(pred).sum(axis=0)
    per_label = {
        name: {"precision": float(p[j]), "recall": float(r[j]), "f1": float(f[j]),
               "support": int(s[j]), "predicted": int(predicted[j])}
        for j, name in enumerate(LABELS)
    }
    out: dict[str, Any] = {"per_label": per_label}
    for avg in ("micro", "macro", "samples"):
        pa, ra, fa, _ = precision_recall_fscore_support(y, pred, average=avg, zero_division=0)
        out[avg] = {"precision": float(pa), "recall": float(ra), "f1": float(fa)}
    # macro over the labels present in the gold data (for small or skewed sets)
    present = y.sum(axis=0) > 0
    out["macro_present"] = {"f1": float(f[present].mean()) if present.any() else 0.0,
                            "labels": int(present.sum())}
    return out


def compass_scores(gold: Sequence[str], pred: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1 and the confusion matrix (rows gold, columns predicted)."""
    classes = list(COMPASS_CLASSES)
    return {
        "accuracy": float(accuracy_score(gold, pred)),
        "macro_f1": float(f1_score(gold, pred, labels=classes, average="macro",
                                   zero_division=0)),
        "classes": classes,
        "confusion": confusion_matrix(gold, pred, labels=classes).tolist(),
    }


def expected_calibration_error(y: np.ndarray, proba: np.ndarray, n_bins: int = 10
                               ) -> dict[str, Any]:
    """ECE over all label decisions, with the reliability-diagram bins."""
    yt, pt = np.asarray(y).ravel(), np.asarray(proba).ravel()
    edges = np.linspace(0, 1, n_bins + 1)
    which = np.clip(np.digitize(pt, edges[1:-1]), 0, n_bins - 1)
    bins, ece = [], 0.0
    for b in range(n_bins):
        mask = which == b
        if not mask.any():
            bins.append({"lo": float(edges[b]), "hi": float(edges[b + 1]), "count": 0,
                         "confidence": None, "accuracy": None})
            continue
        conf, acc = float(pt[mask].mean()), float(yt[mask].mean())
        ece += mask.mean() * abs(conf - acc)
        bins.append({"lo": float(edges[b]), "hi": float(edges[b + 1]),
                     "count": int(mask.sum()), "confidence": conf, "accuracy": acc})
    return {"ece": float(ece), "bins": bins}


def _resampled_macro_f1(y: np.ndarray, preds: Sequence[np.ndarray], n_boot: int,
                        seed: int) -> np.ndarray:
    """Macro-F1 of each prediction matrix on ``n_boot`` resamples of the documents (the
    same resamples for all), shape ``(n_boot, len(preds))``."""
    rng = np.random.default_rng(seed)
    n = len(y)
    scores = np.empty((n_boot, len(preds)))
    for b in range(n_boot):
        idx = rng.integers(0, n, n)
        scores[b] = [f1_score(y[idx], p[idx], average="macro", zero_division=0)
                     for p in preds]
    return scores


def bootstrap_macro_f1(y: np.ndarray, pred: np.ndarray, n_boot: int = 1000, seed: int = 0
                       ) -> tuple[float, float]:
    """95% percentile bootstrap interval of macro-F1 (documents resampled)."""
    lo, hi = np.percentile(_resampled_macro_f1(y, [pred], n_boot, seed)[:, 0], [2.5, 97.5])
    return float(lo), float(hi)


def paired_bootstrap_macro_f1(y: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray,
                              n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Macro-F1 of system a minus system b on the same documents, with a 95% percentile
    bootstrap interval (each resample scores both systems on the same documents) and the
    share of resamples in which a is ahead."""
    scores = _resampled_macro_f1(y, [pred_a, pred_b], n_boot, seed)
    diffs = scores[:, 0] - scores[:, 1]
    diff = (f1_score(y, pred_a, average="macro", zero_division=0)
            - f1_score(y, pred_b, average="macro", zero_division=0))
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    return {"diff": float(diff), "ci95": [float(lo), float(hi)],
            "share_ahead": float((diffs > 0).mean())}


def score_predictions(data: EvalData, pred: np.ndarray, compass_pred: Sequence[str],
                      proba: np.ndarray | None = None, bootstrap: bool = True,
                      seed: int = 0) -> dict[str, Any]:
    """All scores of one system on ``data``."""
    out = {"n": len(data), **label_scores(data.y, pred),
           "compass": compass_scores(data.compass, list(compass_pred))}
    if proba is not None:
        out["calibration"] = expected_calibration_error(data.y, proba)
    if bootstrap:
        lo, hi = bootstrap_macro_f1(data.y, pred, seed=seed)
        out["macro"]["f1_ci95"] = [lo, hi]
    return out
