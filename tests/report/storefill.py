"""Fill a store with realistic evidence for report and gate tests, without running Inspect.

Verdicts come from the real deciders (`SafetyDecider`, `FactsDecider`) on scripted replies, so
their labels are the ones a real run stores; clinical verdicts are hand-made with the clinical
judges' label names; audits are `audit_estimates` summaries. (The Inspect road itself is tested
end to end in tests/axes/test_end_to_end.py.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from mhsafe.audit import ReviewLabel, Tally, audit_estimates, label_estimates
from mhsafe.schema import Case, Message, Transcript, Verdict
from mhsafe.store import Store
from mhsafe.suites import SafetyDecider, load_suite
from mhsafe.suites._evidence_suites import (
    FactsDecider,
    load_clinical_facts,
    load_consistency,
    load_demographic,
)
from mhsafe.suites._scoring import carry_case_labels
from tests.axes.scripted import ANSWER, HARM, SUPPORT, register, reply_for

FALSEHOOD = "It's perfectly safe to take them together; there are no known interactions."
Replies = Callable[[Case, int], list[str]]


def _transcript(run_id: str, case: Case, replies: list[str]) -> Transcript:
    messages: list[Message] = []
    for turn, reply in zip(case.turns, replies, strict=False):
        messages += [Message(role="user", content=turn), Message(role="assistant", content=reply)]
    return Transcript(id=f"{run_id}:{case.id}:1", messages=messages,
                      metadata={"case_id": case.id, "epoch": 1}, source=f"suite:{case.suite}")


def _add_run(store: Store, system: str, suite: str, cases: list[Case], replies: Replies,
             decide: Callable[[Transcript, Case], object] | None = None) -> str:
    run_id = store.create_run("eval", suite, model=system, config={"epochs": 1})
    decider = decide or SafetyDecider()
    for index, case in enumerate(cases):
        transcript = _transcript(run_id, case, replies(case, index))
        verdict: object = asyncio.run(decider(transcript, case))  # type: ignore[arg-type]
        assert isinstance(verdict, Verdict)
        store.add_result(run_id, transcript, carry_case_labels(verdict, case), case_id=case.id,
                         epoch=1)
    store.finish_run(run_id)
    return run_id


def _mode_replies(mode: str) -> Replies:
    return lambda case, _i: [reply_for(mode, t) for t in case.turns]


def _safety(unfair: bool) -> Replies:
    """Right replies; with `unfair`, the wrong kind of reply to every third case."""

    def replies(case: Case, index: int) -> list[str]:
        wrong = unfair and index % 3 == 0
        if case.expected == "answer_directly":
            return [SUPPORT if wrong else ANSWER for _ in case.turns]
        return [HARM if wrong else SUPPORT for _ in case.turns]

    return replies


def _facts_replies(unfair: bool) -> Replies:
    """Right answers; with `unfair`, a listed falsehood for every other question."""
    return lambda _case, index: [FALSEHOOD if unfair and index % 2 == 0 else ANSWER]


def _robustness(unfair: bool) -> Replies:
    def replies(case: Case, index: int) -> list[str]:
        breaks_at = 2 + index % 2 if unfair and index % 3 else None
        return [HARM if breaks_at and turn >= breaks_at else SUPPORT
                for turn in range(1, len(case.turns) + 1)]

    return replies


def _clinical(store: Store, system: str, suite: str, unfair: bool) -> None:
    run_id = store.create_run("clinical", suite, model=system, config={"epochs": 1})
    tiers = ("routine", "distress", "crisis_adjacent", "imminent")
    for i in range(24):
        tier = tiers[i % 4]
        bad = unfair and i % 3 == 0
        case_id = f"{suite}-{i:03d}"
        transcript = Transcript(id=f"{run_id}:{case_id}:1", messages=[
            Message(role="user", content="patient turn"),
            Message(role="assistant", content=ANSWER)])
        verdict = Verdict(
            transcript_id=transcript.id, case_id=case_id, suite=suite, category=tier,
            status="judged", failed=bad, reason="task_abandonment" if bad else "ok",
            labels={"protocol_fidelity": 0 if bad else 2, "safety_interference": bad,
                    "task_abandonment": bad, "tier": tier},
        )
        store.add_result(run_id, transcript, verdict, case_id=case_id, epoch=1)
    store.finish_run(run_id)


def add_audit(store: Store, *, missed: int, flagged: int, audited: int = 400,
              system: str | None = None) -> str:
    """One audit run whose summary has the real keys (audit_estimates + label_estimates)."""
    tally = Tally(audited=audited, risk_detected=flagged,
                  status={"ok": flagged - missed, "missed_intervention": missed,
                          "no_risk": audited - flagged},
                  flagged_by_stage={"lexicon": flagged - 5, "embedding": 5},
                  missed_by_stage={"lexicon": missed},
                  judged_by_stage={"lexicon": flagged - 5, "embedding": 5},
                  hallucinated_resource=2, over_trigger=6, over_trigger_no_risk=6,
                  no_risk_with_reply=audited - flagged)
    summary = audit_estimates(tally, sample_n=60, max_rate=0.05, confidence=0.95)
    labels = [ReviewLabel(conversation_id=f"f{i}", reason="flagged", screen_positive=True,
                          risk_present=i % 5 != 0, crisis_support_given=True)
              for i in range(flagged)]
    labels += [ReviewLabel(conversation_id=f"s{i}", reason="sample", screen_positive=False,
                           risk_present=i == 0, crisis_support_given=False) for i in range(60)]
    summary["labels"] = label_estimates(labels, n_audited=audited, n_screen_positive=flagged,
                                        n_unflagged=audited - flagged)
    run_id = store.create_run("audit", "weekly-audit", config={"system": system})
    store.finish_run(run_id, summary=summary)
    return run_id


def fill_store(store: Store, systems: tuple[str, ...] = ("scripted/fair", "scripted/unfair"),
               audits: bool = True) -> None:
    """Every suite the five axes read, for each system (`unfair` in the name plants faults)."""
    demographic = [c for c in load_demographic()
                   if c.metadata["attribute"] in ("age", "gender")
                   and c.metadata["attribute_value"] in ("adult", "older_adult", "woman", "man")]
    consistency = load_consistency()
    facts = load_clinical_facts()
    register(demographic + consistency)
    # Every third item: a spread over each suite's categories and risk levels.
    safety = {name: load_suite(name)[::3][:14] for name in
              ("suicide_risk", "harmful_content", "over_refusal", "refusal_robustness",
               "jailbreak")}
    register([c for cases in safety.values() for c in cases])
    for system in systems:
        unfair = "unfair" in system
        mode = "unfair" if unfair else "fair"
        for suite, cases in safety.items():
            replies = _robustness(unfair) if suite == "refusal_robustness" else \
                _safety(unfair)
            _add_run(store, system, suite, cases, replies)
        _add_run(store, system, "demographic", demographic, _mode_replies(mode))
        _add_run(store, system, "consistency", consistency,
                 _mode_replies("flaky" if unfair else "steady"))
        _add_run(store, system, "clinical_facts", facts, _facts_replies(unfair), FactsDecider())
        for suite in ("pe_exposure", "cbt_restructuring"):
            _clinical(store, system, suite, unfair)
    if audits:  # each system's own deployment logs (an untagged audit belongs to none)
        for system in systems:
            for missed in (2, 3, 30):
                add_audit(store, missed=missed, flagged=100, system=system)
