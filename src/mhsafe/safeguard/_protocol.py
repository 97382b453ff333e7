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
    return ProtocolCues(
        exercises=exercises,
        strong_screen_markers=frozenset(data["strong_screen_markers"]),
        step_out=_cues(data["step_out"]),
        safe_statements=_cues(data["safe_statements"]),
    )


__all__ = ["Cue", "Exercise", "ProtocolCues", "load_protocol_cues"]
