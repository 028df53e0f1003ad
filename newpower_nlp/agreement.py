"""Inter-annotator agreement between two independent annotation passes.

Each pass is a JSONL file of ``{"id": ..., "labels": [...], "compass": ...}``; only the
documents in both are compared.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import cohen_kappa_score

from newpower_nlp.labels import LABELS, NO_COMPASS

__all__ = ["agreement", "format_agreement", "read_pass"]


def read_pass(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read one annotation pass: id -> {"labels": set, "compass": str}."""
    out = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                obj = json.loads(line)
                unknown = set(obj["labels"]) - set(LABELS)
                if unknown:
                    raise ValueError(f"{path}: unknown labels {sorted(unknown)} for {obj['id']}")
                out[obj["id"]] = {"labels": set(obj["labels"]),
                                  "compass": obj.get("compass") or NO_COMPASS}
    return out


def _kappa(a: np.ndarray, b: np.ndarray) -> float | None:
    if len(set(a.tolist()) | set(b.tolist())) < 2:
        return None  # undefined: both annotators used one value only
    return float(cohen_kappa_score(a, b))


def agreement(first: dict[str, dict[str, Any]], second: dict[str, dict[str, Any]]
              ) -> dict[str, Any]:
    """Per-label Cohen's kappa, overall Krippendorff's alpha (nominal, over every
    document-label decision), and compass agreement (raw, kappa, alpha)."""
    import krippendorff

    ids = sorted(set(first) & set(second))
    ya = np.array([[int(n in first[i]["labels"]) for n in LABELS] for i in ids])
    yb = np.array([[int(n in second[i]["labels"]) for n in LABELS] for i in ids])
    per_label = {}
    for j, name in enumerate(LABELS):
        per_label[name] = {
            "kappa": _kappa(ya[:, j], yb[:, j]),
            "agreement": float((ya[:, j] == yb[:, j]).mean()),
            "first": int(ya[:, j].sum()),
            "second": int(yb[:, j].sum()),
        }
    alpha = krippendorff.alpha(reliability_data=np.vstack([ya.ravel(), yb.ravel()]),
                               level_of_measurement="nominal")
    ca = [first[i]["compass"] for i in ids]
    cb = [second[i]["compass"] for i in ids]
    codes = {c: k for k, c in enumerate(sorted(set(ca) | set(cb)))}
    compass_alpha = krippendorff.alpha(
        reliability_data=np.array([[codes[c] for c in ca], [codes[c] for c in cb]], float),
        level_of_measurement="nominal")
    kappas = [v["kappa"] for v in per_label.values() if v["kappa"] is not None]
    return {
        "documents": len(ids),
        "per_label": per_label,
        "mean_kappa": float(np.mean(kappas)) if kappas else None,
        "krippendorff_alpha": float(alpha),
        "exact_label_set_agreement": float((ya == yb).all(axis=1).mean()),
        "compass": {
            "agreement": float(np.mean([x == y for x, y in zip(ca, cb)])),
            "kappa": float(cohen_kappa_score(ca, cb)),
            "krippendorff_alpha": float(compass_alpha),
        },
    }


def format_agreement(result: dict[str, Any], extra: dict[str, float] | None = None,
                     extra_name: str = "") -> list[str]:
    """The lines of a printed :func:`agreement` result: a per-label table (with an
    ``extra`` column per label if given), then the overall and compass figures."""
    head = f"{'label':22} {'kappa':>6} {'agree':>6} {'first':>6} {'second':>6}"
    lines = [f"documents: {result['documents']}",
             head + (f" {extra_name:>6}" if extra is not None else "")]
    for name, v in result["per_label"].items():
        k = "-" if v["kappa"] is None else f"{v['kappa']:.2f}"
        row = f"{name:22} {k:>6} {v['agreement']:6.2f} {v['first']:6d} {v['second']:6d}"
        lines.append(row + (f" {extra[name]:6.2f}" if extra is not None else ""))
    c = result["compass"]
    lines += [f"mean kappa {result['mean_kappa']:.3f}; Krippendorff's alpha "
              f"{result['krippendorff_alpha']:.3f}; exact label-set agreement "
              f"{result['exact_label_set_agreement']:.3f}",
              f"compass: agreement {c['agreement']:.3f}, kappa {c['kappa']:.3f}, "
              f"alpha {c['krippendorff_alpha']:.3f}"]
    return lines
