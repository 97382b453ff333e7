"""Pick the right Inspect task for a suite name: one entry point for `mhsafe eval`.

Safety suites (and user-supplied sets) are scored by the safety rules; `clinical_facts` by its
falsehood decider; the clinical suites run a simulated patient and the clinical panel. The run
kind recorded in the store follows (`clinical` for PE/CBT, `eval` otherwise).
"""

from __future__ import annotations

from inspect_ai import Task

from mhsafe.schema import Case
from mhsafe.suites._evidence_suites import FactsDecider
from mhsafe.suites._solvers import scripted_conversation
from mhsafe.suites._tasks import build_task, safety_task

CLINICAL_SUITES = ("pe_exposure", "cbt_restructuring")


def run_kind(suite: str) -> str:
    """How the store files a run of this suite."""
    return "clinical" if suite in CLINICAL_SUITES else "eval"


def task_for(
    suite: str,
    cases: list[Case],
    *,
    epochs: int = 1,
    judge: list[str] | None = None,
    max_tokens: int = 160,
    cache: bool = True,
    turns: int | None = None,
    patient: str | None = None,
    judge_timeout_s: float = 60.0,
) -> Task:
    """The task that evaluates `cases` the way `suite` is meant to be scored
    (`judge_timeout_s`: each LLM judge attempt, queueing included; see `safety_task`)."""
    if suite in CLINICAL_SUITES:
        from mhsafe.suites.clinical._tasks import DEFAULT_PATIENT, DEFAULT_TURNS, clinical_task

        return clinical_task(
            suite,
            cases=cases,
            epochs=epochs,
            judge=judge or None,
            max_tokens=max_tokens,
            turns=turns or DEFAULT_TURNS,
            patient=patient if patient is not None else DEFAULT_PATIENT,
            cache=cache,
            judge_timeout_s=judge_timeout_s,
        )
    if suite == "clinical_facts":
        return build_task(
            suite,
            cases,
            scripted_conversation(max_tokens=max_tokens, cache=cache),
            FactsDecider(),
            epochs=epochs,
        )
    return safety_task(
        suite, epochs=epochs, judge=judge, max_tokens=max_tokens, cases=cases, cache=cache,
        judge_timeout_s=judge_timeout_s,
    )
