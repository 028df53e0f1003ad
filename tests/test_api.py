"""The Python API on a tiny model: load_model, Model.classify, Model.classify_many and the
Result object."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest

from newpower_nlp.api import Model, load_model
from newpower_nlp.errors import EmptyTextError, ModelLoadError, TextTypeError
from newpower_nlp.labels import COMPASS_VALUES, LABELS, NO_COMPASS, new_power_score, orientation
from newpower_nlp.model import NewPowerClassifier
from newpower_nlp.result import Evidence, Result

COMPASS_CLASSES = {*COMPASS_VALUES, NO_COMPASS}

DOC = ("Members elect the Farrowdale council every spring.  Our accounts are open for "
       "anyone to read!\n\nThe weather in Oxley was mild. Volunteers lead the repair "
       "workshop.\tOrders come from the top and the crews obey.")

TEXTS = [
    "Members elect the board of the Lanyard rowing club.",
    "The Corvel general staff issue orders and the regiments obey.",
    "We publish every salary at the Pimlott bakery.",
    "Whisk the eggs and fold in the flour.",
    "Volunteers run the Ashgrove tool library.",
    "The Sorrel Fund keeps its methods secret.",
    "Neighbours in Brack Street vote on every rule.",
]


def check_result(result, text):
    """Everything a Result must satisfy, for any text."""
    assert isinstance(result, Result)
    assert list(result.probabilities) == list(LABELS)
    assert all(0.0 <= p <= 1.0 for p in result.probabilities.values())
    assert list(result.thresholds) == list(LABELS)
    assert set(result.labels) <= set(LABELS)
    assert result.labels == [n for n in LABELS
                             if result.probabilities[n] >= result.thresholds[n]]
    assert result.orientation == orientation(result.labels)
    assert -1.0 <= result.new_power_score <= 1.0
    assert result.new_power_score == pytest.approx(
        new_power_score(result.probabilities), abs=1e-4)
    assert result.compass in COMPASS_CLASSES
    assert set(result.compass_probabilities) == COMPASS_CLASSES
    assert sum(result.compass_probabilities.values()) == pytest.approx(1.0)
    assert result.compass == max(result.compass_probabilities,
                                 key=result.compass_probabilities.get)
    assert set(result.compass_axes) == {"model", "values"}
    assert all(-1.0 <= v <= 1.0 for v in result.compass_axes.values())
    assert set(result.evidence) <= set(result.labels)
    for label, items in result.evidence.items():
        assert 1 <= len(items) <= 2
        assert [e.score for e in items] == sorted((e.score for e in items), reverse=True)
        for e in items:
            assert isinstance(e, Evidence)
            assert e.label == label
            assert 0 <= e.start < e.end <= len(text)
            assert text[e.start:e.end] == e.sentence
            assert e.sentence == e.sentence.strip() and e.sentence
            assert 0.0 < e.score < 1.0
            for cs, ce in e.cues:
                assert e.start <= cs < ce <= e.end


# --------------------------------------------------------------------------- load_model


def test_load_model_returns_a_model(model, model_dir):
    assert isinstance(model, Model)
    assert isinstance(model.classifier, NewPowerClassifier)
    assert model.version == "tiny-test"
    assert model.path == model_dir
    assert str(model_dir) in repr(model)
    assert list(model.thresholds) == list(LABELS)
    assert list(model.thresholds.values()) == [float(t) for t in model.classifier.thresholds_]


def test_load_model_accepts_a_str_path(model_dir):
    assert load_model(str(model_dir)).version == "tiny-test"


def test_load_model_missing_directory(tmp_path):
    with pytest.raises(ModelLoadError):
        load_model(tmp_path / "missing")


def test_load_model_refuses_another_estimator(tmp_path):
    from sklearn.preprocessing import StandardScaler

    from newpower_nlp.persist import save_classifier

    save_classifier(StandardScaler().fit(np.ones((3, 2))), tmp_path / "scaler", {})
    with pytest.raises(ModelLoadError, match="NewPowerClassifier"):
        load_model(tmp_path / "scaler")


# --------------------------------------------------------------------------- classify


def test_classify_returns_a_consistent_result(model):
    result = model.classify(DOC)
    check_result(result, DOC)
    assert result.model_version == "tiny-test"
    assert result.thresholds == model.thresholds


@pytest.mark.parametrize("text", TEXTS)
def test_classify_results_are_consistent_for_many_texts(model, text):
    check_result(model.classify(text), text)


def test_probabilities_match_the_classifier(model):
    result = model.classify(TEXTS[0])
    proba = model.classifier.predict_proba([TEXTS[0]])[0]
    assert list(result.probabilities.values()) == [float(p) for p in proba]


def test_classify_finds_the_obvious_signal(model):
    result = model.classify("Members elect the Quayle council and neighbours vote on every "
                            "rule at the assembly.")
    assert result.probabilities["new_governance"] > result.probabilities["old_governance"]
    assert result.new_power_score > 0


def test_every_evidence_item_slices_the_text_with_all_labels(model):
    text = ("   Members elect the council.\r\n\r\nÉlodie's crew 🚲 obeys orders!  Volunteers "
            "lead   the workshop.\t\tWe publish every salary. ")
    result = model.classify(text, threshold=0.0)
    assert result.labels == list(LABELS)
    assert set(result.evidence) == set(LABELS)
    check_result(result, text)
    sentences = {e.sentence for items in result.evidence.values() for e in items}
    assert sentences <= {"Members elect the council.", "Élodie's crew 🚲 obeys orders!",
                         "Volunteers lead   the workshop.", "We publish every salary."}


def test_evidence_cues_are_the_label_cues_inside_the_sentence(model):
    text = "Members elect the Hobb council. Whisk the eggs."
    result = model.classify(text, threshold=0.0)
    (first, *_) = result.evidence["new_governance"]
    assert first.sentence == "Members elect the Hobb council."
    assert first.cues
    assert "Members elect" in {text[cs:ce] for cs, ce in first.cues}


def test_negated_cues_are_not_evidence_cues(model):
    text = "We do not publish our accounts."
    result = model.classify(text, threshold=0.0)
    cue_texts = {text[cs:ce] for e in result.evidence["new_transparency"] for cs, ce in e.cues}
    assert "publish" not in cue_texts


def test_evidence_false_skips_evidence(model):
    with_ev = model.classify(DOC)
    without = model.classify(DOC, evidence=False)
    assert without.evidence == {}
    assert without.probabilities == with_ev.probabilities
    assert without.labels == with_ev.labels


def test_to_dict_is_json_serializable(model):
    result = model.classify(DOC, threshold=0.0)
    data = result.to_dict()
    again = json.loads(json.dumps(data))
    assert again["labels"] == result.labels
    assert again["probabilities"] == result.probabilities
    assert again["compass"] == result.compass
    assert set(again["evidence"]) == set(result.evidence)
    label = result.labels[0]
    first = again["evidence"][label][0]
    assert set(first) == {"label", "sentence", "start", "end", "score", "cues"}
    assert DOC[first["start"]:first["end"]] == first["sentence"]
    assert all(isinstance(c, list) and len(c) == 2 for c in first["cues"])


# --------------------------------------------------------------------------- thresholds


def test_threshold_zero_predicts_every_label(model):
    result = model.classify(TEXTS[3], threshold=0.0)
    assert result.labels == list(LABELS)
    assert set(result.thresholds.values()) == {0.0}
    assert result.orientation == "blend"


def test_threshold_one_predicts_only_certain_labels(model):
    result = model.classify(TEXTS[0], threshold=1.0)
    assert result.labels == [n for n, p in result.probabilities.items() if p >= 1.0]
    assert set(result.thresholds.values()) == {1.0}
    assert result.evidence.keys() == set(result.labels)


def test_threshold_overrides_per_label_thresholds(model):
    result = model.classify(TEXTS[0], threshold=0.3)
    assert result.labels == [n for n, p in result.probabilities.items() if p >= 0.3]


def test_model_thresholds_are_used_by_default(model_dir):
    model = load_model(model_dir)
    j = LABELS.index("new_governance")
    model.classifier.thresholds_ = np.full(len(LABELS), 1.01)
    model.classifier.thresholds_[j] = 0.0
    result = model.classify(TEXTS[3])
    assert result.labels == ["new_governance"]
    assert result.thresholds["new_governance"] == 0.0


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("text", ["", " ", "   \n\t  ", "\u00a0\u2003"])
def test_empty_or_whitespace_text_raises(model, text):
    with pytest.raises(EmptyTextError):
        model.classify(text)
    with pytest.raises(ValueError):
        model.classify(text)


@pytest.mark.parametrize("text", [None, 42, b"Members elect the board.", ["a list"]])
def test_non_str_raises_text_type_error(model, text):
    with pytest.raises(TextTypeError):
        model.classify(text)
    with pytest.raises(TypeError):
        model.classify(text)


def test_classify_many_rejects_a_single_str(model):
    with pytest.raises(TextTypeError, match="not one str"):
        list(model.classify_many("Members elect the board."))


def test_classify_many_rejects_a_bad_item_and_names_it(model):
    gen = model.classify_many(["Members elect the board.", "   "], batch_size=1)
    assert isinstance(next(gen), Result)
    with pytest.raises(EmptyTextError, match="text 1"):
        next(gen)
    with pytest.raises(TextTypeError, match="text 2"):
        list(model.classify_many(["a b", "c d", 7]))


def test_classify_many_rejects_a_bad_batch_size(model):
    with pytest.raises(ValueError, match="batch_size"):
        list(model.classify_many(["Members elect the board."], batch_size=0))


# --------------------------------------------------------------------------- sizes


def test_one_sentence_text(model):
    text = "Members elect the board."
    result = model.classify(text, threshold=0.0)
    check_result(result, text)
    for items in result.evidence.values():
        assert [(e.start, e.end) for e in items] == [(0, len(text))]


def test_one_word_text(model):
    check_result(model.classify("Hierarchy", threshold=0.0), "Hierarchy")


def test_ten_thousand_word_text(model):
    sentences = [
        "The members of the Orvel cooperative elect their council every spring.",
        "Volunteers at the Tansy workshop repair bicycles for their neighbours.",
        "The harbour master in Greystrand issues orders and the crews obey.",
        "Rain fell all week on the hills above the Millbeck valley.",
        "We publish every invoice of the Saltcote cooperative on the notice board.",
    ]
    parts, words, k = [], 0, 0
    while words < 10_000:
        s = sentences[k % len(sentences)]
        parts.append(s)
        words += len(s.split())
        k += 1
    text = " ".join(parts)
    assert len(text.split()) >= 10_000
    result = model.classify(text, threshold=0.0)
    check_result(result, text)
    assert result.labels == list(LABELS)


# --------------------------------------------------------------------------- classify_many


def test_classify_many_is_a_lazy_generator(model):
    pulled = []

    def source():
        for t in TEXTS:
            pulled.append(t)
            yield t

    gen = model.classify_many(source(), batch_size=2)
    assert inspect.isgenerator(gen)
    assert pulled == []
    first = next(gen)
    assert isinstance(first, Result)
    assert len(pulled) == 2
    rest = list(gen)
    assert len(rest) == len(TEXTS) - 1
    assert pulled == TEXTS


def test_classify_many_keeps_order_and_equals_classify(model):
    one_by_one = [model.classify(t).to_dict() for t in TEXTS]
    for batch_size in (1, 3, 256):
        many = [r.to_dict() for r in model.classify_many(iter(TEXTS), batch_size=batch_size)]
        assert many == one_by_one


def test_classify_many_passes_threshold_and_evidence(model):
    results = list(model.classify_many(TEXTS[:3], threshold=0.0, evidence=False))
    assert [r.labels for r in results] == [list(LABELS)] * 3
    assert all(r.evidence == {} for r in results)


def test_classify_many_on_an_empty_iterable(model):
    assert list(model.classify_many([])) == []
    assert list(model.classify_many(iter(()))) == []


def test_classify_many_with_two_processes_equals_one(model):
    texts = TEXTS * 3
    one = [r.to_dict() for r in model.classify_many(texts, batch_size=4, n_process=1)]
    two = [r.to_dict() for r in model.classify_many((t for t in texts), batch_size=4,
                                                    n_process=2)]
    assert two == one
    assert [r["probabilities"] for r in two] == [model.classify(t).probabilities
                                                 for t in texts]


def test_the_garbage_collector_is_restored_after_a_batch(model):
    """Classification pauses the cyclic collector per batch and leaves it as it was:
    on if it was on (also when a batch fails), off if the caller had turned it off."""
    import gc

    from newpower_nlp.api import _gc_paused

    assert gc.isenabled()
    list(model.classify_many(["Members elect the board.", "The chief decides."]))
    assert gc.isenabled()
    with pytest.raises(RuntimeError), _gc_paused():
        assert not gc.isenabled()
        raise RuntimeError("a failing batch")
    assert gc.isenabled()
    gc.disable()
    try:
        model.classify("Members elect the board.")
        assert not gc.isenabled()
    finally:
        gc.enable()
