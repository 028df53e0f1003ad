"""The label set, version 1: the one place where label names are spelled out.

Everything else in the package (corpus validation, features, the classifier, the CLI)
reads the names, descriptions, dimensions and poles from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "COMPASS",
    "COMPASS_VALUES",
    "DIMENSIONS",
    "FRAMEWORKS",
    "GENRES",
    "IMPLIED_LABELS",
    "LABELS",
    "LABEL_INFO",
    "LABEL_SCHEMA_VERSION",
    "NO_COMPASS",
    "ORIENTATIONS",
    "SIGNALS",
    "CompassInfo",
    "LabelInfo",
    "compass_from_axes",
    "describe",
    "new_power_score",
    "orientation",
]

LABEL_SCHEMA_VERSION = 1

Pole = Literal["old", "new"]
Orientation = Literal["new", "old", "blend", "none"]


@dataclass(frozen=True)
class LabelInfo:
    """One of the 17 binary labels."""

    name: str
    kind: Literal["signal", "framework"]
    description: str
    dimension: str | None = None
    pole: Pole | None = None


@dataclass(frozen=True)
class CompassInfo:
    """One of the four New Power Compass quadrants."""

    name: str
    model: Pole
    values: Pole
    description: str


#: The five power-value dimensions with their (old pole, new pole) descriptions.
DIMENSIONS: dict[str, tuple[str, str]] = {
    "governance": (
        "closed, hierarchical, controlled: chain of command, a board or executives decide, "
        "formal institutions, restricted membership, rules enforced from above",
        "open, participatory, decentralized: members or users decide, opt-in decision "
        "making, anyone may join or propose, self-organizing chapters or nodes",
    ),
    "leadership": (
        "leader-driven, expert-led: a founder's or chief's vision, credentialed "
        "professionals deliver to a passive public",
        "community-driven, peer-led: peers and volunteers lead, do-it-ourselves and maker "
        "culture, users create the product or the content",
    ),
    "engagement": (
        "authority and influence: commanding, directing, broadcasting, persuading from "
        "above, prestige, exclusivity, competition and dominance",
        "engagement and collaboration: co-creating, contributing, sharing, crowd wisdom, "
        "inviting people in to act",
    ),
    "transparency": (
        "values confidentiality: discretion, proprietary knowledge, closed deliberation, "
        "need-to-know, secrecy",
        "values transparency: open books, published decisions, data, salaries or code, "
        "public meetings",
    ),
    "power_flow": (
        "accumulates and guards power: consolidating control, resources or market "
        "position, gatekeeping, long-term loyalty demanded",
        "distributes and amplifies power: giving power away, co-ownership, lowering "
        "barriers to entry, amplifying members' voices",
    ),
}

_FRAMEWORK_DESCRIPTIONS: dict[str, str] = {
    "crowdsourcing": "crowdsourcing and open innovation: the crowd generates ideas, solves "
    "problems, contributes code, data or money (open source, challenges, crowdfunding)",
    "peer_to_peer": "peer-to-peer networks: individuals exchange goods, services, money or "
    "information directly, without an intermediary (blockchain, P2P lending, mutual aid)",
    "platform": "platform power: a platform connects users who create, share, trade or "
    "deliver to each other (marketplaces, content platforms, gig platforms)",
    "shared_leadership": "shared leadership models: leadership is distributed among several "
    "people or groups; collective decisions and responsibility (councils, rotating chairs)",
    "movement_building": "movement-building: a grassroots movement around a shared cause, "
    "mobilized through social media and digital tools, spreading without central control",
    "community_driven": "community-driven models: a community of users or supporters shapes "
    "the direction of a project, product or service",
    "radical_transparency": "radical transparency: openness in communication and decision "
    "making as a deliberate organizing strategy to build trust and empower collective action",
}

SIGNALS: tuple[str, ...] = tuple(
    f"{pole}_{dim}" for dim in DIMENSIONS for pole in ("old", "new")
)
FRAMEWORKS: tuple[str, ...] = tuple(_FRAMEWORK_DESCRIPTIONS)
#: All 17 labels in their canonical order (signals, then framework types).
LABELS: tuple[str, ...] = SIGNALS + FRAMEWORKS
#: Labels that imply another in the annotation manual (the corpus validator checks it in
#: strict mode): a stated openness strategy always also publishes something (GUIDELINES,
#: agreement lesson 3).
IMPLIED_LABELS: dict[str, str] = {"radical_transparency": "new_transparency"}


def _signal_info(name: str) -> LabelInfo:
    pole, dim = name.split("_", 1)
    old_desc, new_desc = DIMENSIONS[dim]
    return LabelInfo(
        name=name,
        kind="signal",
        description=old_desc if pole == "old" else new_desc,
        dimension=dim,
        pole=pole,  # type: ignore[arg-type]
    )


LABEL_INFO: dict[str, LabelInfo] = {
    **{name: _signal_info(name) for name in SIGNALS},
    **{
        name: LabelInfo(name=name, kind="framework", description=desc)
        for name, desc in _FRAMEWORK_DESCRIPTIONS.items()
    },
}

COMPASS: dict[str, CompassInfo] = {
    "castle": CompassInfo("castle", "old", "old", "old model, old values"),
    "cheerleader": CompassInfo(
        "cheerleader", "old", "new", "old model that champions new-power values"
    ),
    "co_opter": CompassInfo(
        "co_opter", "new", "old", "participation harnessed for centralized ends"
    ),
    "crowd": CompassInfo("crowd", "new", "new", "new model, new values"),
}
#: The compass values a record may carry (``None`` means no compass position).
COMPASS_VALUES: tuple[str, ...] = tuple(COMPASS)
#: The name the classifier uses for the fifth compass class ("no position").
NO_COMPASS = "none"

GENRES: tuple[str, ...] = (
    "mission_statement",
    "about_page",
    "news",
    "opinion",
    "press_release",
    "governance_doc",
    "report",
    "social_post",
    "job_posting",
    "other",
)
ORIENTATIONS: tuple[str, ...] = ("new", "old", "blend", "none")


def describe(name: str) -> str:
    """Return the human description of a label or compass value."""
    if name in LABEL_INFO:
        return LABEL_INFO[name].description
    if name in COMPASS:
        return COMPASS[name].description
    raise KeyError(f"unknown label or compass value {name!r}")


def _pole_mass(labels: Iterable[str] | Mapping[str, float]) -> tuple[float, float]:
    """Sum the presence (0/1 or probability) of old-pole and new-pole signals."""
    items = labels.items() if isinstance(labels, Mapping) else ((name, 1.0) for name in labels)
    old = new = 0.0
    for name, value in items:
        info = LABEL_INFO.get(name)
        if info is None:
            raise KeyError(f"unknown label {name!r}")
        if info.pole == "old":
            old += float(value)
        elif info.pole == "new":
            new += float(value)
    return old, new


def orientation(
    labels: Iterable[str] | Mapping[str, float], threshold: float = 0.5
) -> Orientation:
    """Derive the orientation (new / old / blend / none) from the signals present.

    ``labels`` is either a set of label names or a mapping of label name to probability;
    with probabilities a pole counts as present at ``threshold`` or above. Framework
    types do not count: orientation is about the power values a text signals.
    """
    if isinstance(labels, Mapping):
        present = {name for name, p in labels.items() if p >= threshold}
    else:
        present = set(labels)
    old, new = _pole_mass(present)
    if old and new:
        return "blend"
    if new:
        return "new"
    if old:
        return "old"
    return "none"


def new_power_score(labels: Iterable[str] | Mapping[str, float]) -> float:
    """A score in [-1, 1]: positive leans new power, negative old power, 0 neither.

    ``(N - O) / max(1, N + O)`` where N and O sum the new-pole and old-pole signals
    (0/1 for a label set, probabilities for a mapping). With a label set, one new
    signal alone gives 1.0 and two new with one old give 1/3; weak probabilities
    stay near 0 rather than being blown up by the normalisation.
    """
    old, new = _pole_mass(labels)
    return (new - old) / max(1.0, new + old)


def compass_from_axes(model: float, values: float) -> str:
    """Map two axis scores in [-1, 1] (positive = new) to a compass quadrant."""
    model_pole = "new" if model > 0 else "old"
    values_pole = "new" if values > 0 else "old"
    for info in COMPASS.values():
        if (info.model, info.values) == (model_pole, values_pole):
            return info.name
    raise AssertionError("unreachable")  # pragma: no cover
