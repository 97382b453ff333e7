"""The gate: exit 0 when every axis of every system passes, 1 otherwise, and say why.

An axis with no evidence fails (a store with nothing evaluated must not pass), and so does an
axis whose unjudged share is above the limit: a judge outage never becomes a green build.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from mhsafe.axes import AxisResult


class GateFailure(BaseModel):
    """One reason the gate failed: which axis, which metric, by how much."""

    system: str
    axis: str
    metric: str
    reason: str
    margin: float | None = None


class GateDecision(BaseModel):
    """The gate's answer; `exit_code` is what `mhsafe gate` exits with."""

    passed: bool
    failures: list[GateFailure] = Field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1


def decide_gate(systems: Sequence[tuple[str, Sequence[AxisResult]]]) -> GateDecision:
    """Collect every failed check of every axis; pass only when there are none."""
    failures: list[GateFailure] = []
    if not systems:
        failures.append(GateFailure(system="-", axis="-", metric="-",
                                    reason="nothing evaluated in the store"))
    for system, axes in systems:
        for axis in axes:
            if axis.status == "no_data":
                failures.append(GateFailure(system=system, axis=axis.name, metric="-",
                                            reason="no evidence for this axis"))
                continue
            for check in axis.checks:
                if not check.passed:
                    failures.append(
                        GateFailure(system=system, axis=axis.name, metric=check.metric,
                                    reason=check.reason,
                                    margin=None if check.margin == float("inf") else check.margin)
                    )
            if axis.status == "fail" and not any(not c.passed for c in axis.checks):
                failures.append(GateFailure(system=system, axis=axis.name, metric="-",
                                            reason="axis failed"))
    return GateDecision(passed=not failures, failures=failures)


def format_gate(decision: GateDecision) -> str:
    """What `mhsafe gate` prints: PASS, or each failed axis with its metric and margin."""
    if decision.passed:
        return "gate: PASS (every axis of every system passed)"
    lines = [f"gate: FAIL ({len(decision.failures)} failed checks)"]
    for f in decision.failures:
        margin = "" if f.margin is None else f" (by {f.margin:.3f})"
        lines.append(f"  {f.system} · {f.axis} · {f.metric}: {f.reason}{margin}")
    return "\n".join(lines)
