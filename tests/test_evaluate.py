"""The evaluation helpers: bootstrap intervals, paired comparisons, calibration."""

from __future__ import annotations

import numpy as np
import pytest

from newpower_nlp.evaluate import (
    bootstrap_macro_f1,
    expected_calibration_error,
    paired_bootstrap_macro_f1,
)


@pytest.fixture()
def gold():
    rng = np.random.default_rng(1)
    return (rng.random((120, 4)) < 0.3).astype(int)


def test_paired_bootstrap_of_a_system_against_itself_is_zero(gold):
    out = paired_bootstrap_macro_f1(gold, gold, gold, n_boot=200)
    assert out == {"diff": 0.0, "ci95": [0.0, 0.0], "share_ahead": 0.0}


def test_paired_bootstrap_sees_a_clearly_better_system(gold):
    noisy = gold.copy()
    noisy[::3] = 1 - noisy[::3]  # a third of the documents wrong on every label
    out = paired_bootstrap_macro_f1(gold, gold, noisy, n_boot=200, seed=3)
    assert out["diff"] > 0.2
    lo, hi = out["ci95"]
    assert 0 < lo <= out["diff"] <= hi <= 1
    assert out["share_ahead"] == 1.0
    # and the other way round
    back = paired_bootstrap_macro_f1(gold, noisy, gold, n_boot=200, seed=3)
    assert back["diff"] == pytest.approx(-out["diff"])
    assert back["share_ahead"] == 0.0


def test_paired_bootstrap_is_seeded(gold):
    noisy = gold.copy()
    noisy[::5, 0] = 1 - noisy[::5, 0]
    a = paired_bootstrap_macro_f1(gold, gold, noisy, n_boot=100, seed=7)
    assert a == paired_bootstrap_macro_f1(gold, gold, noisy, n_boot=100, seed=7)


def test_bootstrap_interval_contains_the_score_of_a_perfect_system(gold):
    assert bootstrap_macro_f1(gold, gold, n_boot=100) == (1.0, 1.0)


def test_calibration_error_of_confident_right_answers_is_zero(gold):
    assert expected_calibration_error(gold, gold.astype(float))["ece"] == pytest.approx(0.0)
