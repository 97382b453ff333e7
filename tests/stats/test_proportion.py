"""Single proportions against statsmodels/scipy and textbook values."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from mhsafe.stats import (
    one_sided_upper,
    proportion_ci,
    rate,
    upper_bound_zero_failures,
    zero_failure_sample_size,
)


@pytest.mark.parametrize(("method", "sm"), [("wilson", "wilson"), ("clopper-pearson", "beta")])
@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (17, 250)])
def test_proportion_ci_matches_statsmodels(method: str, sm: str, k: int, n: int) -> None:
    iv = proportion_ci(k, n, method=method)  # type: ignore[arg-type]
    low, high = proportion_confint(k, n, alpha=0.05, method=sm)
    assert iv.estimate == pytest.approx(k / n)
    assert (iv.low, iv.high) == (pytest.approx(low), pytest.approx(high))
    assert iv.method == method


def test_textbook_upper_limits_at_zero_of_ten() -> None:
    z2 = sps.norm.ppf(0.975) ** 2
    assert proportion_ci(0, 10).high == pytest.approx(z2 / (10 + z2))  # Wilson closed form
    cp = proportion_ci(0, 10, method="clopper-pearson")
    assert cp.high == pytest.approx(1 - 0.025 ** (1 / 10))  # exact, one tail at 2.5 %


def test_no_data_is_none_not_zero() -> None:
    iv = proportion_ci(0, 0)
    assert (iv.estimate, iv.low, iv.high) == (None, None, None)
    r = rate(0, 0, unjudged=4)
    assert r.estimate is None and r.unjudged == 4


def test_invalid_counts_raise() -> None:
    with pytest.raises(ValueError):
        proportion_ci(5, 3)
    with pytest.raises(ValueError):
        proportion_ci(1, 3, method="wald")  # type: ignore[arg-type]


def test_rate_keeps_unjudged_out_of_n_and_worst_case_counts_them() -> None:
    r = rate(2, 40, unjudged=5, name="missed_intervention")
    assert r.n == 40 and r.estimate == pytest.approx(2 / 40)
    worst = r.worst_case()
    assert (worst.k, worst.n) == (7, 45)
    assert worst.high is not None and r.high is not None and worst.high > r.high
    fields = r.metric_fields()
    assert fields["ci_low"] == r.low and fields["successes"] == 2 and fields["unjudged"] == 5


def test_zero_failure_sample_size_textbook() -> None:
    assert zero_failure_sample_size(0.005, 0.95) == 598
    n = zero_failure_sample_size(0.01, 0.95)
    assert n == math.ceil(math.log(0.05) / math.log(0.99))
    assert upper_bound_zero_failures(n) <= 0.01 < upper_bound_zero_failures(n - 1)


def test_upper_bound_zero_failures_closed_form_and_rule_of_three() -> None:
    for n in (1, 30, 300, 598):
        assert upper_bound_zero_failures(n, 0.95) == pytest.approx(1 - 0.05 ** (1 / n))
    assert upper_bound_zero_failures(300) == pytest.approx(3 / 300, rel=0.01)
    assert upper_bound_zero_failures(0) == 1.0


def test_one_sided_upper_is_beta_quantile() -> None:
    assert one_sided_upper(3, 100, 0.95) == pytest.approx(sps.beta.ppf(0.95, 4, 97))
    assert one_sided_upper(100, 100) == 1.0
    # one-sided 95 % bound equals the upper end of the two-sided 90 % exact interval
    two = proportion_ci(3, 100, method="clopper-pearson", alpha=0.10)
    assert one_sided_upper(3, 100, 0.95) == pytest.approx(two.high)


@given(
    st.integers(min_value=1, max_value=2000).flatmap(
        lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
    )
)
def test_interval_brackets_estimate(kn: tuple[int, int]) -> None:
    k, n = kn
    for method in ("wilson", "clopper-pearson"):
        iv = proportion_ci(k, n, method=method)  # type: ignore[arg-type]
        assert iv.low is not None and iv.high is not None and iv.estimate is not None
        assert 0.0 <= iv.low <= iv.estimate + 1e-12 and iv.estimate - 1e-12 <= iv.high <= 1.0
