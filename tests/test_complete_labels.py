"""scripts/06_complete_labels.py: a completion pass adds labels with evidence, atomically."""

import importlib.util
import json
from pathlib import Path

import pytest
from conftest import make_record, write_jsonl

from newpower_nlp.corpus import read_records

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "06_complete_labels.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("complete_labels", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _adds(path: Path, rows: list[dict]) -> str:
    write_jsonl(path, rows)
    return str(path)


def test_additions_set_the_label_the_span_and_the_log(script, tiny_corpus, tmp_path):
    pattern = _adds(tmp_path / "out_1.jsonl", [
        {"id": "t-1", "add": [{"label": "new_power_flow", "quote": "anyone may stand"}],
         "note": "open candidacy"},
        {"id": "t-2", "add": []},
    ])
    log = tmp_path / "log" / "additions.jsonl"
    assert script.main([pattern, "--corpus", str(tiny_corpus), "--log", str(log)]) == 0
    rec = {r.id: r for r in read_records(tiny_corpus / "train.jsonl")}["t-1"]
    assert rec.labels == ["new_governance", "new_power_flow"]
    span = [s for s in rec.spans if s.label == "new_power_flow"][0]
    assert rec.text[span.start:span.end] == "anyone may stand"
    assert rec.meta["completed"] == ["new_power_flow"]
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert rows == [{"id": "t-1", "label": "new_power_flow", "start": span.start,
                     "end": span.end, "note": "open candidacy"}]
    # a rerun changes nothing and logs nothing new
    before = (tiny_corpus / "train.jsonl").read_bytes()
    assert script.main([pattern, "--corpus", str(tiny_corpus), "--log", str(log)]) == 0
    assert (tiny_corpus / "train.jsonl").read_bytes() == before
    assert len(log.read_text().splitlines()) == 1


def test_a_named_pass_is_logged_with_each_addition(script, tiny_corpus, tmp_path):
    pattern = _adds(tmp_path / "out_1.jsonl", [
        {"id": "t-1", "add": [{"label": "new_power_flow", "quote": "anyone may stand"}]}])
    log = tmp_path / "additions.jsonl"
    assert script.main([pattern, "--corpus", str(tiny_corpus), "--log", str(log),
                        "--pass-name", "castle_co_opter"]) == 0
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["id"], r["label"], r["pass"]) for r in rows] == [
        ("t-1", "new_power_flow", "castle_co_opter")]


def test_test_split_bad_quotes_and_labels_are_refused_and_nothing_is_written(
        script, tiny_corpus, tmp_path):
    pattern = _adds(tmp_path / "out_1.jsonl", [
        {"id": "t-1", "add": [{"label": "new_power_flow", "quote": "anyone may stand"}]},
        {"id": "s-1", "add": [{"label": "new_governance", "quote": "bakery co-op"}]},
        {"id": "t-2", "add": [{"label": "new_power_flow", "quote": "not in the text"}]},
        {"id": "t-3", "add": [{"label": "platform", "quote": "Whisk"}]},
    ])
    before = {p.name: p.read_bytes() for p in tiny_corpus.glob("*.jsonl")}
    with pytest.raises(SystemExit) as err:
        script.main([pattern, "--corpus", str(tiny_corpus), "--log", str(tmp_path / "l")])
    message = str(err.value)
    assert "s-1: in the test split" in message
    assert "t-2: quote for new_power_flow not found" in message
    assert "t-3: label 'platform' is not one of" in message
    assert {p.name: p.read_bytes() for p in tiny_corpus.glob("*.jsonl")} == before
    assert not (tmp_path / "l").exists()


def test_test_flag_and_the_implied_rule(script, tiny_corpus, tmp_path):
    text = "We publish every decision by default, because openness is how we earn trust."
    write_jsonl(tiny_corpus / "test.jsonl", [
        make_record("s-1", "Every salary at the bakery co-op is posted on the shop wall.",
                    {"new_transparency": "Every salary"}, compass="crowd"),
        # written before the rule was checked: radical without new transparency
        {**make_record("s-3", text, {"radical_transparency": "We publish every decision"}),
         "compass": "crowd"},
    ])
    pattern = _adds(tmp_path / "out_1.jsonl", [
        {"id": "s-1", "add": [{"label": "new_power_flow", "quote": "bakery co-op"}]}])
    log = tmp_path / "additions.jsonl"
    args = [pattern, "--corpus", str(tiny_corpus), "--log", str(log), "--implied"]
    assert script.main([*args, "--test"]) == 0
    test = {r.id: r for r in read_records(tiny_corpus / "test.jsonl")}
    assert test["s-1"].labels == ["new_transparency", "new_power_flow"]
    assert test["s-3"].labels == ["new_transparency", "radical_transparency"]
    implied = [s for s in test["s-3"].spans if s.label == "new_transparency"]
    assert [text[s.start:s.end] for s in implied] == ["We publish every decision"]


def test_only_applies_the_named_labels(script, tiny_corpus, tmp_path):
    pattern = _adds(tmp_path / "out_1.jsonl", [
        {"id": "t-1", "add": [{"label": "new_power_flow", "quote": "anyone may stand"},
                              {"label": "old_governance", "quote": "anyone may stand"}]}])
    log = tmp_path / "additions.jsonl"
    assert script.main([pattern, "--corpus", str(tiny_corpus), "--log", str(log),
                        "--only", "old_governance"]) == 0
    rec = {r.id: r for r in read_records(tiny_corpus / "train.jsonl")}["t-1"]
    assert "old_governance" in rec.labels and "new_power_flow" not in rec.labels
    with pytest.raises(SystemExit, match="'platform' is not one of"):
        script.main([pattern, "--corpus", str(tiny_corpus), "--log", str(log),
                     "--only", "platform"])
