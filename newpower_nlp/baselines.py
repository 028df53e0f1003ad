"""The two baselines every evaluation reports beside the model.

- :class:`LexiconBaseline`: the cue lexicon alone (a label is predicted when its cue
  count reaches a per-label cut-off chosen on the training data, by the same rule as
  the model's thresholds; the compass follows
  from the predicted signals by rule).
- :class:`TfidfBaseline`: TF-IDF word n-grams plus logistic regression, without any
  spaCy features.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from newpower_nlp.features import Analysis, analyze_docs
from newpower_nlp.labels import FRAMEWORKS, LABEL_INFO, LABELS, NO_COMPASS, compass_from_axes
from newpower_nlp.model import _compass_targets, choose_threshold

__all__ = ["CUTOFFS", "LexiconBaseline", "TfidfBaseline"]

#: The candidate cut-offs on a cue count.
CUTOFFS = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)


def _cue_counts(analyses: Sequence[Analysis]) -> np.ndarray:
    counts = np.zeros((len(analyses), len(LABELS)))
    for i, a in enumerate(analyses):
        if len(a.cue_labels):
            np.add.at(counts[i], a.cue_labels, a.cue_weights)
    return counts


def _analyses(X: Sequence[str] | Sequence[Analysis]) -> list[Analysis]:
    items = list(X)
    if items and all(isinstance(a, Analysis) for a in items):
        return items
    from newpower_nlp.pipeline import get_nlp

    return analyze_docs(get_nlp().pipe(items, batch_size=256), items)


def _rule_compass(pred: np.ndarray) -> np.ndarray:
    """Compass by rule: a framework type means a new model; the values axis is the
    balance of new against old signals; no prediction at all means no position."""
    out = []
    fw = [LABELS.index(f) for f in FRAMEWORKS]
    new = [i for i, n in enumerate(LABELS) if LABEL_INFO[n].pole == "new"]
    old = [i for i, n in enumerate(LABELS) if LABEL_INFO[n].pole == "old"]
    for row in pred:
        if not row.any():
            out.append(NO_COMPASS)
            continue
        model = 1.0 if row[fw].any() else -1.0
        values = 1.0 if row[new].sum() >= row[old].sum() else -1.0
        out.append(compass_from_axes(model, values))
    return np.array(out, dtype=object)


class LexiconBaseline(ClassifierMixin, BaseEstimator):
    """Predict a label when its (hedge-weighted, negation-aware) cue count reaches a
    cut-off chosen per label on the training data.

    Parameters
    ----------
    threshold_rule
        how each cut-off is chosen from :data:`CUTOFFS` (see
        :func:`~newpower_nlp.model.choose_threshold`).
    random_state
        seed of the rule's bootstrap.
    """

    def __init__(self, threshold_rule: str = "one_se", random_state: int = 0) -> None:
        self.threshold_rule = threshold_rule
        self.random_state = random_state

    def fit(self, X: Sequence[str] | Sequence[Analysis], y: Any,
            compass: Any = None) -> LexiconBaseline:
        """Choose each label's cut-off on ``X`` by ``threshold_rule``."""
        counts = _cue_counts(_analyses(X))
        y = np.asarray(y, dtype=int)
        self.cutoffs_ = np.array([
            choose_threshold(y[:, j], counts[:, j], self.threshold_rule,
                             default=CUTOFFS[0], grid=CUTOFFS, seed=self.random_state)
            for j in range(len(LABELS))
        ])
        self.classes_ = np.array(LABELS, dtype=object)
        return self

    def decision_function(self, X: Sequence[str] | Sequence[Analysis]) -> np.ndarray:
        """The (hedge-weighted) cue count of each label, shape ``(n, 17)``."""
        return _cue_counts(_analyses(X))

    def predict(self, X: Sequence[str] | Sequence[Analysis]) -> np.ndarray:
        """0/1 predictions, shape ``(n, 17)``."""
        check_is_fitted(self, "cutoffs_")
        return (self.decision_function(X) >= self.cutoffs_).astype(int)

    def predict_compass(self, X: Sequence[str] | Sequence[Analysis]) -> np.ndarray:
        """Compass values by rule from the predicted labels."""
        return _rule_compass(self.predict(X))


class TfidfBaseline(ClassifierMixin, BaseEstimator):
    """TF-IDF (word 1-2-grams) and one logistic regression per label, thresholds tuned
    like the model's (``threshold_rule``); a multinomial logistic regression for the
    compass."""

    def __init__(self, C: float = 4.0, threshold_rule: str = "one_se",
                 random_state: int = 0) -> None:
        self.C = C
        self.threshold_rule = threshold_rule
        self.random_state = random_state

    def fit(self, X: Sequence[str], y: Any, compass: Any = None) -> TfidfBaseline:
        """Fit the vectorizer and the models."""
        y = np.asarray(y, dtype=int)
        self.vectorizer_ = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        features = self.vectorizer_.fit_transform(list(X))
        self.estimators_ = []
        for j in range(len(LABELS)):
            if 0 < y[:, j].sum() < len(y):
                est = LogisticRegression(C=self.C, class_weight="balanced",
                                         solver="liblinear", random_state=self.random_state)
                self.estimators_.append(est.fit(features, y[:, j]))
            else:
                self.estimators_.append(None)
        self.compass_ = LogisticRegression(
            C=self.C, class_weight="balanced", max_iter=3000, random_state=self.random_state
        ).fit(features, _compass_targets(compass if compass is not None else [None] * len(y)))
        self.thresholds_ = np.full(len(LABELS), 0.5)
        self.classes_ = np.array(LABELS, dtype=object)
        return self

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """Probability of each label, shape ``(n, 17)``."""
        check_is_fitted(self, "estimators_")
        features = self.vectorizer_.transform(list(X))
        cols = [est.predict_proba(features)[:, 1] if est is not None
                else np.zeros(features.shape[0]) for est in self.estimators_]
        return np.column_stack(cols)

    def tune_thresholds(self, X: Sequence[str], y: Any) -> TfidfBaseline:
        """Per-label thresholds on held-out data, by ``threshold_rule``."""
        proba = self.predict_proba(X)
        y = np.asarray(y, dtype=int)
        self.thresholds_ = np.array([
            choose_threshold(y[:, j], proba[:, j], self.threshold_rule,
                             seed=self.random_state)
            for j in range(len(LABELS))])
        return self

    def predict(self, X: Sequence[str]) -> np.ndarray:
        """0/1 predictions, shape ``(n, 17)``."""
        return (self.predict_proba(X) >= self.thresholds_).astype(int)

    def predict_compass(self, X: Sequence[str]) -> np.ndarray:
        """The most probable compass value."""
        return self.compass_.predict(self.vectorizer_.transform(list(X)))

