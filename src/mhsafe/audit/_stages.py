"""The audit's batch stages: pure functions ``list[...] -> list[...]``.

Keeping each stage a plain function of its batch (no shared mutable state, no I/O) is what lets
an executor run them anywhere -- in this process today, on Ray Data workers later -- and what
makes a resumed run produce the same findings as an uninterrupted one.

screen_batch -> assess_batch -> judge_batch (only with ``--judge``).

The one exception is the judge stage's budget (``JudgeBudget``): a running allowance updated in
batch order where the judge runs (always the driver), its counters re-derived from the
checkpoint on resume -- see ``judge_batch``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from mhsafe.audit._intervention import InterventionChecker
from mhsafe.audit._judge import (
    BudgetedJudge,
    ConversationJudge,
    JudgeDecision,
    JudgePolicy,
    decide_all,
)
from mhsafe.redact import redact
from mhsafe.schema import Finding, Message, RiskCategory, ScreenResult, Transcript

#: Why the LLM stage wants a conversation: the screen left it undecided, or only the embedding
#: stage flagged it and below the confidence cut.
LLMReason = Literal["undecided", "low_confidence"]


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


@dataclass(frozen=True, slots=True)
class ScreenBasis:
    """How the screen decided a conversation, as far as the LLM stage must know.

    ``decisive_hit``: some user turn was a risk hit from a stage other than the embedding
    classifier (a decisive lexicon hit) -- such a conversation never goes to the panel, so the
    panel can never clear it. ``undecided_turn``: the first user message left at ``risk=None``
    (``hint``: the category the lexicon guessed for such turns). ``flag_score``: the highest
    embedding P(risk) among embedding-flagged turns (None: no such turn).
    """

    decisive_hit: bool
    undecided_turn: int | None = None
    hint: RiskCategory = "none"
    flag_score: float | None = None
    # The first risk turn's rule ids and score, for the reviewer's "why was this flagged?"
    # panel (ids and numbers only, never text).
    rule_ids: tuple[str, ...] = ()
    risk_score: float | None = None


@dataclass(slots=True)
class Assessed:
    """A conversation's finding plus what the driver needs to queue and count it.

    ``basis`` is filled by :func:`with_screen_basis`; ``llm_reason``/``llm_sent`` by
    :func:`judge_batch` (why the LLM stage wanted it, and whether the budget let it through).
    """

    transcript: Transcript
    finding: Finding
    flagged_stage: str | None
    review: bool
    review_messages: list[Message] | None = None
    keep_numbers: tuple[str, ...] = ()
    turn_counts: dict[str, int] = field(default_factory=dict)
    basis: ScreenBasis | None = None
    llm_reason: LLMReason | None = None
    llm_sent: bool = False


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


def review_reasons(finding: Finding) -> list[str]:
    """Why a conversation needs a clinician: screen risk, an unjudged outcome, a hallucinated
    line, an over-trigger (a conversation may have several)."""
    reasons = [("risk_flagged", finding.risk_detected), ("unjudged", finding.status == "unjudged"),
               ("hallucinated_resource", finding.hallucinated_resource),
               ("over_trigger", finding.over_trigger)]
    return [name for name, present in reasons if present]


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
        acute_turns = [mi for mi in risk_turns if s.turns[mi].acute]
        check = checker.check(s.transcript.messages, risk_turns, acute_turns=acute_turns)
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


def screen_basis(screened: Screened) -> ScreenBasis:
    """Summarise one conversation's turn results for the LLM stage."""
    turns = sorted(screened.turns.items())
    undecided = [(mi, r) for mi, r in turns if r.risk is None]
    scores = [r.score for _, r in turns if r.risk is True and r.stage == "embedding"]
    first = next((r for _, r in turns if r.risk is True), None)
    return ScreenBasis(
        decisive_hit=any(r.risk is True and r.stage != "embedding" for _, r in turns),
        undecided_turn=undecided[0][0] if undecided else None,
        hint=next((r.category for _, r in undecided if r.category != "none"), "none"),
        flag_score=max(scores) if scores else None,
        rule_ids=tuple(first.matched) if first is not None else (),
        risk_score=first.score if first is not None else None,
    )


def with_screen_basis(screened: Sequence[Screened], assessed: Sequence[Assessed]) -> list[
    Assessed
]:
    """Attach each conversation's :class:`ScreenBasis` (both lists are in batch order)."""
    return [replace(a, basis=screen_basis(s)) for s, a in zip(screened, assessed, strict=True)]


def _basis_of(a: Assessed) -> ScreenBasis:
    """The attached basis or, for an :class:`Assessed` built without one, the safe reading of
    its finding: any flag not known to come from the embedding stage counts as decisive, and
    an embedding flag without a known score is not low-confidence (the stage only adds recall;
    it must not clear what it cannot show to be doubtful)."""
    if a.basis is not None:
        return a.basis
    return ScreenBasis(decisive_hit=a.finding.risk_detected and a.flagged_stage != "embedding")


def llm_reason(a: Assessed, confidence_cut: float) -> LLMReason | None:
    """Why the LLM stage should see this conversation, or None when it must not."""
    basis = _basis_of(a)
    if basis.decisive_hit:
        return None
    if not a.finding.risk_detected:
        return "undecided" if a.finding.status == "unjudged" else None
    if basis.flag_score is not None and basis.flag_score < confidence_cut:
        return "low_confidence"
    return None


def _priority(a: Assessed, reason: LLMReason, index: int) -> tuple[int, float, int]:
    """Undecided first (in batch order), then low-confidence flags lowest score first: every
    flag passed the threshold, so the lowest score is the one closest to it."""
    if reason == "undecided":
        return (0, 0.0, index)
    return (1, _basis_of(a).flag_score or 0.0, index)


def choose_for_llm(
    assessed: Sequence[Assessed], policy: JudgePolicy
) -> tuple[dict[int, LLMReason], list[int]]:
    """(every wanted index -> its reason, the indices sent within the batch's allowance)."""
    wanted = {i: r for i, a in enumerate(assessed)
              if (r := llm_reason(a, policy.confidence_cut)) is not None}
    ranked = sorted(wanted, key=lambda i: _priority(assessed[i], wanted[i], i))
    allowance = len(ranked) if policy.budget is None else policy.budget.allowance(len(assessed))
    return wanted, sorted(ranked[:allowance])


def _outgoing(a: Assessed, redact_outgoing: bool) -> Transcript:
    """The copy that leaves the machine: redacted unless told otherwise, without its source."""
    messages = (redact_messages(a.transcript.messages, a.keep_numbers) if redact_outgoing
                else a.transcript.messages)
    return a.transcript.model_copy(update={"messages": messages, "source": ""})


def _settle_flag(a: Assessed, f: Finding, decision: JudgeDecision) -> tuple[Finding, str | None]:
    """A low-confidence embedding flag: the panel confirms (and may say whether support was
    given), rejects, or cannot say (-> unjudged, still flagged)."""
    if decision.risk_present is None:
        return f.model_copy(update={"status": "unjudged"}), a.flagged_stage
    if decision.risk_present is False:
        return f.model_copy(update={
            "risk_detected": False, "risk_category": "none", "acute": False,
            "risk_turn": None, "intervention_detected": False, "intervention_turn": None,
            "status": "no_risk"}), None
    if decision.support_given is not None and f.status != "unjudged":
        f = f.model_copy(update={
            "status": "ok" if decision.support_given else "missed_intervention"})
    return f, "judge"


def _settle_undecided(a: Assessed, f: Finding, decision: JudgeDecision) -> tuple[
    Finding, str | None
]:
    """A conversation the screen could not settle: the panel raises it to risk (its support
    answer decides the status; the risk turn is the first turn the screen left undecided),
    settles it as no risk, or cannot say (-> stays unjudged, never safe)."""
    if decision.risk_present is None:
        return f, None
    if decision.risk_present is False:
        return f.model_copy(update={"status": "no_risk"}), None
    support = decision.support_given
    basis = _basis_of(a)
    return f.model_copy(update={
        "risk_detected": True, "risk_category": basis.hint, "risk_turn": basis.undecided_turn,
        "intervention_detected": support is True, "intervention_turn": None,
        "status": "unjudged" if support is None else "ok" if support else "missed_intervention",
    }), "judge"


def _apply_decision(a: Assessed, decision: JudgeDecision) -> Assessed:
    f = a.finding.model_copy(update={"stages": [*a.finding.stages, "judge"]})
    settle = _settle_flag if a.finding.risk_detected else _settle_undecided
    f, stage = settle(a, f, decision)
    return replace(a, finding=f, flagged_stage=stage if f.risk_detected else None,
                   review=_review_needed(f) or a.review, llm_sent=True)


def judge_batch(
    judge: ConversationJudge,
    assessed: Sequence[Assessed],
    *,
    redact_outgoing: bool = True,
    concurrency: int = 8,
    policy: JudgePolicy | None = None,
) -> list[Assessed]:
    """The cascade's LLM stage: a stage that only adds recall.

    Sent: conversations the screen left undecided (status ``unjudged``, no risk turn) and
    low-confidence flags (risk only from the embedding stage, best score below the policy's
    confidence cut). Never sent, so never cleared: a decisive lexicon hit; also confident
    embedding flags and screen negatives. The panel may raise an undecided conversation to
    risk or settle it as no risk, and confirm or reject a low-confidence flag; when it cannot
    answer (timeout, unparseable, below quorum) the conversation is ``unjudged``.

    Budget: the policy's :class:`~mhsafe.audit._judge.JudgeBudget` allows this batch its
    proportional share plus what earlier batches left unused (see there); candidates are
    ranked undecided first, then low-confidence flags lowest score first. Those over budget
    keep their offline outcome (an undecided one stays ``unjudged``) and are marked
    ``llm_sent=False`` so the summary can count them. ``policy`` defaults to the one carried by
    a :class:`~mhsafe.audit._judge.BudgetedJudge`, else the default cut with no cap.
    Text leaves the machine redacted unless told otherwise.
    """
    if isinstance(judge, BudgetedJudge):
        policy = policy or judge.policy
        judge = judge.inner
    policy = policy or JudgePolicy()
    wanted, sent = choose_for_llm(assessed, policy)
    decisions = decide_all(judge, [_outgoing(assessed[i], redact_outgoing) for i in sent],
                           concurrency)
    if policy.budget is not None:
        policy.budget.spend(len(assessed), len(sent))
    out = [replace(a, llm_reason=wanted.get(i)) for i, a in enumerate(assessed)]
    for i, decision in zip(sent, decisions, strict=True):
        out[i] = _apply_decision(out[i], decision)
    return out
