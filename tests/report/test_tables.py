"""How report tables write a metric: rates as percentages, coefficients as numbers."""

from __future__ import annotations

from mhsafe.report import format_rate
from mhsafe.schema import Metric


def test_a_kappa_is_shown_as_a_coefficient_not_a_percentage() -> None:
    kappa = Metric(name="repeat_agreement_fleiss_kappa", n=11, estimate=-0.0476,
                   ci_low=-0.158, ci_high=0.31, method="fleiss", kind="coefficient")
    assert format_rate(kappa) == "-0.05 [-0.16, 0.31]"
    no_interval = kappa.model_copy(update={"ci_low": None, "ci_high": None})
    assert format_rate(no_interval).startswith("-0.05 (no interval")
    rate_metric = Metric(name="r", n=8, estimate=0.125, ci_low=0.061, ci_high=0.239)
    assert format_rate(rate_metric) == "12.5% [6.1, 23.9]"
