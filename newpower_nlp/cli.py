"""The ``newpower`` command line: a thin typer layer over the package's typed functions."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from newpower_nlp.errors import NewPowerError

app = typer.Typer(
    no_args_is_help=True,
    help="Where does a text stand on old power versus new power?",
    pretty_exceptions_enable=False,
    add_completion=False,
)
corpus_app = typer.Typer(no_args_is_help=True, help="Validate, describe and export the corpus.")
app.add_typer(corpus_app, name="corpus")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _fail(message: str, code: int = 1) -> typer.Exit:
    """Print one error line on stderr and return the exit to raise."""
    err.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    return typer.Exit(code)


CorpusOpt = Annotated[
    Path | None,
    typer.Option("--corpus", help="Corpus folder with train/dev/test.jsonl.", show_default=False),
]


@corpus_app.command("validate")
def corpus_validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="JSONL files to validate (default: the corpus splits).",
                       show_default=False),
    ] = None,
    corpus: CorpusOpt = None,
    strict: Annotated[
        bool, typer.Option(help="Require a genre and an evidence span for every label set.")
    ] = True,
) -> None:
    """Check corpus records; report every problem as file:line: field: message."""
    from newpower_nlp.corpus import split_files, validate_files

    files = list(paths) if paths else list(split_files(corpus).values())
    records, problems = validate_files(files, strict=strict)
    for problem in problems:
        err.print(str(problem), markup=False, soft_wrap=True)
    if problems:
        raise _fail(f"{len(problems)} problem(s) in {len(files)} file(s)")
    out.print(f"ok: {len(records)} records in {len(files)} file(s)")


@corpus_app.command("stats")
def corpus_stats_cmd(
    corpus: CorpusOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Documents per split, genre, label and compass value; co-occurrence; lengths."""
    from newpower_nlp.corpus import load_corpus
    from newpower_nlp.stats import corpus_stats, render_stats

    try:
        stats = corpus_stats(load_corpus(corpus))
    except NewPowerError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        sys.stdout.write(json.dumps(stats, indent=2) + "\n")
    else:
        render_stats(stats, out)


ModelOpt = Annotated[
    Path | None,
    typer.Option("--model", help="Model directory (default: the shipped model).",
                 show_default=False),
]


def _load(model: Path | None):
    from newpower_nlp.api import load_model

    try:
        return load_model(model)
    except NewPowerError as exc:
        raise _fail(str(exc)) from None


@app.command("classify")
def classify_cmd(
    inputs: Annotated[list[str], typer.Argument(
        help="Texts, files, folders (recursive), globs, or - for standard input.")],
    text_field: Annotated[str, typer.Option(
        help="Text column of .jsonl/.csv inputs; other fields pass through.")] = "text",
    fmt: Annotated[str, typer.Option("--format", "-f",
                                     help="table, json, jsonl or csv.")] = "table",
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write to FILE (atomically) instead of standard output.",
        show_default=False)] = None,
    explain: Annotated[bool, typer.Option(
        help="Show the evidence sentences with cue words highlighted.")] = False,
    threshold: Annotated[float | None, typer.Option(
        min=0.0, max=1.0, help="Override every per-label threshold.",
        show_default=False)] = None,
    model: ModelOpt = None,
    batch_size: Annotated[int, typer.Option(min=1)] = 64,
    n_process: Annotated[int, typer.Option(min=1)] = 1,
) -> None:
    """Classify documents and show labels, orientation, score, compass and evidence."""
    from newpower_nlp.output import FORMATS, render_table, serialize
    from newpower_nlp.readers import Document, iter_documents

    if fmt not in FORMATS:
        raise _fail(f"unknown --format {fmt!r}; choose one of {', '.join(FORMATS)}", 2)
    loaded = _load(model)
    docs: list[Document] = []
    failed = 0
    for item in iter_documents(inputs, text_field=text_field):
        if isinstance(item, Document):
            docs.append(item)
        else:
            failed += 1
            err.print(f"skipped {item}", markup=False, soft_wrap=True)
    results = []
    stream = loaded.classify_many((d.text for d in docs), batch_size=batch_size,
                                  n_process=n_process, threshold=threshold,
                                  evidence=explain or fmt != "table")
    if len(docs) > 20:
        from rich.progress import track

        stream = track(stream, total=len(docs), description="classifying", console=err,
                       transient=True)
    for doc, result in zip(docs, stream):
        results.append((doc.source, result, doc.fields))
    if not results:
        pass
    elif fmt == "table":
        if output is not None:
            raise _fail("--output needs --format json, jsonl or csv", 2)
        render_table(results, out, explain=explain)
    else:
        text = serialize(results, fmt)
        if output is None:
            sys.stdout.write(text)
        else:
            from newpower_nlp._io import atomic_write_text

            atomic_write_text(output, text)
            err.print(f"wrote {len(results)} results to {output}")
    if failed:
        raise _fail(f"{failed} document(s) could not be read; {len(results)} classified")
    if not results:
        raise _fail("nothing to classify")


@app.command("train")
def train_cmd(
    output: Annotated[Path, typer.Option("--output", "-o", help="New model directory.")],
    corpus: CorpusOpt = None,
    add: Annotated[list[Path] | None, typer.Option(
        "--add", help="Extra annotations: corpus JSONL, Prodigy JSONL or CSV (repeatable).",
        show_default=False)] = None,
    seed: Annotated[int, typer.Option(help="Random seed (same data + seed = same model).")
                    ] = 0,
    force: Annotated[bool, typer.Option(help="Overwrite an existing output directory.")
                     ] = False,
    compare: Annotated[Path | None, typer.Option(
        "--compare", help="Model to compare with (default: the shipped model).",
        show_default=False)] = None,
    threshold_rule: Annotated[str, typer.Option(
        "--threshold-rule",
        help="How thresholds are chosen on dev: one_se (the lowest threshold within one "
             "standard error of the best F1, leaning towards recall) or max_f1.")
    ] = "one_se",
) -> None:
    """Retrain on the corpus plus new annotations; compare with the default model."""
    from newpower_nlp.model import THRESHOLD_RULES
    from newpower_nlp.workflows import run_training

    if threshold_rule not in THRESHOLD_RULES:
        raise _fail(f"unknown --threshold-rule {threshold_rule!r}; choose one of "
                    f"{', '.join(THRESHOLD_RULES)}", 2)

    if output.exists() and not output.is_dir():
        raise _fail(f"{output} exists and is not a directory", 2)
    if output.exists() and any(output.iterdir()) and not force:
        raise _fail(f"{output} exists; pass --force to overwrite it", 2)
    try:
        table = run_training(output, corpus=corpus, add=list(add or []), seed=seed,
                             compare=compare, threshold_rule=threshold_rule,
                             log=err.print)
    except NewPowerError as exc:
        problems = getattr(exc, "problems", None)
        for problem in problems or []:
            err.print(str(problem), markup=False, soft_wrap=True)
        raise _fail(f"{len(problems)} problem(s); nothing was trained" if problems
                    else str(exc)) from None
    out.print(table)
    out.print(f"wrote {output}")


@app.command("evaluate")
def evaluate_cmd(
    model: ModelOpt = None,
    data: Annotated[Path | None, typer.Option(
        "--data", help="JSONL to score: corpus records or {text, labels, compass}.",
        show_default=False)] = None,
    split: Annotated[str, typer.Option(help="Corpus split to score when no --data.")
                     ] = "test",
    corpus: CorpusOpt = None,
    report_dir: Annotated[Path, typer.Option(help="Where report.md/json and plots go.")
                          ] = Path("reports"),
    seed: int = 0,
) -> None:
    """Score a model (and both baselines) with full metrics, report and plots."""
    from newpower_nlp.workflows import run_evaluation

    loaded = _load(model)
    try:
        summary = run_evaluation(loaded, data=data, split=split, corpus=corpus,
                                 report_dir=report_dir, seed=seed)
    except NewPowerError as exc:
        raise _fail(str(exc)) from None
    out.print(summary)


@app.command("calibrate")
def calibrate_cmd(
    data: Annotated[Path, typer.Option(
        "--data", help="Labelled texts of your own: corpus records or {text, labels, "
        "compass} JSONL.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="New model directory.")],
    model: ModelOpt = None,
    min_positives: Annotated[int, typer.Option(
        min=1, help="Fewest positives a label needs to get its own threshold.")] = 3,
    folds: Annotated[int, typer.Option(min=2, help="Cross-validation folds.")] = 5,
    repeats: Annotated[int, typer.Option(min=1, help="Cross-validation repeats.")] = 10,
    seed: int = 0,
    force: Annotated[bool, typer.Option(help="Overwrite an existing output directory.")
                     ] = False,
) -> None:
    """Re-tune the thresholds on labelled texts of your own; estimate the gain by
    cross-validation."""
    from newpower_nlp.workflows import run_calibration

    if output.exists() and not output.is_dir():
        raise _fail(f"{output} exists and is not a directory", 2)
    if output.exists() and any(output.iterdir()) and not force:
        raise _fail(f"{output} exists; pass --force to overwrite it", 2)
    loaded = _load(model)
    try:
        table = run_calibration(loaded, data, output, min_positives=min_positives,
                                folds=folds, repeats=repeats, seed=seed)
    except NewPowerError as exc:
        raise _fail(str(exc)) from None
    out.print(table)
    out.print(f"wrote {output}")


@corpus_app.command("export")
def corpus_export(
    fmt: Annotated[str, typer.Option("--format", "-f", help="hf, spacy or csv.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output folder or file.")],
    corpus: CorpusOpt = None,
) -> None:
    """Export the corpus: a Hugging Face dataset folder, spaCy DocBins, or a flat CSV."""
    from newpower_nlp.export import EXPORT_FORMATS, export_corpus

    if fmt not in EXPORT_FORMATS:
        raise _fail(f"unknown --format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}",
                    2)
    try:
        written = export_corpus(fmt, output, corpus)
    except NewPowerError as exc:
        raise _fail(str(exc)) from None
    for path in written:
        out.print(f"wrote {path}")


def main() -> None:  # pragma: no cover - console entry point
    """Run the CLI."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
