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


def main() -> None:  # pragma: no cover - console entry point
    """Run the CLI."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
