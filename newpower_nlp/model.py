"""The classifier: a document model and a sentence model per label, combined into a
calibrated probability, per-label thresholds, and the compass.

:class:`NewPowerClassifier` follows scikit-learn's conventions (parameters stored in
``__init__``, learned state ending in ``_``, ``fit`` returns ``self``). ``X`` is a list of
texts, ``y`` an ``(n, 17)`` 0/1 matrix in :data:`~newpower_nlp.labels.LABELS` order and
``compass`` the compass value of each text (``"none"`` or ``None`` for no position) and
``spans`` (optional) the evidence spans of each text, ``(start, end, label)``.

For every label, two linear models score a text:

- the *document model*, a logistic regression on the features of the whole text;
- the *sentence model*, a logistic regression on the features of single sentences,
  trained on the annotated evidence: a sentence that overlaps an evidence span of the
  label is a positive, every sentence of a text without the label a negative (the other
  sentences of a text with the label are left out: they may or may not express it).

A text's score from the sentence model is the maximum over its sentences, so a single
clear sentence in a long text counts. A small logistic regression per label combines the
two scores into a probability; it is fitted on out-of-fold scores of the training texts,
which also calibrates it. The sentence scores are the evidence shown to users.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
from sklearn.utils.extmath import softmax
from sklearn.utils.validation import check_is_fitted

from newpower_nlp.features import Analysis, PowerFeaturizer
from newpower_nlp.labels import COMPASS, LABELS, NO_COMPASS

__all__ = ["THRESHOLD_GRID", "THRESHOLD_RULES", "NewPowerClassifier", "Scores",
           "best_threshold", "choose_threshold", "one_se_threshold"]

#: Compass value of training documents whose position was not annotated.
UNKNOWN = "unknown"
#: The candidate decision thresholds on a probability.
THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.025), 3)
#: How a threshold is chosen on held-out data: ``"max_f1"`` takes the F1 maximum,
#: ``"one_se"`` the lowest threshold within one standard error of it.
THRESHOLD_RULES = ("max_f1", "one_se")


def _f1_at(y_true: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """F1 of the 0/1 predictions ``pred`` (..., n) against ``y_true`` (..., n)."""
    tp = np.sum(pred & y_true, axis=-1)
    denom = np.sum(pred, axis=-1) + np.sum(y_true, axis=-1)
    return np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)


def best_threshold(y_true: np.ndarray, proba: np.ndarray, default: float = 0.5,
                   grid: Sequence[float] = THRESHOLD_GRID) -> float:
    """The threshold from ``grid`` on ``proba`` (or any score) that maximizes F1 on
    ``y_true`` (ties: closest to ``default``); ``default`` when there are no positives."""
    y_true = np.asarray(y_true).astype(bool)
    if not y_true.any():
        return default
    best, best_f1 = default, -1.0
    for t in sorted(grid, key=lambda v: abs(v - default)):
        f1 = float(_f1_at(y_true, proba >= t))
        if f1 > best_f1 + 1e-12:
            best, best_f1 = float(t), f1
    return best


def one_se_threshold(y_true: np.ndarray, proba: np.ndarray, default: float = 0.5,
                     grid: Sequence[float] = THRESHOLD_GRID, n_boot: int = 200,
                     seed: int = 0) -> float:
    """The lowest threshold from ``grid`` whose F1 on ``y_true`` is within one standard
    error of the best F1 (the one-standard-error rule, leaning towards recall).

    The standard error is the spread of the best threshold's F1 over ``n_boot``
    bootstrap resamples of the rows (seeded by ``seed``). Among thresholds that the
    held-out data cannot tell apart, the rule takes the most sensitive one: the corpus
    states signals more explicitly than most real texts, whose positives score lower.
    ``default`` when there are no positives."""
    y_true = np.asarray(y_true).astype(bool)
    proba = np.asarray(proba)
    if not y_true.any():
        return default
    best = best_threshold(y_true, proba, default=default, grid=grid)
    cuts = np.sort(np.asarray(grid, dtype=float))
    f1 = _f1_at(y_true[None, :], proba[None, :] >= cuts[:, None])
    rows = np.random.default_rng(seed).integers(0, len(y_true), (n_boot, len(y_true)))
    pred = proba >= best
    se = float(np.std(_f1_at(y_true[rows], pred[rows])))
    return float(cuts[np.flatnonzero(f1 >= f1.max() - se - 1e-12)[0]])


def choose_threshold(y_true: np.ndarray, proba: np.ndarray, rule: str = "one_se",
                     default: float = 0.5, grid: Sequence[float] = THRESHOLD_GRID,
                     seed: int = 0) -> float:
    """A label's threshold on held-out scores by ``rule`` (one of
    :data:`THRESHOLD_RULES`): :func:`best_threshold` or :func:`one_se_threshold`."""
    _check_rule(rule)
    if rule == "max_f1":
        return best_threshold(y_true, proba, default=default, grid=grid)
    return one_se_threshold(y_true, proba, default=default, grid=grid, seed=seed)


def _check_rule(rule: str) -> None:
    if rule not in THRESHOLD_RULES:
        raise ValueError(f"threshold_rule must be one of {THRESHOLD_RULES}, got {rule!r}")


def _compass_targets(compass: Sequence[str | None]) -> np.ndarray:
    return np.array([c if c else NO_COMPASS for c in compass], dtype=object)


class NewPowerClassifier(ClassifierMixin, BaseEstimator):
    """Multi-label power-signal classifier with a compass head.

    Parameters
    ----------
    featurizer
        the document :class:`~newpower_nlp.features.PowerFeaturizer` (cloned at fit
        time; default: all three blocks).
    sentence_featurizer
        the sentence featurizer (cloned; default: lemma n-grams and cues, no character
        n-grams, which are slow on many short rows and add little there).
    C, sentence_C
        inverse regularization strength of the document and sentence models.
    class_weight
        passed to the document and sentence models.
    cv
        folds for the out-of-fold scores that the combiner is fitted on.
    compass_C
        inverse regularization strength of the compass model.
    threshold_rule
        how :meth:`tune_thresholds` picks each label's threshold (see
        :data:`THRESHOLD_RULES` and :func:`choose_threshold`).
    random_state
        seed for the folds and solvers: the same data and seed give the same model.
    """

    def __init__(
        self,
        featurizer: PowerFeaturizer | None = None,
        sentence_featurizer: PowerFeaturizer | None = None,
        C: float = 4.0,
        sentence_C: float = 4.0,
        class_weight: str | None = "balanced",
        cv: int = 5,
        compass_C: float = 4.0,
        threshold_rule: str = "one_se",
        random_state: int = 0,
    ) -> None:
        self.featurizer = featurizer
        self.sentence_featurizer = sentence_featurizer
        self.C = C
        self.sentence_C = sentence_C
        self.class_weight = class_weight
        self.cv = cv
        self.compass_C = compass_C
        self.threshold_rule = threshold_rule
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting

    def _linear(self, C: float) -> LogisticRegression:
        return LogisticRegression(C=C, class_weight=self.class_weight, solver="liblinear",
                                  max_iter=1000, random_state=self.random_state)

    def fit(self, X: Sequence[str] | Sequence[Analysis], y: Any,
            compass: Sequence[str | None] | None = None,
            spans: Sequence[Sequence[tuple[int, int, str]]] | None = None
            ) -> NewPowerClassifier:
        """Fit the featurizers, the document, sentence and combining models, and the
        compass model. Without ``spans`` no sentence is a positive example, and labels
        without any are predicted from the document model alone."""
        y = np.asarray(y, dtype=int)
        if y.ndim != 2 or y.shape[1] != len(LABELS):
            raise ValueError(f"y must have shape (n, {len(LABELS)}), got {y.shape}")
        _check_rule(self.threshold_rule)  # before the expensive part
        self.featurizer_ = clone(self.featurizer) if self.featurizer is not None \
            else PowerFeaturizer()
        self.sentence_featurizer_ = (clone(self.sentence_featurizer)
                                     if self.sentence_featurizer is not None
                                     else PowerFeaturizer(use_chars=False))
        analyses = self._analyses(X)
        if len(analyses) != len(y):
            raise ValueError(f"X has {len(analyses)} texts but y has {len(y)} rows")
        if spans is not None and len(spans) != len(y):
            raise ValueError(f"spans has {len(spans)} entries but y has {len(y)} rows")
        docs = self.featurizer_._fit_analyses(analyses).transform_analyses(analyses)
        sents = self.sentence_featurizer_._fit_analyses(analyses).transform_analyses(
            analyses, sentences=True)
        owner = _sentence_owner(analyses)
        y_sent, usable = _sentence_targets(analyses, y, spans, owner)

        n = len(y)
        doc_oof, sent_oof = np.zeros(y.shape), np.zeros(y.shape)
        folds = min(self.cv, n)
        if folds >= 2:
            for train, held in KFold(folds, shuffle=True,
                                     random_state=self.random_state).split(docs):
                in_train = np.isin(owner, train)
                dw = self._fit_linear(docs[train], y[train], self.C)
                sw = self._fit_linear(sents[in_train], y_sent[in_train], self.sentence_C,
                                      usable[in_train])
                pos = np.full(n, -1)
                pos[held] = np.arange(len(held))
                d = _decide(docs[held], dw)
                doc_oof[held] = d
                sent_oof[held] = _max_by_owner(_decide(sents[~in_train], sw),
                                               pos[owner[~in_train]], d)
        self.doc_coef_, self.doc_intercept_ = self._fit_linear(docs, y, self.C)
        self.sent_coef_, self.sent_intercept_ = self._fit_linear(sents, y_sent,
                                                                 self.sentence_C, usable)
        self.combine_coef_, self.combine_intercept_, oof = self._fit_combiner(
            doc_oof, sent_oof, y)
        # kept for threshold tuning only; never saved (see __getstate__)
        self._oof = (oof, y)
        self.thresholds_ = np.full(len(LABELS), 0.5)
        self.classes_ = np.array(LABELS, dtype=object)
        targets = _compass_targets(compass if compass is not None else [None] * len(y))
        known = targets != UNKNOWN
        self.compass_ = LogisticRegression(
            C=self.compass_C, class_weight=self.class_weight, max_iter=3000,
            random_state=self.random_state,
        ).fit(docs[known], targets[known])
        # the weight matrices are saved in float32 (half the file); round them now so
        # that the model in memory and the model loaded from disk score identically
        self.doc_coef_ = _float32_exact(self.doc_coef_)
        self.sent_coef_ = _float32_exact(self.sent_coef_)
        self.compass_.coef_ = _float32_exact(self.compass_.coef_)
        self.n_features_in_ = docs.shape[1]
        return self

    def _fit_linear(self, features: sp.csr_matrix, y: np.ndarray, C: float,
                    usable: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """One logistic regression per label (only on its ``usable`` rows), stacked:
        (features x 17 weights, 17 intercepts). A label with one class only gets zero
        weights and an intercept of -/+ 30."""
        weights = np.zeros((features.shape[1], len(LABELS)))
        bias = np.zeros(len(LABELS))
        for j in range(len(LABELS)):
            rows = np.flatnonzero(usable[:, j]) if usable is not None else slice(None)
            target = y[rows, j]
            if len(target) == 0 or target.min() == target.max():
                bias[j] = 30.0 if len(target) and target[0] == 1 else -30.0
                continue
            est = self._linear(C).fit(features[rows], target)
            weights[:, j], bias[j] = est.coef_.ravel(), est.intercept_[0]
        return weights, bias

    def _fit_combiner(self, doc: np.ndarray, sent: np.ndarray, y: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per label, a logistic regression from (document score, best sentence score)
        to a probability; also its out-of-fold probabilities on the training texts."""
        coef = np.zeros((len(LABELS), 2))
        intercept = np.zeros(len(LABELS))
        oof = np.zeros(y.shape)
        for j in range(len(LABELS)):
            z = np.column_stack([doc[:, j], sent[:, j]])
            n_pos = int(y[:, j].sum())
            if n_pos == 0 or n_pos == len(y):
                intercept[j] = 30.0 if n_pos else -30.0
                oof[:, j] = float(n_pos > 0)
                continue
            est = LogisticRegression(C=1.0, max_iter=1000)
            folds = min(self.cv, n_pos, len(y) - n_pos)
            if folds >= 2:
                cv = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
                oof[:, j] = cross_val_predict(est, z, y[:, j], cv=cv,
                                              method="predict_proba")[:, 1]
            est.fit(z, y[:, j])
            if folds < 2:
                oof[:, j] = est.predict_proba(z)[:, 1]
            coef[j], intercept[j] = est.coef_.ravel(), est.intercept_[0]
        return coef, intercept, oof

    def _analyses(self, X: Sequence[str] | Sequence[Analysis]) -> list[Analysis]:
        items = list(X)
        if items and all(isinstance(a, Analysis) for a in items):
            return items
        return self.featurizer_.analyze(items)

    # ------------------------------------------------------------------ prediction

    def features(self, X: Sequence[str] | Sequence[Analysis]) -> sp.csr_matrix:
        """The document feature matrix of ``X`` (texts or analyses)."""
        check_is_fitted(self, "doc_coef_")
        return self.featurizer_.transform_analyses(self._analyses(X))

    def score_analyses(self, analyses: Sequence[Analysis]) -> Scores:
        """Everything the model says about analysed texts: label probabilities, compass
        probabilities, and each text's per-sentence label scores."""
        check_is_fitted(self, "doc_coef_")
        docs = self.featurizer_.transform_analyses(analyses)
        sents = self.sentence_featurizer_.transform_analyses(analyses, sentences=True)
        doc_scores, compass = self._doc_and_compass(docs)
        sent_scores = _decide(sents, (self.sent_coef_, self.sent_intercept_))
        owner = _sentence_owner(analyses)
        best = _max_by_owner(sent_scores, owner, doc_scores)
        z = (doc_scores * self.combine_coef_[:, 0] + best * self.combine_coef_[:, 1]
             + self.combine_intercept_)
        bounds = np.concatenate([[0], np.cumsum([len(a.sents) for a in analyses])])
        return Scores(
            proba=_sigmoid(z),
            compass=compass,
            sentences=[sent_scores[a:b] for a, b in zip(bounds[:-1], bounds[1:])],
        )

    def _doc_and_compass(self, docs: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        """Label scores and compass probabilities of document rows, from one product
        with the label and compass weights side by side (same numbers as
        ``compass_.predict_proba``, one pass over the matrix instead of two)."""
        compass = self.compass_
        if len(compass.classes_) <= 2:  # binary: sklearn's own path
            return (_decide(docs, (self.doc_coef_, self.doc_intercept_)),
                    compass.predict_proba(docs))
        stacked = self.__dict__.get("_stacked")
        if stacked is None:
            stacked = self.__dict__["_stacked"] = (
                np.hstack([self.doc_coef_, compass.coef_.T]),
                np.concatenate([self.doc_intercept_, compass.intercept_]))
        both = _decide(docs, stacked)
        n = self.doc_coef_.shape[1]
        return both[:, :n], softmax(both[:, n:], copy=False)

    @property
    def compass_classes(self) -> list[str]:
        """The compass classes (the four quadrants and ``"none"``)."""
        check_is_fitted(self, "compass_")
        return [str(c) for c in self.compass_.classes_]

    def predict_proba(self, X: Sequence[str] | Sequence[Analysis]) -> np.ndarray:
        """Calibrated probability of each label, shape ``(n, 17)``."""
        check_is_fitted(self, "doc_coef_")
        return self.score_analyses(self._analyses(X)).proba

    def predict(self, X: Sequence[str] | Sequence[Analysis]) -> np.ndarray:
        """0/1 predictions with the per-label thresholds, shape ``(n, 17)``."""
        check_is_fitted(self, "doc_coef_")
        return (self.predict_proba(X) >= self.thresholds_).astype(int)

    def compass_proba(self, X: Sequence[str] | Sequence[Analysis]) -> np.ndarray:
        """Compass class probabilities, columns in :attr:`compass_classes` order."""
        check_is_fitted(self, "compass_")
        return self.compass_.predict_proba(self.features(X))

    def predict_compass(self, X: Sequence[str] | Sequence[Analysis]) -> np.ndarray:
        """The most probable compass value of each text."""
        proba = self.compass_proba(X)
        return np.array(self.compass_classes, dtype=object)[proba.argmax(axis=1)]

    def tune_thresholds(self, X: Sequence[str] | Sequence[Analysis], y: Any,
                        use_oof: bool = True) -> NewPowerClassifier:
        """Set each label's threshold by ``threshold_rule`` on held-out data: the dev
        texts ``X``, pooled (with ``use_oof``, right after ``fit``) with the calibrated
        out-of-fold predictions on the training data, which steadies the thresholds of
        labels with few dev examples (see :meth:`held_out_scores`)."""
        proba, y = self.held_out_scores(X, y, use_oof)
        self.thresholds_ = np.array([
            choose_threshold(y[:, j], proba[:, j], self.threshold_rule,
                             seed=self.random_state)
            for j in range(len(LABELS))])
        return self

    def held_out_scores(self, X: Sequence[str] | Sequence[Analysis], y: Any,
                        use_oof: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """The probabilities and labels that thresholds are tuned on: those of ``X``,
        pooled (with ``use_oof``, right after ``fit``; a loaded model has none) with the
        out-of-fold predictions on the training data."""
        proba = self.predict_proba(X)
        y = np.asarray(y, dtype=int)
        if use_oof and hasattr(self, "_oof"):
            oof, y_train = self._oof
            proba, y = np.vstack([proba, oof]), np.vstack([y, y_train])
        return proba, y

    def __copy__(self) -> NewPowerClassifier:
        """A shallow copy that, unlike a pickled one, keeps the out-of-fold scores, so
        that the copy's thresholds can be re-tuned as right after ``fit``."""
        other = type(self).__new__(type(self))
        other.__dict__.update(self.__dict__)
        return other

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_oof", None)
        state.pop("_stacked", None)
        return _cast_weights(state, np.float32)

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = _cast_weights(dict(state), np.float64)
        # models saved before the rule existed had their thresholds at the F1 maximum
        state.setdefault("threshold_rule", "max_f1")
        super().__setstate__(state)

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


@dataclass
class Scores:
    """What :meth:`NewPowerClassifier.score_analyses` returns for a batch of texts."""

    proba: np.ndarray  # (n, 17) label probabilities
    compass: np.ndarray  # (n, classes) compass probabilities
    sentences: list[np.ndarray]  # per text, (its sentences, 17) sentence-model scores


#: The weight matrices that are stored in float32 (with the compass model's ``coef_``).
_WEIGHTS = ("doc_coef_", "sent_coef_")


def _cast_weights(state: dict[str, Any], dtype: type) -> dict[str, Any]:
    """``state`` with its weight matrices and the compass model's ``coef_`` in ``dtype``
    (the compass model is copied, so the one in a fitted model is left as it was)."""
    for name in _WEIGHTS:
        if name in state:
            state[name] = np.asarray(state[name], dtype=dtype)
    if "compass_" in state:
        compass = state["compass_"] = copy.copy(state["compass_"])
        compass.coef_ = np.asarray(compass.coef_, dtype=dtype)
    return state


def _float32_exact(weights: np.ndarray) -> np.ndarray:
    """``weights`` rounded to float32 precision, kept as float64 (storing them in float32
    then loses nothing)."""
    return np.asarray(weights, dtype=np.float32).astype(np.float64)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))


def _decide(features: sp.csr_matrix, model: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    weights, bias = model
    return np.asarray(features @ weights) + bias


def _sentence_owner(analyses: Sequence[Analysis]) -> np.ndarray:
    """The text index of every sentence row."""
    return np.repeat(np.arange(len(analyses)), [len(a.sents) for a in analyses])


def _max_by_owner(scores: np.ndarray, owner: np.ndarray, fallback: np.ndarray
                  ) -> np.ndarray:
    """Per text, the highest score over its sentences (``fallback`` for a text without
    sentences)."""
    out = np.full(fallback.shape, -np.inf)
    np.maximum.at(out, owner, scores)
    return np.where(np.isfinite(out), out, fallback)


def _sentence_targets(analyses: Sequence[Analysis], y: np.ndarray,
                      spans: Sequence[Sequence[tuple[int, int, str]]] | None,
                      owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sentence labels and which (sentence, label) pairs to train on: positives are the
    sentences overlapping an evidence span of the label, negatives every sentence of a
    text without the label."""
    index = {name: j for j, name in enumerate(LABELS)}
    y_sent = np.zeros((len(owner), len(LABELS)), dtype=int)
    row = 0
    for i, a in enumerate(analyses):
        doc_spans = [(s, e, index[lab]) for s, e, lab in (spans[i] if spans else ())
                     if lab in index and y[i, index[lab]]]
        for _, _, start, end in a.sents:
            for s, e, j in doc_spans:
                if s < end and e > start:
                    y_sent[row, j] = 1
            row += 1
    usable = (y[owner] == 0) | (y_sent == 1)
    return y_sent, usable
