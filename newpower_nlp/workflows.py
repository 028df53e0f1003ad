"""The typed workers behind ``newpower train`` and ``newpower evaluate``."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from newpower_nlp.annotations import read_annotations
from newpower_nlp.api import Model, load_model
from newpower_nlp.corpus import SPLITS, load_corpus, validate_files
from newpower_nlp.errors import CorpusError, InputError, ModelLoadError
from newpower_nlp.evaluate import EvalData
from newpower_nlp.training import _score, evaluate_systems, load_realworld, train_model, write_model

__all__ = ["load_eval_data", "run_evaluation", "run_training"]


def _table(rows: list[tuple[str, dict[str, Any]]], sets: Sequence[str]) -> Any:
    from rich.table import Table

    table = Table(title="macro-F1 / compass accuracy")
    table.add_column("model")
    for s in sets:
        table.add_column(f"{s} macro-F1", justify="right")
        table.add_column(f"{s} compass", justify="right")
    for name, per in rows:
        cells = []
        for s in sets:
            sc = per.get(s)
            cells += ([f"{sc['macro']['f1']:.3f}", f"{sc['compass']['accuracy']:.3f}"] if sc
                      else ["-", "-"])
        table.add_row(name, *cells)
    return table


def run_training(output: str | Path, corpus: str | Path | None = None,
                 add: Sequence[str | Path] = (), seed: int = 0,
                 compare: str | Path | None = None,
                 log: Callable[[str], Any] = lambda _: None) -> Any:
    """Validate added annotations, train, score next to the comparison model, and write
    the model directory. Raises :class:`CorpusError` (with every problem) on bad data."""
    splits = load_corpus(corpus)
    extra, problems = read_annotations(add, test_texts=[r.text for r in splits["test"]])
    if problems:
        raise CorpusError(problems)
    log(f"training on {len(splits['train'])} corpus documents + {len(extra)} added")
    outcome = train_model(corpus, extra=extra, seed=seed, baselines=False)
    write_model(outcome, output)
    rows = [(f"new ({Path(output).name})", outcome.scores["model"])]
    try:
        reference = load_model(compare)
    except ModelLoadError as exc:
        log(f"no comparison model: {exc}")
    else:
        ref_scores = {s: _score(reference.classifier, EvalData.from_records(splits[s]), seed)
                      for s in ("dev", "test")}
        rows.append((f"reference ({reference.version})", ref_scores))
    return _table(rows, ("dev", "test"))


def load_eval_data(path: str | Path) -> EvalData:
    """Read JSONL for evaluation: corpus records (``cats``) or ``{text, labels, compass}``."""
    path = Path(path)
    try:
        first = next((line for line in path.read_text(encoding="utf-8").splitlines()
                      if line.strip()), None)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    if first is None:
        raise InputError(f"{path}: no records")
    try:
        is_corpus = "cats" in json.loads(first)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:1: invalid JSON ({exc.msg})") from None
    if is_corpus:
        records, problems = validate_files([path], strict=False)
        if problems:
            raise CorpusError(problems)
        return EvalData.from_records(records)
    try:
        return load_realworld(path)
    except (KeyError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: each line needs text, labels and compass ({exc})") from None


def run_evaluation(model: Model, data: str | Path | None = None, split: str = "test",
                   corpus: str | Path | None = None, report_dir: str | Path = "reports",
                   seed: int = 0) -> Any:
    """Score ``model`` and both baselines (trained on the corpus in this run); write
    the report. Returns a rich table summarizing the scores."""
    from newpower_nlp.report import write_report

    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    splits = load_corpus(corpus)
    name = Path(data).name if data is not None else split
    eval_data = load_eval_data(data) if data is not None else EvalData.from_records(
        splits[split])
    train, dev = EvalData.from_records(splits["train"]), EvalData.from_records(splits["dev"])
    scores = evaluate_systems(model.classifier, train, dev, {name: eval_data}, seed=seed)
    meta = {"path": str(model.path), "version": model.version}
    paths = write_report(scores, name, meta, report_dir)
    table = _table([(k, v) for k, v in scores.items()], (name,))
    table.caption = "wrote " + ", ".join(str(p) for p in paths)
    return table
