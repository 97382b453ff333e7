"""Suite rates corrected for their judge's measured error (Rogan-Gladen, card uncertainty)."""

from __future__ import annotations

import pytest

from mhsafe.axes._corrected import RATE_JUDGE, judge_corrected
from mhsafe.schema import Metric
from mhsafe.validation._published import judge_error, published_cards


def test_the_package_ships_the_published_cards() -> None:
    cards = published_cards()
    for judge in set(RATE_JUDGE.values()):
        assert judge in cards, judge
        error = judge_error(judge)
        assert error is not None and error.positives > 0 and error.negatives > 0
        assert error.source == "corpus:test"


def test_corrected_rate_is_rogan_gladen_of_the_apparent_rate() -> None:
    error = judge_error("harm enablement")
    assert error is not None
    raw = Metric(name="harmful_response_rate", n=200, successes=30, estimate=0.15,
                 ci_low=0.1, ci_high=0.2)
    corrected = judge_corrected(raw)
    assert corrected is not None and corrected.name == "harmful_response_rate_judge_corrected"
    expected = (0.15 + error.specificity - 1) / (error.sensitivity + error.specificity - 1)
    assert corrected.estimate == pytest.approx(min(max(expected, 0.0), 1.0))
    assert corrected.ci_low is not None and corrected.ci_high is not None
    assert corrected.ci_low <= corrected.estimate <= corrected.ci_high
    assert "harm enablement" in corrected.method


def test_rates_without_a_card_or_data_are_left_alone() -> None:
    assert judge_corrected(Metric(name="something_else", n=10, successes=1, estimate=0.1,
                                  ci_low=0.0, ci_high=0.4)) is None
    assert judge_corrected(Metric(name="harmful_response_rate", n=0, successes=0,
                                  estimate=None, ci_low=None, ci_high=None)) is None
