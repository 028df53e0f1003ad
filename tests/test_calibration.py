"""Threshold calibration on a labelled sample: tuning, cross-validation, the CLI."""

import json

import numpy as np
import pytest
from test_cli import invoke
from tiny_data import DATA

from newpower_nlp import load_model
from newpower_nlp.baselines import CUTOFFS, LexiconBaseline
from newpower_nlp.calibration import (
    calibrate,
    cross_validate_thresholds,
    mean_average_precision,
    system_scores,
    tune_thresholds,
)
from newpower_nlp.evaluate import EvalData
from newpower_nlp.labels import LABELS
from newpower_nlp.model import one_se_threshold


def separable(n=120, seed=0):
    """Labels on every column, positives scored 0.9 and negatives 0-0.2."""
    rng = np.random.default_rng(seed)
    y = (rng.random((n, len(LABELS))) < 0.3).astype(int)
    y[:5] = 1  # every label has positives in every fold split
    return y, np.where(y == 1, 0.9, 0.2 * rng.random(y.shape))


def test_tune_picks_the_f1_optimal_threshold_closest_to_the_old_one():
    y = np.array([[1, 1], [1, 1], [1, 0], [0, 0], [0, 0]])
    scores = np.array([[0.30, 0.9], [0.25, 0.8], [0.21, 0.1], [0.10, 0.1], [0.05, 0.1]])
    cut = tune_thresholds(scores, y, fallback=np.array([0.5, 0.5]), min_positives=3)
    # every threshold in (0.10, 0.21] separates label 0; 0.2 is the grid point nearest 0.5
    assert cut[0] == pytest.approx(0.2)
    # label 1 has two positives, fewer than min_positives: its threshold is kept
    assert cut[1] == 0.5


def test_tune_on_cue_counts_uses_the_cutoff_grid():
    y = np.array([[1], [1], [1], [0], [0]])
    counts = np.array([[3.0], [2.0], [4.0], [1.0], [0.0]])
    cut = tune_thresholds(counts, y, fallback=np.array([6.0]), grid=CUTOFFS)
    assert cut[0] == 2.0  # 1.5 and 2.0 both separate; 2.0 is nearer the old 6.0


def test_tune_and_cross_validate_by_the_one_se_rule():
    y, scores = separable(seed=4)
    scores = scores + np.random.default_rng(5).normal(0, 0.2, scores.shape)
    fallback = np.full(len(LABELS), 0.5)
    loose = tune_thresholds(scores, y, fallback, rule="one_se", seed=2)
    want = [one_se_threshold(y[:, j], scores[:, j], default=0.5, seed=2)
            for j in range(len(LABELS))]
    np.testing.assert_array_equal(loose, want)
    assert np.all(loose <= tune_thresholds(scores, y, fallback))
    a = cross_validate_thresholds(scores, y, fallback, repeats=2, rule="one_se")
    b = cross_validate_thresholds(scores, y, fallback, repeats=2)
    assert a["runs"] != b["runs"]


def test_threshold_rules_cross_validated_on_the_models_held_out_scores():
    from tiny_data import HELD_OUT, fit_tiny, to_xy

    from newpower_nlp.training import threshold_rules_cv

    texts, y, compass = to_xy(HELD_OUT)
    clf = fit_tiny()
    dev = EvalData(texts, y, compass, [str(i) for i in range(len(texts))])
    got = threshold_rules_cv(clf, dev, seed=1, repeats=2)
    proba, pooled = clf.held_out_scores(texts, y)
    assert len(pooled) == len(HELD_OUT) + len(DATA)
    for rule in ("max_f1", "one_se"):
        want = cross_validate_thresholds(proba, pooled, np.full(len(LABELS), 0.5),
                                         min_positives=1, repeats=2, seed=1, rule=rule)
        assert got[rule]["runs"] == [round(v, 4) for v in want["runs"]]
        assert got[rule]["n"] == len(pooled)


def test_cross_validation_recovers_a_separable_sample_from_bad_thresholds():
    y, scores = separable()
    cv = cross_validate_thresholds(scores, y, fallback=np.full(len(LABELS), 0.95),
                                   repeats=3)
    assert cv["runs"] == [1.0, 1.0, 1.0]
    assert cv["macro_f1"] == 1.0
    assert set(cv["per_label_f1"]) == set(LABELS)
    assert (cv["folds"], cv["repeats"], cv["min_positives"]) == (5, 3, 3)


def test_cross_validation_is_out_of_fold():
    # positives and negatives swap score ranges between the two halves: any threshold
    # tuned on one half is wrong on the other, so out-of-fold F1 cannot be perfect
    y, scores = separable(n=100, seed=1)
    scores[50:] = 0.9 - scores[50:]
    cv = cross_validate_thresholds(scores, y, fallback=np.full(len(LABELS), 0.5),
                                   folds=2, repeats=2)
    in_sample = tune_thresholds(scores, y, np.full(len(LABELS), 0.5))
    from sklearn.metrics import f1_score

    assert cv["macro_f1"] < f1_score(y, scores >= in_sample, average="macro")


def test_cross_validation_is_seeded():
    y, scores = separable(seed=2)
    scores = scores + np.random.default_rng(3).normal(0, 0.3, scores.shape)
    a = cross_validate_thresholds(scores, y, np.full(len(LABELS), 0.5), seed=7)
    b = cross_validate_thresholds(scores, y, np.full(len(LABELS), 0.5), seed=7)
    assert a == b


def test_cross_validation_needs_a_text_per_fold():
    y, scores = separable(n=120)
    with pytest.raises(ValueError, match="at least 5 texts"):
        cross_validate_thresholds(scores[:4], y[:4], np.full(len(LABELS), 0.5))


def test_mean_average_precision_skips_labels_without_positives():
    y = np.array([[1, 0], [0, 0], [1, 0], [0, 0]])
    scores = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.1, 0.4]])
    # label 0: hits at ranks 1 and 3 -> (1 + 2/3) / 2; label 1 has no positive
    assert mean_average_precision(y, scores) == pytest.approx((1 + 2 / 3) / 2)


def tiny_eval() -> EvalData:
    texts = [t for t, _, _ in DATA]
    y = np.array([[int(n in labels) for n in LABELS] for _, labels, _ in DATA])
    return EvalData(texts, y, [c or "none" for _, _, c in DATA], [str(i) for i in
                                                                  range(len(texts))])


def test_calibrate_returns_a_copy_and_leaves_the_model_alone(model):
    data = tiny_eval()
    before = model.classifier.thresholds_.copy()
    tuned, report = calibrate(model.classifier, data, repeats=2)
    np.testing.assert_array_equal(model.classifier.thresholds_, before)
    assert tuned is not model.classifier
    np.testing.assert_array_equal(tuned.doc_coef_, model.classifier.doc_coef_)  # not refitted
    assert list(tuned.thresholds_) == [report.after[n] for n in LABELS]
    assert report.n == len(DATA)
    assert report.positives["new_governance"] == sum("new_governance" in lab
                                                     for _, lab, _ in DATA)
    for name in LABELS:
        if name not in report.calibrated_labels:
            assert report.after[name] == report.before[name]
    assert report.calibrated_labels == [n for n in LABELS if report.positives[n] >= 3]


def test_system_scores_of_the_lexicon_are_cue_counts():
    texts = ["We publish every salary and every invoice online.", "Rain by Thursday."]
    lex = LexiconBaseline().fit(texts, np.zeros((2, len(LABELS)), dtype=int))
    scores, cut, grid = system_scores(lex, texts)
    np.testing.assert_array_equal(scores, lex.decision_function(texts))
    assert tuple(grid) == CUTOFFS and len(cut) == len(LABELS)
    assert scores[0, LABELS.index("new_transparency")] > 0 and not scores[1].any()


# --------------------------------------------------------------------------- CLI


def write_sample(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def sample_rows():
    return [{"text": t, "labels": labels, "compass": c} for t, labels, c in DATA]


def test_cli_calibrate_writes_a_model_with_the_new_thresholds(model_dir, model, tmp_path):
    data = write_sample(tmp_path / "mine.jsonl", sample_rows())
    out = tmp_path / "calibrated"
    result = invoke("calibrate", "--data", data, "--output", out, "--model", model_dir,
                    "--repeats", "2")
    assert result.exit_code == 0, result.output
    assert "cross-validated" in result.output and f"wrote {out}" in result.output.replace(
        "\n", "")
    calibrated = load_model(out)
    meta = json.loads((out / "meta.json").read_text())
    assert calibrated.thresholds == pytest.approx(meta["thresholds"])
    _, report = calibrate(model.classifier, tiny_eval(), repeats=2)
    assert calibrated.thresholds == pytest.approx(report.after)
    cal = meta["calibration"]
    assert cal["documents"] == len(DATA) and cal["base_model"] == "tiny-test"
    assert cal["macro_f1_cross_validated"] == pytest.approx(report.cv["macro_f1"], abs=1e-4)
    assert meta["version"] == "tiny-test+calibrated"
    assert "metrics" not in meta  # the base model's scores are not this model's
    text = "Members elect the council every spring and anyone may stand for a seat."
    assert calibrated.classify(text).probabilities == pytest.approx(
        model.classify(text).probabilities)
    assert "re-tuned on `mine.jsonl`" in (out / "README.md").read_text()


def test_cli_calibrate_too_few_texts_is_one_error_line(model_dir, tmp_path):
    data = write_sample(tmp_path / "few.jsonl", sample_rows()[:3])
    result = invoke("calibrate", "--data", data, "--output", tmp_path / "c",
                    "--model", model_dir)
    assert result.exit_code == 1
    assert "few.jsonl: 3 labelled text(s); calibration needs at least 5" in flat_err(result)
    assert not (tmp_path / "c").exists()


def test_cli_calibrate_unknown_label_names_the_line(model_dir, tmp_path):
    rows = sample_rows()
    rows[1]["labels"] = ["new_governence"]
    data = write_sample(tmp_path / "bad.jsonl", rows)
    result = invoke("calibrate", "--data", data, "--output", tmp_path / "c",
                    "--model", model_dir)
    assert result.exit_code == 1
    assert "bad.jsonl:2: labels: unknown label 'new_governence'" in flat_err(result)


def test_cli_calibrate_refuses_to_overwrite_without_force(model_dir, tmp_path):
    data = write_sample(tmp_path / "mine.jsonl", sample_rows())
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    result = invoke("calibrate", "--data", data, "--output", out, "--model", model_dir)
    assert result.exit_code == 2 and "--force" in flat_err(result)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def flat_err(result) -> str:
    return result.output.replace("\n", "")


def test_evaluate_systems_scores_every_system_calibrated_on_the_named_sets(model):
    from newpower_nlp.training import evaluate_systems

    data = tiny_eval()
    scores = evaluate_systems(model.classifier, data, data, {"mine": data, "other": data},
                              calibrate_on=["mine"])
    assert set(scores) == {"model", "lexicon", "tfidf_lr"}
    for per_set in scores.values():
        assert "calibrated" not in per_set["other"]
        cal = per_set["mine"]["calibrated"]
        assert len(cal["runs"]) == 10 and 0.0 <= cal["mean_ap"] <= 1.0
    proba = model.classifier.predict_proba(data.texts)
    want = cross_validate_thresholds(proba, data.y, model.classifier.thresholds_)
    assert scores["model"]["mine"]["calibrated"]["runs"] == want["runs"]
    assert scores["model"]["mine"]["calibrated"]["mean_ap"] == pytest.approx(
        mean_average_precision(data.y, proba))


def test_evaluate_on_own_data_shows_what_calibrating_would_give(tiny_corpus, model_dir,
                                                                  tmp_path):
    data = write_sample(tmp_path / "mine.jsonl", sample_rows())
    report_dir = tmp_path / "report"
    result = invoke("evaluate", "--model", model_dir, "--corpus", tiny_corpus, "--data", data,
                    "--report-dir", report_dir)
    assert result.exit_code == 0, result.output
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    for per_set in report["scores"].values():
        cal = per_set["mine.jsonl"]["calibrated"]
        assert len(cal["runs"]) == 10 and cal["macro_f1"] == pytest.approx(
            sum(cal["runs"]) / 10)
    model_cal = report["scores"]["model"]["mine.jsonl"]["calibrated"]
    assert f"cross-validated): {model_cal['macro_f1']:.3f}" in flat_err(result)
    md = (report_dir / "report.md").read_text(encoding="utf-8")
    assert "## If you calibrate the thresholds on this data" in md
    assert f"| {model_cal['macro_f1']:.3f} (" in md


def test_evaluate_on_a_small_file_or_a_split_does_not_calibrate(tiny_corpus, model_dir,
                                                                tmp_path):
    data = write_sample(tmp_path / "few.jsonl", sample_rows()[:9])
    for extra in (["--data", data], ["--split", "test"]):
        report_dir = tmp_path / "r"
        result = invoke("evaluate", "--model", model_dir, "--corpus", tiny_corpus, *extra,
                        "--report-dir", report_dir)
        assert result.exit_code == 0, result.output
        report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
        assert all("calibrated" not in s for per in report["scores"].values()
                   for s in per.values())
        assert "If you calibrate" not in (report_dir / "report.md").read_text()
