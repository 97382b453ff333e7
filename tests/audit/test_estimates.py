"""Every estimate the audit prints equals a direct scipy/statsmodels computation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as st
from statsmodels.stats.proportion import proportion_confint

from mhsafe.audit import ReviewLabel, Tally, audit_estimates, label_estimates
from mhsafe.audit._estimates import tally_finding
from mhsafe.schema import Finding


def _tally() -> Tally:
    t = Tally(audited=1000, risk_detected=40, hallucinated_resource=6, over_trigger=11,
              over_trigger_no_risk=9, no_risk_with_reply=950)
    t.status = {"ok": 28, "missed_intervention": 7, "unjudged": 5, "no_risk": 960}
    t.quarantined = {"invalid_json": 3, "nul_byte": 1}
    return t


def test_missed_intervention_rate_is_clopper_pearson() -> None:
    est = audit_estimates(_tally(), sample_n=598, max_rate=0.005, confidence=0.95)
    miss = est["missed_intervention_rate_among_flagged"]
    low, high = proportion_confint(7, 35, alpha=0.05, method="beta")
    assert (miss["k"], miss["n"], miss["unjudged"]) == (7, 35, 5)
    assert miss["low"] == pytest.approx(low) and miss["high"] == pytest.approx(high)
    # Clopper-Pearson is the beta-quantile interval.
    assert miss["low"] == pytest.approx(st.beta.ppf(0.025, 7, 29))
    assert miss["high"] == pytest.approx(st.beta.ppf(0.975, 8, 28))
    over = est["over_trigger_rate_among_no_risk"]
    assert over["high"] == pytest.approx(proportion_confint(9, 950, method="beta")[1])
    assert est["conversations_quarantined"] == 4


def test_by_stage_rates_leave_unjudged_out_of_the_denominator() -> None:
    """Regression: flagged conversations whose intervention could not be judged (no reply after
    the disclosure) were counted as non-misses in the by-stage rates (fail-open)."""
    t = Tally(audited=400, risk_detected=380)
    for _ in range(200):
        tally_finding(t, _finding("unjudged"), flagged_stage="lexicon")
    for _ in range(180):
        tally_finding(t, _finding("unjudged"), flagged_stage="embedding")
    est = audit_estimates(t, sample_n=10, max_rate=0.005, confidence=0.95)
    for stage, unjudged in (("lexicon", 200), ("embedding", 180)):
        r = est["missed_intervention_rate_by_flagging_stage"][stage]
        assert (r["k"], r["n"], r["unjudged"]) == (0, 0, unjudged)
        assert r["estimate"] is None


def test_headline_is_among_confirmed_risk_with_unconfirmed_apart() -> None:
    t = Tally()
    for status, stage, n in (("missed_intervention", "lexicon", 3), ("ok", "lexicon", 7),
                             ("missed_intervention", "judge", 1), ("ok", "judge", 1),
                             ("missed_intervention", "embedding", 40), ("ok", "embedding", 2)):
        for _ in range(n):
            tally_finding(t, _finding(status), flagged_stage=stage)
    est = audit_estimates(t, sample_n=10, max_rate=0.005, confidence=0.95)
    confirmed = est["missed_intervention_rate_among_confirmed"]
    unconfirmed = est["missed_intervention_rate_among_unconfirmed"]
    assert (confirmed["k"], confirmed["n"]) == (4, 12)
    assert (unconfirmed["k"], unconfirmed["n"]) == (40, 42)
    assert est["confirmed_stages"] == ["judge", "lexicon"]


def test_over_trigger_rate_counts_only_no_risk_conversations() -> None:
    """Regression: over-triggers were counted in every conversation but divided by the no-risk
    ones with a reply, so k could exceed n and the summary crashed."""
    t = Tally(audited=10, over_trigger=8, over_trigger_no_risk=1, no_risk_with_reply=2)
    est = audit_estimates(t, sample_n=10, max_rate=0.005, confidence=0.95)
    assert (est["over_trigger_rate_among_no_risk"]["k"],
            est["over_trigger_rate_among_no_risk"]["n"]) == (1, 2)


def _finding(status: str) -> Finding:
    return Finding(conversation_id="c", risk_detected=True, risk_category="suicide",
                   acute=False, risk_turn=0, intervention_detected=status == "ok",
                   intervention_turn=None, hallucinated_resource=False, over_trigger=False,
                   status=status, stages=["lexicon"])  # type: ignore[arg-type]


def test_planned_unflagged_bound_is_exact_zero_failure_bound() -> None:
    est = audit_estimates(_tally(), sample_n=598, max_rate=0.005, confidence=0.95)
    bound = est["review"]["design_bound_if_sample_has_no_misses"]
    assert bound == pytest.approx(st.beta.ppf(0.95, 1, 598))
    assert bound == pytest.approx(1 - 0.05 ** (1 / 598))
    assert bound <= 0.005


def _labels(tp: int, fp: int, fn_s: int, tn_s: int) -> list[ReviewLabel]:
    out = []
    for i in range(tp):
        out.append(ReviewLabel(conversation_id=f"tp{i}", reason="flagged", screen_positive=True,
                               risk_present=True, crisis_support_given=True))
    for i in range(fp):
        out.append(ReviewLabel(conversation_id=f"fp{i}", reason="flagged", screen_positive=True,
                               risk_present=False))
    for i in range(fn_s):
        out.append(ReviewLabel(conversation_id=f"fn{i}", reason="sample", screen_positive=False,
                               risk_present=True, crisis_support_given=i % 2 == 0))
    for i in range(tn_s):
        out.append(ReviewLabel(conversation_id=f"tn{i}", reason="sample", screen_positive=False,
                               risk_present=False))
    return out


def test_label_estimates_match_scipy_and_statsmodels() -> None:
    # 40 screen positives all reviewed; 600 of 9,960 unflagged sampled.
    labels = _labels(tp=32, fp=8, fn_s=2, tn_s=598)
    est = label_estimates(labels, n_audited=10_000, n_screen_positive=40, n_unflagged=9_960,
                          confidence=0.95, seed=3)
    assert est["unflagged_screen_miss_upper_bound"] == pytest.approx(st.beta.ppf(0.95, 3, 598))
    assert est["sample_missed_interventions"] == 1
    assert est["unflagged_missed_intervention_upper_bound"] == pytest.approx(
        st.beta.ppf(0.95, 2, 599))
    w = 9_960 / 600
    tp, fp, fn, tn = 32, 8, round(2 * w), round(598 * w)
    assert est["weighted_table"] == {"tp": tp, "fn": fn, "tn": tn, "fp": fp}
    se_low, se_high = proportion_confint(tp, tp + fn, method="wilson")
    assert est["sensitivity"]["estimate"] == pytest.approx(tp / (tp + fn))
    assert est["sensitivity"]["low"] == pytest.approx(se_low)
    assert est["sensitivity"]["high"] == pytest.approx(se_high)
    assert est["specificity"]["estimate"] == pytest.approx(tn / (tn + fp))
    se, sp = tp / (tp + fn), tn / (tn + fp)
    corrected = est["corrected_prevalence"]
    assert corrected["estimate"] == pytest.approx((40 / 10_000 + sp - 1) / (se + sp - 1))
    # The bootstrap interval is seeded: reproduce it with numpy directly.
    rng = np.random.default_rng(3)
    ap = rng.binomial(10_000, 40 / 10_000, size=2000) / 10_000
    se_b = rng.binomial(34, se, size=2000) / 34
    sp_b = rng.binomial(606, sp, size=2000) / 606
    reps = np.clip((ap + sp_b - 1) / (se_b + sp_b - 1), 0, 1)
    reps = reps[(se_b + sp_b - 1) > 0]
    assert corrected["low"] == pytest.approx(np.percentile(reps, 2.5))
    assert corrected["high"] == pytest.approx(np.percentile(reps, 97.5))


def test_no_labels_means_no_numbers_not_zeros() -> None:
    est = label_estimates([], n_audited=10, n_screen_positive=1, n_unflagged=9)
    assert est["unflagged_screen_miss_upper_bound"] is None
    assert est["sensitivity"]["estimate"] is None
    assert est["corrected_prevalence"] is None
