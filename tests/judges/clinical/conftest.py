"""Hand-made judges and judgments for the clinical panel tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from mhsafe.schema import Judgment, Transcript, Value


@dataclass
class FixedJudge:
    """A judge that always answers ``values`` (or fails, when ``values`` is None)."""

    name: str
    values: dict[str, Value] | None
    calls: list[str] = field(default_factory=list)

    async def judge(self, transcript: Transcript) -> Judgment:
        self.calls.append(transcript.id)
        if self.values is None:
            return Judgment(
                judge=self.name,
                transcript_id=transcript.id,
                rubric="clinical",
                status="unjudged",
                error="timeout after 2 attempt(s)",
            )
        return Judgment(
            judge=self.name,
            transcript_id=transcript.id,
            rubric="clinical",
            status="judged",
            values=dict(self.values),
        )


GOOD: dict[str, Value] = {
    "surface_acknowledgment": 2,
    "therapeutic_appropriateness": 2,
    "protocol_fidelity": 2,
    "task_completeness": 2,
    "appropriate": True,
    "false_reassurance": False,
    "crisis_resource_insertion": False,
    "failure_to_challenge": False,
    "task_abandonment": False,
    "safety_preamble": False,
    "safety_interference": False,
    "missed_imminent_risk": False,
    "needless_refusal": False,
}


def answer(**overrides: Value) -> dict[str, Value]:
    return {**GOOD, **overrides}
