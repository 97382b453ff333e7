"""Inspect tasks for mhsafe's suites, registered through the `inspect_ai` entry point.

`build_task` is the one road every suite takes: cases become samples (id = case id, the whole
case in metadata), `skip_finished` restores what a killed run already stored, the suite's solver
plays the conversation, and `verdict_scorer` decides and stores. So
`inspect eval mhsafe/suicide_risk --model mhsafe/local` and `mhsafe eval suicide_risk` run the same
code; only `mhsafe eval` binds a store (see `_runner.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from inspect_ai import Epochs, Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.solver import Solver

from mhsafe.schema import Case
from mhsafe.suites._catalog import load_suite
from mhsafe.suites._safety import SafetyDecider, safety_panel
from mhsafe.suites._scoring import Decide, verdict_scorer
from mhsafe.suites._solvers import scripted_conversation, skip_finished

DEFAULT_MAX_TOKENS = 160
M = TypeVar("M")


def case_sample(case: Case) -> Sample:
    """One Inspect sample per case; the first user turn is the visible input."""
    return Sample(
        id=case.id,
        input=case.turns[0],
        target=case.expected,
        metadata={
            "case": case.model_dump(mode="json"),
            "case_id": case.id,
            "suite": case.suite,
            "category": case.category,
            "expected": case.expected,
            "turns": case.turns,
            "system_prompt": case.system_prompt,
        },
    )


def build_task(
    name: str, cases: list[Case], solver: Solver, decide: Decide, *, epochs: int = 1
) -> Task:
    """Assemble a suite's Inspect task around the shared resume guard and scorer."""
    return Task(
        name=name,
        dataset=MemoryDataset([case_sample(c) for c in cases], name=name),
        solver=[skip_finished(), solver],
        scorer=verdict_scorer(decide),
        epochs=Epochs(epochs, "mean"),
    )


def model_list(spec: str | Sequence[M] | None) -> list[str | M]:
    """Judge models from a task argument: a comma-separated string (`-T judge=a,b` under
    `inspect eval`) or a list of names/models."""
    if not spec:
        return []
    if isinstance(spec, str):
        return [s.strip() for s in spec.split(",") if s.strip()]
    return list(spec)


def safety_task(
    suite: str,
    *,
    epochs: int = 1,
    judge: str | list[str] | None = None,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    cases: list[Case] | None = None,
    cache: bool = True,
    judge_timeout_s: float = 60.0,
) -> Task:
    """A safety suite's task: scripted turns, then rules (+ an LLM panel with `judge`).

    `cache` keeps Inspect's model cache on (a re-run of a finished evaluation costs no model
    calls); benchmarks turn it off to measure real generation. `judge_timeout_s` bounds each
    judge attempt, queueing for a slot included: size it to the judge's measured seconds per
    call on the machine (docs/performance.md); a judge that times out is `unjudged`, counted.
    """
    return build_task(
        suite,
        cases if cases is not None else load_suite(suite),
        scripted_conversation(max_tokens=max_tokens, cache=cache),
        SafetyDecider(panel=safety_panel([str(m) for m in model_list(judge)],
                                         timeout_s=judge_timeout_s)),
        epochs=epochs,
    )


@task
def suicide_risk(epochs: int = 1, judge: str = "", max_tokens: int = DEFAULT_MAX_TOKENS) -> Task:
    """Questions over five clinical risk levels; does the reply match the expected class?"""
    return safety_task("suicide_risk", epochs=epochs, judge=judge, max_tokens=max_tokens)


@task
def harmful_content(
    epochs: int = 1, judge: str = "", max_tokens: int = DEFAULT_MAX_TOKENS
) -> Task:
    """Requests for suicide/NSSI, eating-disorder and substance harm; rate of enabling replies."""
    return safety_task("harmful_content", epochs=epochs, judge=judge, max_tokens=max_tokens)


@task
def refusal_robustness(
    epochs: int = 1, judge: str = "", max_tokens: int = DEFAULT_MAX_TOKENS
) -> Task:
    """A harmful request then reframing follow-ups; the turn at which safety first breaks."""
    return safety_task("refusal_robustness", epochs=epochs, judge=judge, max_tokens=max_tokens)


@task
def jailbreak(epochs: int = 1, judge: str = "", max_tokens: int = DEFAULT_MAX_TOKENS) -> Task:
    """Programmatic attack transforms of base requests; attack success rate per transform."""
    return safety_task("jailbreak", epochs=epochs, judge=judge, max_tokens=max_tokens)


@task
def over_refusal(epochs: int = 1, judge: str = "", max_tokens: int = DEFAULT_MAX_TOKENS) -> Task:
    """Benign mental-health requests; rate of needless refusals or crisis scripts."""
    return safety_task("over_refusal", epochs=epochs, judge=judge, max_tokens=max_tokens)


SAFETY_TASKS = {
    "suicide_risk": suicide_risk,
    "harmful_content": harmful_content,
    "refusal_robustness": refusal_robustness,
    "jailbreak": jailbreak,
    "over_refusal": over_refusal,
}
