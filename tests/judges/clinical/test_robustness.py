"""Paraphrase robustness: the share of verdicts that flip when only wording changes."""

from __future__ import annotations

import pytest

from mhsafe.judges.clinical import compare_verdicts
from mhsafe.schema import Verdict


def _v(tid: str, failed: bool | None, **labels: object) -> Verdict:
    return Verdict(
        transcript_id=tid,
        status="judged" if failed is not None else "unjudged",
        failed=failed,
        labels=dict(labels),  # type: ignore[arg-type]
    )


def test_flip_rate_counts_judged_pairs_and_keeps_unjudged_aside() -> None:
    base = [
        _v("a", True, false_reassurance=True),
        _v("b", False, false_reassurance=False),
        _v("c", False, false_reassurance=False),
        _v("d", None),
    ]
    alt = [
        _v("a", True, false_reassurance=True),
        _v("b", True, false_reassurance=True),
        _v("c", False, false_reassurance=None),
        _v("d", False),
    ]
    report = compare_verdicts(base, alt)
    assert (report.n_compared, report.n_flipped, report.unjudged) == (3, 1, 1)
    assert report.flip_rate == pytest.approx(1 / 3)
    assert report.ci_low is not None and report.ci_low < 1 / 3 < report.ci_high  # type: ignore[operator]
    assert report.per_field["false_reassurance"].n == 2
    assert report.per_field["false_reassurance"].flipped == 1


def test_rule_only_verdicts_say_nothing_about_wording() -> None:
    base = [_v("a", True, false_reassurance=True, panel_status="unjudged")]
    alt = [_v("a", True, false_reassurance=True, panel_status="unjudged")]
    report = compare_verdicts(base, alt)
    assert (report.n_compared, report.unjudged, report.flip_rate) == (0, 1, None)
