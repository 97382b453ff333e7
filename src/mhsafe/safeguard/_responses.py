"""The proxy's own words, with crisis resources drawn from the registry for the user's locale.

Numbers never come from a model's memory and never from this file: ``data/responses.yaml``
holds the wording with ``{resources}`` / ``{emergency}`` slots, and the slots are filled from
``mhsafe.judges.load_registry().for_locale(...)`` -- active lines only, so a closed line cannot
be recommended. A locale the registry does not cover gets a plain "contact your local emergency
number" rather than a foreign line that would not connect.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from mhsafe.judges import CrisisLine, CrisisLineRegistry, load_registry


@dataclass(frozen=True)
class Responses:
    """The templates of ``data/responses.yaml``."""

    acute: str
    crisis_mode: str
    support: str
    concern: str
    support_only: str
    harm_block: str
    method_decline: str
    exercise_checkin: str
    removed_number: str
    number_placeholder: str
    resource_intro: str
    voice_line: str
    text_line: str
    text_line_no_keyword: str
    emergency_line: str
    no_lines: str


@lru_cache(maxsize=1)
def load_responses() -> Responses:
    """Read the templates once per process (read-only data)."""
    text = resources.files("mhsafe.safeguard").joinpath("data/responses.yaml").read_text(
        encoding="utf-8"
    )
    data: Any = yaml.safe_load(text)
    fields = Responses.__dataclass_fields__
    return Responses(**{name: " ".join(str(data[name]).split()) for name in fields})


def _pick(lines: list[CrisisLine], kind: str) -> CrisisLine | None:
    return next((line for line in lines if line.kind == kind), None)


def render_resources(locale: str, registry: CrisisLineRegistry) -> tuple[str, str]:
    """(``{resources}`` text, ``{emergency}`` text) for ``locale``: the first active crisis
    line and text line in registry order, and the emergency number."""
    t = load_responses()
    lines = registry.for_locale(locale)
    parts: list[str] = []
    voice = _pick(lines, "crisis_line")
    if voice is not None:
        number = next((n for n in voice.numbers if n.channel == "voice"), voice.numbers[0])
        parts.append(t.voice_line.format(name=voice.name, number=number.number))
    text_line = _pick(lines, "text_line")
    sms = next((n for n in text_line.numbers if n.channel == "text"), None) if text_line else None
    if text_line is not None and sms is not None:
        template = t.text_line if sms.keyword else t.text_line_no_keyword
        parts.append(template.format(name=text_line.name, number=sms.number, keyword=sms.keyword))
    emergency_line = _pick(lines, "emergency")
    emergency = (
        t.emergency_line.format(number=emergency_line.numbers[0].number)
        if emergency_line is not None
        else ""
    )
    if not parts:
        return t.no_lines, emergency
    return f"{t.resource_intro} {'; '.join(parts)}.", emergency


@lru_cache(maxsize=64)
def _default_resources(locale: str) -> tuple[str, str]:
    return render_resources(locale, load_registry())


def fill(template: str, locale: str, registry: CrisisLineRegistry | None = None) -> str:
    """A template with its resource slots filled for ``locale`` (cached per locale for the
    shipped registry; a registry passed in is read afresh)."""
    code = locale.upper()
    res, emergency = (
        _default_resources(code) if registry is None else render_resources(code, registry)
    )
    return " ".join(template.format(resources=res, emergency=emergency).split())


__all__ = ["Responses", "fill", "load_responses", "render_resources"]
