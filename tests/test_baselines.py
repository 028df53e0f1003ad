"""The baselines choose their cut-offs and thresholds by the same rule as the model."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from tiny_data import DATA, HELD_OUT, to_xy

from newpower_nlp.baselines import CUTOFFS, LexiconBaseline, TfidfBaseline
from newpower_nlp.labels import LABELS
from newpower_nlp.model import best_threshold, one_se_threshold

TEXTS, Y, COMPASS = to_xy(DATA)
DEV_TEXTS, DEV_Y, _ = to_xy(HELD_OUT)


def _f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp = np.sum(pred & (y == 1))
    return 2 * tp / (pred.sum() + y.sum()) if pred.sum() + y.sum() else 0.0


def test_lexicon_max_f1_cutoffs_are_the_lowest_best_cutoff_per_label():
    lex = LexiconBaseline(threshold_rule="max_f1").fit(TEXTS, Y)
    counts = lex.decision_function(TEXTS)
    for j in range(len(LABELS)):
        f1s = [_f1(Y[:, j], counts[:, j] >= c) for c in CUTOFFS]
        assert lex.cutoffs_[j] == CUTOFFS[int(np.argmax(f1s))]


def test_lexicon_one_se_cutoffs_follow_the_rule_and_are_never_higher():
    strict = LexiconBaseline(threshold_rule="max_f1").fit(TEXTS, Y).cutoffs_
    lex = LexiconBaseline(random_state=1).fit(TEXTS, Y)
    counts = lex.decision_function(TEXTS)
    want = [one_se_threshold(Y[:, j], counts[:, j], default=CUTOFFS[0], grid=CUTOFFS,
                             seed=1) for j in range(len(LABELS))]
    np.testing.assert_array_equal(lex.cutoffs_, want)
    assert np.all(lex.cutoffs_ <= strict)


@pytest.mark.parametrize("rule, choose", [
    ("max_f1", lambda y, p: best_threshold(y, p)),
    ("one_se", lambda y, p: one_se_threshold(y, p, seed=0)),
])
def test_tfidf_thresholds_follow_the_rule(rule, choose):
    tfidf = TfidfBaseline(threshold_rule=rule).fit(TEXTS, Y, COMPASS)
    proba = tfidf.predict_proba(DEV_TEXTS)
    tfidf.tune_thresholds(DEV_TEXTS, DEV_Y)
    want = [choose(DEV_Y[:, j], proba[:, j]) for j in range(len(LABELS))]
    np.testing.assert_array_equal(tfidf.thresholds_, want)


def test_baselines_clone_with_their_rule():
    assert clone(LexiconBaseline(threshold_rule="max_f1")).threshold_rule == "max_f1"
    assert clone(TfidfBaseline(threshold_rule="max_f1")).get_params()["threshold_rule"] \
        == "max_f1"
    with pytest.raises(ValueError, match="threshold_rule"):
        LexiconBaseline(threshold_rule="median").fit(TEXTS, Y)
