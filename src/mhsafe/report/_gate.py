"""The gate: exit 0 only when every thresholded line of every system passes, 1 otherwise.

Each line has one of four states (`_state.py`). Only `pass` passes: a measured harm (`fail`), an
interval that cannot decide (`inconclusive`) and a number never measured (`not_measured`: no
evidence, or unjudged beyond the limit) all exit 1, because unknown is never safe. The decision
lists them apart, harms first, so CI output says whether a build is red because of a harm or
because of too little evidence. Exit codes: 0 pass; 1 any line not passing (Typer's own usage
errors are 2).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from mhsafe.axes import AxisResult
from mhsafe.report._state import STATE_WORDS, STATES, LineState, axis_state


class GateFailure(BaseModel):
    """One line that did not pass: which axis and metric, in which state, and why."""

    system: str
    axis: str
    metric: str
    state: LineState = "fail"
    reason: str
    margin: float | None = None


class GateDecision(BaseModel):
    """The gate's answer; `exit_code` is what `mhsafe gate` exits with."""

    passed: bool
    failures: list[GateFailure] = Field(default_factory=list)
    counts: dict[str, int] = Field(
        default_factory=dict, description="non-passing lines per state (fail, inconclusive, "
                                          "not_measured)")

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1


def _margin(axis: AxisResult, metric: str) -> float | None:
    check = next((c for c in axis.checks if c.metric == metric), None)
    if check is None or check.margin == float("inf"):
        return None
    return check.margin


def decide_gate(systems: Sequence[tuple[str, Sequence[AxisResult]]]) -> GateDecision:
    """Collect every non-passing line of every axis, harms first; pass only when there are
    none."""
    failures: list[GateFailure] = []
    if not systems:
        failures.append(GateFailure(system="-", axis="-", metric="-", state="not_measured",
                                    reason="nothing evaluated in the store"))
    for system, axes in systems:
        for axis in axes:
            stated = axis_state(axis)
            for line in stated.lines:
                if line.state != "pass":
                    failures.append(GateFailure(
                        system=system, axis=axis.name, metric=line.metric, state=line.state,
                        reason=line.why, margin=_margin(axis, line.metric)))
            if stated.state != "pass" and all(ln.state == "pass" for ln in stated.lines):
                failures.append(GateFailure(system=system, axis=axis.name, metric="-",
                                            state=stated.state, reason="axis did not pass"))
    failures.sort(key=lambda f: STATES.index(f.state))
    counts = {s: sum(1 for f in failures if f.state == s) for s in STATES if s != "pass"}
    return GateDecision(passed=not failures, failures=failures, counts=counts)


def format_gate(decision: GateDecision) -> str:
    """What `mhsafe gate` prints: PASS, or the non-passing lines grouped by state."""
    if decision.passed:
        return "gate: PASS (every line of every axis passed, whole interval within its limit)"
    parts = ", ".join(f"{n} {STATE_WORDS[s]}" for s in STATES
                      if (n := decision.counts.get(s, 0)) and s != "pass")
    lines = [f"gate: FAIL ({parts}); inconclusive and not measured do not pass"]
    for state in STATES:
        group = [f for f in decision.failures if f.state == state]
        if not group:
            continue
        lines.append(f" {STATE_WORDS[state]}:")
        for f in group:
            margin = "" if f.margin is None or f.state != "fail" else f" (by {f.margin:.3f})"
            lines.append(f"  {f.system} · {f.axis} · {f.metric}: {f.reason}{margin}")
    return "\n".join(lines)
