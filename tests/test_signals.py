"""The ``newpower_signals`` spaCy component: cue spans, case folding, negation, hedging,
registration, persistence and custom patterns."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import spacy

from newpower_nlp.labels import LABELS
from newpower_nlp.pipeline import build_nlp
from newpower_nlp.signals import CUE_TABLE, DEFAULT_SPANS_KEY, NewPowerSignals, default_patterns


@pytest.fixture(scope="module")
def nlp():
    return build_nlp()


@pytest.fixture(scope="module")
def _custom_nlp():
    return build_nlp(patterns=[])


@pytest.fixture
def custom_nlp(_custom_nlp):
    """A pipeline whose lexicon each test sets itself (emptied before every test)."""
    _custom_nlp.get_pipe("newpower_signals").initialize(patterns=[])
    return _custom_nlp


def cue_spans(nlp, text, key=DEFAULT_SPANS_KEY):
    """(text, label, negated, hedged) of every cue span (the doc stays alive inside)."""
    doc = nlp(text)
    return [(s.text, s.label_, bool(s._.negated), bool(s._.hedged)) for s in doc.spans[key]]


def cue_keys(nlp, text):
    """Token offsets, label and flags of every cue span: comparable across casings."""
    doc = nlp(text)
    return [(s.start, s.end, s.label_, bool(s._.negated), bool(s._.hedged))
            for s in doc.spans[DEFAULT_SPANS_KEY]]


def labels_of(spans):
    return {label for _, label, _, _ in spans}


# --------------------------------------------------------------------------- cue spans


def test_pipeline_has_the_component_last(nlp):
    assert nlp.pipe_names == ["sentencizer", "lemmatizer", "newpower_signals"]
    comp = nlp.get_pipe("newpower_signals")
    assert isinstance(comp, NewPowerSignals)
    assert len(comp.patterns) == len(default_patterns()) > 100


@pytest.mark.parametrize(
    ("text", "cue", "label"),
    [
        ("Members elect the council of the Pellow allotments.", "Members elect",
         "new_governance"),
        ("The Harrowgate crews obey orders from the quay master.", "obey", "old_governance"),
        ("Staff at Vintner & Moss report to the regional director.", "report to",
         "old_governance"),
        ("Dorrit Lane volunteers publish every salary online.", "publish every salary",
         "new_transparency"),
        ("The Ashby cooperative publishes its accounts.", "publishes", "new_transparency"),
    ],
)
def test_cue_span_has_the_right_label(nlp, text, cue, label):
    spans = cue_spans(nlp, text)
    assert (cue, label, False, False) in spans


def test_text_without_cues_has_an_empty_span_group(nlp):
    doc = nlp("Tomatoes ripen slowly in the cool Brennan valley.")
    assert DEFAULT_SPANS_KEY in doc.spans
    assert len(doc.spans[DEFAULT_SPANS_KEY]) == 0


def test_every_span_label_is_a_known_label(nlp):
    spans = cue_spans(nlp, "Members elect the board. Orders come from the top. We publish "
                           "every salary and volunteers run the Hollin workshop.")
    assert spans
    assert labels_of(spans) <= set(LABELS)
    assert {"new_governance", "old_governance", "new_transparency"} <= labels_of(spans)


def test_span_offsets_point_into_the_text(nlp):
    text = "In Quarrendon the members elect a new council every year."
    doc = nlp(text)
    for span in doc.spans[DEFAULT_SPANS_KEY]:
        assert text[span.start_char:span.end_char] == span.text


def test_inflected_forms_match_on_lemmas(nlp):
    spans = cue_spans(nlp, "The members elected a new board at the Tarnby hall.")
    assert "new_governance" in labels_of(spans)
    spans = cue_spans(nlp, "Published accounts hang on the Tarnby hall wall.")
    assert ("Published", "new_transparency", False, False) in spans


# --------------------------------------------------------------------------- case


@pytest.mark.parametrize(
    "text",
    [
        "Members elect the board at the Ferrow meeting.",
        "We do not publish our accounts at Ferrow.",
        "The Ferrow guild is no longer hierarchical.",
        "We hope to publish our accounts at Ferrow.",
        "Staff report directly to the chief executive of Ferrow.",
        "Volunteers run the Ferrow workshop and members vote on the budget.",
        "The Ferrow methods are proprietary and never disclosed.",
    ],
)
def test_all_caps_matches_like_lower_case(nlp, text):
    lower = cue_keys(nlp, text.lower())
    assert lower, "the example must contain a cue"
    assert cue_keys(nlp, text) == lower
    assert cue_keys(nlp, text.upper()) == lower


def test_all_caps_span_text_keeps_the_original_case(nlp):
    spans = cue_spans(nlp, "MEMBERS ELECT THE BOARD OF THE ORLOCK CLUB.")
    assert ("MEMBERS ELECT", "new_governance", False, False) in spans


def test_all_caps_contraction_negates_like_lower_case(nlp):
    lower = cue_spans(nlp, "we don't publish our accounts.")
    upper = cue_spans(nlp, "WE DON'T PUBLISH OUR ACCOUNTS.")
    assert any(neg for _, lab, neg, _ in lower if lab == "new_transparency")
    publish = [neg for _, lab, neg, _ in upper if lab == "new_transparency"]
    assert publish and all(publish)


def test_typographic_apostrophe_negates(nlp):
    spans = cue_spans(nlp, "We don\u2019t publish our accounts.")
    publish = [neg for _, lab, neg, _ in spans if lab == "new_transparency"]
    assert publish and all(publish)


# --------------------------------------------------------------------------- negation/hedging


def test_negation_with_not(nlp):
    spans = cue_spans(nlp, "We do not publish our accounts.")
    publish = [s for s in spans if s[1] == "new_transparency"]
    assert publish
    assert all(neg and not hedged for _, _, neg, hedged in publish)


def test_negation_with_no_longer(nlp):
    spans = cue_spans(nlp, "The Wickham guild is no longer hierarchical.")
    assert ("hierarchical", "old_governance", True, False) in spans


def test_negation_with_never_and_contraction(nlp):
    spans = cue_spans(nlp, "The Torvald Trust never publishes its accounts.")
    assert ("publishes", "new_transparency", True, False) in spans
    spans = cue_spans(nlp, "We don't publish our accounts.")
    assert ("publish", "new_transparency", True, False) in spans


def test_hedging(nlp):
    spans = cue_spans(nlp, "We hope to publish our accounts.")
    publish = [s for s in spans if s[1] == "new_transparency"]
    assert publish
    assert all(hedged and not neg for _, _, neg, hedged in publish)
    spans = cue_spans(nlp, "The Lisle board might publish its minutes.")
    assert ("publish", "new_transparency", False, True) in spans


def test_plain_statement_is_neither_negated_nor_hedged(nlp):
    spans = cue_spans(nlp, "We publish our accounts every spring.")
    assert spans
    assert all(not neg and not hedged for _, _, neg, hedged in spans)


def test_negation_stops_at_the_sentence_boundary(nlp):
    spans = cue_spans(nlp, "Not this year. We publish our accounts.")
    publish = [s for s in spans if s[1] == "new_transparency"]
    assert publish and not any(neg for _, _, neg, _ in publish)


def test_negation_stops_at_a_clause_break(nlp):
    spans = cue_spans(nlp, "We do not hide anything, we publish our accounts.")
    publish = [s for s in spans if s[1] == "new_transparency"]
    assert publish and not any(neg for _, _, neg, _ in publish)


def test_negation_outside_the_window_is_ignored(nlp):
    # "not" is five tokens before "publish": outside the default window of 4
    spans = cue_spans(nlp, "We do not think the Orme quarry team will publish.")
    assert ("publish", "new_transparency", False, False) in spans


def test_window_is_configurable():
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.add_pipe("newpower_signals", config={"window": 1})
    nlp.initialize()
    # "not" right before the cue: still negated; "hope" two tokens back: out of reach
    assert ("publish", "new_transparency", True, False) in cue_spans(
        nlp, "We do not publish our accounts.")
    assert ("publish", "new_transparency", False, False) in cue_spans(
        nlp, "We hope to publish our accounts.")


# --------------------------------------------------------------------------- registration


@pytest.mark.slow
def test_entry_point_registers_the_factory_in_a_fresh_process():
    code = textwrap.dedent("""
        import sys
        import spacy
        assert "newpower_nlp.signals" not in sys.modules
        nlp = spacy.blank("en")
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.add_pipe("newpower_signals")
        nlp.initialize()
        doc = nlp("Members elect the Dunlow board.")
        print(sorted({s.label_ for s in doc.spans["newpower"]}))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['new_governance']"


def test_add_pipe_on_blank_pipeline_with_custom_spans_key():
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    comp = nlp.add_pipe("newpower_signals", config={"spans_key": "power"})
    nlp.initialize()
    assert isinstance(comp, NewPowerSignals)
    doc = nlp("Members elect the Dunlow council.")
    assert "newpower" not in doc.spans
    assert ("Members elect", "new_governance") in [(s.text, s.label_) for s in doc.spans["power"]]


def test_component_pipe_matches_nlp_call(nlp):
    texts = ["Members elect the board.", "Orders come from the top.", "Plain Ulwick soup."]
    lemmatizer = nlp.get_pipe("lemmatizer")
    sentencizer = nlp.get_pipe("sentencizer")
    comp = nlp.get_pipe("newpower_signals")
    piped = list(comp.pipe(lemmatizer(sentencizer(nlp.make_doc(t))) for t in texts))
    direct = [nlp(t) for t in texts]
    got = [[(s.start, s.end, s.label_) for s in d.spans["newpower"]] for d in piped]
    want = [[(s.start, s.end, s.label_) for s in d.spans["newpower"]] for d in direct]
    assert got == want
    assert [len(g) > 0 for g in got] == [True, True, False]


# --------------------------------------------------------------------------- persistence


def test_to_disk_from_disk_round_trip_keeps_patterns(tmp_path):
    patterns = [
        {"label": "platform", "pattern": "gizmo exchange"},
        {"label": "crowdsourcing", "pattern": [{"LOWER": "zibble"}, {"LEMMA": "fund"}]},
    ]
    nlp = build_nlp(patterns=patterns)
    nlp.to_disk(tmp_path / "pipe")
    assert (tmp_path / "pipe" / "newpower_signals" / "patterns.jsonl").is_file()
    loaded = spacy.load(tmp_path / "pipe")
    assert loaded.get_pipe("newpower_signals").patterns == patterns
    text = "The Gizmo Exchanges are paid for by zibble funds."
    expected = [("Gizmo Exchanges", "platform"), ("zibble funds", "crowdsourcing")]
    doc = loaded(text)
    assert [(s.text, s.label_) for s in doc.spans["newpower"]] == expected


def test_component_to_disk_from_disk_on_another_component(tmp_path, custom_nlp):
    source = custom_nlp.get_pipe("newpower_signals")
    source.add_patterns([{"label": "peer_to_peer", "pattern": "swap shop"}])
    source.to_disk(tmp_path / "comp")
    target = build_nlp()
    comp = target.get_pipe("newpower_signals")
    assert comp.from_disk(tmp_path / "comp") is comp
    assert comp.patterns == [{"label": "peer_to_peer", "pattern": "swap shop"}]
    assert cue_spans(target, "The Holloway Swap Shops open on Fridays.") == [
        ("Swap Shops", "peer_to_peer", False, False)]
    # the shipped lexicon was replaced, not extended
    assert cue_spans(target, "Members elect the board.") == []


def test_default_pipeline_round_trip_keeps_all_patterns(tmp_path, nlp):
    nlp.to_disk(tmp_path / "pipe")
    loaded = spacy.load(tmp_path / "pipe")
    assert loaded.get_pipe("newpower_signals").patterns == \
        nlp.get_pipe("newpower_signals").patterns
    text = "Members elect the board, but we do not publish our accounts."
    assert cue_keys(loaded, text) == cue_keys(nlp, text)


# --------------------------------------------------------------------------- custom patterns


def test_initialize_with_custom_patterns_replaces_the_lexicon(custom_nlp):
    nlp = custom_nlp
    comp = nlp.get_pipe("newpower_signals")
    comp.initialize()
    assert "new_governance" in labels_of(cue_spans(nlp, "Members elect the board."))
    comp.initialize(patterns=[{"label": "movement_building", "pattern": "march for the moss"},
                              {"label": "platform", "pattern": [{"LOWER": "quibbly"}]}])
    assert len(comp.patterns) == 2
    spans = cue_spans(nlp, "Members elect the board and thousands March For The Moss on "
                           "Quibbly.")
    assert spans == [("March For The Moss", "movement_building", False, False),
                     ("Quibbly", "platform", False, False)]


def test_initialize_without_patterns_restores_the_shipped_lexicon(custom_nlp):
    nlp = custom_nlp
    comp = nlp.get_pipe("newpower_signals")
    comp.add_patterns([{"label": "platform", "pattern": "quibbly"}])
    assert comp.patterns == [{"label": "platform", "pattern": "quibbly"}]
    comp.initialize()
    assert comp.patterns == default_patterns()
    assert "new_governance" in labels_of(cue_spans(nlp, "Members elect the board."))


def test_add_patterns_extends_and_clear_empties(custom_nlp):
    nlp = custom_nlp
    comp = nlp.get_pipe("newpower_signals")
    comp.initialize(patterns=[{"label": "platform", "pattern": "quibbly"}])
    assert labels_of(cue_spans(nlp, "Quibbly runs a swap shop.")) == {"platform"}
    comp.add_patterns([{"label": "peer_to_peer", "pattern": "swap shop"}])
    assert labels_of(cue_spans(nlp, "Quibbly runs a swap shop.")) == {"platform",
                                                                      "peer_to_peer"}
    comp.clear()
    assert comp.patterns == []
    assert cue_spans(nlp, "Quibbly runs a swap shop.") == []


@pytest.mark.parametrize(
    "patterns",
    [
        [{"label": "new_gov", "pattern": "members elect"}],
        [{"label": "crowd", "pattern": "members elect"}],
        [{"pattern": "members elect"}],
        [{"label": "platform", "pattern": "ok"}, {"label": "tower", "pattern": [{"LOWER": "x"}]}],
    ],
)
def test_unknown_label_raises_value_error(patterns, custom_nlp):
    comp = custom_nlp.get_pipe("newpower_signals")
    with pytest.raises(ValueError, match="unknown label"):
        comp.initialize(patterns=patterns)
    with pytest.raises(ValueError, match="unknown label"):
        comp.add_patterns(patterns)


def test_unknown_label_raises_value_error_from_build_nlp():
    with pytest.raises(ValueError, match="unknown label 'new_gov'"):
        build_nlp(patterns=[{"label": "new_gov", "pattern": "members elect"}])


@pytest.mark.parametrize("bad", ["", "   ", [], 42, None])
def test_empty_or_malformed_pattern_raises_value_error(bad, custom_nlp):
    comp = custom_nlp.get_pipe("newpower_signals")
    with pytest.raises(ValueError, match="pattern"):
        comp.add_patterns([{"label": "platform", "pattern": bad}])


def test_cue_table_repeats_every_span_with_its_flags(nlp):
    doc = nlp("We do not publish our accounts. Members elect the council. "
              "We hope to publish every salary.")
    group = doc.spans[DEFAULT_SPANS_KEY]
    table = group.attrs[CUE_TABLE]
    assert len(table) == len(group) >= 3
    assert [tuple(row) for row in table] == [
        (s.start, s.end, s.label_, s._.negated, s._.hedged) for s in group]
    assert any(row[3] for row in table) and any(row[4] for row in table)
