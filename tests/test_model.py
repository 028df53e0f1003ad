"""NewPowerClassifier on tiny hand-made data: probabilities, thresholds, the compass head,
reproducibility, and the skops model directory."""

from __future__ import annotations

import copy
import json
import shutil

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from tiny_data import DATA, HELD_OUT, fit_tiny, to_xy

from newpower_nlp.errors import LabelSetVersionError, ModelLoadError
from newpower_nlp.features import PowerFeaturizer
from newpower_nlp.labels import COMPASS_VALUES, LABEL_SCHEMA_VERSION, LABELS, NO_COMPASS
from newpower_nlp.model import (
    NewPowerClassifier,
    best_threshold,
    choose_threshold,
    one_se_threshold,
)
from newpower_nlp.persist import META_FILE, MODEL_FILE, load_classifier, save_classifier

TEXTS, Y, COMPASS = to_xy(DATA)
DEV_TEXTS, DEV_Y, _ = to_xy(HELD_OUT)
NEW_TEXTS = [
    "The members of the Caddow choir elect their conductor.",
    "Every order at Threlkeld comes from the owner and staff obey.",
    "The soup needs more pepper and a little lemon.",
]
COMPASS_CLASSES = [*COMPASS_VALUES, NO_COMPASS]


@pytest.fixture(scope="module")
def clf():
    return fit_tiny()


@pytest.fixture(scope="module")
def model_dir(clf, tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "model"
    save_classifier(clf, path, {"version": "tiny-test", "note": "made in test_model"})
    return path


@pytest.fixture
def copy_dir(model_dir, tmp_path):
    """A writable copy of the tiny model directory."""
    target = tmp_path / "copy"
    shutil.copytree(model_dir, target)
    return target


# --------------------------------------------------------------------------- fitting


def test_fit_returns_self_and_sets_learned_state():
    clf = NewPowerClassifier(featurizer=PowerFeaturizer(min_df=2), cv=2)
    assert clf.fit(TEXTS, Y, COMPASS) is clf
    assert clf.doc_coef_.shape == (clf.featurizer_.n_features_out_, len(LABELS))
    assert clf.sent_coef_.shape == (clf.sentence_featurizer_.n_features_out_, len(LABELS))
    assert clf.combine_coef_.shape == (len(LABELS), 2)
    assert list(clf.classes_) == list(LABELS)
    assert clf.thresholds_.shape == (len(LABELS),)
    assert clf.n_features_in_ == clf.featurizer_.n_features_out_
    # the featurizer parameter is cloned, not fitted in place
    assert not hasattr(clf.featurizer, "columns_")


def test_predict_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        NewPowerClassifier().predict_proba(NEW_TEXTS)
    with pytest.raises(NotFittedError):
        NewPowerClassifier().predict(NEW_TEXTS)


def test_clone_keeps_params():
    clf = NewPowerClassifier(featurizer=PowerFeaturizer(min_df=2), C=2.0, cv=2,
                             random_state=7)
    c = clone(clf)
    assert c.C == 2.0 and c.cv == 2 and c.random_state == 7
    assert c.featurizer is not clf.featurizer
    assert c.featurizer.get_params() == clf.featurizer.get_params()


@pytest.mark.parametrize("bad_y", [np.zeros((len(TEXTS), 16)), np.zeros(len(TEXTS))])
def test_fit_refuses_y_of_the_wrong_shape(bad_y):
    with pytest.raises(ValueError, match="y must have shape"):
        NewPowerClassifier(featurizer=PowerFeaturizer(min_df=2)).fit(TEXTS, bad_y)


def test_fit_refuses_x_and_y_of_different_lengths():
    with pytest.raises(ValueError, match="texts but y has"):
        NewPowerClassifier(featurizer=PowerFeaturizer(min_df=2), cv=2).fit(
            TEXTS[:-1], Y, COMPASS[:-1])


# --------------------------------------------------------------------------- probabilities


def test_predict_proba_shape_and_range(clf):
    proba = clf.predict_proba(NEW_TEXTS)
    assert proba.shape == (len(NEW_TEXTS), 17)
    assert np.all((proba >= 0) & (proba <= 1))
    assert np.all(np.isfinite(proba))


def test_predict_proba_learns_the_training_signal(clf):
    proba = clf.predict_proba(TEXTS)
    j_new, j_old = LABELS.index("new_governance"), LABELS.index("old_governance")
    new_gov = Y[:, j_new] == 1
    old_gov = Y[:, j_old] == 1
    assert proba[new_gov, j_new].mean() > proba[~new_gov, j_new].mean()
    assert proba[old_gov, j_old].mean() > proba[~old_gov, j_old].mean()


def test_predict_proba_accepts_analyses(clf):
    analyses = clf.featurizer_.analyze(NEW_TEXTS)
    np.testing.assert_array_equal(clf.predict_proba(analyses), clf.predict_proba(NEW_TEXTS))


def test_label_never_seen_is_constant_zero():
    y = Y.copy()
    j = LABELS.index("peer_to_peer")
    y[:, j] = 0
    clf = NewPowerClassifier(featurizer=PowerFeaturizer(min_df=2), cv=2).fit(TEXTS, y, COMPASS)
    assert np.all(clf.predict_proba(NEW_TEXTS)[:, j] < 1e-9)


def test_predict_uses_thresholds(clf):
    clf = copy.deepcopy(clf)
    proba = clf.predict_proba(NEW_TEXTS)
    np.testing.assert_array_equal(clf.predict(NEW_TEXTS), (proba >= clf.thresholds_).astype(int))
    clf.thresholds_ = np.zeros(len(LABELS))
    assert clf.predict(NEW_TEXTS).sum() == len(NEW_TEXTS) * len(LABELS)
    clf.thresholds_ = np.full(len(LABELS), 1.01)
    assert clf.predict(NEW_TEXTS).sum() == 0
    # one label's threshold moves only that label's column
    base = np.full(len(LABELS), 1.01)
    j = LABELS.index("new_governance")
    base[j] = 0.0
    clf.thresholds_ = base
    pred = clf.predict(NEW_TEXTS)
    assert pred[:, j].tolist() == [1, 1, 1]
    assert pred.sum() == len(NEW_TEXTS)


def test_predict_values_are_0_or_1(clf):
    pred = clf.predict(NEW_TEXTS)
    assert pred.shape == (len(NEW_TEXTS), 17)
    assert set(np.unique(pred)) <= {0, 1}


# --------------------------------------------------------------------------- thresholds


def test_tune_thresholds_changes_thresholds():
    clf = fit_tiny()
    assert np.all(clf.thresholds_ == 0.5)
    assert clf.tune_thresholds(DEV_TEXTS, DEV_Y) is clf
    assert clf.thresholds_.shape == (len(LABELS),)
    assert np.any(clf.thresholds_ != 0.5)
    assert np.all((clf.thresholds_ >= 0.05) & (clf.thresholds_ <= 0.95))


@pytest.mark.parametrize("rule, choose", [
    ("max_f1", lambda y, p: best_threshold(y, p)),
    ("one_se", lambda y, p: one_se_threshold(y, p, seed=0)),
])
def test_tune_thresholds_on_dev_only_applies_the_rule_per_label(rule, choose):
    clf = fit_tiny(threshold_rule=rule)
    proba = clf.predict_proba(DEV_TEXTS)
    clf.tune_thresholds(DEV_TEXTS, DEV_Y, use_oof=False)
    want = [choose(DEV_Y[:, j], proba[:, j]) for j in range(len(LABELS))]
    np.testing.assert_array_equal(clf.thresholds_, want)
    # labels without a positive dev example keep the default
    for j in range(len(LABELS)):
        if not DEV_Y[:, j].any():
            assert clf.thresholds_[j] == 0.5


def test_one_se_thresholds_are_never_above_the_f1_maximum():
    clf = fit_tiny()
    loose = copy.copy(clf).tune_thresholds(DEV_TEXTS, DEV_Y).thresholds_
    strict = copy.copy(clf).set_params(threshold_rule="max_f1").tune_thresholds(
        DEV_TEXTS, DEV_Y).thresholds_
    assert clf.threshold_rule == "one_se"
    assert np.all(loose <= strict)


def test_copy_keeps_out_of_fold_scores_for_retuning():
    clf = fit_tiny()
    other = copy.copy(clf).set_params(threshold_rule="max_f1")
    assert other._oof is clf._oof
    other.tune_thresholds(DEV_TEXTS, DEV_Y)
    assert clf.thresholds_ is not other.thresholds_
    assert np.all(clf.thresholds_ == 0.5)


def test_a_model_saved_before_threshold_rules_loads_as_max_f1(clf):
    state = clf.__getstate__()
    del state["threshold_rule"]
    old = NewPowerClassifier.__new__(NewPowerClassifier)
    old.__setstate__(state)
    assert old.get_params()["threshold_rule"] == "max_f1"
    np.testing.assert_array_equal(old.predict_proba(DEV_TEXTS), clf.predict_proba(DEV_TEXTS))


def test_unknown_threshold_rule_is_an_error():
    with pytest.raises(ValueError, match="threshold_rule"):
        fit_tiny(threshold_rule="median")
    with pytest.raises(ValueError, match="threshold_rule"):
        choose_threshold(np.array([1, 0]), np.array([0.9, 0.1]), rule="median")


def test_tune_thresholds_is_deterministic():
    a = fit_tiny().tune_thresholds(DEV_TEXTS, DEV_Y)
    b = fit_tiny().tune_thresholds(DEV_TEXTS, DEV_Y)
    np.testing.assert_array_equal(a.thresholds_, b.thresholds_)


def test_best_threshold_separable_case_picks_closest_to_default():
    y = np.array([1, 1, 0, 0])
    proba = np.array([0.9, 0.8, 0.3, 0.1])
    # every threshold in (0.3, 0.8] gives F1 = 1; ties go to the one nearest the default
    assert best_threshold(y, proba) == 0.5
    assert best_threshold(y, proba, default=0.7) == 0.7
    assert best_threshold(y, proba, default=0.2) == pytest.approx(0.325)


def test_best_threshold_moves_below_the_default_when_positives_are_weak():
    y = np.array([1, 1, 0, 0])
    proba = np.array([0.3, 0.25, 0.2, 0.1])
    # F1 = 1 only for thresholds in (0.2, 0.25]: 0.225 and 0.25 on the grid; 0.25 is nearer
    assert best_threshold(y, proba) == pytest.approx(0.25)


def test_best_threshold_trades_precision_for_recall():
    y = np.array([1, 1, 1, 0, 0, 0])
    proba = np.array([0.9, 0.6, 0.35, 0.4, 0.1, 0.05])
    # t in (0.1, 0.35]: tp 3, 4 predicted -> F1 6/7; t in (0.35, 0.4]: tp 2, 3 predicted
    # -> F1 2/3; t in (0.4, 0.6]: tp 2, 2 predicted -> F1 0.8. The best is (0.1, 0.35].
    assert best_threshold(y, proba) == pytest.approx(0.35)


def test_one_se_threshold_takes_the_lowest_threshold_within_one_standard_error():
    rng = np.random.default_rng(0)
    y = np.r_[np.ones(60), np.zeros(240)].astype(int)
    # positives spread over 0.25-0.9, negatives mostly low with a tail: F1 is flat near
    # its maximum
    proba = np.r_[rng.uniform(0.25, 0.9, 60), rng.beta(2, 6, 240)]
    best = best_threshold(y, proba)
    loose = one_se_threshold(y, proba, seed=0)
    assert loose < best

    def f1(t):
        pred = proba >= t
        return 2 * np.sum(pred & (y == 1)) / (pred.sum() + y.sum())

    # the bootstrap standard error of F1 at the best threshold, as the rule computes it
    rows = np.random.default_rng(0).integers(0, len(y), (200, len(y)))
    pred = proba >= best
    se = np.std(2 * np.sum(pred[rows] & (y[rows] == 1), axis=1)
                / (pred[rows].sum(axis=1) + y[rows].sum(axis=1)))
    assert f1(loose) >= f1(best) - se - 1e-12
    assert f1(loose - 0.025) < f1(best) - se  # the next lower grid point is outside
    assert one_se_threshold(y, proba, seed=0) == loose  # seeded


def test_one_se_threshold_on_perfect_separation_is_the_lowest_perfect_cut():
    y = np.r_[np.ones(20), np.zeros(20)].astype(int)
    proba = np.r_[np.linspace(0.8, 0.9, 20), np.linspace(0.1, 0.3, 20)]
    # every resample separates perfectly, so the error is zero: the lowest cut above 0.3
    assert best_threshold(y, proba) == 0.5
    assert one_se_threshold(y, proba) == pytest.approx(0.325)
    assert one_se_threshold(np.zeros(4), proba, default=0.4) == 0.4


def test_best_threshold_without_positives_returns_the_default():
    assert best_threshold(np.zeros(4), np.array([0.9, 0.1, 0.5, 0.2])) == 0.5
    assert best_threshold(np.zeros(4), np.array([0.9, 0.1, 0.5, 0.2]), default=0.4) == 0.4


# --------------------------------------------------------------------------- compass


def test_compass_classes_and_predictions(clf):
    assert clf.compass_classes == COMPASS_CLASSES
    proba = clf.compass_proba(NEW_TEXTS)
    assert proba.shape == (len(NEW_TEXTS), 5)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    pred = clf.predict_compass(NEW_TEXTS)
    assert list(pred) == [COMPASS_CLASSES[k] for k in proba.argmax(axis=1)]


def test_scores_give_the_compass_models_own_probabilities(clf):
    """score_analyses computes label and compass scores in one product; the compass part
    must equal what the fitted compass LogisticRegression itself says."""
    analyses = clf.featurizer_.analyze(NEW_TEXTS)
    scores = clf.score_analyses(analyses)
    own = clf.compass_.predict_proba(clf.features(analyses))
    np.testing.assert_allclose(scores.compass, own, rtol=1e-12, atol=1e-15)


def test_unknown_compass_rows_are_left_out_of_the_compass_model():
    from newpower_nlp.model import UNKNOWN

    compass = [UNKNOWN if c == "co_opter" else c for c in COMPASS]
    clf = NewPowerClassifier(featurizer=PowerFeaturizer(min_df=2), cv=2).fit(TEXTS, Y, compass)
    assert clf.compass_classes == ["castle", "cheerleader", "crowd", NO_COMPASS]


@pytest.mark.parametrize(
    ("proba", "axes"),
    [
        ([0, 0, 0, 1, 0], (1.0, 1.0)),
        ([1, 0, 0, 0, 0], (-1.0, -1.0)),
        ([0, 1, 0, 0, 0], (-1.0, 1.0)),
        ([0, 0, 1, 0, 0], (1.0, -1.0)),
        ([0, 0, 0, 0, 1], (0.0, 0.0)),
        ([0.25, 0, 0, 0.25, 0.5], (0.0, 0.0)),
        ([0, 0.2, 0, 0.6, 0.2], (0.5, 1.0)),
    ],
)
def test_compass_axes(proba, axes):
    got = NewPowerClassifier.compass_axes(np.array(proba, dtype=float), COMPASS_CLASSES)
    assert got == pytest.approx(axes)


# --------------------------------------------------------------------------- reproducibility


def test_same_data_and_seed_give_identical_probabilities(clf):
    again = fit_tiny(seed=0)
    np.testing.assert_array_equal(again.predict_proba(NEW_TEXTS), clf.predict_proba(NEW_TEXTS))
    np.testing.assert_array_equal(again.compass_proba(NEW_TEXTS), clf.compass_proba(NEW_TEXTS))


def test_refit_starts_afresh():
    clf = fit_tiny()
    clf.fit(TEXTS[:20], Y[:20], COMPASS[:20])
    from tiny_data import DATA, to_spans

    clf.fit(TEXTS, Y, COMPASS, spans=to_spans(DATA))
    np.testing.assert_array_equal(clf.predict_proba(NEW_TEXTS), fit_tiny().predict_proba(NEW_TEXTS))


def test_sentence_scores_shape_and_sign(clf):
    analyses = clf.featurizer_.analyze(["Members elect the Quaile board. Soup is hot.",
                                        "Soup is hot."])
    scores = clf.score_analyses(analyses)
    assert [s.shape for s in scores.sentences] == [(2, 17), (1, 17)]
    j = LABELS.index("new_governance")
    assert scores.sentences[0][0, j] > scores.sentences[0][1, j]
    np.testing.assert_array_equal(scores.proba, clf.predict_proba(analyses))


def test_one_clear_sentence_lifts_a_long_text(clf):
    """The best sentence counts: padding a clear sentence with plain ones keeps it."""
    j = LABELS.index("new_governance")
    clear = "Members elect the council every spring and anyone may stand for a seat."
    padded = " ".join([clear] + ["The soup needs more pepper and a little lemon."] * 8)
    proba = clf.predict_proba([clear, padded, "The soup needs more pepper."])
    assert proba[1, j] > proba[2, j]


def test_without_spans_sentence_models_stay_silent():
    clf = NewPowerClassifier(featurizer=PowerFeaturizer(min_df=2),
                             sentence_featurizer=PowerFeaturizer(min_df=2, use_chars=False),
                             cv=2).fit(TEXTS, Y, COMPASS)
    assert not clf.sent_coef_.any()
    assert np.all(clf.sent_intercept_[Y.sum(axis=0) > 0] == -30.0)
    proba = clf.predict_proba(NEW_TEXTS)
    assert np.all((proba >= 0) & (proba <= 1))


def test_fit_refuses_spans_of_the_wrong_length():
    with pytest.raises(ValueError, match="spans has"):
        NewPowerClassifier(featurizer=PowerFeaturizer(min_df=2), cv=2).fit(
            TEXTS, Y, COMPASS, spans=[[]])


# --------------------------------------------------------------------------- persistence


def test_model_directory_files(model_dir):
    assert {p.name for p in model_dir.iterdir()} >= {MODEL_FILE, META_FILE}
    meta = json.loads((model_dir / META_FILE).read_text(encoding="utf-8"))
    assert meta["version"] == "tiny-test"
    assert meta["note"] == "made in test_model"
    assert meta["label_schema_version"] == LABEL_SCHEMA_VERSION
    assert meta["labels"] == list(LABELS)


def test_save_load_round_trip_gives_identical_probabilities(clf, model_dir):
    loaded, meta = load_classifier(model_dir)
    assert isinstance(loaded, NewPowerClassifier)
    assert meta["version"] == "tiny-test"
    texts = NEW_TEXTS + TEXTS[:5]
    np.testing.assert_array_equal(loaded.predict_proba(texts), clf.predict_proba(texts))
    np.testing.assert_array_equal(loaded.thresholds_, clf.thresholds_)
    assert loaded.compass_classes == clf.compass_classes
    np.testing.assert_array_equal(loaded.predict_compass(texts), clf.predict_compass(texts))
    assert loaded.get_params(deep=False).keys() == clf.get_params(deep=False).keys()


def test_weights_are_stored_in_float32_and_loaded_back_exactly(clf, model_dir):
    state = clf.__getstate__()
    assert state["doc_coef_"].dtype == state["sent_coef_"].dtype == np.float32
    assert state["compass_"].coef_.dtype == np.float32
    assert clf.compass_.coef_.dtype == np.float64  # the fitted model is left as it was
    loaded, _ = load_classifier(model_dir)
    for name in ("doc_coef_", "sent_coef_"):
        assert getattr(loaded, name).dtype == np.float64
        np.testing.assert_array_equal(getattr(loaded, name), getattr(clf, name))
    np.testing.assert_array_equal(loaded.compass_.coef_, clf.compass_.coef_)


def test_save_load_keeps_tuned_thresholds(tmp_path):
    clf = fit_tiny().tune_thresholds(DEV_TEXTS, DEV_Y)
    save_classifier(clf, tmp_path / "m", {"version": "tuned"})
    loaded, _ = load_classifier(tmp_path / "m")
    np.testing.assert_array_equal(loaded.thresholds_, clf.thresholds_)
    np.testing.assert_array_equal(loaded.predict(NEW_TEXTS), clf.predict(NEW_TEXTS))


def test_save_overrides_label_schema_in_meta(clf, tmp_path):
    save_classifier(clf, tmp_path / "m", {"label_schema_version": 99, "labels": ["x"]})
    meta = json.loads((tmp_path / "m" / META_FILE).read_text(encoding="utf-8"))
    assert meta["label_schema_version"] == LABEL_SCHEMA_VERSION
    assert meta["labels"] == list(LABELS)


def test_save_writes_the_card(clf, tmp_path):
    save_classifier(clf, tmp_path / "m", {}, card="# Tiny card\n")
    assert (tmp_path / "m" / "README.md").read_text(encoding="utf-8") == "# Tiny card\n"


@pytest.mark.parametrize("version", [2, 0, None, "1"])
def test_load_refuses_another_label_schema_version(copy_dir, version):
    meta_path = copy_dir / META_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["label_schema_version"] = version
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(LabelSetVersionError, match="label-set version"):
        load_classifier(copy_dir)


def test_load_refuses_another_label_list(copy_dir):
    meta_path = copy_dir / META_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["labels"] = list(LABELS)[:-1]
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(LabelSetVersionError):
        load_classifier(copy_dir)


def test_label_set_version_error_is_a_model_load_error():
    assert issubclass(LabelSetVersionError, ModelLoadError)
    assert issubclass(ModelLoadError, OSError)


def test_load_refuses_a_missing_directory(tmp_path):
    with pytest.raises(ModelLoadError, match="not found"):
        load_classifier(tmp_path / "nowhere")


@pytest.mark.parametrize("missing", [MODEL_FILE, META_FILE])
def test_load_refuses_a_directory_without_its_files(copy_dir, missing):
    (copy_dir / missing).unlink()
    with pytest.raises(ModelLoadError, match="missing"):
        load_classifier(copy_dir)


@pytest.mark.parametrize("content", ["[1, 2]", '"model"', "null"])
def test_load_refuses_meta_that_is_not_an_object(copy_dir, content):
    (copy_dir / META_FILE).write_text(content, encoding="utf-8")
    with pytest.raises(ModelLoadError):
        load_classifier(copy_dir)


def test_load_refuses_unreadable_meta(copy_dir):
    (copy_dir / META_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelLoadError, match="unreadable"):
        load_classifier(copy_dir)


@pytest.mark.parametrize("how", ["garbage", "truncated", "empty"])
def test_load_refuses_a_corrupt_model_file(copy_dir, how):
    path = copy_dir / MODEL_FILE
    data = path.read_bytes()
    path.write_bytes({"garbage": b"this is not a skops file at all",
                      "truncated": data[: len(data) // 2],
                      "empty": b""}[how])
    with pytest.raises(ModelLoadError, match="unreadable model file") as info:
        load_classifier(copy_dir)
    assert not isinstance(info.value, LabelSetVersionError)


def test_load_refuses_untrusted_types(tmp_path):
    import fractions

    save_classifier(fractions.Fraction(1, 3), tmp_path / "odd", {})
    with pytest.raises(ModelLoadError, match="trusted list: fractions.Fraction"):
        load_classifier(tmp_path / "odd")
