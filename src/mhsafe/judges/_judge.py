"""The Judge protocol and the rule-judge wrapper.

Rules and LLM judges answer the same way — ``async judge(transcript) -> Judgment`` — so a panel
can mix them freely. A rule that raises is ``unjudged`` with the error, never silently "safe".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Protocol, runtime_checkable

from pydantic import BaseModel

from mhsafe.schema import Judgment, Transcript, Value

RuleOutput = Mapping[str, Value] | BaseModel
RuleFn = Callable[[Transcript], RuleOutput]


@runtime_checkable
class Judge(Protocol):
    """Anything that turns a transcript into one Judgment."""

    name: str

    async def judge(self, transcript: Transcript) -> Judgment: ...


def scalar_values(output: RuleOutput) -> dict[str, Value]:
    """A flat dict of JSON scalars for ``Judgment.values``. Lists (e.g. harm kinds) are joined
    with commas so a value stays one cell in a table; nested objects are refused."""
    raw = output.model_dump(mode="json") if isinstance(output, BaseModel) else dict(output)
    values: dict[str, Value] = {}
    for key, value in raw.items():
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            values[key] = ",".join(value)
        elif value is None or isinstance(value, bool | int | float | str):
            values[key] = value
        else:
            raise TypeError(f"criterion {key!r} is not a scalar")
    return values


class RuleJudge:
    """Wrap a synchronous rule ``fn(transcript) -> mapping | BaseModel`` as a Judge."""

    def __init__(self, name: str, fn: RuleFn, *, rubric: str = "rules", version: str = "1"):
        self.name = name
        self.fn = fn
        self.rubric = rubric
        self.version = version

    async def judge(self, transcript: Transcript) -> Judgment:
        began = time.perf_counter()
        try:
            values = scalar_values(self.fn(transcript))
        except Exception as exc:  # fail closed: a broken rule is unjudged, not safe
            return Judgment(
                judge=self.name,
                transcript_id=transcript.id,
                rubric=self.rubric,
                rubric_version=self.version,
                status="unjudged",
                error=f"rule raised {type(exc).__name__}",  # no reply text in errors
                latency_s=time.perf_counter() - began,
            )
        return Judgment(
            judge=self.name,
            transcript_id=transcript.id,
            rubric=self.rubric,
            rubric_version=self.version,
            status="judged",
            values=values,
            latency_s=time.perf_counter() - began,
        )


def rule_judge(
    name: str, *, rubric: str = "rules", version: str = "1"
) -> Callable[[RuleFn], RuleJudge]:
    """Decorator form: ``@rule_judge("crisis_support")`` over a rule function."""

    def wrap(fn: RuleFn) -> RuleJudge:
        return RuleJudge(name, fn, rubric=rubric, version=version)

    return wrap
