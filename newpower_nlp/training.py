"""Training: fit on the train split, tune thresholds on dev, score on test, and write a
model directory with its metadata and model card."""

from __future__ import annotations

import copy
import datetime as _dt
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from newpower_nlp.baselines import LexiconBaseline, TfidfBaseline
from newpower_nlp.corpus import Record, load_corpus, split_files
from newpower_nlp.errors import InputError
from newpower_nlp.evaluate import EvalData, paired_bootstrap_macro_f1, score_predictions
from newpower_nlp.features import PowerFeaturizer
from newpower_nlp.labels import COMPASS_VALUES, LABELS, NO_COMPASS
from newpower_nlp.model import THRESHOLD_RULES, NewPowerClassifier
from newpower_nlp.persist import package_versions, save_classifier, sha256_file

__all__ = ["ABLATIONS", "MAX_F1", "TrainOutcome", "evaluate_systems", "fit_model",
           "load_realworld", "threshold_rules_cv", "train_model", "write_model"]

#: Feature-group ablations reported in the model card.
ABLATIONS: dict[str, dict[str, bool]] = {
    "without words": {"use_words": False},
    "without chars": {"use_chars": False},
    "without cues": {"use_cues": False},
}

DEFAULT_PARAMS: dict[str, Any] = {"C": 4.0, "compass_C": 4.0, "threshold_rule": "one_se"}

#: Prefix of the scores of each system with its thresholds at the F1 maximum instead
#: (the rule the default ``"one_se"`` leans away from), reported beside it.
MAX_F1 = "max_f1:"


@dataclass
class TrainOutcome:
    """A trained model with everything its card reports."""

    model: NewPowerClassifier
    meta: dict[str, Any]
    scores: dict[str, Any] = field(default_factory=dict)


def load_realworld(path: str | Path) -> EvalData:
    """Read a real-world evaluation file (``labels`` list, ``compass`` per line)."""
    texts, ys, compass, ids = [], [], [], []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            obj = json.loads(line)
            labels = obj.get("labels", [])
            unknown = [n for n in labels if n not in LABELS]
            if unknown:
                raise InputError(f"{path}:{lineno}: labels: unknown label {unknown[0]!r}")
            if obj.get("compass") not in (None, *COMPASS_VALUES):
                raise InputError(f"{path}:{lineno}: compass: unknown compass value "
                                 f"{obj.get('compass')!r}")
            texts.append(obj["text"])
            ys.append([int(n in labels) for n in LABELS])
            compass.append(obj.get("compass") or NO_COMPASS)
            ids.append(str(obj.get("id", len(ids))))
    return EvalData(texts, np.array(ys, dtype=int).reshape(len(texts), len(LABELS)),
                    compass, ids)


def fit_model(train: EvalData, dev: EvalData, seed: int = 0,
              featurizer_params: dict[str, Any] | None = None,
              **params: Any) -> NewPowerClassifier:
    """Fit on ``train`` and tune the thresholds on ``dev``.

    ``featurizer_params`` apply to the document featurizer and (except ``use_chars``:
    the sentence featurizer never has character n-grams) to the sentence featurizer, so
    that an ablation removes a feature group from both.
    """
    kw = {**DEFAULT_PARAMS, **params}
    fparams = dict(featurizer_params or {})
    sparams = {**fparams, "use_chars": False}
    model = NewPowerClassifier(featurizer=PowerFeaturizer(**fparams),
                               sentence_featurizer=PowerFeaturizer(**sparams),
                               random_state=seed, **kw)
    model.fit(train.texts, train.y, train.compass, spans=train.spans)
    if len(dev):
        model.tune_thresholds(dev.texts, dev.y)
    return model


def _predict(system: Any, data: EvalData) -> tuple[np.ndarray, Any, np.ndarray | None]:
    """(0/1 labels, compass, probabilities or None) of a system on ``data``."""
    p = system.predict_proba(data.texts) if hasattr(system, "predict_proba") else None
    pred = (p >= system.thresholds_).astype(int) if p is not None else system.predict(data.texts)
    return pred, system.predict_compass(data.texts), p


def _score(system: Any, data: EvalData, seed: int) -> dict[str, Any]:
    pred, compass, p = _predict(system, data)
    return score_predictions(data, pred, compass, proba=p, seed=seed)


def _baselines(train: EvalData, dev: EvalData, seed: int, rule: str) -> dict[str, Any]:
    """Both baselines fitted on ``train``, their cut-offs and thresholds chosen by
    ``rule`` (the lexicon's on ``train``, TF-IDF's on ``dev``)."""
    lexicon = LexiconBaseline(threshold_rule=rule, random_state=seed)
    tfidf = TfidfBaseline(threshold_rule=rule, random_state=seed).fit(
        train.texts, train.y, train.compass)
    return {"lexicon": lexicon.fit(train.texts, train.y, train.compass),
            "tfidf_lr": tfidf.tune_thresholds(dev.texts, dev.y) if len(dev) else tfidf}


def _with_rule(system: Any, rule: str, dev: EvalData) -> Any:
    """A copy of a fitted model or TF-IDF baseline with its thresholds re-chosen on
    ``dev`` by ``rule`` (the original is left alone)."""
    other = copy.copy(system).set_params(threshold_rule=rule)
    return other.tune_thresholds(dev.texts, dev.y)


def threshold_rules_cv(model: NewPowerClassifier, dev: EvalData, seed: int = 0,
                       repeats: int = 5) -> dict[str, dict[str, Any]]:
    """Each threshold rule cross-validated on the scores a freshly fitted model's
    thresholds are tuned on (dev pooled with the out-of-fold training predictions):
    thresholds chosen by the rule on four fifths, scored on the fifth, on the same folds
    for every rule. This is what each rule costs or gains on corpus-like text."""
    from newpower_nlp.calibration import cross_validate_thresholds

    proba, y = model.held_out_scores(dev.texts, dev.y)
    out = {}
    for rule in THRESHOLD_RULES:
        cv = cross_validate_thresholds(proba, y, np.full(len(LABELS), 0.5), min_positives=1,
                                       repeats=repeats, seed=seed, rule=rule)
        out[rule] = {"macro_f1": round(cv["macro_f1"], 4),
                     "runs": [round(v, 4) for v in cv["runs"]], "n": len(y)}
    return out


def evaluate_systems(model: NewPowerClassifier, train: EvalData, dev: EvalData,
                     sets: dict[str, EvalData], seed: int = 0, baselines: bool = True,
                     calibrate_on: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    """Score the model and (trained in the same run) both baselines on every set.

    The baselines choose their thresholds by the model's ``threshold_rule``. On the sets
    named in ``calibrate_on`` every system is also scored with thresholds calibrated on
    that set, cross-validated (``"calibrated"``: see
    :func:`~newpower_nlp.calibration.cross_validate_thresholds`), and by its mean
    average precision, which needs no threshold."""
    systems: dict[str, Any] = {"model": model}
    if baselines:
        systems.update(_baselines(train, dev, seed, model.threshold_rule))
    scores: dict[str, dict[str, Any]] = {name: {} for name in systems}
    for set_name, data in sets.items():
        preds = {name: _predict(system, data) for name, system in systems.items()}
        for name, (pred, compass, p) in preds.items():
            scores[name][set_name] = score_predictions(data, pred, compass, proba=p, seed=seed)
        scores["model"][set_name]["paired"] = {
            name: paired_bootstrap_macro_f1(data.y, preds["model"][0], pred, seed=seed)
            for name, (pred, _, _) in preds.items() if name != "model"}
        if set_name in calibrate_on:
            for name, system in systems.items():
                scores[name][set_name]["calibrated"] = _calibrated(system, data, seed)
    return scores


def _calibrated(system: Any, data: EvalData, seed: int) -> dict[str, Any]:
    """Cross-validated macro-F1 of ``system`` with thresholds calibrated on ``data``,
    and its mean average precision there."""
    from newpower_nlp.calibration import (
        cross_validate_thresholds,
        mean_average_precision,
        system_scores,
    )

    scores, thresholds, grid = system_scores(system, data.texts)
    return {**cross_validate_thresholds(scores, data.y, thresholds, grid, seed=seed),
            "mean_ap": mean_average_precision(data.y, scores)}


def train_model(corpus_dir: str | Path | None = None, extra: Sequence[Record] = (),
                seed: int = 0, realworld: str | Path | None = None,
                ablations: bool = False, baselines: bool = True,
                params: dict[str, Any] | None = None) -> TrainOutcome:
    """Train on the corpus (plus ``extra`` records in train) and score everything."""
    t0 = time.perf_counter()
    corpus = load_corpus(corpus_dir)
    train_recs = [*corpus["train"], *extra]
    train, dev, test = (EvalData.from_records(train_recs), EvalData.from_records(corpus["dev"]),
                        EvalData.from_records(corpus["test"]))
    model = fit_model(train, dev, seed=seed, **(params or {}))
    fit_seconds = time.perf_counter() - t0
    sets = {"dev": dev, "test": test}
    if realworld is not None and Path(realworld).is_file():
        sets["realworld"] = load_realworld(realworld)
    scores = evaluate_systems(model, train, dev, sets, seed=seed, baselines=baselines,
                              calibrate_on=["realworld"] if baselines else [])
    if baselines and model.threshold_rule != "max_f1" and len(dev):
        variants = {"model": _with_rule(model, "max_f1", dev),
                    **_baselines(train, dev, seed, "max_f1")}
        for name, system in variants.items():
            scores[MAX_F1 + name] = {s: _score(system, d, seed) for s, d in sets.items()}
    if ablations:
        for name, fparams in ABLATIONS.items():
            ablated = fit_model(train, dev, seed=seed, featurizer_params=fparams,
                                **(params or {}))
            scores[name] = {s: _score(ablated, d, seed) for s, d in sets.items()}
    files = split_files(corpus_dir)
    meta = {
        "name": "newpower-nlp",
        "version": _dt.date.today().strftime("%Y.%m.%d"),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "seed": seed,
        "params": {**DEFAULT_PARAMS, **(params or {})},
        "thresholds": {n: float(t) for n, t in zip(LABELS, model.thresholds_)},
        "compass_classes": model.compass_classes,
        "training_data": {
            "documents": {"train": len(train), "dev": len(dev), "test": len(test)},
            "added_documents": len(extra),
            "sha256": {split: sha256_file(p) for split, p in files.items()},
        },
        "fit_seconds": round(fit_seconds, 1),
        **({"threshold_rules_cv": threshold_rules_cv(model, dev, seed)}
           if baselines and len(dev) else {}),
        "metrics": {name: {s: _summary(sc) for s, sc in per_set.items()}
                    for name, per_set in scores.items()},
        "package_versions": package_versions(),
    }
    return TrainOutcome(model=model, meta=meta, scores=scores)


def _summary(scores: dict[str, Any]) -> dict[str, Any]:
    return {
        "n": scores["n"],
        "macro_f1": round(scores["macro"]["f1"], 4),
        "macro_f1_ci95": [round(v, 4) for v in scores["macro"].get("f1_ci95", [])],
        "micro_f1": round(scores["micro"]["f1"], 4),
        "samples_f1": round(scores["samples"]["f1"], 4),
        "macro_f1_present_labels": round(scores["macro_present"]["f1"], 4),
        "compass_accuracy": round(scores["compass"]["accuracy"], 4),
        "per_label_f1": {n: round(v["f1"], 4) for n, v in scores["per_label"].items()},
        **({"ece": round(scores["calibration"]["ece"], 4)} if "calibration" in scores else {}),
        **({"calibrated_cv": {
            "macro_f1": round(scores["calibrated"]["macro_f1"], 4),
            "runs": [round(v, 4) for v in scores["calibrated"]["runs"]],
            "folds": scores["calibrated"]["folds"],
            "min_positives": scores["calibrated"]["min_positives"],
            "mean_ap": round(scores["calibrated"]["mean_ap"], 4)}}
           if "calibrated" in scores else {}),
        **({"vs_baselines": {
            name: {"diff": round(v["diff"], 4), "ci95": [round(c, 4) for c in v["ci95"]],
                   "share_ahead": round(v["share_ahead"], 3)}
            for name, v in scores["paired"].items()}} if scores.get("paired") else {}),
    }


def write_model(outcome: TrainOutcome, path: str | Path) -> Path:
    """Write the model directory (model file, meta.json, model card)."""
    from newpower_nlp.card import model_card

    return save_classifier(outcome.model, path, outcome.meta, card=model_card(outcome.meta,
                                                                              outcome.scores))
