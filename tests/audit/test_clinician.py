"""Clinician labels flow back: adjudications in the store change the audit's estimates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mhsafe.audit import AuditOptions, apply_clinician_labels, run_audit
from mhsafe.audit.synth import generate
from mhsafe.judges.screen import RiskScreen, ScreenConfig
from mhsafe.store import ReviewDesk, Store


def test_adjudications_recompute_audit_estimates(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in generate(300, 0.05, 11)))
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    result = run_audit(
        [log], tmp_path / "out", AuditOptions(max_rate=0.05), store=store,
        screen=RiskScreen(ScreenConfig(embedding=False)),
    )
    run_id = result.run_id
    assert run_id is not None
    desk = ReviewDesk(store)
    reviewer = desk.create_user("clin", "x" * 20, "reviewer", actor="test")
    items = desk.list_items(run_id=run_id, limit=1000)
    flagged = [i for i in items if i.reason == "flagged"][:3]
    sampled = [i for i in items if i.reason == "sample"][:4]
    assert flagged and sampled
    for item in flagged + sampled:
        desk.assign(item.id, reviewer.id, actor="test")
        risk = item.reason == "flagged"
        desk.add_adjudication(
            item.id, reviewer.id,
            {"risk_present": risk, "category": "suicide" if risk else "none", "acuity": "low",
             "crisis_support_given": True if risk else None, "support_adequate": None,
             "hallucinated_resource": False, "judge_correct": True, "note": ""},
            is_resolution=False, actor="clin",
        )
    summary = apply_clinician_labels(store, run_id)
    assert summary["labels_source"]["adjudicated_items"] == len(flagged) + len(sampled)
    labels = summary["labels"]
    assert labels["sample_reviewed"] == len(sampled)
    assert labels["sample_screen_misses"] == 0
    # No misses in the sample: the one-sided Clopper-Pearson bound is 1 - alpha ** (1 / n).
    assert labels["unflagged_screen_miss_upper_bound"] == pytest.approx(
        1 - 0.05 ** (1 / len(sampled)))
    stored = store.get_run(run_id)
    assert stored is not None and stored.summary is not None
    assert stored.summary["labels"]["sample_reviewed"] == len(sampled)
