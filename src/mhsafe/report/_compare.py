"""Two systems on the same items: rates, difference, a test, and Holm across the family.

Rows are per suite and per (suite, category). When both runs answered the same (case, epoch)
pairs the test is exact McNemar on the discordant pairs; otherwise Fisher's exact test on the
2x2 of failures. Unjudged items are excluded from numerators and denominators of BOTH sides for a
paired test (a pair with an unknown side is not a pair) and reported per system.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from mhsafe.schema import Verdict
from mhsafe.stats import fisher_exact_2x2, holm, mcnemar_from_pairs, newcombe_diff_ci, rate

Key = tuple[str, int]


class SideSummary(BaseModel):
    """One system's rate in one comparison row."""

    n: int
    failures: int
    unjudged: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None


class ComparisonRow(BaseModel):
    """One suite or (suite, category) compared across the two systems."""

    suite: str
    category: str
    a: SideSummary
    b: SideSummary
    difference: float | None
    diff_low: float | None
    diff_high: float | None
    test: str
    pvalue: float | None
    pvalue_holm: float | None = None
    paired_n: int = 0


def _side(items: Sequence[Verdict]) -> SideSummary:
    judged = [v for v in items if v.status == "judged" and v.failed is not None]
    k = sum(1 for v in judged if v.failed)
    r = rate(k, len(judged), unjudged=len(items) - len(judged), method="wilson")
    return SideSummary(
        n=r.n, failures=r.k, unjudged=r.unjudged, rate=r.estimate, ci_low=r.low, ci_high=r.high
    )


def _row(
    suite: str, category: str, a: dict[Key, Verdict], b: dict[Key, Verdict]
) -> ComparisonRow:
    side_a, side_b = _side(list(a.values())), _side(list(b.values()))
    diff = newcombe_diff_ci(side_a.failures, side_a.n, side_b.failures, side_b.n)
    shared = sorted(set(a) & set(b))
    pairs = [
        (bool(a[k].failed), bool(b[k].failed))
        for k in shared
        if a[k].failed is not None and b[k].failed is not None
    ]
    if shared and len(shared) == len(a) == len(b) and pairs:
        test = mcnemar_from_pairs([p[0] for p in pairs], [p[1] for p in pairs])
    elif side_a.n and side_b.n:
        test = fisher_exact_2x2(side_a.failures, side_a.n, side_b.failures, side_b.n)
    else:
        test = None
    return ComparisonRow(
        suite=suite,
        category=category,
        a=side_a,
        b=side_b,
        difference=diff.estimate,
        diff_low=diff.low,
        diff_high=diff.high,
        test=test.method if test else "none (no judged items)",
        pvalue=test.pvalue if test else None,
        paired_n=len(pairs),
    )


def compare_runs(
    a: Sequence[tuple[Key, Verdict]], b: Sequence[tuple[Key, Verdict]]
) -> list[ComparisonRow]:
    """Compare two runs' verdicts keyed by (case id, epoch); Holm-adjust every row's p."""
    grouped_a: dict[tuple[str, str], dict[Key, Verdict]] = defaultdict(dict)
    grouped_b: dict[tuple[str, str], dict[Key, Verdict]] = defaultdict(dict)
    for source, target in ((a, grouped_a), (b, grouped_b)):
        for key, verdict in source:
            suite = verdict.suite or "unknown"
            target[(suite, "all")][key] = verdict
            target[(suite, verdict.category or "unknown")][key] = verdict
    rows = [
        _row(suite, category, grouped_a.get(key, {}), grouped_b.get(key, {}))
        for key in sorted(set(grouped_a) | set(grouped_b))
        for suite, category in [key]
    ]
    tested = [(i, row.pvalue) for i, row in enumerate(rows) if row.pvalue is not None]
    adjusted = holm([p for _, p in tested])
    for (index, _), p in zip(tested, adjusted, strict=True):
        rows[index].pvalue_holm = p
    return rows


def comparison_markdown(rows: Sequence[ComparisonRow], name_a: str, name_b: str) -> str:
    """A Markdown table for a pull request or a clinician's read."""

    def pct(x: float | None) -> str:
        return "—" if x is None else f"{100 * x:.1f}%"

    def ci(lo: float | None, hi: float | None) -> str:
        return "—" if lo is None or hi is None else f"[{100 * lo:.1f}, {100 * hi:.1f}]"

    lines = [
        f"| suite | category | n A | {name_a} failure | n B | {name_b} failure | "
        "difference (Newcombe 95% CI) | test | p | p (Holm) | unjudged A/B |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        p = "—" if r.pvalue is None else f"{r.pvalue:.3g}"
        ph = "—" if r.pvalue_holm is None else f"{r.pvalue_holm:.3g}"
        lines.append(
            f"| {r.suite} | {r.category} | {r.a.n} | {pct(r.a.rate)} {ci(r.a.ci_low, r.a.ci_high)}"
            f" | {r.b.n} | {pct(r.b.rate)} {ci(r.b.ci_low, r.b.ci_high)} | {pct(r.difference)} "
            f"{ci(r.diff_low, r.diff_high)} | {r.test} | {p} | {ph} | "
            f"{r.a.unjudged}/{r.b.unjudged} |"
        )
    return "\n".join(lines) + "\n"


def comparison_json(rows: Sequence[ComparisonRow], run_a: str, run_b: str) -> dict[str, Any]:
    """Machine-readable comparison (what `mhsafe compare` writes as JSON)."""
    return {"run_a": run_a, "run_b": run_b, "rows": [r.model_dump() for r in rows]}
