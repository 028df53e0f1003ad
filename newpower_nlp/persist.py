"""Saving and loading model directories (skops, with an explicit trusted-type list).

A model directory holds ``model.skops`` (the fitted :class:`NewPowerClassifier`),
``meta.json`` (version, label set, thresholds, training data hashes, metrics, package
versions) and a model card ``README.md``.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from newpower_nlp._io import atomic_open, atomic_write_text
from newpower_nlp.errors import LabelSetVersionError, ModelLoadError
from newpower_nlp.labels import LABEL_SCHEMA_VERSION, LABELS

__all__ = ["MODEL_FILE", "META_FILE", "TRUSTED_TYPES", "load_classifier", "package_versions",
           "save_classifier", "sha256_file"]

MODEL_FILE = "model.skops"
META_FILE = "meta.json"

#: Every type a newpower-nlp model file may contain besides skops' defaults. Loading
#: refuses any file that holds something else.
TRUSTED_TYPES: list[str] = [
    "newpower_nlp.model.NewPowerClassifier",
    "newpower_nlp.features.PowerFeaturizer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "builtins.tuple",
    "numpy.float64",
    "numpy.int64",
    "numpy.ndarray",
    "numpy.dtype",
]


def sha256_file(path: str | Path) -> str:
    """SHA-256 hex digest of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages a model depends on."""
    out = {"python": platform.python_version()}
    for pkg in ("newpower-nlp", "spacy", "spacy-lookups-data", "scikit-learn", "numpy",
                "scipy", "skops"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:  # pragma: no cover
            out[pkg] = "not installed"
    return out


def save_classifier(classifier: Any, path: str | Path, meta: dict[str, Any],
                    card: str | None = None) -> Path:
    """Write ``model.skops``, ``meta.json`` (and ``README.md`` if ``card``) to ``path``.

    Every file is written atomically.
    """
    import skops.io as sio

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    with atomic_open(path / MODEL_FILE, "wb") as fh:
        fh.write(sio.dumps(classifier))
    meta = {**meta, "label_schema_version": LABEL_SCHEMA_VERSION, "labels": list(LABELS)}
    atomic_write_text(path / META_FILE, json.dumps(meta, indent=2, sort_keys=False) + "\n")
    if card is not None:
        atomic_write_text(path / "README.md", card)
    return path


def load_classifier(path: str | Path) -> tuple[Any, dict[str, Any]]:
    """Load a model directory; return ``(classifier, meta)``.

    Raises :class:`ModelLoadError` if the directory or its files are missing or
    unreadable, or the file holds a type outside :data:`TRUSTED_TYPES`, and
    :class:`LabelSetVersionError` if it was built for another label-set version.
    """
    import skops.io as sio

    path = Path(path)
    model_file, meta_file = path / MODEL_FILE, path / META_FILE
    if not path.is_dir():
        raise ModelLoadError(f"model directory not found: {path}")
    for f in (model_file, meta_file):
        if not f.is_file():
            raise ModelLoadError(f"not a newpower-nlp model: {f} is missing")
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"unreadable {meta_file}: {exc}") from None
    if not isinstance(meta, dict):
        raise ModelLoadError(f"unreadable {meta_file}: expected a JSON object")
    version = meta.get("label_schema_version")
    if version != LABEL_SCHEMA_VERSION or meta.get("labels") != list(LABELS):
        raise LabelSetVersionError(
            f"{path} was built for label-set version {version!r}; this package uses "
            f"version {LABEL_SCHEMA_VERSION}"
        )
    try:
        data = model_file.read_bytes()
        untrusted = [t for t in sio.get_untrusted_types(data=data) if t not in TRUSTED_TYPES]
        if untrusted:
            raise ModelLoadError(
                f"{model_file} contains types outside the trusted list: {', '.join(untrusted)}"
            )
        classifier = sio.loads(data, trusted=TRUSTED_TYPES)
    except ModelLoadError:
        raise
    except Exception as exc:  # skops raises many kinds on a corrupt file
        raise ModelLoadError(f"unreadable model file {model_file}: "
                             f"{type(exc).__name__}: {exc}") from None
    return classifier, meta


def default_model_dir() -> Path:
    """``$NEWPOWER_MODEL``, else the repository's ``models/default``."""
    env = os.environ.get("NEWPOWER_MODEL")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "models" / "default"
