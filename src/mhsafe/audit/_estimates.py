"""From counts to defensible numbers: every rate with its n and interval.

Two moments. Right after the audit (:func:`audit_estimates`): how many conversations were
audited, quarantined, flagged per stage and category; the missed-intervention rate among
conversations the screen flagged (Clopper-Pearson, the exact interval a regulator may ask for);
and the bound the review sample *will* give if clinicians find no miss in it. Once clinicians
have labelled the review queue (:func:`label_estimates`): the bound actually achieved, the
screen's sensitivity and specificity, and the prevalence corrected for them (Rogan-Gladen with a
bootstrap interval). All arithmetic is ``mhsafe.stats`` (scipy/statsmodels underneath).

Verification bias: every flagged conversation is reviewed but only a sample of unflagged ones,
so the raw reviewed table overstates sensitivity. The sample counts are weighted up to the
unflagged population (Begg-Greenes style), and likewise any unreviewed flagged ones, before
sensitivity/specificity are computed; the interval then uses those weighted counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from pydantic import BaseModel, Field

from mhsafe.schema import Finding
from mhsafe.stats import (
    one_sided_upper,
    proportion_ci,
    rate,
    rogan_gladen,
    sensitivity_specificity,
    upper_bound_zero_failures,
)


class Tally(BaseModel):
    """Running counts over batches; saved in the checkpoint so a resumed run sums correctly."""

    audited: int = 0
    quarantined: dict[str, int] = Field(default_factory=dict)
    status: dict[str, int] = Field(default_factory=dict)
    flagged_by_stage: dict[str, int] = Field(default_factory=dict)
    # missed interventions split by the stage that flagged the conversation: an embedding-only
    # flag has a much lower positive predictive value than a decisive lexicon hit, so a reader
    # must be able to see how much of the headline rate rests on each (docs/screen.md).
    missed_by_stage: dict[str, int] = Field(default_factory=dict)
    # ...and the denominators: a flagged conversation whose intervention could not be judged
    # (no reply after the disclosure) is neither a miss nor a non-miss.
    judged_by_stage: dict[str, int] = Field(default_factory=dict)
    unjudged_by_stage: dict[str, int] = Field(default_factory=dict)
    turns_by_stage: dict[str, int] = Field(default_factory=dict)
    category: dict[str, int] = Field(default_factory=dict)
    acute: int = 0
    risk_detected: int = 0
    hallucinated_resource: int = 0
    over_trigger: int = 0
    no_risk_with_reply: int = 0
    over_trigger_no_risk: int = 0  # over-triggers among the no-risk conversations with a reply
    judge: dict[str, int] = Field(default_factory=dict)
    review_flagged: int = 0
    # why each conversation queued for review needed it (one conversation may have several)
    review_reasons: dict[str, int] = Field(default_factory=dict)
    flagged_by_stratum: dict[str, int] = Field(default_factory=dict)
    unflagged_by_stratum: dict[str, int] = Field(default_factory=dict)

    def bump(self, table: str, key: str, by: int = 1) -> None:
        """Add ``by`` to ``self.<table>[key]``."""
        target: dict[str, int] = getattr(self, table)
        target[key] = target.get(key, 0) + by


class ReviewLabel(BaseModel):
    """A clinician's answer about one reviewed conversation, joined to the audit's finding."""

    conversation_id: str
    reason: str  # "flagged" | "sample"
    screen_positive: bool  # the audit's risk_detected
    risk_present: bool
    crisis_support_given: bool | None = None


def _rate_dict(k: int, n: int, *, method: str = "clopper-pearson", unjudged: int = 0,
               name: str = "", confidence: float = 0.95) -> dict[str, Any]:
    r = rate(k, n, unjudged=unjudged, method="clopper-pearson" if method == "clopper-pearson"
             else "wilson", confidence=confidence, name=name)
    return r.as_dict()


def audit_estimates(
    tally: Tally, *, sample_n: int, max_rate: float, confidence: float
) -> dict[str, Any]:
    """The numbers ``summary.json`` carries before any clinician label exists."""
    judged_risk = tally.status.get("ok", 0) + tally.status.get("missed_intervention", 0)
    unjudged_risk = tally.risk_detected - judged_risk
    return {
        "conversations_audited": tally.audited,
        "conversations_quarantined": sum(tally.quarantined.values()),
        "quarantined_by_reason": dict(sorted(tally.quarantined.items())),
        "status": dict(sorted(tally.status.items())),
        "flagged_by_stage": dict(sorted(tally.flagged_by_stage.items())),
        "missed_intervention_rate_by_flagging_stage": {
            stage: _rate_dict(tally.missed_by_stage.get(stage, 0),
                              tally.judged_by_stage.get(stage, 0),
                              unjudged=tally.unjudged_by_stage.get(stage, 0),
                              name=f"missed_intervention_rate_flagged_by_{stage}",
                              confidence=confidence)
            for stage in sorted(tally.flagged_by_stage)
        },
        **_confirmed_split(tally, confidence),
        "user_turns_settled_by_stage": dict(sorted(tally.turns_by_stage.items())),
        "flagged_by_category": dict(sorted(tally.category.items())),
        "risk_detected": tally.risk_detected,
        "acute": tally.acute,
        "missed_interventions": tally.status.get("missed_intervention", 0),
        "unjudged": tally.status.get("unjudged", 0),
        "judge_panel": dict(sorted(tally.judge.items())),
        "missed_intervention_rate_among_flagged": _rate_dict(
            tally.status.get("missed_intervention", 0), judged_risk, unjudged=max(0, unjudged_risk),
            name="missed_intervention_rate_among_flagged", confidence=confidence),
        "hallucinated_resource_rate": _rate_dict(
            tally.hallucinated_resource, tally.audited, name="hallucinated_resource_rate",
            confidence=confidence),
        "over_trigger_rate_among_no_risk": _rate_dict(
            tally.over_trigger_no_risk, tally.no_risk_with_reply,
            name="over_trigger_rate_among_no_risk", confidence=confidence),
        "review": {
            # "Needs review" is wider than "flagged by the screen" (flagged_by_stage): it also
            # holds unjudged conversations, hallucinated lines and over-triggers.
            "needs_review_queued": tally.review_flagged,
            "needs_review_by_reason": dict(sorted(tally.review_reasons.items())),
            "sample_size_rule": {"max_rate": max_rate, "confidence": confidence,
                                 "required_n": sample_n},
            # A design target, not a bound: what the sample *will* bound the unflagged miss
            # rate at if clinicians find no miss in it. The bound from the sample actually
            # reviewed is in ``labels`` once labels exist.
            "design_bound_if_sample_has_no_misses": upper_bound_zero_failures(
                sample_n, confidence) if sample_n > 0 else None,
            "unflagged_by_stratum": dict(sorted(tally.unflagged_by_stratum.items())),
            "flagged_by_stratum": dict(sorted(tally.flagged_by_stratum.items())),
        },
    }


def _weighted(count: int, weight: float) -> int:
    return round(count * weight)


def label_estimates(
    labels: Iterable[ReviewLabel],
    *,
    n_audited: int,
    n_screen_positive: int,
    n_unflagged: int,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, Any]:
    """Estimates that need clinician labels.

    ``n_screen_positive``: conversations the screen marked as risk; ``n_unflagged``: those not
    queued as flagged (the population the random sample was drawn from). Items queued for
    other reasons (a hallucinated number, an over-trigger) but screen-negative are neither a
    random draw nor screen positives, so they are left out of the accuracy table.
    """
    cells: Counter[str] = Counter()
    sample_n = sample_risk = sample_missed = 0
    for label in labels:
        if label.reason == "sample":
            sample_n += 1
            sample_risk += label.risk_present
            sample_missed += label.risk_present and label.crisis_support_given is not True
            cells["fn_s" if label.risk_present else "tn_s"] += 1
        elif label.screen_positive:
            cells["tp_r" if label.risk_present else "fp_r"] += 1
    reviewed_pos = cells["tp_r"] + cells["fp_r"]
    w_pos = n_screen_positive / reviewed_pos if reviewed_pos else 1.0
    w_neg = n_unflagged / sample_n if sample_n else 1.0
    tp, fp = _weighted(cells["tp_r"], w_pos), _weighted(cells["fp_r"], w_pos)
    fn, tn = _weighted(cells["fn_s"], w_neg), _weighted(cells["tn_s"], w_neg)
    acc = sensitivity_specificity(tp, fn, tn, fp, alpha=1.0 - confidence)
    out: dict[str, Any] = {
        "sample_reviewed": sample_n,
        "sample_screen_misses": sample_risk,
        "sample_missed_interventions": sample_missed,
        "unflagged_screen_miss_upper_bound": one_sided_upper(sample_risk, sample_n, confidence)
        if sample_n else None,
        "unflagged_missed_intervention_upper_bound": one_sided_upper(
            sample_missed, sample_n, confidence) if sample_n else None,
        "unflagged_screen_miss_rate": asdict(proportion_ci(
            sample_risk, sample_n, "clopper-pearson", 1.0 - confidence)),
        "reviewed_table": dict(cells),
        "weighted_table": {"tp": tp, "fn": fn, "tn": tn, "fp": fp},
        "sensitivity": asdict(acc.sensitivity),
        "specificity": asdict(acc.specificity),
        "ppv": asdict(acc.ppv),
        "npv": asdict(acc.npv),
    }
    se, sp = acc.sensitivity.estimate, acc.specificity.estimate
    if se is not None and sp is not None and n_audited > 0:
        corrected = rogan_gladen(
            n_screen_positive, n_audited, se, sp,
            se_n=cells["tp_r"] + cells["fn_s"] or None,
            sp_n=cells["tn_s"] + cells["fp_r"] or None,
            seed=seed, confidence=confidence,
        )
        out["corrected_prevalence"] = asdict(corrected)
    else:
        out["corrected_prevalence"] = None
    return out


#: Flagging stages whose risk counts as *confirmed*: a decisive lexicon hit, or the LLM stage.
#: An embedding-only flag is a screen positive with low precision; its misses are shown apart.
CONFIRMED_STAGES = frozenset({"lexicon", "judge"})


def _confirmed_split(tally: Tally, confidence: float) -> dict[str, Any]:
    """The headline: missed interventions among confirmed-risk conversations, and the
    unconfirmed (embedding-only) flags beside it, never pooled into it."""
    def total(table: dict[str, int], confirmed: bool) -> int:
        return sum(v for k, v in table.items() if (k in CONFIRMED_STAGES) is confirmed)

    out: dict[str, Any] = {}
    for confirmed, key in ((True, "confirmed"), (False, "unconfirmed")):
        out[f"missed_intervention_rate_among_{key}"] = _rate_dict(
            total(tally.missed_by_stage, confirmed), total(tally.judged_by_stage, confirmed),
            unjudged=total(tally.unjudged_by_stage, confirmed),
            name=f"missed_intervention_rate_among_{key}", confidence=confidence)
    out["confirmed_stages"] = sorted(CONFIRMED_STAGES)
    return out


def tally_finding(tally: Tally, finding: Finding, *, flagged_stage: str | None) -> None:
    """Fold one conversation's finding into the running counts."""
    tally.audited += 1
    tally.bump("status", finding.status)
    if finding.risk_detected:
        tally.risk_detected += 1
        tally.bump("category", finding.risk_category)
        if flagged_stage:
            tally.bump("flagged_by_stage", flagged_stage)
            if finding.status == "missed_intervention":
                tally.bump("missed_by_stage", flagged_stage)
            if finding.status in ("ok", "missed_intervention"):
                tally.bump("judged_by_stage", flagged_stage)
            else:
                tally.bump("unjudged_by_stage", flagged_stage)
    if "judge" in finding.stages:
        tally.bump("judge", "sent")
        outcome = ("unjudged" if finding.status == "unjudged"
                   else "confirmed" if finding.risk_detected else "rejected")
        tally.bump("judge", outcome)
    tally.acute += finding.acute
    tally.hallucinated_resource += finding.hallucinated_resource
    tally.over_trigger += finding.over_trigger
