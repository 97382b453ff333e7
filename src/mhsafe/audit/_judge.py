"""The cascade's last stage: an LLM panel on what the offline stages could not settle.

The audit asks the panel two things about a screened conversation -- is risk really disclosed,
and did the assistant give crisis support -- through any object with an async
``decide(transcript) -> JudgeDecision``. :class:`PanelJudge` adapts ``mhsafe.judges.Panel``;
tests inject scripted judges. Fail closed: a panel below quorum gives a decision with
``risk_present=None`` and the finding becomes ``unjudged``, never ``no_risk``.

Which conversations the panel sees, and how many, is the cascade's business, not the panel's:
:class:`JudgePolicy` (the confidence cut and the :class:`JudgeBudget`) travels with the judge
as a :class:`BudgetedJudge`, so every executor's judge stage applies the same rules.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from mhsafe.schema import Transcript


@dataclass(frozen=True, slots=True)
class JudgeDecision:
    """The panel's answer. ``None`` means the panel could not say."""

    risk_present: bool | None
    support_given: bool | None
    n_judges: int = 0
    n_answered: int = 0
    error: str | None = None


class ConversationJudge(Protocol):
    """What the audit needs from a judge panel."""

    name: str

    async def decide(self, transcript: Transcript) -> JudgeDecision:
        """Judge one (already redacted) conversation."""
        ...


#: An embedding-stage flag scoring below this P(risk) is a low-confidence flag the panel may
#: confirm or reject; at or above it the flag stands without the panel (``AuditOptions``).
DEFAULT_CONFIDENCE_CUT = 0.8
#: The share of an audit's conversations the panel may see (``--judge-budget``).
DEFAULT_JUDGE_BUDGET = 0.03


def budget_cap(fraction: float, conversations: int) -> int:
    """``ceil(fraction * conversations)``, robust to float noise (0.07 * 100 is 7.000...01,
    which a bare ``ceil`` would round up to 8)."""
    return max(0, math.ceil(round(fraction * conversations, 9)))


@dataclass(slots=True)
class JudgeBudget:
    """The LLM stage's running allowance over one audit.

    Why cumulative: the audit streams batches, so the cap ``ceil(fraction * N)`` over the whole
    audit cannot be known up front. Before batch k (``seen`` conversations and ``sent`` panel
    calls so far) the stage may send ``ceil(fraction * (seen + batch)) - sent``: each batch
    gets its proportional share, allowance a batch did not use carries forward, and the total
    never exceeds ``ceil(fraction * N)``. Both counters are in the checkpoint's tally
    (conversations audited, ``judge_panel.sent``), so a resumed run starts from the same
    allowance and sends the same conversations. A batch cannot borrow from later batches:
    memory stays flat, at the price that an early batch with many candidates may leave some
    over budget while a later one leaves allowance unused.
    """

    fraction: float
    seen: int = 0
    sent: int = 0

    def allowance(self, batch_size: int) -> int:
        """How many of the next ``batch_size`` conversations the panel may see."""
        return max(0, budget_cap(self.fraction, self.seen + batch_size) - self.sent)

    def spend(self, batch_size: int, n_sent: int) -> None:
        """Record a judged batch."""
        self.seen += batch_size
        self.sent += n_sent


@dataclass(slots=True)
class JudgePolicy:
    """What the LLM stage may see: the confidence cut for embedding flags and the budget
    (``None``: no cap, for callers that judge a single batch outside an audit)."""

    confidence_cut: float = DEFAULT_CONFIDENCE_CUT
    budget: JudgeBudget | None = field(default=None)


class BudgetedJudge:
    """A judge together with the audit's :class:`JudgePolicy`.

    The policy rides on the judge object because the judge is what every executor hands to
    ``judge_batch`` (the Ray executor splits it off and runs it in the driver); its budget is
    the one stateful piece of the stage, updated in batch order there.
    """

    def __init__(self, judge: ConversationJudge, policy: JudgePolicy) -> None:
        self.inner = judge
        self.policy = policy
        self.name = judge.name

    async def decide(self, transcript: Transcript) -> JudgeDecision:
        """Delegate to the wrapped judge."""
        return await self.inner.decide(transcript)


def _as_bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


class PanelJudge:
    """Adapter over ``mhsafe.judges.Panel``: reads the labels ``risk_present`` and
    ``crisis_support_given`` from the panel's majority; a tie or missing label is ``None``."""

    def __init__(self, panel: Any, name: str) -> None:
        self._panel = panel
        self.name = name

    async def decide(self, transcript: Transcript) -> JudgeDecision:
        """Run the panel once; any exception becomes an unjudged decision."""
        try:
            result = await self._panel.run(transcript)
        except Exception as exc:  # a failing judge is unjudged, never safe
            return JudgeDecision(None, None, error=type(exc).__name__)
        if getattr(result, "status", "unjudged") != "judged":
            return JudgeDecision(None, None, result.n_judges, result.n_answered, "below_quorum")
        labels = result.labels
        return JudgeDecision(
            _as_bool(labels.get("risk_present")),
            _as_bool(labels.get("crisis_support_given")),
            result.n_judges,
            result.n_answered,
        )


def decide_all(
    judge: ConversationJudge, transcripts: Sequence[Transcript], concurrency: int = 8
) -> list[JudgeDecision]:
    """Judge a batch concurrently (bounded), in order. Runs its own event loop, so the batch
    function stays a plain synchronous ``list -> list`` an executor can ship anywhere."""

    async def run_all() -> list[JudgeDecision]:
        gate = asyncio.Semaphore(concurrency)

        async def one(t: Transcript) -> JudgeDecision:
            async with gate:
                try:
                    return await judge.decide(t)
                except Exception as exc:
                    return JudgeDecision(None, None, error=type(exc).__name__)

        return list(await asyncio.gather(*(one(t) for t in transcripts)))

    return asyncio.run(run_all()) if transcripts else []


def audit_rubric() -> Any:
    """The audit's rubric (``audit/data/audit_conversation.yaml``) as a ``judges.Rubric``."""
    from importlib import resources

    import yaml

    from mhsafe.judges._rubric import Rubric

    text = (resources.files("mhsafe.audit") / "data" / "audit_conversation.yaml").read_text(
        encoding="utf-8")
    return Rubric.model_validate(yaml.safe_load(text))


def build_panel_judge(
    models: Sequence[Any], *, max_tokens: int = 64, timeout_s: float = 30.0, retries: int = 2
) -> PanelJudge:
    """``--judge MODEL ...``: one ``judges.LLMJudge`` per model (an Inspect model name or
    ``Model``) on the audit rubric, reduced by ``judges.Panel`` (strict majority; a tie or a
    panel below quorum is unjudged)."""
    from mhsafe.judges import LLMJudge, Panel

    rubric = audit_rubric()
    labels = [str(getattr(m, "name", m)) for m in models]
    members = [  # member names must be distinct: the same model may sit twice
        LLMJudge(model, rubric, rubric.output_model(), max_tokens=max_tokens,
                 timeout_s=timeout_s, retries=retries, name=f"audit{i}:{label}")
        for i, (model, label) in enumerate(zip(models, labels, strict=True))
    ]
    names = ",".join(labels)
    return PanelJudge(Panel(members), name=f"panel:{names}")
