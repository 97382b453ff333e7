"""An axis: metrics with intervals, each checked against a threshold from a YAML file.

An axis with no evidence is `no_data`, which the gate treats as a failure: a store with nothing
evaluated must not pass. An axis whose unjudged share exceeds the file's limit also fails, so a
judge outage cannot turn into a green build.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from mhsafe.schema import Metric, Verdict
from mhsafe.stats import mean_ci, rate

AxisStatus = Literal["pass", "fail", "no_data"]


class Threshold(BaseModel):
    """A bound on one metric: `max` for rates of harm, `min` for rates of good behaviour.

    `bound` picks what is compared: the point estimate, or the interval's conservative end
    (upper for `max`, lower for `min`) when a team wants evidence, not just an estimate.
    """

    max: float | None = None
    min: float | None = None
    bound: Literal["estimate", "interval"] = "estimate"
    min_n: int = 1


class Check(BaseModel):
    """One metric against its threshold; `margin` > 0 is how far past the limit it is."""

    metric: str
    value: float | None
    limit: float | None
    direction: Literal["max", "min"]
    passed: bool
    margin: float
    reason: str


class AxisResult(BaseModel):
    """A scored axis, ready for the report and the gate."""

    name: str
    title: str
    status: AxisStatus
    metrics: list[Metric] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)
    unjudged: int = 0
    total: int = 0
    notes: list[str] = Field(default_factory=list)

    @property
    def unjudged_share(self) -> float:
        return self.unjudged / self.total if self.total else 0.0


def verdict_rate(
    name: str,
    verdicts: Iterable[Verdict],
    predicate: Callable[[Verdict], bool | None] = lambda v: v.failed,
    group: dict[str, str] | None = None,
) -> Metric:
    """Rate of `predicate` among verdicts where it is known; unknowns counted as unjudged."""
    known = 0
    hits = 0
    unknown = 0
    for verdict in verdicts:
        value = predicate(verdict) if verdict.status == "judged" else None
        if value is None:
            unknown += 1
            continue
        known += 1
        hits += int(bool(value))
    metric = Metric(**rate(hits, known, unjudged=unknown, name=name).metric_fields())
    metric.group = group or {}
    return metric


def mean_metric(name: str, values: Sequence[float], *, unjudged: int = 0) -> Metric:
    """Mean with a t interval (protocol-fidelity scores and similar)."""
    result = mean_ci(list(values))
    return Metric(
        name=name,
        n=result.n,
        estimate=result.estimate,
        ci_low=result.low,
        ci_high=result.high,
        unjudged=unjudged,
        method="mean, t interval",
        kind="score",
    )


def check_metric(metric: Metric, threshold: Threshold) -> Check:
    """Compare one metric with its threshold; no data or too little data fails."""
    direction: Literal["max", "min"] = "max" if threshold.max is not None else "min"
    limit = threshold.max if direction == "max" else threshold.min
    if metric.estimate is None or metric.n < threshold.min_n:
        return Check(
            metric=metric.name, value=None, limit=limit, direction=direction, passed=False,
            margin=float("inf"), reason=f"no data (n={metric.n} < {threshold.min_n})",
        )
    if threshold.bound == "interval":
        value = metric.ci_high if direction == "max" else metric.ci_low
    else:
        value = metric.estimate
    value = float(value if value is not None else metric.estimate)
    if limit is None:
        return Check(metric=metric.name, value=value, limit=None, direction=direction,
                     passed=True, margin=0.0, reason="no limit set")
    margin = value - limit if direction == "max" else limit - value
    passed = margin <= 0
    word = "≤" if direction == "max" else "≥"
    return Check(
        metric=metric.name, value=value, limit=limit, direction=direction, passed=passed,
        margin=margin, reason=f"{value:.3f} {'meets' if passed else 'misses'} {word} {limit:.3f}",
    )


def _metric_unjudged(
    metrics: Sequence[Metric], thresholds: dict[str, Threshold], limit: float
) -> list[Check]:
    """The unjudged limit per thresholded metric too: a judge outage on one suite must not
    hide behind the judged items of the axis's other suites."""
    checks: list[Check] = []
    for m in metrics:
        seen = m.n + m.unjudged
        if m.name not in thresholds or not seen or m.unjudged / seen <= limit:
            continue
        share = m.unjudged / seen
        checks.append(Check(
            metric="unjudged_share", value=share, limit=limit, direction="max", passed=False,
            margin=share - limit,
            reason=f"{m.name}: {m.unjudged}/{seen} unjudged exceeds {limit:.0%}",
        ))
    return checks


def finish_axis(
    name: str,
    title: str,
    metrics: list[Metric],
    thresholds: dict[str, Threshold],
    *,
    total: int,
    unjudged: int,
    max_unjudged_share: float,
    notes: list[str] | None = None,
) -> AxisResult:
    """Check every thresholded metric and decide the axis status."""
    checks = [check_metric(m, thresholds[m.name]) for m in metrics if m.name in thresholds]
    for missing in sorted(set(thresholds) - {m.name for m in metrics}):
        checks.append(
            Check(metric=missing, value=None, limit=thresholds[missing].max or
                  thresholds[missing].min, direction="max" if thresholds[missing].max is not None
                  else "min", passed=False, margin=float("inf"), reason="metric not computed")
        )
    share = unjudged / total if total else 0.0
    status: AxisStatus = "pass"
    if total == 0:
        status = "no_data"
    elif share > max_unjudged_share:
        status = "fail"
        checks.append(
            Check(metric="unjudged_share", value=share, limit=max_unjudged_share,
                  direction="max", passed=False, margin=share - max_unjudged_share,
                  reason=f"{unjudged}/{total} unjudged exceeds {max_unjudged_share:.0%}")
        )
    checks.extend(_metric_unjudged(metrics, thresholds, max_unjudged_share))
    if status == "pass" and not all(c.passed for c in checks):
        status = "fail"
    return AxisResult(name=name, title=title, status=status, metrics=metrics, checks=checks,
                      unjudged=unjudged, total=total, notes=notes or [])
