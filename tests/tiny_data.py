"""Hand-written training texts (invented names) and a tiny model, for the model, API and
CLI tests. Not a test module: imported by test_model.py, test_api.py and test_cli.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from newpower_nlp.labels import LABELS

#: (text, labels, compass) triples; every text is short, original and made up.
DATA: list[tuple[str, list[str], str | None]] = [
    ("Members elect the council every spring and anyone may stand for a seat.",
     ["new_governance"], "crowd"),
    ("The Brindlecombe cooperative lets members vote on every budget line.",
     ["new_governance", "new_transparency"], "crowd"),
    ("At the Fennick Garden Club the members decide the planting plan together.",
     ["new_governance", "community_driven"], "crowd"),
    ("Any neighbour can propose a rule and the street assembly votes on it.",
     ["new_governance"], "crowd"),
    ("The board of directors decides everything and staff report to the chief.",
     ["old_governance"], "castle"),
    ("Orders come from the top and the Harrowgate crews obey them without question.",
     ["old_governance"], "castle"),
    ("Membership is by invitation only and the executive committee has the final say.",
     ["old_governance"], "castle"),
    ("A strict chain of command runs from the marshal down to every clerk.",
     ["old_governance"], "castle"),
    ("We publish every salary and every invoice on our public website.",
     ["new_transparency", "radical_transparency"], "crowd"),
    ("Our accounts, minutes and code are open for anyone in Tollmere to read.",
     ["new_transparency"], "crowd"),
    ("The Quillon Fund publishes its meeting minutes the day after each meeting.",
     ["new_transparency"], "cheerleader"),
    ("Our methods are proprietary and never disclosed to outsiders.",
     ["old_transparency"], "castle"),
    ("Deliberations stay confidential and details go out on a need-to-know basis.",
     ["old_transparency"], "castle"),
    ("The Ostrow firm keeps its pricing secret from customers and rivals.",
     ["old_transparency"], None),
    ("Volunteers lead every project and peers train each other in the workshop.",
     ["new_leadership"], "crowd"),
    ("Our founder Madlen Harcourt sets the vision and the experts deliver it.",
     ["old_leadership"], "castle"),
    ("Credentialed professionals design the service for passive clients.",
     ["old_leadership"], "castle"),
    ("Users write the manuals themselves and maintain the Pemberly wiki together.",
     ["new_leadership", "crowdsourcing"], "crowd"),
    ("We invite everyone to co-create the Lantern Festival programme with us.",
     ["new_engagement"], "cheerleader"),
    ("Thousands of readers contribute photos and share stories on the river map.",
     ["new_engagement", "crowdsourcing"], "crowd"),
    ("The campaign broadcasts its message from the capital to persuade voters.",
     ["old_engagement"], "castle"),
    ("We give power away by handing the budget to neighbourhood groups.",
     ["new_power_flow"], "crowd"),
    ("The Gorrin company guards its market position and buys every rival it can.",
     ["old_power_flow"], "co_opter"),
    ("Riders and drivers meet on the Trundle app to share journeys.",
     ["platform"], "co_opter"),
    ("Lenders and borrowers trade directly with no bank in the middle.",
     ["peer_to_peer"], "crowd"),
    ("A rotating chair and a council of five share the leadership.",
     ["shared_leadership"], "crowd"),
    ("The grassroots movement spread through social media without any central office.",
     ["movement_building"], "crowd"),
    ("Whisk two eggs with the milk and bake the tart for twenty minutes.", [], None),
    ("Rain is expected along the Corran coast by Thursday evening.", [], None),
    ("The Ebbing bridge reopened after three weeks of repairs to the deck.", [], None),
    ("Tomatoes grow best in warm soil with plenty of sunshine.", [], None),
    ("The museum shows old maps of the Velmont harbour in its east wing.", [], None),
]

#: Held-out texts for threshold tuning (same label scheme).
HELD_OUT: list[tuple[str, list[str], str | None]] = [
    ("The residents vote on the Marrow Lane budget each autumn.", ["new_governance"], "crowd"),
    ("Every decision at Castlereigh is taken by the chairman alone.", ["old_governance"],
     "castle"),
    ("The Wendle trust posts its full accounts online every month.", ["new_transparency"],
     "crowd"),
    ("The recipe calls for butter, flour and a pinch of salt.", [], None),
    ("Peers at the Dunmore makerspace teach each other to weld.", ["new_leadership"], "crowd"),
    ("Its board keeps the minutes confidential.", ["old_transparency"], "castle"),
]


def to_xy(rows: list[tuple[str, list[str], str | None]]):
    """Texts, an (n, 17) 0/1 matrix and compass values."""
    texts = [t for t, _, _ in rows]
    y = np.array([[int(n in labs) for n in LABELS] for _, labs, _ in rows], dtype=int)
    compass = [c for _, _, c in rows]
    return texts, y, compass


def to_spans(rows: list[tuple[str, list[str], str | None]]):
    """Evidence spans: every text is one sentence, so each label's span is the text."""
    return [[(0, len(t), label) for label in labs] for t, labs, _ in rows]


def fit_tiny(seed: int = 0, **params):
    """Train a small :class:`NewPowerClassifier` on :data:`DATA` (a second or two)."""
    from newpower_nlp.features import PowerFeaturizer
    from newpower_nlp.model import NewPowerClassifier

    texts, y, compass = to_xy(DATA)
    params = {"cv": 2, **params}
    clf = NewPowerClassifier(featurizer=PowerFeaturizer(min_df=2),
                             sentence_featurizer=PowerFeaturizer(min_df=2, use_chars=False),
                             random_state=seed, **params)
    return clf.fit(texts, y, compass, spans=to_spans(DATA))


def save_tiny(path: Path, seed: int = 0) -> Path:
    """Train the tiny model and write it as a model directory at ``path``."""
    from newpower_nlp.persist import save_classifier

    return save_classifier(fit_tiny(seed), path, {"version": "tiny-test"})
