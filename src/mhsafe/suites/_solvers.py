"""Solvers: play a case's scripted user turns against the system under test.

`scripted_conversation` is the whole road for single- and multi-turn safety cases: each user turn
is appended and the model answers with a bounded `max_tokens` (the embedded model is a base model
and writes to the end of its context otherwise). `skip_finished` runs first: a (case, epoch) pair
that a killed run already stored is restored from the store instead of regenerated, so a resumed
run neither repeats nor loses work.
"""

from __future__ import annotations

from inspect_ai.model import (
    CachePolicy,
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageUser,
)
from inspect_ai.solver import Generate, Solver, TaskState, solver

from mhsafe.suites._context import current_run

RESUMED_KEY = "mhsafe_resumed"


def case_id_of(state: TaskState) -> str:
    """The case id a sample was built from (Inspect sample ids may be ints)."""
    return str(state.metadata.get("case_id", state.sample_id))


@solver
def skip_finished() -> Solver:
    """Restore a finished (case, epoch) from the store and mark the sample complete."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        run = current_run()
        if run is None:
            return state
        key = (case_id_of(state), state.epoch)
        if key not in run.previous:
            return state
        stored = run.sink.transcript(run.run_id, key[0], key[1])
        if stored is not None:
            state.messages = [
                ChatMessageSystem(content=m.content)
                if m.role == "system"
                else ChatMessageUser(content=m.content)
                if m.role == "user"
                else ChatMessageAssistant(content=m.content)
                for m in stored.messages
            ]
        state.metadata[RESUMED_KEY] = True
        state.completed = True
        run.resumed += 1
        return state

    return solve


@solver
def scripted_conversation(max_tokens: int = 256, cache: bool = True) -> Solver:
    """Send each scripted user turn in order, generating one bounded reply after each.

    With `cache` the replies go through Inspect's model cache (keyed by model, input, config and
    epoch), so re-running a finished evaluation costs no model calls.
    """

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        if state.metadata.get(RESUMED_KEY):
            return state
        turns: list[str] = list(state.metadata.get("turns", [])) or [state.input_text]
        system_prompt = state.metadata.get("system_prompt")
        state.messages = [ChatMessageSystem(content=system_prompt)] if system_prompt else []
        policy = CachePolicy(expiry=None) if cache else False
        for turn in turns:
            state.messages.append(ChatMessageUser(content=turn))
            state = await generate(state, max_tokens=max_tokens, cache=policy)
        return state

    return solve
