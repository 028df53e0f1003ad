"""The shipped default model: files, metadata, card and a few clear cases."""

import json
from pathlib import Path

import numpy as np
import pytest

from newpower_nlp import load_model
from newpower_nlp.labels import LABEL_SCHEMA_VERSION, LABELS
from newpower_nlp.persist import TRUSTED_TYPES, default_model_dir

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def model():
    return load_model()


def test_model_directory_is_complete_and_small():
    d = default_model_dir()
    assert (d / "model.skops").stat().st_size <= 30 * 1024 * 1024
    meta = json.loads((d / "meta.json").read_text())
    assert meta["label_schema_version"] == LABEL_SCHEMA_VERSION
    assert meta["labels"] == list(LABELS)
    assert set(meta["thresholds"]) == set(LABELS)
    assert set(meta["training_data"]["sha256"]) == {"train", "dev", "test"}
    for key in ("spacy", "scikit-learn", "skops"):
        assert key in meta["package_versions"]
    card = (d / "README.md").read_text()
    for heading in ("## Intended use", "## Training data", "## Results", "## Limitations"):
        assert heading in card
    assert "baseline: cue lexicon alone" in card and "ablation: without cues" in card


def test_model_was_trained_on_the_shipped_corpus():
    from newpower_nlp.corpus import default_corpus_dir, split_files
    from newpower_nlp.persist import sha256_file

    meta = json.loads((default_model_dir() / "meta.json").read_text())
    files = split_files(default_corpus_dir())
    assert meta["training_data"]["sha256"] == {s: sha256_file(p) for s, p in files.items()}


def test_thresholds_in_meta_are_the_models(model):
    meta = json.loads((default_model_dir() / "meta.json").read_text())
    assert model.thresholds == pytest.approx(meta["thresholds"])


def test_probabilities_combine_document_and_best_sentence_scores(model):
    clf = model.classifier
    texts = [p.read_text() for p in sorted(EXAMPLES.glob("*.txt"))]
    analyses = clf.featurizer_.analyze(texts)
    doc = np.asarray(clf.features(analyses) @ clf.doc_coef_) + clf.doc_intercept_
    sent = clf.score_analyses(analyses).sentences
    best = np.vstack([s.max(axis=0) for s in sent])
    z = doc * clf.combine_coef_[:, 0] + best * clf.combine_coef_[:, 1] + clf.combine_intercept_
    np.testing.assert_allclose(clf.predict_proba(analyses), 1 / (1 + np.exp(-z)), atol=1e-12)


def test_trusted_list_covers_the_file():
    import skops.io as sio

    data = (default_model_dir() / "model.skops").read_bytes()
    assert set(sio.get_untrusted_types(data=data)) <= set(TRUSTED_TYPES)


def test_clear_cases(model):
    bank = model.classify((EXAMPLES / "meridian_private_bank.md").read_text())
    coop = model.classify((EXAMPLES / "harbour_bakery_coop.txt").read_text())
    match = model.classify((EXAMPLES / "derby_report.txt").read_text())
    assert bank.orientation == "old" and bank.new_power_score < -0.5
    assert "old_transparency" in bank.labels
    assert coop.new_power_score > 0.5 and coop.compass == "crowd"
    assert match.labels == [] and match.compass == "none"


def test_card_shows_the_calibrated_real_world_figures_of_meta():
    meta = json.loads((default_model_dir() / "meta.json").read_text())
    rw = meta["metrics"]["model"].get("realworld")
    if rw is None:
        pytest.skip("the shipped model was trained without the real-world set")
    card = (default_model_dir() / "README.md").read_text()
    assert "### Real-world set: ranking, and thresholds calibrated on real texts" in card
    for key in ("model", "lexicon", "tfidf_lr"):
        cal = meta["metrics"][key]["realworld"]["calibrated_cv"]
        assert (f"| {meta['metrics'][key]['realworld']['macro_f1']:.3f} "
                f"| {cal['macro_f1']:.3f} ({min(cal['runs']):.3f}-{max(cal['runs']):.3f}) "
                f"| {cal['mean_ap']:.3f} |") in card


def test_card_shows_every_system_under_both_threshold_rules(model):
    meta = json.loads((default_model_dir() / "meta.json").read_text())
    assert meta["params"]["threshold_rule"] == model.classifier.threshold_rule == "one_se"
    card = (default_model_dir() / "README.md").read_text()
    m = meta["metrics"]
    for key, name in (("model", "newpower-nlp model"), ("lexicon", "baseline: cue lexicon alone"),
                      ("tfidf_lr", "baseline: TF-IDF + logistic regression")):
        for rule, scores in (("one standard error", m[key]), ("F1 maximum", m["max_f1:" + key])):
            row = " | ".join(f"{scores[s]['macro_f1']:.3f}" for s in ("dev", "test", "realworld"))
            assert f"| {name} | {rule} | {row} |" in card
    from newpower_nlp.calibration import format_cv

    flat = " ".join(card.split())
    for rule in ("one_se", "max_f1"):
        cv = meta["threshold_rules_cv"][rule]
        assert format_cv(cv["macro_f1"], cv["runs"]) in flat


def test_readme_quotes_the_shipped_models_real_world_figures():
    m = json.loads((default_model_dir() / "meta.json").read_text())["metrics"]
    readme = " ".join((ROOT / "README.md").read_text().split())
    figures = [m[k]["realworld"]["macro_f1"]
               for k in ("model", "lexicon", "tfidf_lr", "max_f1:model", "max_f1:lexicon")]
    figures += [m[k]["realworld"]["calibrated_cv"]["macro_f1"] for k in ("model", "lexicon")]
    figures.append(m["model"]["test"]["macro_f1"])
    for value in figures:
        assert f"{value:.3f}" in readme


def test_card_limitations_name_the_labels_it_overpredicts_on_real_texts():
    import re

    card = (default_model_dir() / "README.md").read_text()
    rows = re.findall(r"^\| `(\w+)` \| (\d+) \| (\d+) \| [\d.]+ \| [\d-]+ \| [\d.-]+ \|$",
                      card, re.M)
    assert len(rows) == len(LABELS)
    over = [name for name, gold, pred in rows if int(gold) >= 2 and int(pred) >= 2 * int(gold)]
    lines = [line for line in card.splitlines() if "at least twice as often" in line]
    assert len(lines) == (1 if over else 0)
    if over:
        assert re.findall(r"`(\w+)`", lines[0]) == over
