"""Writing classification results: table (rich), json, jsonl and csv."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from newpower_nlp.labels import LABELS
from newpower_nlp.result import Result

__all__ = ["FORMATS", "flat_row", "render_table", "serialize"]

FORMATS = ("table", "json", "jsonl", "csv")


_RESERVED = {"source", *Result.__dataclass_fields__, "labels"}


def _passthrough(fields: dict[str, Any] | None) -> dict[str, Any]:
    """Input fields, renamed ``input_<name>`` where they would clash with an output."""
    return {(f"input_{k}" if k in _RESERVED else k): v for k, v in (fields or {}).items()}


def flat_row(source: str, result: Result, fields: dict[str, Any] | None = None
             ) -> dict[str, Any]:
    """One flat row for CSV: source, passed-through fields, summary and probabilities."""
    row: dict[str, Any] = {"source": source}
    row.update({(f"input_{k}" if k in _RESERVED or k.startswith("p_") else k): v
                for k, v in (fields or {}).items()})
    row.update({
        "labels": ";".join(result.labels),
        "orientation": result.orientation,
        "new_power_score": result.new_power_score,
        "compass": result.compass,
        "compass_model": result.compass_axes["model"],
        "compass_values": result.compass_axes["values"],
    })
    row.update({f"p_{n}": round(result.probabilities[n], 4) for n in LABELS})
    row["model_version"] = result.model_version
    return row


def _record(source: str, result: Result, fields: dict[str, Any]) -> dict[str, Any]:
    return {"source": source, **_passthrough(fields), **result.to_dict()}


def serialize(items: Iterable[tuple[str, Result, dict[str, Any]]], fmt: str) -> str:
    """The whole output of a batch as a string in ``fmt`` (json, jsonl or csv)."""
    items = list(items)
    if fmt == "json":
        return json.dumps([_record(*it) for it in items], indent=2, ensure_ascii=False) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(_record(*it), ensure_ascii=False) + "\n" for it in items)
    if fmt == "csv":
        rows = [flat_row(*it) for it in items]
        header: list[str] = []
        for row in rows:
            header.extend(k for k in row if k not in header)
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=header or ["source"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buf.getvalue()
    raise ValueError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")


def _highlight(sentence: str, start: int, cues: Iterable[tuple[int, int]]):
    from rich.text import Text

    text = Text(" ".join(sentence.split("\n")))  # same length, so offsets still hold
    for cs, ce in cues:
        text.stylize("bold underline yellow", cs - start, ce - start)
    return text


def render_table(items: Iterable[tuple[str, Result, dict[str, Any]]], console: Any,
                 explain: bool = False) -> None:
    """Print a summary table, and with ``explain`` the evidence of every document."""
    from rich.table import Table

    items = list(items)
    table = Table(title="newpower-nlp", show_lines=True)
    table.add_column("document", overflow="fold", min_width=16, max_width=40)
    table.add_column("labels (probability)", overflow="fold")
    table.add_column("orientation")
    table.add_column("score", justify="right")
    table.add_column("compass (model, values)")
    for source, result, _ in items:
        labels = "\n".join(f"{n} {result.probabilities[n]:.2f}" for n in result.labels) or "-"
        axes = result.compass_axes
        table.add_row(source, labels, result.orientation, f"{result.new_power_score:+.2f}",
                      f"{result.compass} ({axes['model']:+.2f}, {axes['values']:+.2f})")
    console.print(table)
    if not explain:
        return
    for source, result, _ in items:
        console.rule(f"[bold]{source}[/]")
        if not result.evidence:
            console.print("  no label predicted")
            continue
        for label, evidence in result.evidence.items():
            console.print(f"[bold]{label}[/] (p={result.probabilities[label]:.2f})")
            for ev in evidence:
                line = _highlight(ev.sentence, ev.start, ev.cues)
                line.pad_left(4)
                console.print(line, end="")
                console.print(f"  [dim][{ev.start}:{ev.end}] score {ev.score:.2f}[/]")
