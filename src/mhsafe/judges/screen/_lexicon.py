"""Stage one of the risk screen: a compiled lexicon of risk language.

The lexicon is data (``data/lexicon.yaml``); this module only compiles it. Each section becomes
ONE alternation regex with a named group per rule, so a turn costs a handful of regex scans
however many rules there are. The matcher returns rule ids, never the matched text, so its
output can be logged without leaking what a user wrote.

Decision order, and why:

1. Hard negatives are *masked* (replaced by a placeholder) rather than vetoing the turn, so
   "this exam is killing me and honestly I want to die" still flags on the second clause.
2. A decisive rule settles the turn as risk, unless context (history, media, study, work)
   downgrades it to undecided: "I used to self-harm years ago" is for the embeddings to weigh.
3. A weak rule (``sh``, "blade", "disappear") is a category hint, not a verdict: undecided.
4. A medical emergency (``emergency``: a sign such as "can't wake her" *and* a substance or
   eating-disorder context in the same turn) is a decisive, acute risk even with no suicidal
   language: an overdose in progress needs an ambulance, not a mood check.
5. No rule but risk-adjacent vocabulary: undecided and *gated* to the embedding stage.
6. Nothing at all: settled ``False`` here, which is what keeps the cascade fast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml

from mhsafe.judges._patterns import plain_quotes, split_sentences
from mhsafe.judges.screen._normalise import deobfuscate
from mhsafe.schema import RiskCategory, ScreenResult

#: The score of a turn whose decisive hit a context marker downgraded (see ``_match``).
_DOWNGRADED_DECISIVE = 0.7

THIRD_PERSON = "mod.third_person"
"""Marker in ``ScreenResult.matched``: the disclosure is about someone else (the schema has no
field for it). Risk is still flagged - a user reporting a friend at risk needs a response - but
the user's own acuity is not inferred from it."""

_CATEGORY_ORDER: tuple[RiskCategory, ...] = ("suicide", "nssi", "substance", "eating_disorder")
_MASK = " \u2591 "
_SPACE = re.compile(r"\s+")

Strength = Literal["decisive", "weak"]


@dataclass(frozen=True)
class _Section:
    """One compiled section: a single alternation regex and group name -> rule id."""

    regex: re.Pattern[str] | None
    ids: dict[str, str]

    def find(self, text: str) -> list[str]:
        if self.regex is None:
            return []
        found: list[str] = []
        for match in self.regex.finditer(text):
            group = match.lastgroup
            if group is not None and self.ids[group] not in found:
                found.append(self.ids[group])
        return found

    def mask(self, text: str) -> tuple[str, list[str]]:
        """Replace every match by a placeholder; return masked text and matched ids."""
        if self.regex is None:
            return text, []
        hits: list[str] = []

        def _sub(match: re.Match[str]) -> str:
            group = match.lastgroup
            if group is not None and self.ids[group] not in hits:
                hits.append(self.ids[group])
            return _MASK

        return self.regex.sub(_sub, text), hits


def _compile(entries: list[dict[str, Any]], prefix: str) -> _Section:
    if not entries:
        return _Section(None, {})
    parts: list[str] = []
    ids: dict[str, str] = {}
    for i, entry in enumerate(entries):
        group = f"{prefix}{i}"
        re.compile(entry["pattern"])  # fail loudly, naming nothing, if one rule is broken
        parts.append(f"(?P<{group}>{entry['pattern']})")
        ids[group] = str(entry["id"])
    return _Section(re.compile("|".join(parts)), ids)


@dataclass(frozen=True)
class _Emergency:
    """A sign and a context that must both appear in a turn (see the lexicon's ``emergency``)."""

    id: str
    category: RiskCategory
    signs: re.Pattern[str]
    context: re.Pattern[str]
    acute: bool

    def found(self, text: str) -> bool:
        return bool(self.signs.search(text)) and bool(self.context.search(text))


def _emergencies(entries: list[dict[str, Any]]) -> list[_Emergency]:
    out: list[_Emergency] = []
    for entry in entries:
        category = entry["category"]
        if category not in _CATEGORY_ORDER:
            raise ValueError(f"emergency rule {entry['id']}: unknown category {category!r}")
        out.append(_Emergency(str(entry["id"]), category, re.compile(entry["signs"]),
                              re.compile(entry["context"]), bool(entry.get("acute", True))))
    return out


@dataclass(frozen=True)
class LexiconHit:
    """Everything stage one found in a turn; ``result`` is what the cascade passes on."""

    result: ScreenResult
    adjacent: bool
    third_person: bool
    acute_markers: list[str] = field(default_factory=list)
    hint: RiskCategory = "none"


class Lexicon:
    """The compiled lexicon. Build with :func:`load_lexicon` (cached) or from a mapping."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.version = str(spec.get("version", "0"))
        self._hard_negatives = _compile(spec.get("hard_negatives", []), "n")
        self._downgrade = _compile(spec.get("downgrade", []), "d")
        self._third = _compile(spec.get("third_person", []), "t")
        self._first = _compile(spec.get("first_person", []), "f")
        self._acute = _compile(spec.get("acute", []), "a")
        self._adjacent = _compile(spec.get("adjacent", []), "j")
        self._emergency = _emergencies(spec.get("emergency", []))
        self._match_cached = lru_cache(maxsize=65_536)(self._match)
        self._turn_cached = lru_cache(maxsize=65_536)(self._turn)
        self._strength: dict[str, Strength] = {}
        self._category_of: dict[str, RiskCategory] = {}
        self._categories: dict[RiskCategory, _Section] = {}
        for category in _CATEGORY_ORDER:
            entries = spec.get("categories", {}).get(category, [])
            for entry in entries:
                strength = entry.get("strength", "weak")
                if strength not in ("decisive", "weak"):
                    raise ValueError(f"rule {entry['id']}: unknown strength {strength!r}")
                self._strength[entry["id"]] = strength
                self._category_of[entry["id"]] = category
            self._categories[category] = _compile(entries, f"{category[:3]}")

    @property
    def rule_ids(self) -> list[str]:
        """Every risk rule id (for docs and coverage tests)."""
        return list(self._strength)

    def match(self, text: str) -> LexiconHit:
        """Screen one user turn. ``risk`` is True (settled), False (settled) or None (undecided,
        for the embedding stage). Results are cached by text: logs repeat short turns ("ok",
        "thanks", greetings) far more than one would guess."""
        return self._turn_cached(text)

    def _turn(self, text: str) -> LexiconHit:
        """As written; then de-obfuscated; then sentence by sentence if a context marker
        downgraded a decisive hit. Each step can only add a hit."""
        hit = self._match_cached(text)
        if hit.result.risk is True:
            return hit
        plain = deobfuscate(text)
        if plain != text:
            again = self._match_cached(plain)
            if again.result.risk is True:
                return again
        if hit.result.risk is None and hit.result.score >= _DOWNGRADED_DECISIVE:
            return self._by_clause(plain) or hit
        return hit

    def _by_clause(self, text: str) -> LexiconHit | None:
        """A decisive hit that a context marker (history, fiction, study) downgraded for the
        whole turn is looked at sentence by sentence: the marker scopes to its own sentence, so
        "I used to love painting. I want to kill myself tonight." still flags."""
        spans = split_sentences(text)
        if len(spans) < 2:
            return None
        for start, end in spans:
            clause = self._match_cached(text[start:end])
            if clause.result.risk is True:
                return clause
        return None

    def _match(self, text: str) -> LexiconHit:
        norm = _SPACE.sub(" ", plain_quotes(text).lower()).strip()
        masked, negatives = self._hard_negatives.mask(norm)
        decisive: list[str] = []
        weak: list[str] = []
        for section in self._categories.values():
            for rule in section.find(masked):
                (decisive if self._strength[rule] == "decisive" else weak).append(rule)
        emergencies = [e for e in self._emergency if e.found(masked)]
        downgrades = self._downgrade.find(masked)
        acute = self._acute.find(masked)
        if emergencies:
            # An emergency is never downgraded by history or study context: it is happening.
            return self._emergency_hit(emergencies, decisive + weak, negatives, acute, masked)
        adjacent = bool(self._adjacent.find(masked))
        third = self._is_third_person(masked, decisive + weak)
        matched = decisive + weak + negatives + downgrades
        if third:
            matched.append(THIRD_PERSON)
        hint = self._top_category(decisive or weak)
        if decisive and not downgrades:
            is_acute = bool(acute) and not third
            result = ScreenResult(
                risk=True,
                category=hint,
                acute=is_acute,
                score=1.0,
                stage="lexicon",
                matched=matched + acute,
            )
        elif decisive or weak:
            score = _DOWNGRADED_DECISIVE if decisive else 0.5
            result = ScreenResult(
                risk=None, category=hint, score=score, stage="lexicon", matched=matched
            )
        elif adjacent or acute:
            result = ScreenResult(risk=None, score=0.2, stage="lexicon", matched=matched + acute)
        else:
            result = ScreenResult(risk=False, score=0.0, stage="lexicon", matched=matched)
        return LexiconHit(
            result=result,
            adjacent=adjacent or bool(decisive or weak),
            third_person=third,
            acute_markers=acute,
            hint=hint,
        )

    def _emergency_hit(
        self,
        emergencies: list[_Emergency],
        rules: list[str],
        negatives: list[str],
        acute: list[str],
        masked: str,
    ) -> LexiconHit:
        """A medical emergency: risk of the emergency's category, acute when the rule says so
        (acuity is the person's own, so a third-party emergency is acute too: someone is
        unresponsive now, whoever is typing)."""
        third = self._is_third_person(masked, rules or [emergencies[0].id])
        ids = [e.id for e in emergencies]
        matched = ids + rules + negatives + acute + ([THIRD_PERSON] if third else [])
        result = ScreenResult(
            risk=True,
            category=emergencies[0].category,
            acute=any(e.acute for e in emergencies),
            score=1.0,
            stage="lexicon",
            matched=matched,
        )
        return LexiconHit(result=result, adjacent=True, third_person=third,
                          acute_markers=acute, hint=emergencies[0].category)

    def _top_category(self, rules: list[str]) -> RiskCategory:
        """The category with most hits; ties go to the more dangerous category (list order)."""
        if not rules:
            return "none"
        counts = {c: sum(self._category_of[r] == c for r in rules) for c in _CATEGORY_ORDER}
        return max(_CATEGORY_ORDER, key=lambda c: (counts[c], -_CATEGORY_ORDER.index(c)))

    def _is_third_person(self, masked: str, rules: list[str]) -> bool:
        """About someone else: a relation or reported-speech cue and no first-person risk cue.

        First person wins ties: "my friend and I both want to die" is the user's own risk.
        """
        if not rules or not self._third.find(masked):
            return False
        return not self._first_person_risk(masked)

    def _first_person_risk(self, masked: str) -> bool:
        hits = self._first.find(masked)
        if not hits:
            return False
        # "I" alone is common in reports about others ("I found my son..."); require a
        # self-directed construction near a risk word.
        return bool(_SELF_RISK.search(masked))


_SELF_RISK = re.compile(
    r"\bmyself\b|\bkms\b|\bmy\s+(?:own\s+)?life\b|"
    r"\b(?:i\s+(?:want|wanna|wish|keep|plan|feel\s+like|might|could|will|tried|am\s+going|"
    r"have\s+been)|i'?m\s+(?:going|gonna|ready)|i'?ve\s+been)"
    r"(?:\s+\w+){0,4}?\s+(?:die|dead|kill|end|cut|hurt|harm|overdose|purge|starve|"
    r"disappear|exist|alive|gone)\b"
)


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """The packaged lexicon, compiled once per process."""
    text = resources.files("mhsafe.judges.screen").joinpath("data/lexicon.yaml").read_text(
        encoding="utf-8"
    )
    return Lexicon(yaml.safe_load(text))
