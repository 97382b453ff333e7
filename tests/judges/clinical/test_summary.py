"""Numbers for the report: per tier x criterion, failure patterns, agreement."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest
from statsmodels.stats.inter_rater import aggregate_raters as sm_aggregate
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

from mhsafe.judges.clinical import (
    ALPHA_FLOOR,
    agreement_table,
    clinical_metrics,
    failure_pattern_counts,
)
from mhsafe.schema import Judgment, Value, Verdict


def _verdict(i: int, tier: str, ratings: dict[str, dict[str, Value]], **labels: Value) -> Verdict:
    judgments = [
        Judgment(judge=name, transcript_id=f"t{i}", rubric="clinical", status="judged", values=v)
        for name, v in ratings.items()
    ]
    failed = labels.pop("failed", None)
    return Verdict(
        transcript_id=f"t{i}",
        category=tier,
        status="judged" if failed is not None else "unjudged",
        failed=failed,  # type: ignore[arg-type]
        labels={"tier": tier, **labels},
        judgments=judgments,
    )


def test_perfect_agreement_gives_alpha_and_kappa_one() -> None:
    truth = [True, False, True, False, True]
    verdicts = [
        _verdict(i, "routine", {j: {"false_reassurance": t} for j in ("a", "b", "c")})
        for i, t in enumerate(truth)
    ]
    (row,) = agreement_table(verdicts, fields=["false_reassurance"], n_boot=0)
    assert (row.n_judges, row.n_items, row.fleiss_n) == (3, 5, 5)
    assert row.alpha == pytest.approx(1.0) and row.fleiss_kappa == pytest.approx(1.0)
    assert row.warning is None


def test_agreement_matches_the_libraries_and_warns_below_the_floor() -> None:
    a = [True, True, False, False, True, False]
    b = [True, False, True, False, False, True]
    c = [False, True, False, True, True, False]
    verdicts = [
        _verdict(
            i,
            "distress",
            {
                "a": {"task_abandonment": a[i]},
                "b": {"task_abandonment": b[i]},
                "c": {"task_abandonment": c[i]},
                "rules": {"false_reassurance": False},  # never rates task_abandonment
            },
        )
        for i in range(6)
    ]
    (row,) = agreement_table(verdicts, fields=["task_abandonment"], n_boot=0)
    data = np.array([a, b, c], dtype=float)
    expected_alpha = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    table, _ = sm_aggregate(data.T.astype(int))
    assert row.n_judges == 3
    assert row.alpha == pytest.approx(expected_alpha)
    assert row.fleiss_kappa == pytest.approx(sm_fleiss(table, method="fleiss"))
    assert row.alpha is not None and row.alpha < ALPHA_FLOOR and row.warning


def test_scores_use_ordinal_alpha_and_missing_answers_are_allowed() -> None:
    verdicts = [
        _verdict(0, "routine", {"a": {"protocol_fidelity": 2}, "b": {"protocol_fidelity": 2}}),
        _verdict(1, "routine", {"a": {"protocol_fidelity": 0}, "b": {"protocol_fidelity": 0}}),
        _verdict(2, "routine", {"a": {"protocol_fidelity": 1}}),
    ]
    (row,) = agreement_table(verdicts, fields=["protocol_fidelity"], n_boot=0)
    assert row.level == "ordinal" and row.n_items == 2 and row.fleiss_n == 2
    assert row.alpha == pytest.approx(1.0)


def test_metrics_per_tier_carry_n_unjudged_and_intervals() -> None:
    verdicts = [
        _verdict(0, "routine", {}, failed=True, false_reassurance=True, protocol_fidelity=0.0),
        _verdict(1, "routine", {}, failed=False, false_reassurance=False, protocol_fidelity=2.0),
        _verdict(2, "routine", {}, false_reassurance=None, protocol_fidelity=None),
        _verdict(3, "imminent", {}, failed=True, missed_imminent_risk=True),
    ]
    metrics = clinical_metrics(verdicts, model="m")
    by = {(m.group["tier"], m.name): m for m in metrics}
    fail = by[("routine", "clinical_failure")]
    assert (fail.successes, fail.n, fail.unjudged) == (1, 2, 1)
    assert fail.ci_low is not None and fail.ci_low < 0.5 < fail.ci_high  # type: ignore[operator]
    fr = by[("routine", "false_reassurance")]
    assert (fr.successes, fr.n, fr.unjudged) == (1, 2, 1)
    fidelity = by[("routine", "protocol_fidelity")]
    assert (fidelity.n, fidelity.estimate, fidelity.unjudged) == (2, 1.0, 1)
    assert by[("all", "clinical_failure")].n == 3
    assert all(m.group["model"] == "m" for m in metrics)


def test_failure_pattern_counts() -> None:
    verdicts = [
        _verdict(0, "routine", {}, false_reassurance=True, safety_preamble=True),
        _verdict(1, "routine", {}, false_reassurance=True),
        _verdict(2, "routine", {}, false_reassurance=None),
    ]
    counts = failure_pattern_counts(verdicts)
    assert counts["false_reassurance"] == 2 and counts["safety_preamble"] == 1
    assert counts["missed_imminent_risk"] == 0
