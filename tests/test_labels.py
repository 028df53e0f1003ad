import pytest

from newpower_nlp import labels as L


def test_label_set_shape():
    assert len(L.SIGNALS) == 10
    assert len(L.FRAMEWORKS) == 7
    assert len(L.LABELS) == 17 and len(set(L.LABELS)) == 17
    assert L.COMPASS_VALUES == ("castle", "cheerleader", "co_opter", "crowd")
    assert len(L.GENRES) == 10


def test_signals_have_dimension_and_pole():
    for name in L.SIGNALS:
        info = L.LABEL_INFO[name]
        assert info.kind == "signal"
        assert info.dimension in L.DIMENSIONS
        assert name == f"{info.pole}_{info.dimension}"
        assert info.description
    for name in L.FRAMEWORKS:
        info = L.LABEL_INFO[name]
        assert info.kind == "framework" and info.pole is None and info.description


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (set(), "none"),
        ({"platform", "crowdsourcing"}, "none"),
        ({"new_governance"}, "new"),
        ({"old_transparency", "old_power_flow"}, "old"),
        ({"old_governance", "new_engagement"}, "blend"),
    ],
)
def test_orientation_from_label_sets(labels, expected):
    assert L.orientation(labels) == expected


def test_orientation_from_probabilities_uses_threshold():
    probs = {"new_governance": 0.7, "old_governance": 0.4}
    assert L.orientation(probs) == "new"
    assert L.orientation(probs, threshold=0.3) == "blend"


def test_new_power_score_values():
    assert L.new_power_score(set()) == 0.0
    assert L.new_power_score({"new_governance"}) == 1.0
    assert L.new_power_score({"old_governance", "old_leadership"}) == -1.0
    assert L.new_power_score({"new_governance", "new_engagement", "old_leadership"}) == \
        pytest.approx(1 / 3)
    # weak probabilities stay near zero
    assert L.new_power_score({"new_governance": 0.1, "old_governance": 0.05}) == \
        pytest.approx(0.05)
    # framework types carry no pole
    assert L.new_power_score({"platform": 1.0}) == 0.0


def test_new_power_score_bounds():
    all_new = {name: 1.0 for name in L.SIGNALS if name.startswith("new_")}
    all_old = {name: 1.0 for name in L.SIGNALS if name.startswith("old_")}
    assert L.new_power_score(all_new) == 1.0
    assert L.new_power_score(all_old) == -1.0


def test_unknown_label_is_rejected():
    with pytest.raises(KeyError, match="new_gov"):
        L.new_power_score({"new_gov"})


def test_compass_from_axes():
    assert L.compass_from_axes(-0.5, -0.5) == "castle"
    assert L.compass_from_axes(-0.5, 0.5) == "cheerleader"
    assert L.compass_from_axes(0.5, -0.5) == "co_opter"
    assert L.compass_from_axes(0.5, 0.5) == "crowd"


def test_describe():
    assert "participatory" in L.describe("new_governance")
    assert L.describe("castle") == "old model, old values"
    with pytest.raises(KeyError):
        L.describe("tower")


def test_no_other_module_spells_label_names():
    """The label set lives in labels.py only."""
    from pathlib import Path

    pkg = Path(L.__file__).parent
    offenders = []
    for path in pkg.rglob("*.py"):
        if path.name == "labels.py":
            continue
        source = path.read_text(encoding="utf-8")
        for name in ("old_governance", "radical_transparency", "movement_building",
                     "new_power_flow", "cheerleader", "co_opter"):
            if f'"{name}"' in source or f"'{name}'" in source:
                offenders.append(f"{path.name}: {name}")
    assert offenders == []
