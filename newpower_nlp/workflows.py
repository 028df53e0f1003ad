"""The typed workers behind ``newpower train`` and ``newpower evaluate``."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from newpower_nlp.annotations import read_annotations
from newpower_nlp.api import Model, load_model
from newpower_nlp.calibration import format_cv
from newpower_nlp.corpus import SPLITS, load_corpus, validate_files
from newpower_nlp.errors import CorpusError, InputError, ModelLoadError
from newpower_nlp.evaluate import EvalData
from newpower_nlp.training import _score, evaluate_systems, load_realworld, train_model, write_model

__all__ = ["load_eval_data", "run_calibration", "run_evaluation", "run_training"]


#: Fewest labelled texts in an ``evaluate --data`` file for its report to show what
#: calibrating the thresholds on it would give.
_MIN_TO_CALIBRATE = 10


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
                 compare: str | Path | None = None, threshold_rule: str = "one_se",
                 log: Callable[[str], Any] = lambda _: None) -> Any:
    """Validate added annotations, train (thresholds chosen by ``threshold_rule``),
    score next to the comparison model, and write the model directory. Raises
    :class:`CorpusError` (with every problem) on bad data."""
    splits = load_corpus(corpus)
    extra, problems = read_annotations(add, test_texts=[r.text for r in splits["test"]])
    if problems:
        raise CorpusError(problems)
    log(f"training on {len(splits['train'])} corpus documents + {len(extra)} added")
    outcome = train_model(corpus, extra=extra, seed=seed, baselines=False,
                          params={"threshold_rule": threshold_rule})
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
    # on the user's own data, also show what calibrating the thresholds there would give
    calibrate_on = [name] if data is not None and len(eval_data) >= _MIN_TO_CALIBRATE else []
    scores = evaluate_systems(model.classifier, train, dev, {name: eval_data}, seed=seed,
                              calibrate_on=calibrate_on)
    meta = {"path": str(model.path), "version": model.version}
    paths = write_report(scores, name, meta, report_dir)
    table = _table([(k, v) for k, v in scores.items()], (name,))
    table.caption = "wrote " + ", ".join(str(p) for p in paths)
    if calibrate_on:
        cal = scores["model"][name]["calibrated"]
        table.caption = (f"model macro-F1 with thresholds calibrated on this data "
                         f"(newpower calibrate; cross-validated): {cal['macro_f1']:.3f}; "
                         f"see report.md\n" + table.caption)
    return table


def run_calibration(model: Model, data: str | Path, output: str | Path, *,
                    min_positives: int = 3, folds: int = 5, repeats: int = 10,
                    seed: int = 0) -> Any:
    """Re-tune ``model``'s thresholds on the labelled texts in ``data`` and write the
    calibrated model directory to ``output``. Returns a rich table of what changed."""
    from rich.table import Table

    from newpower_nlp.calibration import calibrate
    from newpower_nlp.labels import LABELS
    from newpower_nlp.persist import save_classifier, sha256_file

    eval_data = load_eval_data(data)
    if len(eval_data) < folds:
        raise InputError(f"{data}: {len(eval_data)} labelled text(s); calibration needs at "
                         f"least {folds} (one per cross-validation fold)")
    tuned, report = calibrate(model.classifier, eval_data, min_positives=min_positives,
                              folds=folds, repeats=repeats, seed=seed)
    summary = report.to_dict()
    base = {k: v for k, v in model.meta.items() if k != "metrics"}
    meta = {**base, "version": f"{model.version}+calibrated",
            "thresholds": report.after,
            # the base model's scores were measured with its own thresholds
            **({"base_model_metrics": model.meta["metrics"]} if "metrics" in model.meta
               else {}),
            "calibration": {"data": Path(data).name, "data_sha256": sha256_file(data),
                            "base_model": model.version, **summary}}
    save_classifier(tuned, output, meta, card=_calibrated_card(model, meta))

    table = Table(title=f"thresholds calibrated on {Path(data).name} ({report.n} texts)")
    for col in ("label", "positives", "before", "after", "F1 out of fold"):
        table.add_column(col, justify="left" if col == "label" else "right")
    for name in LABELS:
        kept = name not in report.calibrated_labels
        table.add_row(name, str(report.positives[name]), f"{report.before[name]:.3f}",
                      "kept" if kept else f"{report.after[name]:.3f}",
                      f"{report.cv['per_label_f1'][name]:.3f}")
    table.caption = (f"macro-F1 on this sample with the old thresholds "
                     f"{report.macro_f1_before:.3f}; with calibrated thresholds, "
                     f"{folds}-fold cross-validated x{repeats}: "
                     f"{format_cv(report.cv['macro_f1'], report.cv['runs'])}")
    return table


def _calibrated_card(model: Model, meta: dict[str, Any]) -> str:
    """The calibrated model's card: what was calibrated, then the base model's card."""
    cal = meta["calibration"]
    base_path = model.path / "README.md" if model.path is not None else None
    base = base_path.read_text(encoding="utf-8") if base_path and base_path.is_file() else ""
    front = ""
    if base.startswith("---\n") and "\n---\n" in base[4:]:  # keep the YAML header on top
        end = base.index("\n---\n", 4) + len("\n---\n")
        front, base = base[:end] + "\n", base[end:].lstrip("\n")
    lines = [
        f"{front}# newpower-nlp model {meta['version']}",
        "",
        f"The model {cal['base_model']} with its decision thresholds re-tuned on "
        f"`{cal['data']}` ({cal['documents']} labelled texts, SHA-256 "
        f"`{cal['data_sha256'][:12]}...`). Its weights are unchanged.",
        "",
        f"- Labels re-tuned (at least {cal['min_positives']} positives): "
        + ", ".join(f"`{n}`" for n in cal["calibrated_labels"]) + "; the others keep "
        "their thresholds.",
        f"- Macro-F1 on that sample with the old thresholds: {cal['macro_f1_before']:.3f}.",
        f"- With re-tuned thresholds, {cal['folds']}-fold cross-validated "
        f"({cal['repeats']} repeats): "
        f"{format_cv(cal['macro_f1_cross_validated'], cal['macro_f1_cross_validated_runs'])}.",
        "- The base model's card follows; its per-label test table shows the base "
        "model's thresholds, not these.",
        "",
        "---",
        "",
        base,
    ]
    return "\n".join(lines)
