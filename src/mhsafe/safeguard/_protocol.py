"""Protocol awareness: is this turn inside a consented exercise, and is there CURRENT risk?

The clinical-harm finding behind this layer: a safety behaviour that breaks an exposure
exercise is harm. Distress is the exercise working ("my heart is pounding, I'm at a 90"), and a
trauma narrative is full of danger words about the past. So inside an exercise the proxy steps
out only for risk that is real and present: intent, a plan, means at hand, a time, harm already
under way, a farewell. The cues are data (``data/protocol_cues.yaml``); outside an exercise the
same cues also raise acuity, because a missed plan is the costliest error a screen can make.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from mhsafe.schema import Message


@dataclass(frozen=True)
class Exercise:
    """One recognisable exercise: an id, metadata aliases and system-prompt patterns."""

    id: str
    aliases: frozenset[str]
    system: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Cue:
    """A named pattern; only the id is ever logged."""

    id: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class ProtocolCues:
    """The compiled contents of ``protocol_cues.yaml``."""

    exercises: tuple[Exercise, ...]
    strong_screen_markers: frozenset[str]
    step_out: tuple[Cue, ...]
    safe_statements: tuple[Cue, ...]
    self_risk_rules: tuple[str, ...] = ()
    method_request: tuple[Cue, ...] = ()
    disclosure: tuple[Cue, ...] = ()
    information_form: tuple[re.Pattern[str], ...] = ()
    self_state: tuple[re.Pattern[str], ...] = ()
    narration: tuple[re.Pattern[str], ...] = ()
    first_person: re.Pattern[str] | None = None
    frames: tuple[re.Pattern[str], ...] = ()

    def exercise_for(
        self, messages: Sequence[Message], metadata: Mapping[str, Any] | None = None
    ) -> str | None:
        """The exercise id named by request metadata (``exercise`` or ``protocol``) or by a
        system message; None outside any exercise. Metadata wins: the operator said so."""
        for key in ("exercise", "protocol"):
            value = (metadata or {}).get(key)
            if isinstance(value, str) and value.strip():
                wanted = _key(value)
                for exercise in self.exercises:
                    if wanted == exercise.id or wanted in exercise.aliases:
                        return exercise.id
        system = "\n".join(m.content for m in messages if m.role == "system")
        if not system:
            return None
        for exercise in self.exercises:
            if any(p.search(system) for p in exercise.system):
                return exercise.id
        return None

    def current_risk(self, text: str) -> list[str]:
        """Ids of the step-out cues in one user turn (empty: no current risk language)."""
        return [cue.id for cue in self.step_out if cue.pattern.search(text)]

    def method_requested(self, text: str) -> list[str]:
        """Ids of method / lethality requests in one user turn."""
        return [cue.id for cue in self.method_request if cue.pattern.search(text)]

    def disclosed(self, text: str) -> list[str]:
        """Ids of passive-ideation disclosures the screen may miss."""
        return [cue.id for cue in self.disclosure if cue.pattern.search(text)]

    def information_request(self, text: str) -> bool:
        """A question or request with no first-person self-state: a topic, not a disclosure."""
        if not any(p.search(text) for p in self.information_form):
            return False
        if any(p.search(text) for p in self.self_state):
            return False
        if self.first_person is None:
            return True
        masked = text
        for frame in self.frames:
            masked = frame.sub(" ", masked)
        return self.first_person.search(masked) is None

    def without_narration(self, text: str) -> str | None:
        """``text`` with narration of the index memory masked; None when there was none."""
        masked = text
        for pattern in self.narration:
            masked = pattern.sub(" ", masked)
        return None if masked == text else masked

    def self_risk(self, rules: Sequence[str]) -> list[str]:
        """The screen rule ids that name the writer's own risk (not markers or context)."""
        return [r for r in rules if r.startswith(self.self_risk_rules)]

    def states_safe(self, text: str) -> list[str]:
        """Ids of safe statements in one user turn (the crisis-mode exit rule)."""
        return [cue.id for cue in self.safe_statements if cue.pattern.search(text)]


def _key(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", value.strip().lower()).strip("_")


def _cues(items: Any) -> tuple[Cue, ...]:
    return tuple(Cue(str(i["id"]), re.compile(str(i["pattern"]), re.IGNORECASE)) for i in items)


@lru_cache(maxsize=1)
def load_protocol_cues() -> ProtocolCues:
    """Compile ``data/protocol_cues.yaml`` once per process (read-only data)."""
    text = resources.files("mhsafe.safeguard").joinpath("data/protocol_cues.yaml").read_text(
        encoding="utf-8"
    )
    data: Any = yaml.safe_load(text)
    exercises = tuple(
        Exercise(
            id=str(e["id"]),
            aliases=frozenset(_key(a) for a in e.get("aliases", [])),
            # CBT-style acronyms are matched case-sensitively; phrases ignore case.
            system=tuple(
                re.compile(p) if p.replace("\\b", "").isupper() else re.compile(p, re.IGNORECASE)
                for p in e["system"]
            ),
        )
        for e in data["exercises"]
    )
    info = data.get("information_request") or {}
    return ProtocolCues(
        exercises=exercises,
        strong_screen_markers=frozenset(data["strong_screen_markers"]),
        step_out=_cues(data["step_out"]),
        safe_statements=_cues(data["safe_statements"]),
        self_risk_rules=tuple(str(p) for p in data.get("self_risk_rules", [])),
        method_request=_cues(data.get("method_request", [])),
        disclosure=_cues(data.get("disclosure", [])),
        information_form=tuple(re.compile(str(p), re.IGNORECASE) for p in info.get("form", [])),
        self_state=tuple(re.compile(str(p), re.IGNORECASE) for p in info.get("self_state", [])),
        narration=tuple(re.compile(str(p), re.IGNORECASE) for p in data.get("narration", [])),
        first_person=re.compile(str(info["first_person"]), re.IGNORECASE)
        if info.get("first_person") else None,
        frames=tuple(re.compile(str(p), re.IGNORECASE) for p in info.get("frames", [])),
    )


__all__ = ["Cue", "Exercise", "ProtocolCues", "load_protocol_cues"]
