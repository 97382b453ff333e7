"""Per-group rate tables from verdicts: what `mhsafe eval` prints and the report shows.

A row is one group (a risk level, a harm area, a transform): n judged, failures, the failure
rate with a Wilson interval, and the unjudged count beside it — never inside the denominator.
Each (case, epoch) pair is one observation; with several epochs the method says so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from mhsafe.schema import Metric, Verdict
from mhsafe.stats import rate


def failure_rates(
    verdicts: Iterable[Verdict],
    *,
    name: str = "failure_rate",
    by: str = "category",
    epochs: int = 1,
) -> list[Metric]:
    """One Metric per group plus an `all` row; unjudged verdicts are counted, not judged."""
    groups: dict[str, list[Verdict]] = defaultdict(list)
    everything: list[Verdict] = []
    for verdict in verdicts:
        key = str(getattr(verdict, by, None) or verdict.labels.get(by) or "unknown")
        groups[key].append(verdict)
        everything.append(verdict)
    rows = [_row(name, {by: key}, items, epochs) for key, items in sorted(groups.items())]
    rows.append(_row(name, {by: "all"}, everything, epochs))
    return rows


def _row(name: str, group: dict[str, str], items: Sequence[Verdict], epochs: int) -> Metric:
    judged = [v for v in items if v.status == "judged" and v.failed is not None]
    failures = sum(1 for v in judged if v.failed)
    result = rate(failures, len(judged), unjudged=len(items) - len(judged), name=name)
    metric = Metric(**result.metric_fields())
    metric.group = group
    if epochs > 1:
        metric.method = f"{metric.method}; {epochs} epochs pooled"
    return metric


def format_rate(metric: Metric) -> str:
    """`12.5% [6.1, 23.9]` for a rate, `-0.05 [-0.16, 0.31]` for a coefficient or score (a
    kappa is not a percentage), or `—` when nothing was judged (a missing number looks
    missing). A coefficient whose interval could not be formed is shown with a note."""
    if metric.kind != "rate":
        if metric.estimate is None:
            return "—"
        if metric.ci_low is None or metric.ci_high is None:
            return f"{metric.estimate:.2f} (no interval: too few disagreements to resample)"
        return f"{metric.estimate:.2f} [{metric.ci_low:.2f}, {metric.ci_high:.2f}]"
    if metric.estimate is None or metric.ci_low is None or metric.ci_high is None:
        return "—"
    return (
        f"{100 * metric.estimate:.1f}% "
        f"[{100 * metric.ci_low:.1f}, {100 * metric.ci_high:.1f}]"
    )
