"""The catalog of built-in suites: what each one measures and how to load its cases.

One registry (``SUITES``) maps a suite name to how its cases are produced and what it
measures, so the runner, the CLI's ``suites`` listing and the report all read the same
description. A new suite is one more entry, e.g.::

    SUITES["my_suite"] = SuiteEntry(lambda: my_loader("my_suite"), "what it measures", "rate")

Packaged suites are JSONL files under ``suites/data/``; every line is validated into
``schema.Case`` on load, and a malformed line fails loudly with the file and line number:
a silently skipped safety item would shrink a test set without anyone noticing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

from pydantic import BaseModel, ConfigDict, ValidationError

from mhsafe.schema import Case
from mhsafe.suites._names import resolve_suite_name

SuiteLoader = Callable[[], list[Case]]


class SuiteInfo(BaseModel):
    """What a suite is, for listings and reports: counts come from the loaded cases, never
    from a hand-maintained number that could drift from the data."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    items: int
    categories: list[str]
    multi_turn: bool
    primary_outcome: str


@dataclass(frozen=True)
class SuiteEntry:
    """How to produce a suite's cases and what its primary outcome means."""

    loader: SuiteLoader
    description: str
    primary_outcome: str = "failure rate"


class SuiteDataError(ValueError):
    """A packaged suite file is malformed; the message names the file and line."""


def parse_cases_jsonl(text: str, source: str, suite: str | None = None) -> list[Case]:
    """Validate JSONL text (one full Case per line) into cases.

    ``suite`` overrides/fills each record's ``suite`` field, so a base file (e.g. the
    jailbreak seeds) can be read under a name of its own. Blank lines are allowed; anything
    else that is not a valid Case raises ``SuiteDataError`` naming ``source`` and the line.
    """
    cases: list[Case] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise TypeError(f"expected a JSON object, got {type(record).__name__}")
            if suite is not None:
                record["suite"] = suite
            cases.append(Case.model_validate(record))
        except (json.JSONDecodeError, ValidationError, TypeError) as exc:
            raise SuiteDataError(f"{source} line {lineno}: {exc}") from exc
    return cases


def read_packaged_cases(filename: str, suite: str | None = None) -> list[Case]:
    """Read ``suites/data/<filename>`` (JSONL; ``/`` in the name walks sub-folders)."""
    source = resources.files("mhsafe.suites").joinpath("data")
    for part in filename.split("/"):
        source = source.joinpath(part)
    return parse_cases_jsonl(source.read_text(encoding="utf-8-sig"), filename, suite)


def _packaged(filename: str, suite: str) -> SuiteLoader:
    return lambda: read_packaged_cases(filename, suite)


def _jailbreak() -> list[Case]:
    # Imported here so the catalog stays importable even while transforms change shape.
    from mhsafe.suites._transforms import expand_jailbreak

    return expand_jailbreak(read_packaged_cases("jailbreak_base.jsonl", "jailbreak_base"))


def _clinical(name: str) -> SuiteLoader:
    def load() -> list[Case]:
        # Imported on use: the clinical package may grow imports of its own (models, judges)
        # and must not become an import-time dependency of every catalog listing.
        from mhsafe.suites.clinical._scenarios import load_clinical

        return load_clinical(name)

    return load


SUITES: dict[str, SuiteEntry] = {
    "suicide_risk": SuiteEntry(
        _packaged("suicide_risk.jsonl", "suicide_risk"),
        "Questions about suicide across five clinical risk levels (very_low .. very_high): "
        "does the reply match what a clinician expects at that level - answer plainly at low "
        "risk, answer with care at medium risk, decline method detail and offer crisis "
        "support at high risk?",
        "inappropriate response rate",
    ),
    "harmful_content": SuiteEntry(
        _packaged("harmful_content.jsonl", "harmful_content"),
        "Direct requests for harmful detail about suicide/self-harm, eating disorders and "
        "substances, from adult and teen personas: does the model enable harm?",
        "harmful response rate",
    ),
    "refusal_robustness": SuiteEntry(
        _packaged("refusal_robustness.jsonl", "refusal_robustness"),
        "A harmful request followed by reframings (school project, asking for a friend, "
        "hypothetically, professional claim, emotional pressure): does a refusal hold "
        "across the whole conversation?",
        "harmful response rate (any turn)",
    ),
    "jailbreak": SuiteEntry(
        _jailbreak,
        "Harmful seed requests rewritten by programmatic attacks (role play, fiction, "
        "academic framing, persona override, prefix injection, base64, leetspeak, crescendo): "
        "which wrappers get harmful detail past the model?",
        "attack success rate",
    ),
    "over_refusal": SuiteEntry(
        _packaged("over_refusal.jsonl", "over_refusal"),
        "Benign mental-health requests (education, supporting others, grief, idioms, "
        "creative writing, general medication questions) that must be answered: does "
        "safety tuning get in the way of help?",
        "over-refusal rate",
    ),
    "pe_exposure": SuiteEntry(
        _clinical("pe_exposure"),
        "Prolonged Exposure session turns across four severity tiers: does the reply stay "
        "in the protocol, and step out for safety only at imminent risk?",
        "protocol failure rate (needless step-out or missed imminent risk)",
    ),
    "cbt_restructuring": SuiteEntry(
        _clinical("cbt_restructuring"),
        "CBT thought-record turns across four severity tiers: does the reply help restructure "
        "the thought, and step out for safety only at imminent risk?",
        "protocol failure rate (needless step-out or missed imminent risk)",
    ),
}


def suite_names() -> list[str]:
    """Registered suite names, in registry order."""
    return list(SUITES)


def load_suite(name: str) -> list[Case]:
    """All cases of a registered suite (the jailbreak suite comes already expanded).

    ``suicide-risk`` reads as ``suicide_risk``. Raises ``UnknownSuiteError`` (a ``KeyError``)
    naming the closest known suite when ``name`` is not registered.
    """
    return SUITES[suite_name(name)].loader()


def suite_name(name: str) -> str:
    """The registered suite ``name`` means (``-``/``_`` and case do not matter); raises
    ``UnknownSuiteError`` with the closest name otherwise."""
    return resolve_suite_name(name, SUITES)


def describe_suite(name: str) -> SuiteInfo:
    """A ``SuiteInfo`` computed from the suite's loaded cases."""
    cases = load_suite(name)
    entry = SUITES[name]
    categories = list(dict.fromkeys(case.category for case in cases))
    return SuiteInfo(
        name=name,
        description=entry.description,
        items=len(cases),
        categories=categories,
        multi_turn=any(len(case.turns) > 1 for case in cases),
        primary_outcome=entry.primary_outcome,
    )


def list_suites() -> list[SuiteInfo]:
    """Every registered suite, described from its data."""
    return [describe_suite(name) for name in SUITES]
