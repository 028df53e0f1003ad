"""Shared fixtures: small hand-made records, nothing downloaded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newpower_nlp.labels import LABELS

FIXTURES = Path(__file__).parent / "fixtures"


def make_record(rid: str, text: str, evidence: dict[str, str] | None = None,
                genre: str = "mission_statement", compass: str | None = None) -> dict:
    """A valid record dict; ``evidence`` maps label -> a quote found in ``text``."""
    evidence = evidence or {}
    spans = []
    for label, quote in evidence.items():
        start = text.index(quote)
        spans.append({"start": start, "end": start + len(quote), "label": label})
    return {
        "id": rid,
        "text": text,
        "genre": genre,
        "cats": {name: int(name in evidence) for name in LABELS},
        "compass": compass,
        "spans": spans,
        "meta": {"org": ""},
    }


def write_jsonl(path: Path, rows: list) -> Path:
    """Write rows (dicts, or raw strings written as they are) one a line."""
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(row if isinstance(row, str) else json.dumps(row))
            fh.write("\n")
    return path


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    """A three-split corpus of six hand-written records."""
    train = [
        make_record("t-1", "Members elect the board at the annual meeting and anyone may "
                    "stand.", {"new_governance": "Members elect the board"}, compass="crowd"),
        make_record("t-2", "The general staff issues orders and the regiments obey them.",
                    {"old_governance": "issues orders"}, compass="castle"),
        make_record("t-3", "Whisk two eggs with the milk and bake for twenty minutes.",
                    genre="other"),
    ]
    dev = [make_record("d-1", "Our fund's methods are proprietary and never disclosed.",
                       {"old_transparency": "never disclosed"}, compass="castle")]
    test = [
        make_record("s-1", "Every salary at the bakery co-op is posted on the shop wall.",
                    {"new_transparency": "Every salary"}, compass="crowd"),
        make_record("s-2", "Rain is expected on the coast by Thursday evening.", genre="news"),
    ]
    for name, rows in (("train", train), ("dev", dev), ("test", test)):
        write_jsonl(tmp_path / f"{name}.jsonl", rows)
    return tmp_path


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    """A tiny model trained once on hand-written texts (tests/tiny_data.py)."""
    from tiny_data import save_tiny

    return save_tiny(tmp_path_factory.mktemp("tiny") / "tiny")


@pytest.fixture(scope="session")
def model(model_dir: Path):
    """The tiny model, loaded."""
    from newpower_nlp import load_model

    return load_model(model_dir)
