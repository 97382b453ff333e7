"""The audit's batch stages: pure functions ``list[...] -> list[...]``.

Keeping each stage a plain function of its batch (no shared mutable state, no I/O) is what lets
an executor run them anywhere -- in this process today, on Ray Data workers later -- and what
makes a resumed run produce the same findings as an uninterrupted one.

screen_batch -> assess_batch -> judge_batch (only with ``--judge``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from mhsafe.audit._intervention import InterventionChecker
from mhsafe.audit._judge import ConversationJudge, decide_all
from mhsafe.audit._redact import redact
from mhsafe.schema import Finding, Message, ScreenResult, Transcript


class TurnScreen(Protocol):
    """What the audit needs from ``mhsafe.judges.screen.RiskScreen``."""

    def screen_turns_counted(self, texts: Sequence[str]) -> tuple[list[ScreenResult], Any]:
        """Per-turn results plus the stage counts (a pydantic model or a mapping)."""
        ...


@dataclass(slots=True)
class Screened:
    """A conversation with its user turns screened (message index -> result)."""

    transcript: Transcript
    turns: dict[int, ScreenResult]


@dataclass(slots=True)
class Assessed:
    """A conversation's finding plus what the driver needs to queue and count it."""

    transcript: Transcript
    finding: Finding
    flagged_stage: str | None
    review: bool
    review_messages: list[Message] | None = None
    keep_numbers: tuple[str, ...] = ()
    turn_counts: dict[str, int] = field(default_factory=dict)


def _counts_dict(counts: Any) -> dict[str, int]:
    if counts is None:
        return {}
    raw = counts.model_dump() if hasattr(counts, "model_dump") else dict(counts)
    return {k: int(v) for k, v in raw.items() if isinstance(v, int)}


def screen_batch(screen: TurnScreen, conversations: Sequence[Transcript]) -> tuple[
    list[Screened], dict[str, int]
]:
    """Screen every user turn of the batch in one call (the embedding stage batches them)."""
    where: list[tuple[int, int]] = []
    texts: list[str] = []
    for ci, t in enumerate(conversations):
        for mi, m in enumerate(t.messages):
            if m.role == "user":
                where.append((ci, mi))
                texts.append(m.content)
    results, counts = screen.screen_turns_counted(texts) if texts else ([], None)
    out = [Screened(t, {}) for t in conversations]
    for (ci, mi), result in zip(where, results, strict=True):
        out[ci].turns[mi] = result
    return out, _counts_dict(counts)


def redact_messages(messages: Sequence[Message], keep: Sequence[str]) -> list[Message]:
    """Redacted copies, keeping crisis numbers and the numbers replies offered as resources."""
    return [Message(role=m.role, content=redact(m.content, keep=keep)) for m in messages]


def _review_needed(finding: Finding) -> bool:
    return (
        finding.risk_detected
        or finding.hallucinated_resource
        or finding.over_trigger
        or finding.status == "unjudged"
    )


def assess_batch(
    checker: InterventionChecker, screened: Sequence[Screened], *, redact_review: bool = True
) -> list[Assessed]:
    """Screen results + intervention check -> one :class:`Finding` per conversation."""
    out: list[Assessed] = []
    for s in screened:
        risk_turns = sorted(mi for mi, r in s.turns.items() if r.risk is True)
        unresolved = any(r.risk is None for r in s.turns.values())
        check = checker.check(s.transcript.messages, risk_turns)
        stages = ["lexicon"] if s.turns else []
        if any(r.stage == "embedding" for r in s.turns.values()):
            stages.append("embedding")
        if risk_turns:
            first = s.turns[risk_turns[0]]
            stages.append("intervention")
            status = {"ok": "ok", "missed_intervention": "missed_intervention"}.get(
                check.outcome, "unjudged")
            finding = Finding(
                conversation_id=s.transcript.id,
                risk_detected=True,
                risk_category=next((s.turns[mi].category for mi in risk_turns
                                    if s.turns[mi].category != "none"), "none"),
                acute=any(s.turns[mi].acute for mi in risk_turns),
                risk_turn=check.risk_turn,
                intervention_detected=check.intervention_detected,
                intervention_turn=check.intervention_turn,
                hallucinated_resource=check.hallucinated_resource,
                over_trigger=check.over_trigger,
                status=status,
                stages=stages,
                source=s.transcript.source,
            )
            flagged_stage: str | None = first.stage
        else:
            finding = Finding(
                conversation_id=s.transcript.id,
                risk_detected=False,
                risk_category="none",
                acute=False,
                risk_turn=None,
                intervention_detected=False,
                intervention_turn=None,
                hallucinated_resource=check.hallucinated_resource,
                over_trigger=check.over_trigger,
                status="unjudged" if unresolved else "no_risk",
                stages=stages,
                source=s.transcript.source,
            )
            flagged_stage = None
        review = _review_needed(finding)
        out.append(
            Assessed(
                transcript=s.transcript,
                finding=finding,
                flagged_stage=flagged_stage,
                review=review,
                review_messages=redact_messages(s.transcript.messages, check.resource_numbers)
                if review and redact_review else (list(s.transcript.messages) if review else None),
                keep_numbers=check.resource_numbers,
            )
        )
    return out


def judge_batch(
    judge: ConversationJudge,
    assessed: Sequence[Assessed],
    *,
    redact_outgoing: bool = True,
    concurrency: int = 8,
) -> list[Assessed]:
    """Send screen-positive conversations to the panel; it confirms or rejects the risk and
    says whether support was given. Text leaves the machine redacted unless told otherwise."""
    sent = [i for i, a in enumerate(assessed) if a.finding.risk_detected]
    outgoing = [
        assessed[i].transcript.model_copy(update={
            "messages": redact_messages(assessed[i].transcript.messages,
                                        assessed[i].keep_numbers)
            if redact_outgoing else assessed[i].transcript.messages,
            "source": "",
        })
        for i in sent
    ]
    decisions = decide_all(judge, outgoing, concurrency)
    out = list(assessed)
    for i, decision in zip(sent, decisions, strict=True):
        a = assessed[i]
        f = a.finding.model_copy(update={"stages": [*a.finding.stages, "judge"]})
        if decision.risk_present is None:
            f.status = "unjudged"
        elif decision.risk_present is False:
            f = f.model_copy(update={
                "risk_detected": False, "risk_category": "none", "acute": False,
                "risk_turn": None, "intervention_detected": False, "intervention_turn": None,
                "status": "no_risk"})
        elif decision.support_given is not None and f.status != "unjudged":
            f.status = "ok" if decision.support_given else "missed_intervention"
        stage = "judge" if decision.risk_present else a.flagged_stage
        out[i] = replace(a, finding=f, flagged_stage=stage if f.risk_detected else None,
                         review=_review_needed(f) or a.review)
    return out
