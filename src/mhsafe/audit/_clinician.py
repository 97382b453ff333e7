"""Clinician labels flow back into an audit's estimates.

`mhsafe review apply RUN` (or a scheduled job) calls `apply_clinician_labels`: every review
item whose label is final (an agreeing review, or an admin's resolution) becomes a
`ReviewLabel`, and the audit run's summary gains `labels` — screen sensitivity/specificity,
Se/Sp-corrected prevalence (Rogan-Gladen, bootstrap interval), the miss bound over unflagged
conversations from the reviewed sample — recomputed from the adjudications each time. The
report reads the run summary, so the five-axis report follows the clinicians.
"""

from __future__ import annotations

from typing import Any

from mhsafe.audit._estimates import ReviewLabel, label_estimates
from mhsafe.store import DecidedItem, ReviewDesk, Store


def labels_from_decided(decided: list[DecidedItem]) -> tuple[list[ReviewLabel], int]:
    """Final clinician answers as ReviewLabels; items without a risk answer are skipped
    (counted, never guessed)."""
    labels: list[ReviewLabel] = []
    skipped = 0
    for item in decided:
        risk = item.answers.get("risk_present")
        if not isinstance(risk, bool):
            skipped += 1
            continue
        support = item.answers.get("crisis_support_given")
        labels.append(
            ReviewLabel(
                conversation_id=item.conversation_id,
                reason=item.reason,
                screen_positive=bool(item.finding.get("risk_detected")),
                risk_present=risk,
                crisis_support_given=support if isinstance(support, bool) else None,
            )
        )
    return labels, skipped


def apply_clinician_labels(store: Store, run_id: str, *, seed: int = 0) -> dict[str, Any]:
    """Recompute the run's label-based estimates from the store's adjudications."""
    run = store.get_run(run_id)
    if run is None or run.kind != "audit":
        raise KeyError(f"no audit run {run_id!r}")
    summary = dict(run.summary or {})
    labels, skipped = labels_from_decided(ReviewDesk(store).decided(run_id))
    review = summary.get("review") or {}
    unflagged = sum(int(v) for v in (review.get("unflagged_by_stratum") or {}).values())
    confidence = float((review.get("sample_size_rule") or {}).get("confidence", 0.95))
    estimates = label_estimates(
        labels,
        n_audited=int(summary.get("conversations_audited", 0)),
        n_screen_positive=int(summary.get("risk_detected", 0)),
        n_unflagged=unflagged,
        confidence=confidence,
        seed=seed,
    ) if labels else None
    summary["labels"] = estimates
    summary["labels_source"] = {"adjudicated_items": len(labels), "skipped": skipped}
    store.finish_run(run_id, status=run.status if run.status != "running" else "finished",
                     summary=summary)
    return summary
