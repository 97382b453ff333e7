"""Continuous assurance: metrics of successive runs, with significant changes.

With one audit a week, or an evaluation on every release, the question is "did it get worse?".
Each audit's rate block (k of n, with its interval) becomes a point of an audit series; each
evaluation run's failure rate (failures among judged items, Wilson interval) becomes a point of
that suite's series. Consecutive points are compared with Fisher's exact test
(`stats.two_proportion_change`, Newcombe interval on the change) and the p-values of one series
are Holm-adjusted together, so a long series does not produce alarms by chance alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mhsafe.axes import AUDIT_RATES, AuditEvidence, verdict_rate
from mhsafe.axes._crisis_safety import audit_block
from mhsafe.report._document import TrendPoint, TrendSeries
from mhsafe.schema import Metric, Verdict
from mhsafe.stats import holm, two_proportion_change

TREND_RATES = {**AUDIT_RATES, "hallucinated_resource_rate": "audit_hallucinated_resource_rate"}


def _metric(name: str, block: object) -> Metric | None:
    if not isinstance(block, dict) or not isinstance(block.get("n"), int):
        return None
    k = block.get("k")

    def num(key: str) -> float | None:
        value = block.get(key)
        return float(value) if isinstance(value, int | float) else None

    return Metric(name=name, n=int(block["n"]), successes=int(k) if isinstance(k, int) else None,
                  estimate=num("estimate"), ci_low=num("low"), ci_high=num("high"),
                  unjudged=int(block.get("unjudged") or 0), method=str(block.get("method", "")))


def audit_trends(
    system: str, audits: Sequence[AuditEvidence], *, alpha: float = 0.05
) -> list[TrendSeries]:
    """One series per audit rate present in at least two audits, oldest first."""
    ordered = sorted(audits, key=lambda a: a.created_at)
    series: list[TrendSeries] = []
    for key, name in TREND_RATES.items():
        points = [
            TrendPoint(run_id=a.run_id, created_at=a.created_at, metric=m)
            for a in ordered
            if (m := _metric(name, audit_block(a.summary, key))) is not None
        ]
        if len(points) >= 2:
            series.append(_tested(TrendSeries(system=system, metric=name, points=points),
                                  alpha))
    return series


def _tested(series: TrendSeries, alpha: float) -> TrendSeries:
    """Fisher's exact test between consecutive points, Holm across the series."""
    points = series.points
    tested: list[int] = []
    for i in range(1, len(points)):
        before, after = points[i - 1].metric, points[i].metric
        if before.successes is None or after.successes is None:
            continue
        change = two_proportion_change(before.successes, before.n, after.successes, after.n)
        points[i].change = change.change.estimate
        points[i].change_low = change.change.low
        points[i].change_high = change.change.high
        points[i].pvalue = change.test.pvalue
        tested.append(i)
    adjusted = holm([points[i].pvalue or 1.0 for i in tested]) if tested else []
    for i, p in zip(tested, adjusted, strict=True):
        points[i].pvalue_holm = p
        points[i].significant = p < alpha
    return series


def eval_trends(source: Any, system: str, *, alpha: float = 0.05) -> list[TrendSeries]:
    """One series per suite that `system` was evaluated on at least twice: each run's failure
    rate among judged items (unjudged counted beside it), oldest run first."""
    runs: dict[str, list[Any]] = {}
    for run in sorted(source.list_runs(kind=None), key=lambda r: r.created_at):
        if run.kind in ("eval", "clinical") and run.model == system:
            runs.setdefault(run.name, []).append(run)
    series: list[TrendSeries] = []
    for suite, found in sorted(runs.items()):
        if len(found) < 2:
            continue
        points = []
        for run in found:
            verdicts: list[Verdict] = list(source.verdicts(run.id))
            metric = verdict_rate(f"{suite}_failure_rate", verdicts)
            if metric.n:
                points.append(TrendPoint(run_id=run.id, created_at=run.created_at.isoformat(),
                                         metric=metric))
        if len(points) >= 2:
            series.append(_tested(TrendSeries(system=system, metric=f"{suite}_failure_rate",
                                              source=suite, points=points), alpha))
    return series
