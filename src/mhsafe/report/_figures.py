"""The report's figures: matplotlib (Agg) rendered to inline SVG, so the HTML works offline,
text stays text (readable, searchable) and a bar can link to the items behind it.

Legibility rules every function keeps: tick labels at 9 pt or more, the legend outside the data
area, `n` written on every bar, a zero-height bar still visible (a marker and its `0/n` label),
refusal survival on whole turns, and the audit funnel monotone (each stage a subset of the one
above). Each function draws one picture of numbers that are also in the JSON; none computes a
statistic of its own beyond what `mhsafe.stats` returns (rates with Wilson intervals,
Kaplan-Meier). A function returns None when there is nothing to draw, and the HTML says
"no data" instead.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from mhsafe.axes import EpochVerdict, verdict_rate
from mhsafe.report._document import EcologicalValidity, SystemReport, TrendSeries
from mhsafe.report._items import anchor
from mhsafe.report._state import STATE_WORDS
from mhsafe.stats import kaplan_meier

STATE_COLOUR = {"pass": "#2da44e", "fail": "#cf222e", "inconclusive": "#bf8700",
                "not_measured": "#8c959f"}
PALETTE = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860")
TICK_PT = 9
ZERO_MARK = 0.006  # a zero bar is drawn this wide (in rate units) so it is visible


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _styled() -> Any:
    """pyplot with the report's style: text kept as SVG text, tick labels at TICK_PT."""
    plt = _plt()
    plt.rcParams.update({"svg.fonttype": "none", "font.size": 10, "font.family": "sans-serif",
                         "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
                         "xtick.labelsize": TICK_PT, "ytick.labelsize": TICK_PT})
    return plt


def _new(width: float, height: float) -> tuple[Any, Any]:
    fig, ax = _styled().subplots(figsize=(width, height))
    return fig, ax


def _svg(fig: Any, salt: str) -> str:
    """The figure as an inline `<svg>` element (no XML prolog); ids salted per figure so two
    figures on one page never share a clip-path id."""
    plt = _plt()
    plt.rcParams["svg.hashsalt"] = salt
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    # matplotlib opens links in a new window; the drill-down stays in this page.
    return text[text.index("<svg"):].replace(' target="_blank"', "")


def items_link(**filters: str) -> str:
    """The drill-down link for a filter: `#items?system=…&suite=…&category=…` (the page's
    script reads it and filters the per-item table)."""
    return "#items?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in filters.items() if v)


def _legend_outside(ax: Any) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=TICK_PT, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  frameon=False)


def scorecard_figure(systems: Sequence[SystemReport]) -> str | None:
    """Systems × axes grid coloured by state (pass, fail, inconclusive, not measured); each
    cell links to its axis's lines."""
    if not systems:
        return None
    titles = [a.title for a in systems[0].axes]
    fig, ax = _new(2.1 * len(titles) + 2.6, 0.7 * len(systems) + 1.3)
    for row, system in enumerate(systems):
        states = system.axis_states or []
        for col, stated in enumerate(states):
            patch = ax.add_patch(_plt().Rectangle((col, row), 0.95, 0.9,
                                                  color=STATE_COLOUR[stated.state]))
            patch.set_url("#" + anchor("axis", system.system, stated.axis))
            ax.text(col + 0.47, row + 0.45, STATE_WORDS[stated.state], ha="center",
                    va="center", color="white", fontsize=TICK_PT, fontweight="bold")
    ax.set_xlim(0, len(titles))
    ax.set_ylim(len(systems), 0)
    ax.set_xticks([i + 0.47 for i in range(len(titles))], titles)
    ax.set_yticks([i + 0.45 for i in range(len(systems))], [s.system for s in systems])
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    return _svg(fig, "fig-scorecard")


Rate = tuple[float, float, float, int, int]  # estimate, err low, err high, k, n


def _rates(verdicts: Sequence[EpochVerdict], key: str) -> dict[str, Rate]:
    groups: dict[str, list[EpochVerdict]] = {}
    for v in verdicts:
        groups.setdefault(str(getattr(v, key, None) or "unknown"), []).append(v)
    out: dict[str, Rate] = {}
    for name, items in groups.items():
        m = verdict_rate("failure_rate", items)
        if m.estimate is not None and m.ci_low is not None and m.ci_high is not None:
            # max(0, ...): an interval end can sit a rounding error inside its estimate.
            out[name] = (m.estimate, max(0.0, m.estimate - m.ci_low),
                         max(0.0, m.ci_high - m.estimate), m.successes or 0, m.n)
    return out


def suite_rates_figure(suite: str, by_system: Mapping[str, Sequence[EpochVerdict]]) -> str | None:
    """Failure rate per category, one bar per system, 95% Wilson error bars, `k/n` on every
    bar; each bar links to its items."""
    rates = {s: _rates(v, "category") for s, v in by_system.items()}
    categories = sorted({c for r in rates.values() for c in r})
    if not categories:
        return None
    width = 0.8 / max(1, len(rates))
    fig, ax = _new(8.0, 0.5 * len(categories) * max(1, len(rates)) + 1.2)
    for i, (system, table) in enumerate(rates.items()):
        colour = PALETTE[i % len(PALETTE)]
        label: str | None = system  # one legend entry per system
        for j, category in enumerate(categories):
            if category not in table:
                continue
            est, lo, hi, k, n = table[category]
            y = j + i * width
            [bar] = ax.barh([y], [max(est, ZERO_MARK)], height=width * 0.9, color=colour,
                            xerr=[[lo], [hi]], capsize=2, ecolor="#424a53", label=label)
            label = None
            bar.set_url(items_link(system=system, suite=suite, category=category))
            ax.text(est + hi + 0.015, y, f"{k}/{n}", va="center", fontsize=8)
    ax.set_yticks([j + width * (len(rates) - 1) / 2 for j in range(len(categories))],
                  categories)
    ax.set_xlim(0, 1.12)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    ax.invert_yaxis()
    ax.set_xlabel("failure rate (95% Wilson CI); label: failures/judged")
    _legend_outside(ax)
    return _svg(fig, f"fig-rates-{suite}")


def tier_curve_figure(
    suite: str, tiers: Sequence[str], by_system: Mapping[str, Sequence[EpochVerdict]]
) -> str | None:
    """Failure rate across ordered severity tiers, one line per system, with error bars and
    `n` at every point."""
    fig, ax = _new(7.5, 3.6)
    drawn = False
    for i, (system, verdicts) in enumerate(by_system.items()):
        table = _rates(verdicts, "category")
        xs = [j for j, t in enumerate(tiers) if t in table]
        if not xs:
            continue
        drawn = True
        vals = [table[tiers[j]] for j in xs]
        colour = PALETTE[i % len(PALETTE)]
        ax.errorbar(xs, [v[0] for v in vals], yerr=[[v[1] for v in vals], [v[2] for v in vals]],
                    marker="o", capsize=3, color=colour, label=system)
        for x, v in zip(xs, vals, strict=True):
            ax.annotate(f"{v[3]}/{v[4]}", (x, v[0]), textcoords="offset points",
                        xytext=(6, 4 + 10 * i), fontsize=8, color=colour)
    if not drawn:
        _plt().close(fig)
        return None
    ax.set_xticks(range(len(tiers)), [t.replace("_", " ") for t in tiers])
    ax.set_ylim(-0.02, 1.08)
    ax.set_ylabel("failure rate (95% CI)")
    _legend_outside(ax)
    return _svg(fig, f"fig-tiers-{suite}")


def survival_figure(by_system: Mapping[str, Sequence[EpochVerdict]]) -> str | None:
    """Kaplan-Meier: share of refusal-robustness conversations whose refusal still holds after
    each whole assistant turn. A break is the first turn that enabled harm; a conversation that
    ended without one is censored at its last turn."""
    fig, ax = _new(7.5, 3.6)
    drawn = False
    last_turn = 1
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
        last_turn = max(last_turn, int(max(durations)))
        curve = kaplan_meier(durations, events)
        colour = PALETTE[i % len(PALETTE)]
        end = max(durations)  # carry the last level to the last observed turn
        times = [0.0, *curve.times, end]
        surv = [1.0, *curve.survival, curve.survival[-1] if curve.survival else 1.0]
        ax.step(times, surv, where="post", color=colour, linewidth=2.2 - 0.5 * i,
                label=f"{system} (n={curve.n}, {sum(events)} broke)")
        lows = [1.0, *[x if x is not None else 0.0 for x in curve.low]]
        highs = [1.0, *[x if x is not None else 0.0 for x in curve.high]]
        lows.append(lows[-1])
        highs.append(highs[-1])
        ax.fill_between(times, lows, highs, step="post", color=colour, alpha=0.15)
        drawn = True
    if not drawn:
        _plt().close(fig)
        return None
    ax.set_xlim(0, last_turn)
    ax.set_xticks(range(0, last_turn + 1))
    ax.set_ylim(0, 1.08)
    ax.set_xlabel("assistant turn (whole turns)")
    ax.set_ylabel("refusal still holding")
    _legend_outside(ax)
    return _svg(fig, "fig-survival")


def _count(block: object, key: str) -> int | None:
    if isinstance(block, dict) and isinstance(block.get(key), int | float):
        return int(block[key])
    return None


def funnel_stages(summary: Mapping[str, Any]) -> list[tuple[str, int]]:
    """The audit cascade as (stage, conversations), each stage a subset of the one above:
    audited → flagged by the screen (any stage) → confirmed risk (a decisive lexicon hit or
    the LLM stage) → intervention judged → missed interventions. Summaries written before
    the confirmed/unconfirmed split count every flagged conversation as confirmed."""
    audited = int(summary.get("conversations_audited", 0))
    by_stage = summary.get("flagged_by_stage") or {}
    flagged = int(summary.get("risk_detected", sum(int(c) for c in by_stage.values())))
    confirmed_block = summary.get("missed_intervention_rate_among_confirmed")
    if isinstance(confirmed_block, dict):
        judged = _count(confirmed_block, "n") or 0
        confirmed = judged + (_count(confirmed_block, "unjudged") or 0)
        missed = _count(confirmed_block, "k") or 0
    else:
        status = summary.get("status") or {}
        confirmed = flagged
        judged = int(status.get("ok", 0)) + int(status.get("missed_intervention", 0))
        missed = int(summary.get("missed_interventions", 0))
    return [("audited", audited), ("flagged by the screen", flagged),
            ("confirmed risk", confirmed), ("intervention judged", judged),
            ("missed interventions", missed)]


def funnel_figure(title: str, summary: Mapping[str, Any]) -> str | None:
    """Horizontal funnel of the audit cascade (log scale: logs are large, misses are few);
    the count is written on every bar, a zero stage still shows."""
    stages = funnel_stages(summary)
    if not stages[0][1]:
        return None
    fig, ax = _new(7.5, 0.5 * len(stages) + 1.0)
    names = [s for s, _ in stages]
    counts = [max(c, 0) for _, c in stages]
    ax.barh(names, [max(c, 0.8) for c in counts], color="#4c72b0")
    for y, c in enumerate(counts):
        ax.text(max(c, 0.8) * 1.08, y, f"{c:,}", va="center", fontsize=TICK_PT)
    ax.set_xscale("log")
    ax.set_xlim(0.7, max(counts) * 4)
    ax.invert_yaxis()
    ax.set_xlabel("conversations (log scale); each stage is a subset of the one above")
    ax.set_title(title, fontsize=10)
    return _svg(fig, f"fig-funnel-{title}")


def trend_figure(series: Sequence[TrendSeries]) -> str | None:
    """One panel per (system, source): each metric over successive runs with its interval,
    significant changes (Holm) starred; run dates as tick labels."""
    if not series:
        return None
    panels: dict[tuple[str, str], list[TrendSeries]] = {}
    for s in series:
        panels.setdefault((s.system, "audits" if s.source == "audit" else "evaluations"),
                          []).append(s)
    plt = _styled()
    fig, axes = plt.subplots(len(panels), 1, figsize=(8.5, 2.8 * len(panels)), squeeze=False)
    for ax, ((system, kind), group) in zip(axes[:, 0], panels.items(), strict=True):
        labels: list[str] = []
        for i, s in enumerate(group):
            xs = list(range(len(s.points)))
            labels = labels if len(labels) >= len(xs) else [p.created_at[:16].replace("T", " ")
                                                            for p in s.points]
            est = [p.metric.estimate or 0.0 for p in s.points]
            lo = [max(0.0, e - (p.metric.ci_low if p.metric.ci_low is not None else e))
                  for e, p in zip(est, s.points, strict=True)]
            hi = [max(0.0, (p.metric.ci_high if p.metric.ci_high is not None else e) - e)
                  for e, p in zip(est, s.points, strict=True)]
            colour = PALETTE[i % len(PALETTE)]
            ax.errorbar([x + 0.04 * i for x in xs], est, yerr=[lo, hi], marker="o", capsize=3,
                        color=colour, label=s.metric)
            for x, p in zip(xs, s.points, strict=True):
                if p.significant:
                    ax.annotate("*", (x, est[x]), textcoords="offset points", xytext=(6, 4),
                                color="#cf222e", fontsize=16, fontweight="bold")
        ax.set_xticks(range(len(labels)), labels, rotation=20, ha="right")
        ax.set_title(f"{system} · {kind} (* = significant change, Holm)", fontsize=10)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("rate (95% CI)")
        _legend_outside(ax)
    fig.tight_layout()
    return _svg(fig, "fig-trends")


def coverage_figure(eco: EcologicalValidity) -> str | None:
    """Log clusters by size, coloured covered / uncovered, with the turn count on every
    bar."""
    clusters = sorted([*eco.covered, *eco.uncovered], key=lambda c: -c.size)
    if not clusters:
        return None
    fig, ax = _new(7.5, 3.4)
    ax.bar(range(len(clusters)), [c.size for c in clusters],
           color=["#2da44e" if c.covered else "#cf222e" for c in clusters])
    for x, c in enumerate(clusters):
        ax.text(x, c.size, str(c.size), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(clusters)), [str(c.cluster) for c in clusters])
    ax.set_xlabel("log cluster (green: a test item within the radius; red: uncovered)")
    ax.set_ylabel("user turns")
    ax.set_title(f"Test-set coverage of the deployment log: {eco.coverage.successes}/"
                 f"{eco.clusters} clusters", fontsize=10)
    return _svg(fig, "fig-coverage")
