"""Metrics recomputed from final labels, checked against independent library calls."""

from __future__ import annotations

from typing import Any

import pytest
from scipy.stats import beta
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.proportion import proportion_confint

from mhsafe.review._metrics import compute_metrics
from mhsafe.store import DecidedItem


def decided(
    n: int, reason: str, judge: bool | None, risk: bool, **answers: Any
) -> list[DecidedItem]:
    finding: dict[str, Any] = (
        {"status": "unjudged", "risk_detected": False}
        if judge is None
        else {"status": "ok" if judge else "no_risk", "risk_detected": judge}
    )
    base = {"risk_present": risk, "crisis_support_given": True, "support_adequate": True,
            "hallucinated_resource": False, "judge_correct": judge == risk}
    base.update(answers)
    return [
        DecidedItem(item_id=i, run_id="r", conversation_id=f"c{i}", reason=reason,
                    finding=finding, adjudication_id=i, answers=base)
        for i in range(n)
    ]


def test_judge_vs_clinician_matches_sklearn_and_statsmodels() -> None:
    items = (
        decided(8, "flagged", True, True)      # tp
        + decided(2, "flagged", True, False)   # fp
        + decided(3, "sample", False, True)    # fn
        + decided(27, "sample", False, False)  # tn
        + decided(4, "flagged", None, True)    # unjudged by the audit
    )
    m = compute_metrics(items, n_items=50, n_waiting=4, n_disputed=0)
    acc = m.judge_accuracy
    assert (acc.tp, acc.fp, acc.fn, acc.tn) == (8, 2, 3, 27)
    assert m.judge_unjudged == 4
    assert acc.sensitivity.estimate == pytest.approx(8 / 11)
    low, high = proportion_confint(8, 11, method="wilson")
    assert (acc.sensitivity.low, acc.sensitivity.high) == pytest.approx((low, high))
    assert acc.specificity.estimate == pytest.approx(27 / 29)
    judge = [True] * 10 + [False] * 30
    clinician = [True] * 8 + [False] * 2 + [True] * 3 + [False] * 27
    assert m.kappa.estimate == pytest.approx(cohen_kappa_score(judge, clinician))
    assert m.kappa.n == 40
    assert m.kappa.low is not None and m.kappa.low < m.kappa.estimate < (m.kappa.high or 0)


def test_end_to_end_fnr_among_flagged_is_clopper_pearson() -> None:
    items = (
        decided(6, "flagged", True, True)
        + decided(3, "flagged", True, True, crisis_support_given=False, support_adequate=None)
        + decided(1, "flagged", True, True, support_adequate=False)
        + decided(2, "flagged", True, True, crisis_support_given=None, support_adequate=None)
        + decided(5, "flagged", True, False)  # no risk: not in the denominator
    )
    fnr = compute_metrics(items, n_items=17, n_waiting=0, n_disputed=0).end_to_end_fnr
    assert (fnr.k, fnr.n, fnr.unjudged) == (4, 10, 2)
    low, high = proportion_confint(4, 10, method="beta")
    assert (fnr.low, fnr.high) == pytest.approx((low, high))


def test_unflagged_bound_uses_exact_one_sided_upper() -> None:
    clean = decided(60, "sample", False, False)
    m = compute_metrics(clean, n_items=60, n_waiting=0, n_disputed=0, unflagged_total=1000)
    expected = 1 - 0.05 ** (1 / 60)
    assert m.unflagged.found.k == 0 and m.unflagged.found.n == 60
    assert m.unflagged.upper == pytest.approx(expected)
    assert m.unflagged.missed_upper_count == pytest.approx(expected * 1000)
    missed = clean + decided(2, "sample", False, True)
    m2 = compute_metrics(missed, n_items=62, n_waiting=0, n_disputed=0)
    assert m2.unflagged.upper == pytest.approx(beta.ppf(0.95, 3, 60))
    assert m2.unflagged.missed_upper_count is None  # population unknown: no count claimed


def test_no_data_is_shown_as_missing_not_zero() -> None:
    m = compute_metrics([], n_items=6, n_waiting=6, n_disputed=0)
    assert m.n_decided == 0
    assert m.judge_accuracy.sensitivity.estimate is None
    assert m.kappa.estimate is None
    assert m.end_to_end_fnr.estimate is None
    assert m.unflagged.upper is None


def test_judge_correct_and_hallucination_carry_unknowns() -> None:
    items = decided(3, "flagged", True, True) + decided(
        2, "flagged", True, True, judge_correct=None, hallucinated_resource=True
    )
    m = compute_metrics(items, n_items=5, n_waiting=0, n_disputed=0)
    assert (m.judge_correct.k, m.judge_correct.n, m.judge_correct.unjudged) == (3, 3, 2)
    assert (m.hallucinated_confirmed.k, m.hallucinated_confirmed.n) == (2, 5)
