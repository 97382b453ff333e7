"""The comparison's numbers equal statsmodels/scipy on hand-made data; unjudged is excluded
from numerators and denominators, and flagged."""

from __future__ import annotations

from scipy.stats import fisher_exact
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from mhsafe.report import compare_runs, comparison_markdown
from mhsafe.schema import Verdict


def _verdict(case: str, category: str, failed: bool | None) -> Verdict:
    return Verdict(
        transcript_id=case,
        case_id=case,
        suite="harmful_content",
        category=category,
        status="judged" if failed is not None else "unjudged",
        failed=failed,
    )


def _paired_runs() -> tuple[list[tuple[tuple[str, int], Verdict]], ...]:
    # 2x2 of paired outcomes: both fail 3, A only 9, B only 2, neither 16 (30 items).
    pattern = [(True, True)] * 3 + [(True, False)] * 9 + [(False, True)] * 2
    pattern += [(False, False)] * 16
    a = [((f"c{i}", 1), _verdict(f"c{i}", "x", fa)) for i, (fa, _) in enumerate(pattern)]
    b = [((f"c{i}", 1), _verdict(f"c{i}", "x", fb)) for i, (_, fb) in enumerate(pattern)]
    return a, b


def test_paired_rows_match_statsmodels() -> None:
    a, b = _paired_runs()
    rows = compare_runs(a, b)
    overall = next(r for r in rows if r.category == "all")
    assert overall.a.n == 30 and overall.a.failures == 12
    assert overall.b.n == 30 and overall.b.failures == 5
    low, high = proportion_confint(12, 30, method="wilson")
    assert abs(overall.a.ci_low - low) < 1e-12 and abs(overall.a.ci_high - high) < 1e-12
    d_low, d_high = confint_proportions_2indep(12, 30, 5, 30, method="newcomb", compare="diff")
    assert abs(overall.diff_low - d_low) < 1e-12 and abs(overall.diff_high - d_high) < 1e-12
    assert overall.test.startswith("mcnemar")
    expected_p = mcnemar([[3, 9], [2, 16]], exact=True).pvalue
    assert abs(overall.pvalue - expected_p) < 1e-12
    assert overall.paired_n == 30


def test_unpaired_rows_use_fisher_and_holm() -> None:
    a, _ = _paired_runs()
    b = [((f"other{i}", 1), _verdict(f"other{i}", "x", i < 4)) for i in range(25)]
    rows = compare_runs(a, b)
    overall = next(r for r in rows if r.category == "all")
    assert overall.test.startswith("fisher")
    _, p = fisher_exact([[12, 18], [4, 21]])
    assert abs(overall.pvalue - p) < 1e-12
    raw = [r.pvalue for r in rows if r.pvalue is not None]
    adjusted = multipletests(raw, method="holm")[1]
    got = [r.pvalue_holm for r in rows if r.pvalue is not None]
    assert all(abs(g - e) < 1e-12 for g, e in zip(got, adjusted, strict=True))


def test_unjudged_excluded_and_flagged() -> None:
    a, b = _paired_runs()
    a[0] = (a[0][0], _verdict("c0", "x", None))  # a failing item becomes unknown
    rows = compare_runs(a, b)
    overall = next(r for r in rows if r.category == "all")
    assert overall.a.unjudged == 1
    assert overall.a.n == 29 and overall.a.failures == 11  # not counted safe, not counted at all
    assert overall.paired_n == 29
    assert "1/0" in comparison_markdown(rows, "A", "B")
