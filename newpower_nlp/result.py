"""The typed result of classifying one text."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Evidence", "Result"]


@dataclass(frozen=True)
class Evidence:
    """A sentence that supports a predicted label.

    ``start``/``end`` are character offsets into the classified text, so that
    ``text[start:end] == sentence``; ``score`` in (0, 1) is the sentence model's
    probability that this sentence alone expresses the label (that model is trained on
    the corpus's annotated evidence spans); ``cues`` are the character spans of lexicon
    cues for the label inside the sentence.
    """

    label: str
    sentence: str
    start: int
    end: int
    score: float
    cues: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Result:
    """Where one text stands on old power versus new power."""

    probabilities: dict[str, float]
    labels: list[str]
    thresholds: dict[str, float]
    orientation: str
    new_power_score: float
    compass: str
    compass_probabilities: dict[str, float]
    compass_axes: dict[str, float]
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)
    model_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        out = asdict(self)
        out["evidence"] = {
            label: [{**asdict(e), "cues": [list(c) for c in e.cues]} for e in items]
            for label, items in self.evidence.items()
        }
        return out
