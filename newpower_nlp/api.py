"""The Python API: ``load_model`` and ``classify``.

>>> from newpower_nlp import classify
>>> result = classify("Members elect the board at the annual meeting.")
>>> result.labels, result.compass                                     # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import math
import multiprocessing
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from newpower_nlp.errors import EmptyTextError, ModelLoadError, TextTypeError
from newpower_nlp.features import Analysis
from newpower_nlp.labels import LABELS, new_power_score, orientation
from newpower_nlp.model import NewPowerClassifier
from newpower_nlp.persist import default_model_dir, load_classifier
from newpower_nlp.result import Evidence, Result

__all__ = ["Model", "classify", "load_model"]

#: How many evidence sentences are kept per predicted label.
EVIDENCE_PER_LABEL = 2
_LABEL_INDEX = {name: j for j, name in enumerate(LABELS)}


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while one batch is classified.

    A batch allocates many small objects (results, dicts, spans) but no reference
    cycles, and each full collection it triggers walks every object the process holds
    (about 200,000 with a model loaded): 6-9% of ``classify_many`` time in the
    benchmark. Plain reference counting still frees everything; the collector runs
    again as soon as the batch is done, and is left off if it was off before.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _check_text(text: Any, where: str = "text") -> str:
    if not isinstance(text, str):
        raise TextTypeError(f"{where} must be a str, not {type(text).__name__}")
    if not text.strip():
        raise EmptyTextError(f"{where} is empty or whitespace only: nothing to classify")
    return text


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(x, 50.0), -50.0)))


class Model:
    """A loaded classifier with its metadata.

    Use :meth:`classify` for one text and :meth:`classify_many` for a stream.
    """

    def __init__(self, classifier: NewPowerClassifier, meta: dict[str, Any] | None = None,
                 path: Path | None = None) -> None:
        self.classifier = classifier
        self.meta = meta or {}
        self.path = path

    @property
    def version(self) -> str:
        """The model's version string."""
        return str(self.meta.get("version", "unversioned"))

    @property
    def thresholds(self) -> dict[str, float]:
        """The per-label decision thresholds stored with the model."""
        return {n: float(t) for n, t in zip(LABELS, self.classifier.thresholds_)}

    def __repr__(self) -> str:
        return f"Model(version={self.version!r}, path={str(self.path)!r})"

    # ------------------------------------------------------------------ public API

    def classify(self, text: str, *, threshold: float | None = None,
                 evidence: bool = True) -> Result:
        """Classify one text.

        ``threshold`` overrides every per-label threshold; ``evidence=False`` skips the
        evidence sentences (a little faster).
        """
        _check_text(text)
        return self._classify_batch([text], threshold, evidence)[0]

    def classify_many(self, texts: Iterable[str], *, batch_size: int = 256,
                      n_process: int = 1, threshold: float | None = None,
                      evidence: bool = True) -> Iterator[Result]:
        """Classify a stream of texts lazily, ``batch_size`` at a time, in order.

        With ``n_process > 1`` batches are classified in that many worker processes
        (fork start method, so the model is not copied to disk).
        """
        if isinstance(texts, str):
            raise TextTypeError("classify_many takes an iterable of texts, not one str; "
                                "use classify() for a single text")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        return self._stream(texts, batch_size, n_process, threshold, evidence)

    def _stream(self, texts: Iterable[str], batch_size: int, n_process: int,
                threshold: float | None, evidence: bool) -> Iterator[Result]:
        counter = itertools.count()
        batches = (list(b) for b in _chunks(texts, batch_size))
        checked = ([_check_text(t, f"text {next(counter)}") for t in b] for b in batches)
        if n_process <= 1:
            for batch in checked:
                yield from self._classify_batch(batch, threshold, evidence)
            return
        ctx = multiprocessing.get_context("fork")
        global _WORKER_MODEL
        _WORKER_MODEL = self
        with ctx.Pool(n_process) as pool:
            jobs = ((batch, threshold, evidence) for batch in checked)
            for results in pool.imap(_worker_classify, jobs):
                yield from results

    # ------------------------------------------------------------------ internals

    def _classify_batch(self, texts: Sequence[str], threshold: float | None,
                        evidence: bool) -> list[Result]:
        with _gc_paused():
            return self._classify_batch_unpaused(texts, threshold, evidence)

    def _classify_batch_unpaused(self, texts: Sequence[str], threshold: float | None,
                                 evidence: bool) -> list[Result]:
        clf = self.classifier
        analyses = clf.featurizer_.analyze(texts)
        scores = clf.score_analyses(analyses)
        proba, compass_proba = scores.proba, scores.compass
        classes = clf.compass_classes
        thresholds = (np.full(len(LABELS), float(threshold)) if threshold is not None
                      else clf.thresholds_)
        predicted = proba >= thresholds
        threshold_map = {n: float(t) for n, t in zip(LABELS, thresholds)}
        results = []
        for i, a in enumerate(analyses):
            probs = dict(zip(LABELS, proba[i].tolist()))
            labels = [n for n, hit in zip(LABELS, predicted[i].tolist()) if hit]
            cp = dict(zip(classes, compass_proba[i].tolist()))
            compass = max(cp, key=cp.get)
            model_axis, values_axis = clf.compass_axes(compass_proba[i], classes)
            ev = self._evidence(a, labels, scores.sentences[i]) if evidence else {}
            results.append(Result(
                probabilities=probs,
                labels=labels,
                thresholds=dict(threshold_map),
                orientation=orientation(labels),
                new_power_score=round(new_power_score(probs), 4),
                compass=compass,
                compass_probabilities=cp,
                compass_axes={"model": round(model_axis, 4), "values": round(values_axis, 4)},
                evidence=ev,
                model_version=self.version,
            ))
        return results

    def _evidence(self, a: Analysis, labels: Sequence[str], scores: np.ndarray | None
                  ) -> dict[str, list[Evidence]]:
        if scores is None or not labels or not a.sents:
            return {}
        chosen = scores[:, [_LABEL_INDEX[label] for label in labels]]
        # the best sentences of every predicted label at once (stable: ties keep order)
        top = np.argsort(-chosen, axis=0, kind="stable")[:EVIDENCE_PER_LABEL]
        best = np.take_along_axis(chosen, top, axis=0)
        cues: dict[str, list[tuple[int, int]]] = {}
        for cs, ce, lab, neg, _ in a.cues:
            if not neg:
                cues.setdefault(lab, []).append((cs, ce))
        text, sents = a.text, a.sents
        out: dict[str, list[Evidence]] = {}
        for label, rows, values in zip(labels, top.T.tolist(), best.T.tolist()):
            label_cues = cues.get(label, ())
            items = []
            for k, value in zip(rows, values):
                start, end = sents[k][2], sents[k][3]
                items.append(Evidence(
                    label=label, sentence=text[start:end], start=start, end=end,
                    score=round(_sigmoid(value), 4),
                    cues=tuple(c for c in label_cues if start <= c[0] and c[1] <= end)))
            out[label] = items
        return out


_WORKER_MODEL: Model | None = None


def _worker_classify(job: tuple[list[str], float | None, bool]) -> list[Result]:
    texts, threshold, evidence = job
    assert _WORKER_MODEL is not None
    return _WORKER_MODEL._classify_batch(texts, threshold, evidence)


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def load_model(path: str | Path | None = None) -> Model:
    """Load a model directory (default: the shipped ``models/default``)."""
    path = Path(path) if path is not None else default_model_dir()
    classifier, meta = load_classifier(path)
    if not isinstance(classifier, NewPowerClassifier):
        raise ModelLoadError(f"{path} does not hold a NewPowerClassifier")
    return Model(classifier, meta, path)


@lru_cache(maxsize=1)
def _default_model() -> Model:
    return load_model()


def classify(text: str, *, threshold: float | None = None, evidence: bool = True) -> Result:
    """Classify one text with the shipped default model."""
    _check_text(text)
    return _default_model().classify(text, threshold=threshold, evidence=evidence)
