"""newpower-nlp: where a text stands on old power versus new power (Heimans and Timms)."""

from __future__ import annotations

from newpower_nlp.labels import LABEL_SCHEMA_VERSION, LABELS

__version__ = "0.1.0"

__all__ = ["LABELS", "LABEL_SCHEMA_VERSION", "__version__"]
