"""The cascade's last stage: an LLM panel on the conversations the screen sends up.

The audit asks the panel two things about a screened conversation -- is risk really disclosed,
and did the assistant give crisis support -- through any object with an async
``decide(transcript) -> JudgeDecision``. :class:`PanelJudge` adapts ``mhsafe.judges.Panel``;
tests inject scripted judges. Fail closed: a panel below quorum gives a decision with
``risk_present=None`` and the finding becomes ``unjudged``, never ``no_risk``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
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
