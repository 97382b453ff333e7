"""The crisis-line registry: which numbers really reach which service, where, and since when.

A reply that points someone at risk to a line is only help if the line exists, is still open,
and serves the country the person is in. The registry is data (``data/crisis_lines.yaml``), each
entry carrying the official page it was checked against and the date, so a clinician can audit
it and a maintainer can update it without touching code. Retired lines stay in the registry so a
reply that still gives them can be caught as stale.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cached_property, lru_cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

LineKind = Literal["crisis_line", "emergency", "text_line"]
LineStatus = Literal["active", "retired"]
Channel = Literal["voice", "text"]

_VANITY = {
    c: d
    for d, letters in {
        "2": "ABC",
        "3": "DEF",
        "4": "GHI",
        "5": "JKL",
        "6": "MNO",
        "7": "PQRS",
        "8": "TUV",
        "9": "WXYZ",
    }.items()
    for c in letters
}
# International prefixes we turn back into the national form people actually dial.
_TRUNK_PREFIXES = {"44": "0", "353": "0", "61": "0", "64": "0", "91": "0"}


def _takes_trunk(code: str, national: str) -> bool:
    """Whether the national form of ``+<code> <national>`` starts with the trunk 0. Short codes
    (116 123, 111, 13 11 14) and non-geographic ranges (AU 1300/1800, IE 1800/1850, IN 1800,
    Indian mobiles) are dialled without it, so '+44 116 123' is Samaritans' 116 123, not
    0116 123."""
    if len(national) <= 6:
        return False
    if code in ("61", "91") and national.startswith("1"):
        return False
    if code == "353" and national[:2] == "18" and len(national) == 10:
        return False
    return not (code == "91" and len(national) == 10 and national[0] in "6789")


def normalise_number(raw: str) -> str:
    """Digits only, in the national form a caller dials, so '1 (800) 273-TALK', '+1 800 273
    8255' and '800-273-8255' all compare equal. NANP numbers lose their leading 1 because
    replies write them both ways; '+44 ...' style prefixes become the trunk '0' where the
    national number has one (``_takes_trunk``)."""
    text = raw.strip()
    international = text.startswith("+")
    digits = "".join(_VANITY.get(c, c) for c in text.upper() if c.isdigit() or c in _VANITY)
    if international:
        if digits.startswith("1"):
            digits = digits[1:]
        else:
            for code, trunk in _TRUNK_PREFIXES.items():
                if digits.startswith(code):
                    national = digits[len(code) :]
                    digits = (trunk if _takes_trunk(code, national) else "") + national
                    break
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits


class LineNumber(BaseModel):
    """One way to reach a line: a number on a channel, with the keyword a text line expects."""

    model_config = ConfigDict(extra="forbid")

    number: str
    channel: Channel
    keyword: str | None = None
    note: str | None = None

    @property
    def normalised(self) -> str:
        return normalise_number(self.number)


class CrisisLine(BaseModel):
    """One registry entry. ``valid_in`` lists every country where the number reaches this
    service; it defaults to the home ``country``."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    aliases: list[str] = Field(default_factory=list)
    country: str
    valid_in: list[str] = Field(default_factory=list)
    kind: LineKind
    status: LineStatus
    numbers: list[LineNumber]
    source: str
    verified: date

    @model_validator(mode="after")
    def _default_valid_in(self) -> CrisisLine:
        if not self.valid_in:
            self.valid_in = [self.country]
        elif self.country not in self.valid_in:
            self.valid_in = [self.country, *self.valid_in]
        return self

    @property
    def active(self) -> bool:
        return self.status == "active"

    def all_names(self) -> list[str]:
        return [self.name, *self.aliases]


class CrisisLineRegistry(BaseModel):
    """The registry plus the country vocabulary used to read "in the UK" in a reply."""

    model_config = ConfigDict(extra="forbid")

    version: str
    countries: dict[str, list[str]]
    lines: list[CrisisLine]

    @model_validator(mode="after")
    def _unique_ids(self) -> CrisisLineRegistry:
        ids = [line.id for line in self.lines]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate crisis-line ids: {dupes}")
        return self

    def by_id(self, line_id: str) -> CrisisLine:
        for line in self.lines:
            if line.id == line_id:
                return line
        raise KeyError(line_id)

    def lookup_number(self, number: str) -> list[CrisisLine]:
        """Every entry (active or retired) reached by this number, in registry order. Several
        services may share one short code (988: US Lifeline, Veterans Crisis Line, Canada)."""
        wanted = normalise_number(number)
        if not wanted:
            return []
        return [line for line in self.lines if any(n.normalised == wanted for n in line.numbers)]

    def lookup_name(self, name: str) -> list[CrisisLine]:
        """Entries whose name or an alias equals ``name`` (case- and space-insensitive)."""
        key = _name_key(name)
        return [line for line in self.lines if key in {_name_key(n) for n in line.all_names()}]

    def for_locale(self, country: str, *, include_retired: bool = False) -> list[CrisisLine]:
        """Lines a person in ``country`` (ISO code such as 'GB', or 'EU') can use; retired
        lines are left out unless asked for, because they must never be recommended."""
        code = country.upper()
        if code == "UK":
            code = "GB"
        return [
            line
            for line in self.lines
            if code in line.valid_in and (include_retired or line.active)
        ]

    @cached_property
    def _known(self) -> frozenset[str]:
        return frozenset(n.normalised for line in self.lines for n in line.numbers)

    def known_numbers(self) -> frozenset[str]:
        """Every normalised number in the registry (cached: the registry is read-only)."""
        return self._known


def _name_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


@lru_cache(maxsize=1)
def load_registry() -> CrisisLineRegistry:
    """Load and validate ``data/crisis_lines.yaml`` once per process (it is read-only data)."""
    text = resources.files("mhsafe.judges").joinpath("data/crisis_lines.yaml").read_text("utf-8")
    return CrisisLineRegistry.model_validate(yaml.safe_load(text))
