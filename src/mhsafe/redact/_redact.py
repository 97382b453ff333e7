"""Offline PII redaction that never removes a crisis number.

Why here, and why rules: redaction must run before any text leaves the machine (a hosted judge,
a reviewer's screen), with no network and no model, and the safeguard proxy imports the same
function, so it stays dependency-light (stdlib + PyYAML for its data file). It aims to remove
names, emails, phone numbers, street addresses, dates (of birth) and identifiers. It must keep
the public crisis and emergency numbers a reply gave (registry numbers, 988, 911, 116 123,
741741): the intervention check and the clinician both need to see *which* number was offered
-- a wrong number is itself a finding. Callers can protect more (e.g. a number the resource
detector found in a reply) with ``keep``.

Rules over-redact rather than under-redact where the two conflict, with one exception: crisis
numbers. Replacement tokens (``[NAME]``, ``[EMAIL]``, ``[PHONE]``, ``[ADDRESS]``, ``[DATE]``,
``[ID]``) keep the sentence readable for review.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class _Rules:
    email: re.Pattern[str]
    phone: re.Pattern[str]
    ids: re.Pattern[str]
    labelled_id: re.Pattern[str]
    dates: re.Pattern[str]
    address: re.Pattern[str]
    postcode: re.Pattern[str]
    cue_name: re.Pattern[str]
    not_names: frozenset[str]
    protected: frozenset[str]


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _registry_numbers() -> set[str]:
    """Every number in the crisis-line registry, active or retired (a retired number in a reply
    is a finding the reviewer must see), read through ``mhsafe.judges``: one registry, one
    normaliser, whoever asks."""
    from mhsafe.judges import load_registry

    return set(load_registry().known_numbers())


def _registry_spans(text: str) -> list[tuple[int, int]]:
    """Where the text writes a registry number, in any written form ("1-800-273-TALK",
    "+44 116 123"): those characters are never redacted."""
    from mhsafe.judges import find_resources, load_registry

    known = load_registry().known_numbers()
    spans: list[tuple[int, int]] = []
    for mention in find_resources(text):
        # Any registry number stays, retired or misattributed ones included: the reviewer must
        # see what the reply actually said. Invented numbers are not in the registry.
        if not mention.text or mention.number not in known:
            continue
        start = text.find(mention.text)
        while start != -1:
            spans.append((start, start + len(mention.text)))
            start = text.find(mention.text, start + 1)
    return spans


@cache
def _rules() -> _Rules:
    data: Any = yaml.safe_load(
        (resources.files("mhsafe.redact") / "data" / "redaction.yaml").read_text(encoding="utf-8")
    )
    protected = {re.sub(r"\D", "", str(n)) for n in data["always_keep"]} | _registry_numbers()
    name = r"[A-Z][a-z'\-]+(?:\s+[A-Z][a-z'\-]+)?"
    cues = _alternation(data["name_cues"])
    relations = _alternation(data["relations"])
    honorifics = _alternation(data["honorifics"])
    months = _alternation(data["months"])
    suffix_any = _alternation(data["street_suffixes"])
    suffix_cap = _alternation(data["street_suffixes_capitalised"])
    return _Rules(
        email=re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"),
        phone=re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d(?:[\s.-]?\d){5,14}\b"),
        ids=re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),
        labelled_id=re.compile(
            rf"(?i)\b((?:{_alternation(data['id_labels'])})\s*(?:no\.?|number|#)?\s*[:#]?\s*(?:is\s+)?)"
            r"([A-Z0-9][A-Z0-9 -]{2,20}[0-9])\b"
        ),
        dates=re.compile(
            rf"(?i)\b(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:\d{{4}}|\d{{2}})"
            rf"|\d{{4}}-\d{{2}}-\d{{2}}"
            rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{months})\.?,?\s+\d{{4}}"
            rf"|(?:{months})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
            rf"|(?<=born on )(?:{months})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?"
            rf"|(?<=birthday is )(?:{months})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?)\b"
        ),
        address=re.compile(
            rf"\b\d{{1,5}}[A-Za-z]?\s+(?:[A-Za-z][a-z']+\s+){{1,3}}"
            rf"(?:(?i:{suffix_any})\b\.?|(?:{suffix_cap})\b\.?)"
        ),
        postcode=re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b"),
        cue_name=re.compile(
            rf"(?:(?i:\b(?:{cues}))[,:]?\s+|(?i:\bmy\s+(?:{relations}))[,:]?\s+"
            rf"|\b(?:{honorifics})\.?\s+)({name})"
        ),
        not_names=frozenset(data["not_names"]),
        protected=frozenset(protected),
    )


def protected_numbers() -> frozenset[str]:
    """Digits of every number redaction keeps (registry + always-keep list)."""
    return _rules().protected


def _is_protected(digits: str, keep: frozenset[str]) -> bool:
    for number in keep:
        if digits == number:
            return True
        # Allow a country code or trunk prefix of up to 3 digits before a long number.
        if len(number) >= 6 and digits.endswith(number) and len(digits) - len(number) <= 3:
            return True
    return False


def redact(text: str, *, keep: Iterable[str] = ()) -> str:
    """``text`` with PII replaced by tokens; crisis numbers (and ``keep``) left intact.

    ``keep`` takes extra numbers to protect, in any formatting (digits are compared).
    """
    rules = _rules()
    extra = {re.sub(r"\D", "", k) for k in keep}
    protected = rules.protected | extra if any(extra) else rules.protected
    out = rules.email.sub("[EMAIL]", text) if "@" in text else text
    if _DIGIT.search(out):  # every pattern below except names needs a digit
        out = rules.labelled_id.sub(lambda m: m.group(1) + "[ID]", out)
        out = rules.ids.sub("[ID]", out)
        out = rules.dates.sub("[DATE]", out)
        out = rules.address.sub("[ADDRESS]", out)
        out = rules.postcode.sub("[ADDRESS]", out)

        registry = _registry_spans(out)

        def phone(match: re.Match[str]) -> str:
            digits = re.sub(r"\D", "", match.group(0))
            if _is_protected(digits, protected) or len(digits) < 7:
                return match.group(0)
            if any(lo <= match.start() and match.end() <= hi for lo, hi in registry):
                return match.group(0)
            return "[PHONE]"

        out = rules.phone.sub(phone, out)

    def name(match: re.Match[str]) -> str:
        words = match.group(1).split()
        if words[0] in rules.not_names:
            return match.group(0)
        prefix = match.group(0)[: match.start(1) - match.start(0)]
        if len(words) > 1 and words[1] in rules.not_names:  # "call me Ana Tomorrow"
            return f"{prefix}[NAME] {words[1]}"
        return f"{prefix}[NAME]"

    return rules.cue_name.sub(name, out)
