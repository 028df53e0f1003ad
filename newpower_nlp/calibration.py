"""Calibrating decision thresholds to a labelled sample of your own texts.

A model's thresholds are tuned on the corpus's dev split. Texts from another domain can
rank the same way but score lower or higher as a whole (real mission statements state a
signal more plainly than the corpus does), so the best thresholds move. With a labelled
sample of the target texts, :func:`calibrate` re-tunes each label's threshold on it and
estimates, by repeated k-fold cross-validation on the same sample, what the re-tuned
thresholds score on texts they were not tuned on. Calibration takes each label's F1
maximum on the sample (not the model's one-standard-error rule, which leans towards
recall because the corpus is not the target domain: the sample is).

The same functions work on any system that gives a score per label: the model's and the
TF-IDF baseline's probabilities, and the cue lexicon's cue counts
(:func:`system_scores`), so that calibrated systems can be compared on equal terms.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, f1_score
from sklearn.model_selection import KFold

from newpower_nlp.baselines import CUTOFFS, LexiconBaseline
from newpower_nlp.evaluate import EvalData
from newpower_nlp.labels import LABELS
from newpower_nlp.model import THRESHOLD_GRID, choose_threshold

__all__ = ["Calibration", "calibrate", "cross_validate_thresholds", "format_cv",
           "mean_average_precision", "system_scores", "tune_thresholds"]

#: Fewest positives a label needs in the sample to get its own threshold; labels with
#: fewer keep the threshold they had.
MIN_POSITIVES = 3


def system_scores(system: Any, texts: Sequence[str]
                  ) -> tuple[np.ndarray, np.ndarray, Sequence[float]]:
    """A system's per-label scores on ``texts``, its current thresholds on them, and the
    candidate thresholds: probabilities for the model and TF-IDF, cue counts for the
    lexicon."""
    if isinstance(system, LexiconBaseline):
        return system.decision_function(texts), np.asarray(system.cutoffs_), CUTOFFS
    return system.predict_proba(texts), np.asarray(system.thresholds_), THRESHOLD_GRID


def tune_thresholds(scores: np.ndarray, y: np.ndarray, fallback: np.ndarray,
                    grid: Sequence[float] = THRESHOLD_GRID,
                    min_positives: int = MIN_POSITIVES, rule: str = "max_f1",
                    seed: int = 0) -> np.ndarray:
    """Per label, the threshold on ``scores`` chosen by ``rule`` (by default the F1
    maximum, ties: closest to the ``fallback`` threshold; see
    :func:`~newpower_nlp.model.choose_threshold`); ``fallback`` for labels with fewer
    than ``min_positives`` positives."""
    y = np.asarray(y, dtype=int)
    return np.array([
        choose_threshold(y[:, j], scores[:, j], rule, default=float(fallback[j]),
                         grid=grid, seed=seed)
        if y[:, j].sum() >= min_positives else float(fallback[j])
        for j in range(y.shape[1])
    ])


def _macro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    return float(f1_score(y, pred, average="macro", zero_division=0))


def cross_validate_thresholds(scores: np.ndarray, y: np.ndarray, fallback: np.ndarray,
                              grid: Sequence[float] = THRESHOLD_GRID, *,
                              min_positives: int = MIN_POSITIVES, folds: int = 5,
                              repeats: int = 10, seed: int = 0, rule: str = "max_f1"
                              ) -> dict[str, Any]:
    """Estimate what thresholds tuned on a sample (by ``rule``) score on unseen texts of
    its kind.

    In each of ``repeats`` shuffles, every fold is predicted with thresholds tuned on the
    other folds; the pooled out-of-fold predictions give one macro-F1 per repeat. Returns
    the per-repeat macro-F1s, their mean, and the per-label F1 averaged over repeats.
    With the same ``seed`` two systems are scored on the same folds, so their per-repeat
    figures pair up.
    """
    y = np.asarray(y, dtype=int)
    if len(y) < folds:
        raise ValueError(f"need at least {folds} texts for {folds}-fold cross-validation, "
                         f"got {len(y)}")
    runs, per_label = [], np.zeros(y.shape[1])
    for r in range(repeats):
        pred = np.zeros_like(y)
        for fit, held in KFold(folds, shuffle=True, random_state=seed + r).split(y):
            cut = tune_thresholds(scores[fit], y[fit], fallback, grid, min_positives,
                                  rule=rule, seed=seed)
            pred[held] = scores[held] >= cut
        runs.append(_macro_f1(y, pred))
        per_label += f1_score(y, pred, average=None, zero_division=0)
    return {"macro_f1": float(np.mean(runs)), "runs": runs,
            "per_label_f1": dict(zip(LABELS, (per_label / repeats).tolist())),
            "folds": folds, "repeats": repeats, "min_positives": min_positives}


def format_cv(mean: float, runs: Sequence[float]) -> str:
    """A cross-validated figure as its mean and the range over the repeats:
    ``"0.334 (0.319-0.347)"``."""
    return f"{mean:.3f} ({min(runs):.3f}-{max(runs):.3f})"


def mean_average_precision(y: np.ndarray, scores: np.ndarray) -> float:
    """Average precision per label, averaged over the labels with a positive: how well
    a system ranks texts, whatever its thresholds."""
    y = np.asarray(y, dtype=int)
    present = [j for j in range(y.shape[1]) if y[:, j].any()]
    if not present:
        return float("nan")
    return float(np.mean([average_precision_score(y[:, j], scores[:, j]) for j in present]))


@dataclass
class Calibration:
    """What :func:`calibrate` did and what it is expected to gain."""

    n: int
    positives: dict[str, int]
    before: dict[str, float]
    after: dict[str, float]
    macro_f1_before: float  # the old thresholds on the whole sample (not tuned on it)
    cv: dict[str, Any] = field(default_factory=dict)  # see cross_validate_thresholds

    @property
    def calibrated_labels(self) -> list[str]:
        """The labels whose threshold was re-tuned (enough positives in the sample)."""
        return [n for n in LABELS if self.positives[n] >= self.cv["min_positives"]]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (stored in the calibrated model's ``meta.json``)."""
        return {"documents": self.n, "positives": self.positives,
                "calibrated_labels": self.calibrated_labels,
                "thresholds_before": self.before,
                "macro_f1_before": round(self.macro_f1_before, 4),
                "macro_f1_cross_validated": round(self.cv["macro_f1"], 4),
                "macro_f1_cross_validated_runs": [round(v, 4) for v in self.cv["runs"]],
                "folds": self.cv["folds"], "repeats": self.cv["repeats"],
                "min_positives": self.cv["min_positives"]}


def calibrate(classifier: Any, data: EvalData, *, min_positives: int = MIN_POSITIVES,
              folds: int = 5, repeats: int = 10, seed: int = 0) -> tuple[Any, Calibration]:
    """A copy of ``classifier`` with its thresholds re-tuned on ``data``, and the report.

    Labels with fewer than ``min_positives`` positives in ``data`` keep their threshold.
    The weights are the original's, not refitted.
    """
    scores, before, grid = system_scores(classifier, data.texts)
    after = tune_thresholds(scores, data.y, before, grid, min_positives)
    cv = cross_validate_thresholds(scores, data.y, before, grid, min_positives=min_positives,
                                   folds=folds, repeats=repeats, seed=seed)
    tuned = copy.copy(classifier)
    tuned.thresholds_ = after
    report = Calibration(
        n=len(data), positives=dict(zip(LABELS, data.y.sum(axis=0).astype(int).tolist())),
        before=dict(zip(LABELS, before.astype(float).tolist())),
        after=dict(zip(LABELS, after.astype(float).tolist())),
        macro_f1_before=_macro_f1(data.y, scores >= before), cv=cv)
    return tuned, report
