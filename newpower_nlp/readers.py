"""Reading documents to classify: text arguments, files, folders, globs and stdin.

Supported files: ``.txt``, ``.md``, ``.html``/``.htm`` (text extracted, scripts and
styles dropped), ``.jsonl`` and ``.csv`` (one document per line or row, text in
``text_field``; the other fields pass through). A bad file or line yields a
:class:`ReadError` and reading goes on.
"""

from __future__ import annotations

import csv
import glob
import io
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

__all__ = ["SUFFIXES", "Document", "ReadError", "html_to_text", "iter_documents"]

SUFFIXES = (".txt", ".md", ".html", ".htm", ".jsonl", ".csv")
_GLOB_CHARS = set("*?[")


@dataclass
class Document:
    """One text to classify, with where it came from and fields to pass through."""

    source: str
    text: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReadError:
    """A document or file that could not be read, and why (one line)."""

    source: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


class _TextExtractor(HTMLParser):
    _SKIP = {"script", "style", "noscript", "template", "svg"}
    _BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section",
              "article", "header", "footer", "blockquote", "title", "ul", "ol", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "head":
            self._in_head = True
        elif tag == "body":  # </head> may be omitted in HTML5
            self._in_head = False
        if tag in self._SKIP:
            self._skip += 1
        elif tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False
        if tag in self._SKIP and self._skip:
            self._skip -= 1
        elif tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skip and not self._in_head:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML page: scripts, styles and the head dropped; blocks
    separated by blank lines."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()


def _decode(path: Path) -> str | ReadError:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return ReadError(str(path), f"cannot read file ({exc.strerror})")
    if b"\x00" in data[:8192]:
        return ReadError(str(path), "binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return ReadError(str(path), f"not UTF-8 text (bad byte at offset {exc.start})")


def _read_file(path: Path, text_field: str) -> Iterator[Document | ReadError]:
    raw = _decode(path)
    if isinstance(raw, ReadError):
        yield raw
        return
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        yield from _read_jsonl(raw, str(path), text_field)
    elif suffix == ".csv":
        yield from _read_csv(raw, str(path), text_field)
    else:
        text = html_to_text(raw) if suffix in (".html", ".htm") else raw
        if not text.strip():
            yield ReadError(str(path), "empty file: no text to classify")
        else:
            yield Document(str(path), text)


def _read_jsonl(raw: str, source: str, text_field: str) -> Iterator[Document | ReadError]:
    seen = False
    for lineno, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        seen = True
        where = f"{source}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield ReadError(where, f"invalid JSON ({exc.msg})")
            continue
        if not isinstance(obj, dict):
            yield ReadError(where, "expected a JSON object")
            continue
        text = obj.get(text_field)
        if not isinstance(text, str) or not text.strip():
            yield ReadError(where, f"missing or empty field {text_field!r}")
            continue
        yield Document(where, text, {k: v for k, v in obj.items() if k != text_field})
    if not seen:
        yield ReadError(source, "empty file: no records")


def _read_csv(raw: str, source: str, text_field: str) -> Iterator[Document | ReadError]:
    reader = csv.DictReader(io.StringIO(raw, newline=""))
    if not reader.fieldnames:
        yield ReadError(source, "empty file: no header row")
        return
    if text_field not in reader.fieldnames:
        yield ReadError(source, f"no column {text_field!r} (columns: "
                        f"{', '.join(reader.fieldnames)}); choose one with --text-field")
        return
    seen = False
    for row in reader:
        seen = True
        where = f"{source}:{reader.line_num}"
        text = row.get(text_field) or ""
        if not text.strip():
            yield ReadError(where, f"empty {text_field!r}")
            continue
        yield Document(where, text, {k: v for k, v in row.items() if k != text_field})
    if not seen:
        yield ReadError(source, "no rows under the header")


def _expand(arg: str) -> list[Path] | None:
    """Files an argument names, or None when the argument is a text."""
    path = Path(arg)
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower()
                      in SUFFIXES)
    if path.exists():
        return [path]
    has_space = any(c.isspace() for c in arg)
    if _GLOB_CHARS & set(arg):
        matches = sorted(Path(p) for p in glob.glob(arg, recursive=True) if Path(p).is_file())
        if matches or not has_space:
            return matches
        return None  # a sentence with a question mark, not a pattern
    if not has_space and path.suffix.lower() in SUFFIXES:
        return []  # looks like a file name, but there is no such file
    return None


def iter_documents(inputs: Sequence[str], text_field: str = "text",
                   stdin: io.TextIOBase | None = None) -> Iterator[Document | ReadError]:
    """Yield a :class:`Document` or a :class:`ReadError` for everything ``inputs``
    names: ``-`` (standard input), files, folders (recursively), globs, or texts."""
    for n, arg in enumerate(inputs, 1):
        if arg == "-":
            stream = stdin if stdin is not None else sys.stdin
            text = stream.read()
            if text.strip():
                yield Document("<stdin>", text)
            else:
                yield ReadError("<stdin>", "empty input: no text to classify")
            continue
        files = _expand(arg)
        if files is None:
            yield Document(f"<text {n}>", arg)
        elif not files:
            yield ReadError(arg, "no such file" if not (_GLOB_CHARS & set(arg))
                            else "no files match this pattern")
        else:
            for path in files:
                yield from _read_file(path, text_field)
