"""Checks on the shipped corpus under corpus/."""

import re
from collections import defaultdict

import pytest

from newpower_nlp.corpus import default_corpus_dir, load_corpus, split_files, validate_files


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(default_corpus_dir())


def test_shipped_corpus_is_valid():
    records, problems = validate_files(list(split_files(default_corpus_dir()).values()))
    assert problems == []
    assert len(records) >= 60


def test_every_label_is_exercised(corpus):
    from newpower_nlp.labels import COMPASS_VALUES, LABELS

    records = [r for recs in corpus.values() for r in recs]
    for name in LABELS:
        assert any(r.cats[name] for r in records), name
    for value in COMPASS_VALUES:
        assert any(r.compass == value for r in records), value


def test_no_two_documents_share_their_first_eight_words(corpus):
    openings = defaultdict(list)
    for recs in corpus.values():
        for r in recs:
            words = re.findall(r"[a-z0-9']+", r.text.lower())
            if len(words) >= 8:
                openings[" ".join(words[:8])].append(r.id)
    assert [ids for ids in openings.values() if len(ids) > 1] == []


def test_related_documents_stay_in_one_split(corpus):
    from newpower_nlp.splits import group_key

    where = defaultdict(set)
    for split, recs in corpus.items():
        for r in recs:
            where[group_key(r)].add(split)
    assert [k for k, splits in where.items() if len(splits) > 1] == []


def test_corpus_meets_the_v1_minimums(corpus):
    from newpower_nlp.labels import COMPASS_VALUES, LABELS
    from newpower_nlp.stats import corpus_stats

    s = corpus_stats(corpus)
    n = s["documents"]
    assert n >= 1000
    assert s["genres"]["mission_statement"] >= 0.25 * n
    assert s["genres"]["news"] >= 0.15 * n
    for genre in ("about_page", "opinion", "press_release", "governance_doc", "report",
                  "social_post", "job_posting"):
        assert s["genres"][genre] >= 0.03 * n, genre
    for name in LABELS:
        assert s["labels"][name] >= 70, name
    for value in COMPASS_VALUES:
        assert s["compass"][value] >= 70, value
    assert s["compass"]["none"] >= 0.10 * n
    assert s["no_power_content"] >= 80
    assert s["hard_cases"] >= 0.20 * n
    assert 100 <= s["length_words"]["q50"] <= 300
    assert s["length_words"]["share_over_400"] >= 0.10
    assert s["length_words"]["q100"] <= 800


def test_no_near_duplicate_documents(corpus):
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    texts = [r.text for recs in corpus.values() for r in recs]
    sim = cosine_similarity(TfidfVectorizer(sublinear_tf=True).fit_transform(texts))
    np.fill_diagonal(sim, 0.0)
    assert sim.max() <= 0.8


def test_test_split_is_frozen():
    import re

    from newpower_nlp.persist import sha256_file

    card = (default_corpus_dir() / "README.md").read_text(encoding="utf-8")
    recorded = re.search(r"<!-- test-sha256:start -->\s*`([0-9a-f]{64})`", card).group(1)
    assert sha256_file(split_files(default_corpus_dir())["test"]) == recorded


def test_datasheet_statistics_match_the_corpus(corpus):
    from newpower_nlp.stats import corpus_stats, stats_markdown

    card = (default_corpus_dir() / "README.md").read_text(encoding="utf-8")
    block = card.split("<!-- stats:start -->\n", 1)[1].split("\n<!-- stats:end -->", 1)[0]
    assert block == stats_markdown(corpus_stats(corpus))


@pytest.mark.parametrize(("sub", "minimum"),
                         [("", 200), ("round2", 90), ("round4", 90), ("round5", 60),
                          ("round6", 60), ("round7", 60), ("round8", 60),
                          ("round9", 60)])
def test_agreement_figures_are_reproduced_from_the_two_passes(sub, minimum):
    import json

    from newpower_nlp.agreement import agreement, read_pass

    folder = default_corpus_dir() / "agreement" / sub
    result = agreement(read_pass(folder / "first_pass.jsonl"),
                       read_pass(folder / "second_pass.jsonl"))
    saved = json.loads((folder / "agreement.json").read_text(encoding="utf-8"))
    assert result["documents"] == saved["documents"] >= minimum
    assert result["krippendorff_alpha"] == pytest.approx(saved["krippendorff_alpha"])
    assert result["per_label"] == saved["per_label"]


def test_adjudicated_labels_are_the_final_labels(corpus):
    import json

    by_id = {r.id: r for recs in corpus.values() for r in recs}
    path = default_corpus_dir() / "agreement" / "adjudicated.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 100
    for row in rows:
        rec = by_id[row["id"]]
        # the adjudicated labels, plus any the later label-completion pass added
        final = set(row["labels"]) | set(rec.meta.get("completed") or ())
        assert rec.labels == sorted(final, key=list(rec.cats).index)
        assert rec.compass == row["compass"]


def test_completion_log_matches_the_corpus(corpus):
    """Every label in the completion log is set, with its evidence span, and listed in
    the record's ``meta.completed``; every ``meta.completed`` label is in the log."""
    import json

    by_id = {r.id: r for recs in corpus.values() for r in recs}
    path = default_corpus_dir() / "agreement" / "completion" / "additions.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 900
    assert {row["pass"] for row in rows} <= {"crowd_cheerleader", "castle_co_opter", "round9"}
    logged = {(row["id"], row["label"]) for row in rows}
    for row in rows:
        rec = by_id[row["id"]]
        assert rec.cats[row["label"]] == 1 and row["label"] in rec.meta["completed"]
        if row["start"] is not None:
            assert any((s.start, s.end, s.label) == (row["start"], row["end"], row["label"])
                       for s in rec.spans)
    completed = {(r.id, label) for r in by_id.values()
                 for label in r.meta.get("completed") or ()}
    assert completed == logged


def test_realworld_manual_reading_figures_are_reproduced():
    """The manual reading of the real-world texts holds ids and labels only, and its
    agreement with the set's own labels is what agreement.json records."""
    import importlib.util
    import json

    folder = default_corpus_dir() / "agreement" / "realworld"
    rows = [json.loads(line) for line in
            (folder / "manual_reading.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 160 and all(set(r) == {"id", "labels", "compass"} for r in rows)
    realworld = default_corpus_dir().parent.parent / "shared" / "realworld" / "dev.jsonl"
    if not realworld.is_file():
        pytest.skip("../shared/realworld/dev.jsonl is not beside the project")
    spec = importlib.util.spec_from_file_location(
        "realworld_reading", default_corpus_dir().parent / "scripts" / "07_realworld_reading.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    from newpower_nlp.agreement import agreement, read_pass

    gold, reading = read_pass(realworld), read_pass(folder / "manual_reading.jsonl")
    saved = json.loads((folder / "agreement.json").read_text(encoding="utf-8"))
    assert agreement(gold, reading)["per_label"] == saved["per_label"]
    f1 = script.reading_f1(gold, reading)
    assert f1 == pytest.approx(saved["reading_f1_against_set_labels"])
    assert f1["new_leadership"] == pytest.approx(12 / 13)  # 7 and 6 set, 6 in common


@pytest.mark.parametrize(("pass_name", "proposals_file", "applied_labels", "count"), [
    ("castle_co_opter", "castle_co_opter_proposals.jsonl",
     {"old_governance", "old_power_flow"}, 68),
    ("round9", "round9_proposals.jsonl",
     {"new_engagement", "new_leadership", "new_governance", "old_governance"}, 75),
])
def test_later_readings_applied_exactly_their_chosen_proposals(corpus, pass_name,
                                                                proposals_file,
                                                                applied_labels, count):
    """The castle/co-opter reading applied its old-pole proposals, the round-9 reading
    the labels whose proposals agreed with the round's agreement sample; each with its
    quote as evidence, and none of their other proposals."""
    import json

    folder = default_corpus_dir() / "agreement" / "completion"
    texts = {r.id: r.text for recs in corpus.values() for r in recs}
    proposals = {(row["id"], add["label"]): add["quote"]
                 for line in (folder / proposals_file).read_text(
                     encoding="utf-8").splitlines()
                 for row in [json.loads(line)] for add in row["add"]}
    applied = [json.loads(line) for line in
               (folder / "additions.jsonl").read_text(encoding="utf-8").splitlines()]
    applied = {(r["id"], r["label"]): texts[r["id"]][r["start"]:r["end"]]
               for r in applied if r["pass"] == pass_name}
    chosen = {k: q for k, q in proposals.items() if k[1] in applied_labels}
    assert applied == chosen and len(applied) == count


def test_agreement_table_lists_every_label_and_the_extra_column():
    from newpower_nlp.agreement import agreement, format_agreement, read_pass
    from newpower_nlp.labels import LABELS

    folder = default_corpus_dir() / "agreement" / "round8"
    result = agreement(read_pass(folder / "first_pass.jsonl"),
                       read_pass(folder / "second_pass.jsonl"))
    lines = format_agreement(result, {name: 0.5 for name in LABELS}, "F1")
    assert lines[0] == "documents: 60" and lines[1].split()[-1] == "F1"
    rows = {line.split()[0]: line.split() for line in lines[2:2 + len(LABELS)]}
    assert list(rows) == list(LABELS)
    assert rows["new_governance"][1:] == ["0.89", "0.95", "21", "24", "0.50"]
    assert lines[-1].startswith("compass: agreement 0.933")
