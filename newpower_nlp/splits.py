"""Train/dev/test splitting: iterative stratification over labels, compass and genre,
with related documents (same organization) kept in one split."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from newpower_nlp.corpus import Record
from newpower_nlp.labels import COMPASS_VALUES, GENRES, LABELS

__all__ = ["group_key", "stratified_group_split"]


def group_key(record: Record) -> str:
    """Documents about the same invented organization share a group."""
    org = str(record.meta.get("org") or "").strip().lower()
    return f"org:{org}" if org else f"id:{record.id}"


def _targets(records: Sequence[Record]) -> np.ndarray:
    cols = [*LABELS, *COMPASS_VALUES, *GENRES]
    y = np.zeros((len(records), len(cols)), dtype=int)
    for i, r in enumerate(records):
        for name in r.labels:
            y[i, cols.index(name)] = 1
        if r.compass:
            y[i, cols.index(r.compass)] = 1
        if r.genre:
            y[i, cols.index(r.genre)] = 1
    return y


def stratified_group_split(
    records: Sequence[Record],
    sizes: tuple[float, float, float] = (0.7, 0.1, 0.2),
    seed: int = 13,
) -> dict[str, list[Record]]:
    """Split records into train/dev/test of about ``sizes`` (a test share of 0 puts
    everything in train and dev).

    Groups (see :func:`group_key`) are stratified with iterative stratification
    (Sechidis et al., 2011) on the union of their documents' labels, compass values and
    genres, so that every label is represented in every split in about the same share.
    """
    from iterstrat.ml_stratifiers import MultilabelStratifiedShuffleSplit

    keys = [group_key(r) for r in records]
    groups = sorted(set(keys))
    index = {g: i for i, g in enumerate(groups)}
    y_docs = _targets(records)
    y_groups = np.zeros((len(groups), y_docs.shape[1]), dtype=int)
    for k, row in zip(keys, y_docs, strict=False):
        y_groups[index[k]] |= row

    train_share, dev_share, test_share = sizes
    g_idx = np.arange(len(groups))
    if test_share > 0:
        outer = MultilabelStratifiedShuffleSplit(n_splits=1, test_size=test_share,
                                                 random_state=seed)
        rest, test = next(outer.split(g_idx.reshape(-1, 1), y_groups))
    else:  # adding to a corpus whose test split is frozen
        rest, test = g_idx, g_idx[:0]
    if len(rest) < 2:  # too few groups to split: all of them train
        tr, dv = np.arange(len(rest)), np.arange(0)
    else:
        inner = MultilabelStratifiedShuffleSplit(
            n_splits=1, test_size=dev_share / (train_share + dev_share), random_state=seed
        )
        tr, dv = next(inner.split(rest.reshape(-1, 1), y_groups[rest]))
    assignment = {}
    for split, members in (("train", rest[tr]), ("dev", rest[dv]), ("test", test)):
        for gi in members:
            assignment[groups[gi]] = split
    out: dict[str, list[Record]] = {"train": [], "dev": [], "test": []}
    for r, k in zip(records, keys, strict=False):
        out[assignment[k]].append(r)
    return out
