"""The classifier: 17 calibrated binary models, per-label thresholds and the compass.

:class:`NewPowerClassifier` follows scikit-learn's conventions (parameters stored in
``__init__``, learned state ending in ``_``, ``fit`` returns ``self``). ``X`` is a list of
texts, ``y`` an ``(n, 17)`` 0/1 matrix in :data:`~newpower_nlp.labels.LABELS` order and
``compass`` the compass value of each text (``"none"`` or ``None`` for no position).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted

from newpower_nlp.features import Analysis, PowerFeaturizer
from newpower_nlp.labels import COMPASS, LABELS, NO_COMPASS

__all__ = ["NewPowerClassifier", "best_threshold"]

#: Compass value of training documents whose position was not annotated.
UNKNOWN = "unknown"
_GRID = np.round(np.arange(0.05, 0.951, 0.025), 3)


def best_threshold(y_true: np.ndarray, proba: np.ndarray, default: float = 0.5) -> float:
    """The threshold on ``proba`` that maximizes F1 on ``y_true`` (ties: closest to
    ``default``); ``default`` when there are no positives."""
    y_true = np.asarray(y_true).astype(bool)
    if not y_true.any():
        return default
    best, best_f1 = default, -1.0
    for t in sorted(_GRID, key=lambda v: abs(v - default)):
        pred = proba >= t
        tp = np.sum(pred & y_true)
        f1 = 2 * tp / (pred.sum() + y_true.sum()) if (pred.sum() + y_true.sum()) else 0.0
        if f1 > best_f1 + 1e-12:
            best, best_f1 = float(t), f1
    return best


def _compass_targets(compass: Sequence[str | None]) -> np.ndarray:
    return np.array([c if c else NO_COMPASS for c in compass], dtype=object)


class NewPowerClassifier(ClassifierMixin, BaseEstimator):
    """Multi-label power-signal classifier with a compass head.

    Parameters
    ----------
    featurizer
        a :class:`~newpower_nlp.features.PowerFeaturizer` (cloned at fit time).
    C
        inverse regularization strength of each label's logistic regression.
    class_weight
        passed to every logistic regression.
    calibration
        ``"sigmoid"`` or ``"isotonic"``: how probabilities are calibrated (by
        cross-validation inside the training data).
    cv
        folds for calibration.
    compass_C
        inverse regularization strength of the compass model.
    random_state
        seed for the folds and solvers: the same data and seed give the same model.
    """

    def __init__(
        self,
        featurizer: PowerFeaturizer | None = None,
        C: float = 4.0,
        class_weight: str | None = "balanced",
        calibration: str = "sigmoid",
        cv: int = 3,
        compass_C: float = 4.0,
        random_state: int = 0,
    ) -> None:
        self.featurizer = featurizer
        self.C = C
        self.class_weight = class_weight
        self.calibration = calibration
        self.cv = cv
        self.compass_C = compass_C
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting

    def _base(self) -> LogisticRegression:
        return LogisticRegression(C=self.C, class_weight=self.class_weight,
                                  solver="liblinear", max_iter=1000,
                                  random_state=self.random_state)

    def fit(self, X: Sequence[str] | Sequence[Analysis], y: Any,
            compass: Sequence[str | None] | None = None) -> NewPowerClassifier:
        """Fit the featurizer, the 17 calibrated label models and the compass model."""
        y = np.asarray(y, dtype=int)
        if y.ndim != 2 or y.shape[1] != len(LABELS):
            raise ValueError(f"y must have shape (n, {len(LABELS)}), got {y.shape}")
        self.__dict__.pop("_stacked", None)  # sentence weights of a previous fit
        self.featurizer_ = clone(self.featurizer) if self.featurizer is not None \
            else PowerFeaturizer()
        analyses = self._analyses(X)
        if len(analyses) != len(y):
            raise ValueError(f"X has {len(analyses)} texts but y has {len(y)} rows")
        features = self.featurizer_._fit_analyses(analyses).transform_analyses(analyses)
        self.estimators_ = []
        oof = np.zeros(y.shape)
        for j in range(len(LABELS)):
            est = self._fit_label(features, y[:, j])
            self.estimators_.append(est)
            oof[:, j] = self._out_of_fold(est, features, y[:, j])
        # kept for threshold tuning only; never saved (see __getstate__)
        self._oof = (oof, y)
        self.thresholds_ = np.full(len(LABELS), 0.5)
        self.classes_ = np.array(LABELS, dtype=object)
        targets = _compass_targets(compass if compass is not None else [None] * len(y))
        known = targets != UNKNOWN
        self.compass_ = LogisticRegression(
            C=self.compass_C, class_weight=self.class_weight, max_iter=3000,
            random_state=self.random_state,
        ).fit(features[known], targets[known])
        self.n_features_in_ = features.shape[1]
        return self

    def _fit_label(self, features: sp.csr_matrix, y: np.ndarray) -> Any:
        n_pos = int(y.sum())
        if n_pos == 0 or n_pos == len(y):
            return _Constant(float(n_pos > 0))  # nothing to learn
        folds = min(self.cv, n_pos, len(y) - n_pos)
        if folds < 2:
            return self._base().fit(features, y)
        return CalibratedClassifierCV(
            self._base(), method=self.calibration, ensemble=False,
            cv=StratifiedKFold(folds, shuffle=True, random_state=self.random_state),
        ).fit(features, y)

    def _out_of_fold(self, est: Any, features: sp.csr_matrix, y: np.ndarray) -> np.ndarray:
        """Calibrated out-of-fold probabilities on the training data (the same folds the
        calibration used)."""
        if not isinstance(est, CalibratedClassifierCV):
            return est.predict_proba(features)[:, 1]
        from sklearn.model_selection import cross_val_predict

        decision = cross_val_predict(self._base(), features, y, cv=est.cv,
                                     method="decision_function")
        return est.calibrated_classifiers_[0].calibrators[0].predict(decision)

    def _analyses(self, X: Sequence[str] | Sequence[Analysis]) -> list[Analysis]:
        items = list(X)
        if items and all(isinstance(a, Analysis) for a in items):
            return items
        return self.featurizer_.analyze(items)

    # ------------------------------------------------------------------ prediction

    def features(self, X: Sequence[str] | Sequence[Analysis]) -> sp.csr_matrix:
        """The feature matrix of ``X`` (texts or analyses)."""
        check_is_fitted(self, "estimators_")
        return self.featurizer_.transform_analyses(self._analyses(X))

    def proba_from_features(self, features: sp.csr_matrix) -> np.ndarray:
        """Calibrated probabilities, shape ``(n, 17)``.

        One sparse product gives every label's decision function; each label's
        calibrator then maps it to a probability (the same numbers as each
        estimator's ``predict_proba``, without 17 separate passes).
        """
        decisions = self.sentence_decisions(features)
        out = np.empty_like(decisions)
        for j, est in enumerate(self.estimators_):
            if isinstance(est, CalibratedClassifierCV):
                out[:, j] = est.calibrated_classifiers_[0].calibrators[0].predict(
                    decisions[:, j])
            else:
                out[:, j] = est.predict_proba(features)[:, 1]
        return out

    def compass_from_features(self, features: sp.csr_matrix) -> np.ndarray:
        """Compass class probabilities, columns in :attr:`compass_classes` order."""
        return self.compass_.predict_proba(features)

    @property
    def compass_classes(self) -> list[str]:
        """The compass classes (the four quadrants and ``"none"``)."""
        check_is_fitted(self, "compass_")
        return [str(c) for c in self.compass_.classes_]

    def predict_proba(self, X: Sequence[str] | Sequence[Analysis]) -> np.ndarray:
        """Calibrated probability of each label, shape ``(n, 17)``."""
        return self.proba_from_features(self.features(X))

    def predict(self, X: Sequence[str] | Sequence[Analysis]) -> np.ndarray:
        """0/1 predictions with the per-label thresholds, shape ``(n, 17)``."""
        check_is_fitted(self, "estimators_")
        return (self.predict_proba(X) >= self.thresholds_).astype(int)

    def predict_compass(self, X: Sequence[str] | Sequence[Analysis]) -> np.ndarray:
        """The most probable compass value of each text."""
        proba = self.compass_from_features(self.features(X))
        return np.array(self.compass_classes, dtype=object)[proba.argmax(axis=1)]

    def tune_thresholds(self, X: Sequence[str] | Sequence[Analysis], y: Any,
                        use_oof: bool = True) -> NewPowerClassifier:
        """Set each label's threshold to maximize its F1 on held-out data: the dev
        texts ``X``, pooled (with ``use_oof``, right after ``fit``) with the calibrated
        out-of-fold predictions on the training data, which steadies the thresholds of
        labels with few dev examples."""
        proba = self.predict_proba(X)
        y = np.asarray(y, dtype=int)
        if use_oof and hasattr(self, "_oof"):
            oof, y_train = self._oof
            proba, y = np.vstack([proba, oof]), np.vstack([y, y_train])
        self.thresholds_ = np.array([best_threshold(y[:, j], proba[:, j])
                                     for j in range(len(LABELS))])
        return self

    # ------------------------------------------------------------------ explanation

    def sentence_decisions(self, sentence_features: sp.csr_matrix) -> np.ndarray:
        """The model's support for every label in each sentence row, shape
        ``(n_sentences, 17)``: each label's logistic-regression decision function on
        the sentence alone (one sparse product for all labels)."""
        check_is_fitted(self, "estimators_")
        if not hasattr(self, "_stacked"):
            weights, bias = [], []
            for j in range(len(LABELS)):
                est = self._linear(j)
                if est is None:
                    weights.append(np.zeros(self.n_features_in_))
                    bias.append(-50.0)
                else:
                    weights.append(est.coef_.ravel())
                    bias.append(float(est.intercept_[0]))
            self._stacked = (np.vstack(weights).T, np.array(bias))
        weights, bias = self._stacked
        return np.asarray(sentence_features @ weights) + bias

    def _linear(self, j: int) -> LogisticRegression | None:
        est = self.estimators_[j]
        if isinstance(est, CalibratedClassifierCV):
            est = est.calibrated_classifiers_[0].estimator
        return est if isinstance(est, LogisticRegression) else None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_stacked", None)
        state.pop("_oof", None)
        return state

    @staticmethod
    def compass_axes(proba: np.ndarray, classes: Sequence[str]) -> tuple[float, float]:
        """Model and values axis scores in [-1, 1] from compass class probabilities
        (positive = new), conditional on the text having a position."""
        p = dict(zip(classes, proba))
        placed = sum(p.get(name, 0.0) for name in COMPASS)
        if placed <= 0:
            return 0.0, 0.0
        model = sum(p.get(n, 0.0) * (1 if i.model == "new" else -1) for n, i in COMPASS.items())
        values = sum(p.get(n, 0.0) * (1 if i.values == "new" else -1)
                     for n, i in COMPASS.items())
        return float(model / placed), float(values / placed)


class _Constant(BaseEstimator):
    """A label never (or always) seen in training: a constant probability."""

    def __init__(self, value: float = 0.0) -> None:
        self.value = value

    def predict_proba(self, features: Any) -> np.ndarray:
        n = features.shape[0]
        return np.column_stack([np.full(n, 1 - self.value), np.full(n, self.value)])
