"""The demo's own words: the plan's steps, the audit sentence, the closing text."""

from __future__ import annotations

from pathlib import Path

from mhsafe._demo import (
    DEMO_PATIENT,
    DEMO_PLAN,
    JUDGED_SUITES,
    PatientTally,
    _plan,
    audit_line,
    closing_text,
    demo_steps,
)


def test_every_suite_runs_on_both_systems_then_audit_and_report() -> None:
    plan = _plan()
    assert [suite for suite, _ in plan] == list(DEMO_PLAN)
    assert all(len(cases) == DEMO_PLAN[suite] for suite, cases in plan if suite != "consistency")
    steps = demo_steps(plan)
    assert len(steps) == 2 * len(DEMO_PLAN) + 2
    assert steps[0].label == f"suicide_risk · raw · {DEMO_PLAN['suicide_risk']} items"
    assert steps[1].label.startswith("suicide_risk · proxied")
    raw = {s.label.split(" · ")[0]: s.weight for s in steps if " · raw · " in s.label}
    proxied = {s.label.split(" · ")[0]: s.weight for s in steps if " · proxied · " in s.label}
    per_item = {suite: raw[suite] / DEMO_PLAN[suite] for suite in DEMO_PLAN}
    judged = next(iter(JUDGED_SUITES))
    # a judged item (raw system only) or a simulated-patient item costs more than a plain one
    assert per_item[judged] > per_item["over_refusal"]
    assert proxied[judged] < raw[judged]
    assert DEMO_PATIENT["pe_exposure"] == "mhsafe/instruct-local"
    assert per_item["pe_exposure"] > per_item["cbt_restructuring"] > per_item["over_refusal"]


def test_audit_line_is_a_sentence_not_json(tmp_path: Path) -> None:
    summary = {"conversations_audited": 20123, "conversations_quarantined": 2,
               "flagged_by_stage": {"lexicon": 300, "screen": 111},
               "review": {"queued": {"flagged": 40, "sample": 60}}}
    line = audit_line(summary, tmp_path / "summary.json")
    assert line.startswith("audit: 20,123 conversations audited, 2 quarantined (NOT audited)")
    assert "411 flagged; review queue 40 flagged + 60 designed sample" in line
    assert "{" not in line


def test_closing_says_what_the_verdict_means_and_what_to_run_next(tmp_path: Path) -> None:
    text = closing_text(False, tmp_path, tmp_path / "report" / "report.html")
    assert text.startswith("what this means: FAIL means")
    assert "inconclusive" in text and "not measured" in text
    assert "what to run next:" in text and "mhsafe compare" in text and "mhsafe audit" in text
    assert closing_text(True, tmp_path, tmp_path / "r.html").startswith("what this means: PASS")


def test_patient_tally_counts_turns() -> None:
    tally = PatientTally(model=3, fallback=1, resampled=1)
    assert tally.turns == 4
