"""Every exception the package raises on purpose.

Each subclasses the built-in it refines, so ``except ValueError`` still works, and its
message names the bad value, file, line or field.
"""

from __future__ import annotations

__all__ = [
    "CorpusError",
    "EmptyTextError",
    "InputError",
    "LabelSetVersionError",
    "ModelLoadError",
    "NewPowerError",
    "TextTypeError",
]


class NewPowerError(Exception):
    """Base class of all newpower-nlp errors."""


class TextTypeError(NewPowerError, TypeError):
    """A text argument is not a ``str``."""


class EmptyTextError(NewPowerError, ValueError):
    """A text is empty or whitespace only: there is nothing to classify."""


class ModelLoadError(NewPowerError, OSError):
    """A model directory is missing, unreadable, or not a newpower-nlp model."""


class LabelSetVersionError(ModelLoadError):
    """A model was built for another version of the label set."""


class CorpusError(NewPowerError, ValueError):
    """Corpus records failed validation; ``problems`` lists every one of them."""

    def __init__(self, problems: list) -> None:
        self.problems = problems
        first = str(problems[0]) if problems else "no details"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{first}{more}")


class InputError(NewPowerError, ValueError):
    """An input file or option cannot be used (unreadable, binary, wrong format)."""
