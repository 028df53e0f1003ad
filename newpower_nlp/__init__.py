"""newpower-nlp: where a text stands on old power versus new power (Heimans and Timms).

>>> from newpower_nlp import classify, load_model
"""

from __future__ import annotations

from newpower_nlp.api import Model, classify, load_model
from newpower_nlp.labels import LABEL_SCHEMA_VERSION, LABELS
from newpower_nlp.result import Evidence, Result

__version__ = "0.1.0"

__all__ = ["LABELS", "LABEL_SCHEMA_VERSION", "Evidence", "Model", "Result", "__version__",
           "classify", "load_model"]
