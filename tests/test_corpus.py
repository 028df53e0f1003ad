import json

import pytest
from conftest import FIXTURES, make_record, write_jsonl

from newpower_nlp.corpus import (
    load_corpus,
    load_dataframe,
    load_dataset_dict,
    read_records,
    validate_files,
    write_records,
)
from newpower_nlp.errors import CorpusError
from newpower_nlp.labels import LABELS


def test_seeded_faults_are_all_reported_with_line_and_field():
    records, problems = validate_files([FIXTURES / "seeded_faults.jsonl"])
    got = [(p.line, p.field) for p in problems]
    assert got == [
        (2, "json"),
        (3, "text"),
        (4, "cats.new_gov"),
        (5, "cats.old_power_flow"),
        (6, "cats.platform"),
        (7, "spans[0]"),
        (8, "spans[0]"),
        (9, "spans[0].label"),
        (10, "id"),
        (11, "text"),
    ]
    assert [r.id for r in records] == ["f-1"]
    assert "outside the text" in problems[5].message
    assert "duplicate text" in problems[9].message


def test_unknown_genre_and_compass(tmp_path):
    rec = make_record("x-1", "The guild admits members by invitation only.")
    rec["genre"] = "blog"
    rec["compass"] = "tower"
    _, problems = validate_files([write_jsonl(tmp_path / "a.jsonl", [rec])])
    assert [p.field for p in problems] == ["genre", "compass"]
    assert "'blog'" in problems[0].message and "'tower'" in problems[1].message


def test_missing_evidence_is_reported_only_in_strict_mode(tmp_path):
    rec = make_record("x-1", "Residents vote on the budget.", {"new_governance": "Residents vote"})
    rec["spans"] = []
    path = write_jsonl(tmp_path / "a.jsonl", [rec])
    _, problems = validate_files([path])
    assert [p.field for p in problems] == ["spans"]
    records, problems = validate_files([path], strict=False)
    assert problems == [] and records[0].labels == ["new_governance"]


def test_radical_transparency_without_new_transparency_is_reported_in_strict_mode(tmp_path):
    text = "We publish every decision by default, because openness is how we earn trust."
    rec = make_record("x-1", text, {"radical_transparency": "We publish every decision"})
    path = write_jsonl(tmp_path / "a.jsonl", [rec])
    _, problems = validate_files([path])
    assert [(p.line, p.field) for p in problems] == [(1, "cats.new_transparency")]
    assert "'radical_transparency' is 1" in problems[0].message
    assert validate_files([path], strict=False)[1] == []
    fixed = make_record("x-1", text, {"radical_transparency": "We publish every decision",
                                      "new_transparency": "We publish every decision"})
    assert validate_files([write_jsonl(tmp_path / "b.jsonl", [fixed])])[1] == []


def test_duplicates_are_found_across_files(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", [make_record("x-1", "One text here.")])
    b = write_jsonl(tmp_path / "b.jsonl", [make_record("x-1", "Another text."),
                                            make_record("x-2", "ONE   text here.")])
    _, problems = validate_files([a, b])
    assert [(p.path.endswith("b.jsonl"), p.line, p.field) for p in problems] == [
        (True, 1, "id"), (True, 2, "text")]


def test_non_utf8_file_is_one_problem(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\xff\xfe\x00garbage")
    _, problems = validate_files([path])
    assert len(problems) == 1 and "UTF-8" in problems[0].message


def test_read_write_round_trip(tmp_path):
    rec = make_record("x-1", "Members elect the chair.", {"new_governance": "Members elect"},
                      compass="crowd")
    records = read_records(write_jsonl(tmp_path / "a.jsonl", [rec]))
    write_records(tmp_path / "b.jsonl", records)
    back = json.loads((tmp_path / "b.jsonl").read_text().strip())
    assert back == rec
    assert list(back["cats"]) == list(LABELS)


def test_read_records_raises_with_every_problem():
    with pytest.raises(CorpusError) as info:
        read_records(FIXTURES / "seeded_faults.jsonl")
    assert len(info.value.problems) == 10
    assert "seeded_faults.jsonl:2" in str(info.value)


def test_load_corpus_dataframe_and_datasetdict(tiny_corpus):
    by_split = load_corpus(tiny_corpus)
    assert {k: len(v) for k, v in by_split.items()} == {"train": 3, "dev": 1, "test": 2}

    df = load_dataframe(tiny_corpus)
    assert len(df) == 6
    assert set(LABELS) <= set(df.columns)
    assert df.loc[df.id == "t-1", "new_governance"].item() == 1
    assert df.loc[df.id == "t-1", "split"].item() == "train"
    assert df[list(LABELS)].to_numpy().sum() == 4

    dsd = load_dataset_dict(tiny_corpus)
    assert set(dsd) == {"train", "dev", "test"}
    assert dsd["test"].num_rows == 2
    assert dsd["train"][0]["labels"] == ["new_governance"]
    assert dsd["train"][2]["compass"] == "none"


def test_missing_split_file_is_an_error(tmp_path):
    with pytest.raises(CorpusError, match="not found"):
        load_corpus(tmp_path)
