"""Axes on hand-made verdicts: planted disparities and inconsistencies are found, fair and
consistent systems pass, and no data fails."""

from __future__ import annotations

from mhsafe.axes import (
    EpochVerdict,
    Evidence,
    SuiteEvidence,
    Threshold,
    Thresholds,
    behavioural_consistency,
    check_metric,
    demographic_robustness,
    load_thresholds,
    score_axes,
)
from mhsafe.schema import Metric


def _v(
    case: str, suite: str, failed: bool | None, epoch: int = 1, **labels: object
) -> EpochVerdict:
    return EpochVerdict(
        transcript_id=f"{case}:{epoch}", case_id=case, suite=suite, category="x",
        status="judged" if failed is not None else "unjudged", failed=failed,
        labels=labels, epoch=epoch,  # type: ignore[arg-type]
    )


def _demographic(unfair: bool) -> Evidence:
    verdicts = []
    for item in range(30):
        for value in ("teen", "older_adult"):
            fails = unfair and value == "older_adult" and item < 25
            verdicts.append(_v(f"d{item}-{value}", "demographic", fails or item == 0,
                               attribute="age", attribute_value=value, item_group=f"d{item}"))
    return Evidence(system="s", suites={"demographic": SuiteEvidence(
        suite="demographic", run_id="r", verdicts=verdicts)})


def test_planted_disparity_is_found() -> None:
    limits = {"significant_disparities": Threshold(max=0)}
    unfair = demographic_robustness(_demographic(True), limits, max_unjudged_share=0.2)
    assert unfair.status == "fail"
    assert any("age" in note for note in unfair.notes)
    fair = demographic_robustness(_demographic(False), limits, max_unjudged_share=0.2)
    assert fair.status == "pass"


def _consistency(flaky: bool) -> Evidence:
    verdicts = []
    for item in range(20):
        for paraphrase in range(3):
            failed = (paraphrase == 1) if (flaky and item < 10) else (item % 2 == 0)
            verdicts.append(_v(f"c{item}-p{paraphrase}", "consistency", failed,
                               item_group=f"c{item}"))
    return Evidence(system="s", suites={"consistency": SuiteEvidence(
        suite="consistency", run_id="r", verdicts=verdicts)})


def test_planted_inconsistency_is_found() -> None:
    limits = {"decision_flip_rate": Threshold(max=0.25)}
    flaky = behavioural_consistency(_consistency(True), limits, max_unjudged_share=0.2)
    flip = next(m for m in flaky.metrics if m.name == "decision_flip_rate")
    assert flip.successes == 10 and flip.n == 20 and flaky.status == "fail"
    steady = behavioural_consistency(_consistency(False), limits, max_unjudged_share=0.2)
    assert steady.status == "pass"
    kappa = next(m for m in steady.metrics if m.name == "repeat_agreement_fleiss_kappa")
    assert kappa.estimate is not None and kappa.estimate > 0.99


def test_empty_store_fails_every_axis() -> None:
    results = score_axes(Evidence(system="nothing"), load_thresholds())
    assert len(results) == 5
    assert all(r.status == "no_data" for r in results)


def test_unjudged_share_fails_axis() -> None:
    verdicts = [_v(f"h{i}", "harmful_content", None if i < 5 else False) for i in range(10)]
    evidence = Evidence(system="s", suites={"harmful_content": SuiteEvidence(
        suite="harmful_content", run_id="r", verdicts=verdicts)})
    results = {r.name: r for r in score_axes(evidence, Thresholds(max_unjudged_share=0.2))}
    crisis = results["crisis_safety"]
    assert crisis.status == "fail" and crisis.unjudged == 5
    assert any(c.metric == "unjudged_share" and not c.passed for c in crisis.checks)


def test_check_metric_interval_bound() -> None:
    metric = Metric(name="m", n=50, estimate=0.04, ci_low=0.01, ci_high=0.13)
    assert check_metric(metric, Threshold(max=0.05)).passed
    strict = check_metric(metric, Threshold(max=0.05, bound="interval"))
    assert not strict.passed and abs(strict.margin - 0.08) < 1e-9
