"""Screen accuracy and the Rogan-Gladen correction."""

from __future__ import annotations

import pytest

from mhsafe.stats import proportion_ci, rogan_gladen, sensitivity_specificity


def test_sensitivity_specificity_are_proportions_of_the_margins() -> None:
    acc = sensitivity_specificity(tp=45, fn=5, tn=90, fp=10)
    assert acc.sensitivity == proportion_ci(45, 50)
    assert acc.specificity == proportion_ci(90, 100)
    assert acc.ppv == proportion_ci(45, 55)
    assert acc.npv == proportion_ci(90, 95)


def test_sensitivity_with_no_positives_is_unknown() -> None:
    assert sensitivity_specificity(0, 0, 10, 0).sensitivity.estimate is None


def test_rogan_gladen_point_estimate_formula() -> None:
    res = rogan_gladen(30, 200, 0.9, 0.95)
    assert res.estimate == pytest.approx((30 / 200 + 0.95 - 1) / (0.9 + 0.95 - 1))
    assert res.low is not None and res.high is not None
    assert res.low <= res.estimate <= res.high
    assert res.n_valid == res.n_boot


def test_rogan_gladen_is_seeded_and_validation_uncertainty_widens() -> None:
    a = rogan_gladen(30, 200, 0.9, 0.95, se_n=40, sp_n=60, seed=3)
    b = rogan_gladen(30, 200, 0.9, 0.95, se_n=40, sp_n=60, seed=3)
    assert a == b
    fixed = rogan_gladen(30, 200, 0.9, 0.95, seed=3)
    assert a.low is not None and a.high is not None
    assert fixed.low is not None and fixed.high is not None
    assert a.high - a.low > fixed.high - fixed.low


def test_rogan_gladen_undefined_for_chance_screen_and_clips() -> None:
    assert rogan_gladen(10, 100, 0.5, 0.5).estimate is None
    assert rogan_gladen(0, 100, 0.9, 0.9).estimate == 0.0  # clipped, not negative
    assert rogan_gladen(0, 0, 0.9, 0.9).estimate is None
