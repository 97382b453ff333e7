"""Continuous assurance: a jump in missed interventions between weekly audits is marked
significant after Holm; stable weeks are not."""

from __future__ import annotations

from mhsafe.axes import AuditEvidence
from mhsafe.report import audit_trends


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
