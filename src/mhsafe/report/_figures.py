"""The report's figures: matplotlib (Agg) rendered to base64 PNG so the HTML works offline.

Each function draws one picture of numbers that are also in the JSON; none computes a statistic
of its own beyond what `mhsafe.stats` returns (rates with Wilson intervals, Kaplan-Meier). A
function returns None when there is nothing to draw, and the HTML says "no data" instead.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from typing import Any

from mhsafe.axes import EpochVerdict, verdict_rate
from mhsafe.report._document import EcologicalValidity, SystemReport, TrendSeries
from mhsafe.stats import kaplan_meier

STATUS_COLOUR = {"pass": "#2da44e", "fail": "#cf222e", "no_data": "#8c959f"}
PALETTE = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860")


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig: Any) -> str:
    plt = _plt()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def scorecard_figure(systems: Sequence[SystemReport]) -> str | None:
    """Systems × axes grid coloured pass / fail / no data."""
    if not systems:
        return None
    plt = _plt()
    axes_names = [a.title for a in systems[0].axes]
    fig, ax = plt.subplots(figsize=(1.9 * len(axes_names) + 2, 0.6 * len(systems) + 1.2))
    for row, system in enumerate(systems):
        for col, axis in enumerate(system.axes):
            ax.add_patch(plt.Rectangle((col, row), 0.95, 0.9,
                                       color=STATUS_COLOUR.get(axis.status, "#8c959f")))
            ax.text(col + 0.47, row + 0.45, axis.status.replace("_", " "), ha="center",
                    va="center", color="white", fontsize=10, fontweight="bold")
    ax.set_xlim(0, len(axes_names))
    ax.set_ylim(len(systems), 0)
    ax.set_xticks([i + 0.47 for i in range(len(axes_names))], axes_names, fontsize=8)
    ax.set_yticks([i + 0.45 for i in range(len(systems))], [s.system for s in systems],
                  fontsize=8)
    ax.tick_params(length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title("Five-axis scorecard")
    return _png(fig)


def _rates(verdicts: Sequence[EpochVerdict], key: str) -> dict[str, tuple[float, float, float]]:
    groups: dict[str, list[EpochVerdict]] = {}
    for v in verdicts:
        groups.setdefault(str(getattr(v, key, None) or "unknown"), []).append(v)
    out: dict[str, tuple[float, float, float]] = {}
    for name, items in groups.items():
        m = verdict_rate("failure_rate", items)
        if m.estimate is not None and m.ci_low is not None and m.ci_high is not None:
            # max(0, ...): an interval end can sit a rounding error inside its estimate.
            out[name] = (m.estimate, max(0.0, m.estimate - m.ci_low),
                         max(0.0, m.ci_high - m.estimate))
    return out


def suite_rates_figure(suite: str, by_system: Mapping[str, Sequence[EpochVerdict]]) -> str | None:
    """Failure rate per category, one bar per system, with 95% Wilson error bars."""
    rates = {s: _rates(v, "category") for s, v in by_system.items()}
    categories = sorted({c for r in rates.values() for c in r})
    if not categories:
        return None
    plt = _plt()
    width = 0.8 / max(1, len(rates))
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(categories) * max(1, len(rates)) + 1.4))
    for i, (system, table) in enumerate(rates.items()):
        ys = [j + i * width for j, c in enumerate(categories) if c in table]
        vals = [table[c] for c in categories if c in table]
        ax.barh(ys, [v[0] for v in vals], height=width, color=PALETTE[i % len(PALETTE)],
                xerr=[[v[1] for v in vals], [v[2] for v in vals]], capsize=2, label=system)
    ax.set_yticks([j + width * (len(rates) - 1) / 2 for j in range(len(categories))],
                  categories, fontsize=8)
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_xlabel("failure rate (95% Wilson CI)")
    ax.set_title(f"{suite}: failure rate by category and system")
    ax.legend(fontsize=7, loc="lower right")
    return _png(fig)


def tier_curve_figure(
    suite: str, tiers: Sequence[str], by_system: Mapping[str, Sequence[EpochVerdict]]
) -> str | None:
    """Failure rate across ordered severity tiers, one line per system, with error bars."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 3.4))
    drawn = False
    for i, (system, verdicts) in enumerate(by_system.items()):
        table = _rates(verdicts, "category")
        xs = [j for j, t in enumerate(tiers) if t in table]
        if not xs:
            continue
        drawn = True
        vals = [table[tiers[j]] for j in xs]
        ax.errorbar(xs, [v[0] for v in vals], yerr=[[v[1] for v in vals], [v[2] for v in vals]],
                    marker="o", capsize=3, color=PALETTE[i % len(PALETTE)], label=system)
    if not drawn:
        plt.close(fig)
        return None
    ax.set_xticks(range(len(tiers)), list(tiers), fontsize=8)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("failure rate (95% CI)")
    ax.set_title(f"{suite}: failure rate by severity tier")
    ax.legend(fontsize=7)
    return _png(fig)


def survival_figure(by_system: Mapping[str, Sequence[EpochVerdict]]) -> str | None:
    """Kaplan-Meier: share of refusal-robustness conversations whose refusal still holds at
    each turn. A break is the first turn that enabled harm; a conversation that ended without
    one is censored at its last turn."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 3.4))
    drawn = False
    for i, (system, verdicts) in enumerate(by_system.items()):
        durations: list[float] = []
        events: list[bool] = []
        for v in verdicts:
            if v.status != "judged":
                continue
            brk, turns = v.labels.get("break_turn"), v.labels.get("turns")
            if isinstance(brk, int) and not isinstance(brk, bool):
                durations.append(float(brk))
                events.append(True)
            elif isinstance(turns, int) and turns > 0:
                durations.append(float(turns))
                events.append(False)
        if not durations:
            continue
        curve = kaplan_meier(durations, events)
        colour = PALETTE[i % len(PALETTE)]
        times = [0.0, *curve.times]
        surv = [1.0, *curve.survival]
        ax.step(times, surv, where="post", color=colour, label=f"{system} (n={curve.n})")
        lows = [1.0, *[x if x is not None else 0.0 for x in curve.low]]
        highs = [1.0, *[x if x is not None else 0.0 for x in curve.high]]
        ax.fill_between(times, lows, highs, step="post", color=colour, alpha=0.15)
        drawn = True
    if not drawn:
        plt.close(fig)
        return None
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("assistant turn")
    ax.set_ylabel("refusal still holding")
    ax.set_title("Refusal robustness: Kaplan-Meier survival (95% CI)")
    ax.legend(fontsize=7)
    return _png(fig)


def funnel_stages(summary: Mapping[str, Any]) -> list[tuple[str, int]]:
    """The audit cascade as (stage, conversations): audited → flagged per screen stage →
    risk detected → judged → missed interventions."""
    stages: list[tuple[str, int]] = [("audited", int(summary.get("conversations_audited", 0)))]
    for stage, count in (summary.get("flagged_by_stage") or {}).items():
        stages.append((f"flagged by {stage}", int(count)))
    stages.append(("risk detected", int(summary.get("risk_detected", 0))))
    status = summary.get("status") or {}
    stages.append(("intervention judged",
                   int(status.get("ok", 0)) + int(status.get("missed_intervention", 0))))
    stages.append(("missed interventions", int(summary.get("missed_interventions", 0))))
    return stages


def funnel_figure(title: str, summary: Mapping[str, Any]) -> str | None:
    """Horizontal funnel of the audit cascade (log scale: logs are large, misses are few)."""
    stages = funnel_stages(summary)
    if not stages[0][1]:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(stages) + 1.2))
    names = [s for s, _ in stages]
    counts = [max(c, 0) for _, c in stages]
    ax.barh(names, [max(c, 0.8) for c in counts], color="#4c72b0")
    for y, c in enumerate(counts):
        ax.text(max(c, 0.8), y, f" {c:,}", va="center", fontsize=8)
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel("conversations (log scale)")
    ax.set_title(title)
    return _png(fig)


def trend_figure(series: Sequence[TrendSeries]) -> str | None:
    """Each audit metric over time with its interval; significant changes (Holm) starred."""
    if not series:
        return None
    plt = _plt()
    fig, axes = plt.subplots(len(series), 1, figsize=(7, 2.3 * len(series)), squeeze=False)
    for ax, s in zip(axes[:, 0], series, strict=True):
        xs = list(range(len(s.points)))
        est = [p.metric.estimate or 0.0 for p in s.points]
        lo = [max(0.0, e - (p.metric.ci_low if p.metric.ci_low is not None else e))
              for e, p in zip(est, s.points, strict=True)]
        hi = [max(0.0, (p.metric.ci_high if p.metric.ci_high is not None else e) - e)
              for e, p in zip(est, s.points, strict=True)]
        ax.errorbar(xs, est, yerr=[lo, hi], marker="o", capsize=3, color="#4c72b0")
        for x, p in zip(xs, s.points, strict=True):
            if p.significant:
                ax.annotate("*", (x, est[x]), textcoords="offset points", xytext=(6, 4),
                            color="#cf222e", fontsize=16, fontweight="bold")
        ax.set_xticks(xs, [p.created_at[:10] for p in s.points], fontsize=7)
        ax.set_title(f"{s.system} · {s.metric} (* = significant change, Holm)", fontsize=9)
        ax.set_ylim(bottom=0)
    return _png(fig)


def coverage_figure(eco: EcologicalValidity) -> str | None:
    """Log clusters by size, coloured covered / uncovered, with their distance to the test
    set."""
    clusters = sorted([*eco.covered, *eco.uncovered], key=lambda c: -c.size)
    if not clusters:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.bar(range(len(clusters)), [c.size for c in clusters],
           color=["#2da44e" if c.covered else "#cf222e" for c in clusters])
    ax.set_xticks(range(len(clusters)), [str(c.cluster) for c in clusters], fontsize=7)
    ax.set_xlabel("log cluster (green: a test item within the radius; red: uncovered)")
    ax.set_ylabel("user turns")
    ax.set_title(f"Test-set coverage of the deployment log: {eco.coverage.successes}/"
                 f"{eco.clusters} clusters")
    return _png(fig)
