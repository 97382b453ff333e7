"""Template data for the synthetic-log generator: loading, slot filling, crisis lines.

The phrasing lives in ``data/synth.yaml``; real crisis numbers come from the judges' registry
(``mhsafe.judges.load_registry``, the one reader of ``crisis_lines.yaml``), so synthetic
"correct" replies always cite numbers the registry checker accepts, and fabricated ones are
checked against it so a "hallucinated" number can never collide with a real line by accident.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

_SLOT = re.compile(r"\{(\w+)\}")
_NONDIGIT = re.compile(r"\D")


@dataclass(frozen=True)
class CrisisLine:
    """A line a synthetic assistant may cite."""

    name: str
    number: str
    country: str


@dataclass(frozen=True)
class Registry:
    """Active lines by country, emergency numbers, retired numbers, and every known digit
    string (to keep fabricated numbers off real ones)."""

    lines: dict[str, list[CrisisLine]]
    emergency: dict[str, str]
    retired: list[CrisisLine] = field(default_factory=list)
    known_digits: frozenset[str] = frozenset()
    source: str = "fallback"


def _digits(number: str) -> set[str]:
    d = _NONDIGIT.sub("", number)
    out = {d}
    if len(d) == 11 and d.startswith("1"):
        out.add(d[1:])
    return out


def _registry_from_judges() -> Registry:
    """The judges' registry in the generator's shape: active lines by country, one emergency
    number per country, retired lines, and every digit string a real line uses."""
    from mhsafe.judges import load_registry as judges_registry

    lines: dict[str, list[CrisisLine]] = {}
    emergency: dict[str, str] = {}
    retired: list[CrisisLine] = []
    known: set[str] = set()
    for entry in judges_registry().lines:
        numbers = [n.number for n in entry.numbers if n.number]
        if not numbers:
            continue
        for number in numbers:
            known |= _digits(number)
        line = CrisisLine(entry.name, numbers[0], entry.country)
        if entry.status != "active":
            retired.append(line)
        elif entry.kind == "emergency":
            emergency.setdefault(entry.country, line.number)
        else:
            lines.setdefault(entry.country, []).append(line)
    return Registry(lines, emergency, retired, frozenset(known), "mhsafe.judges registry")


@lru_cache(maxsize=1)
def load_templates() -> dict[str, Any]:
    """The packaged template file (parsed once per process)."""
    text = resources.files("mhsafe.audit.synth").joinpath("data/synth.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@lru_cache(maxsize=1)
def load_registry() -> Registry:
    """The judges' crisis-line registry, else the template file's fallback lines."""
    registry = _registry_from_judges()
    if registry.lines:
        return registry
    templates = load_templates()
    lines: dict[str, list[CrisisLine]] = {}
    known: set[str] = set()
    for entry in templates["fallback_lines"]:
        line = CrisisLine(str(entry["name"]), str(entry["number"]), str(entry["country"]))
        lines.setdefault(line.country, []).append(line)
        known |= _digits(line.number)
    emergency = {str(k): str(v) for k, v in templates["fallback_emergency"].items()}
    for number in emergency.values():
        known |= _digits(number)
    return Registry(lines, emergency, [], frozenset(known), "fallback")


def fill(template: str, rng: random.Random, slots: dict[str, list[str]], **fixed: str) -> str:
    """Fill ``{slot}`` from ``fixed`` first, else a random choice from ``slots`` (two passes,
    so a slot value may itself contain a slot). Unknown slots are left as written."""
    def _one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in fixed:
            return fixed[name]
        if name in slots:
            return rng.choice(slots[name])
        return match.group(0)

    text = _SLOT.sub(_one, template)
    return _SLOT.sub(_one, text) if "{" in text else text


_FAKE_SHAPES = (
    "1-800-{3}-{4}", "1-888-{3}-{4}", "0800 {3} {4}", "1-866-{3}-{4}", "{6}", "0808 {3} {4}",
)


def fake_number(rng: random.Random, registry: Registry) -> str:
    """A plausible-looking number that is in no registry entry (retried until it is not)."""
    while True:
        shape = rng.choice(_FAKE_SHAPES)
        number = re.sub(
            r"\{(\d)\}", lambda m: "".join(rng.choice("0123456789") for _ in range(int(m[1]))),
            shape,
        )
        if not (_digits(number) & registry.known_digits):
            return number
