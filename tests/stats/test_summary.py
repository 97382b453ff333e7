"""Means, medians, Kaplan-Meier."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from mhsafe.stats import kaplan_meier, mean_ci, median


def test_mean_ci_is_t_interval() -> None:
    values = [2.0, 4.0, 4.0, 5.0, 7.0, 9.0]
    res = mean_ci(values)
    low, high = sps.t.interval(0.95, 5, loc=np.mean(values), scale=sps.sem(values))
    assert res.estimate == pytest.approx(np.mean(values))
    assert (res.low, res.high) == (pytest.approx(low), pytest.approx(high))
    assert res.n == 6


def test_mean_ci_edges() -> None:
    assert mean_ci([]).estimate is None
    one = mean_ci([3.0])
    assert one.estimate == 3.0 and one.low is None
    flat = mean_ci([2.0, 2.0, float("nan")])
    assert flat.n == 2 and flat.low == flat.high == 2.0


def test_median() -> None:
    assert median([3.0, 1.0, 2.0, float("nan")]) == 2.0
    assert median([]) is None


def test_kaplan_meier_hand_computed_curve() -> None:
    durations = [1, 2, 3, 4, 5, 6]
    events = [True, False, True, True, False, True]
    km = kaplan_meier(durations, events)
    # product-limit by hand: 5/6, then x 3/4 at t=3, x 2/3 at t=4, x 0 at t=6
    expected = [5 / 6, 5 / 6 * 3 / 4, 5 / 6 * 3 / 4 * 2 / 3, 0.0]
    assert km.times == [1.0, 3.0, 4.0, 6.0]
    assert km.survival == pytest.approx(expected)
    assert km.n_at_risk == [6, 4, 3, 1]
    assert km.median == 4.0
    for s, lo, hi in zip(km.survival[:-1], km.low[:-1], km.high[:-1], strict=True):
        assert lo is not None and hi is not None and lo <= s <= hi
    assert km.low[-1] is None  # log interval undefined at S = 0


def test_kaplan_meier_empty_and_mismatch() -> None:
    assert kaplan_meier([], []).n == 0
    with pytest.raises(ValueError):
        kaplan_meier([1.0], [True, False])
