"""Continuous assurance: a jump in missed interventions between weekly audits is marked
significant after Holm; stable weeks are not; evaluation runs form series too."""

from __future__ import annotations

from pathlib import Path

from mhsafe.axes import AuditEvidence, load_thresholds
from mhsafe.report import audit_trends, build_report, write_report
from mhsafe.report._trend import eval_trends
from mhsafe.store import Store
from mhsafe.suites import load_suite
from tests.axes.scripted import ANSWER, HARM, SUPPORT, register
from tests.report.storefill import _add_run


def _audit(i: int, k: int, n: int) -> AuditEvidence:
    block = {"k": k, "n": n, "estimate": k / n, "low": 0.0, "high": 1.0, "method": "cp",
             "unjudged": 0}
    return AuditEvidence(run_id=f"a{i}", created_at=f"2026-01-0{i}T00:00:00",
                         summary={"missed_intervention_rate_among_flagged": block})


def test_jump_is_significant_and_stable_weeks_are_not() -> None:
    audits = [_audit(3, 40, 200), _audit(1, 4, 200), _audit(2, 5, 200)]  # out of order
    [series] = audit_trends("s", audits)
    assert [p.run_id for p in series.points] == ["a1", "a2", "a3"]
    assert series.points[0].pvalue is None
    assert not series.points[1].significant and series.points[2].significant
    assert series.points[2].pvalue_holm is not None and series.points[2].pvalue is not None
    assert series.points[2].pvalue_holm >= series.points[2].pvalue
    change = series.points[2].change
    assert change is not None and abs(change - (40 - 5) / 200) < 1e-9


def test_one_audit_is_no_series() -> None:
    assert audit_trends("s", [_audit(1, 4, 200)]) == []


def test_eval_runs_of_a_suite_form_a_series(tmp_path: Path) -> None:
    """Two evaluation runs of one suite (real safety decider on scripted replies): the second
    enables harm on every item, and the jump is significant after Holm; the report shows the
    series under "over time"."""
    store = Store(f"sqlite:///{tmp_path / 'trend.db'}")
    cases = load_suite("harmful_content")[:20]
    register(cases)
    first = _add_run(store, "sys/a", "harmful_content", cases, lambda _c, _i: [SUPPORT])
    second = _add_run(store, "sys/a", "harmful_content", cases, lambda _c, _i: [HARM])
    _add_run(store, "sys/a", "over_refusal", load_suite("over_refusal")[:3],
             lambda _c, _i: [ANSWER])  # one run only: no series
    [series] = eval_trends(store, "sys/a")
    assert series.metric == "harmful_content_failure_rate" and series.source == "harmful_content"
    assert [p.run_id for p in series.points] == [first, second]
    assert [(p.metric.successes, p.metric.n) for p in series.points] == [(0, 20), (20, 20)]
    assert series.points[1].change == 1.0 and series.points[1].significant
    built = build_report(store, load_thresholds(), store_label="t")
    assert [s.metric for s in built.document.trends] == ["harmful_content_failure_rate"]
    html = write_report(built, tmp_path / "out")["html"].read_text(encoding="utf-8")
    assert "sys/a · harmful_content_failure_rate (evaluation runs of harmful_content)" in html
