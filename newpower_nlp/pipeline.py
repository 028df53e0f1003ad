"""The spaCy pipeline, built offline: ``spacy.blank("en")`` + sentencizer + lookup
lemmatizer (tables from ``spacy-lookups-data``) + ``newpower_signals``.

The sentencizer and the lemmatizer are the array-based subclasses of spaCy's own in
:mod:`newpower_nlp.components` (same rules, same tables, same annotations, about three
times faster); ``build_nlp(fast=False)`` builds the pipeline with spaCy's originals.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import spacy
from spacy.language import Language

from newpower_nlp import components as _components  # noqa: F401  (registers factories)
from newpower_nlp import signals as _signals  # noqa: F401  (registers the factory)

__all__ = ["build_nlp", "get_nlp"]

#: Texts longer than this many characters are processed as they are; spaCy's own
#: limit is raised so that 10,000-word documents work.
MAX_LENGTH = 5_000_000


def build_nlp(patterns: Sequence[dict[str, Any]] | None = None, fast: bool = True
              ) -> Language:
    """Build and initialize the pipeline; ``patterns`` replaces the shipped cue lexicon.

    ``fast=False`` uses spaCy's ``sentencizer`` and ``lemmatizer`` factories instead of
    their array-based equivalents (the annotations are the same).
    """
    nlp = spacy.blank("en")
    nlp.max_length = MAX_LENGTH
    if fast:
        nlp.add_pipe("array_sentencizer", name="sentencizer")
        nlp.add_pipe("cached_lookup_lemmatizer", name="lemmatizer")
    else:
        nlp.add_pipe("sentencizer")
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.add_pipe("newpower_signals")
    nlp.initialize()
    if patterns is not None:
        nlp.get_pipe("newpower_signals").initialize(patterns=patterns)
    return nlp


@lru_cache(maxsize=1)
def get_nlp() -> Language:
    """The shared default pipeline (built once per process)."""
    return build_nlp()
