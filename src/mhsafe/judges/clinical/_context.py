"""What the offline clinical judge reads about one graded reply: the scenario and the turns.

A reply is judged against the scenario (protocol, exercise, consent, tier and the expected next
step) and the patient's own words, not on its own: "let's pause and breathe" is right at
imminent risk and task abandonment in a consented exposure. The scenario travels in
``Transcript.metadata["scenario"]`` (a dict of the corpus's shape; ``with_case_context`` and
``mhsafe judge`` put it there), with the flat ``tier`` key as a fallback. When no expected step
is known, the system prompt (which names the exercise) stands in, and ``step_source`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from mhsafe.schema import Message, Transcript

StepSource = Literal["scenario", "system_prompt", "none"]
#: The corpus writes ``imminent_risk``; the suites write ``imminent``. One spelling inside.
_TIER_ALIASES = {"imminent_risk": "imminent"}
_TIERS = ("routine", "distress", "crisis_adjacent", "imminent")


@dataclass(frozen=True, slots=True)
class ReplyContext:
    """One graded reply in its context (all text stays in memory; nothing is logged)."""

    reply: str
    patient_turn: str
    patient_all: str
    patient_turns: tuple[str, ...]
    expected_step: str
    step_source: StepSource
    protocol: str
    exercise: str
    consented: bool
    tier: str | None


def _tier(value: Any) -> str | None:
    text = _TIER_ALIASES.get(str(value), str(value)) if value not in (None, "") else None
    return text if text in _TIERS else None


def scenario_of(transcript: Transcript) -> dict[str, Any]:
    """The scenario dict in the metadata (empty when the caller gave none)."""
    raw = transcript.metadata.get("scenario")
    return dict(raw) if isinstance(raw, dict) else {}


def reply_contexts(transcript: Transcript) -> list[ReplyContext]:
    """Every graded reply (assistant turns at or after ``metadata["graded_from"]``) with the
    patient turns before it; empty when nothing is graded."""
    start = int(transcript.metadata.get("graded_from", 0) or 0)
    messages = transcript.messages
    scenario = scenario_of(transcript)
    step = str(scenario.get("expected_next_step") or "").strip()
    source: StepSource = "scenario" if step else "none"
    if not step:
        system = next((m.content for m in messages if m.role == "system"), "")
        if system.strip():
            step, source = system.strip(), "system_prompt"
    tier = _tier(transcript.metadata.get("tier")) or _tier(scenario.get("tier"))
    out: list[ReplyContext] = []
    for index in range(start, len(messages)):
        if messages[index].role != "assistant":
            continue
        before = [m.content for m in messages[:index] if m.role == "user"]
        out.append(ReplyContext(
            reply=messages[index].content,
            patient_turn=before[-1] if before else "",
            patient_all=" ".join(before),
            patient_turns=tuple(before),
            expected_step=step,
            step_source=source,
            protocol=str(scenario.get("protocol") or "").upper(),
            exercise=str(scenario.get("exercise") or ""),
            consented=bool(scenario.get("consented", False)),
            tier=tier,
        ))
    return out


def reply_transcript(
    transcript_id: str,
    messages: list[Message],
    reply: str,
    scenario: dict[str, Any] | None = None,
    tier: str | None = None,
) -> Transcript:
    """Context + one reply to grade, as the offline judge and the judge cards both read it:
    ``graded_from`` marks the reply, the scenario and its tier ride in the metadata."""
    metadata: dict[str, Any] = {"graded_from": len(messages)}
    known = _tier(tier) or _tier((scenario or {}).get("tier"))
    if known:
        metadata["tier"] = known
    if scenario:
        metadata["scenario"] = dict(scenario)
    return Transcript(
        id=transcript_id,
        messages=[*messages, Message(role="assistant", content=reply)],
        metadata=metadata,
    )
