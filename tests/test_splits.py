"""The grouped, stratified split, including the append case (no test share)."""

from __future__ import annotations

from newpower_nlp.corpus import Record
from newpower_nlp.labels import LABELS
from newpower_nlp.splits import group_key, stratified_group_split


def _records(n: int, orgs: int) -> list[Record]:
    return [Record(id=f"np-{i:06d}", text=f"Text number {i}.", genre="news",
                   cats={name: int(k == i % len(LABELS)) for k, name in enumerate(LABELS)},
                   compass=None, meta={"org": f"Org {i % orgs}"})
            for i in range(1, n + 1)]


def test_groups_stay_together_and_no_test_share_means_no_test():
    recs = _records(80, 20)
    out = stratified_group_split(recs, sizes=(0.875, 0.125, 0.0), seed=3)
    assert out["test"] == []
    assert len(out["train"]) + len(out["dev"]) == 80 and out["dev"]
    train_groups = {group_key(r) for r in out["train"]}
    assert train_groups.isdisjoint(group_key(r) for r in out["dev"])


def test_three_way_split_covers_every_record_once():
    recs = _records(100, 50)
    out = stratified_group_split(recs, seed=13)
    ids = [r.id for split in out.values() for r in split]
    assert sorted(ids) == sorted(r.id for r in recs)
    assert all(out[s] for s in ("train", "dev", "test"))


def test_a_single_group_goes_to_train():
    recs = _records(3, 1)
    out = stratified_group_split(recs, sizes=(0.875, 0.125, 0.0))
    assert [r.id for r in out["train"]] == [r.id for r in recs]
    assert out["dev"] == [] and out["test"] == []
