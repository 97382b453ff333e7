"""The judge cards as published: what a report uses to correct a rate for its judge's error.

``make judge-cards`` writes the cards measured on the frozen test split to docs/ and a copy
into the package (``data/judge_cards.json``), so an installed mhsafe knows how often each of
its offline judges is wrong without reading the repository.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

PACKAGED = "data/judge_cards.json"


@dataclass(frozen=True, slots=True)
class JudgeError:
    """A judge's measured sensitivity and specificity, with the counts they rest on (so the
    correction can propagate the cards' own uncertainty)."""

    judge: str
    sensitivity: float
    specificity: float
    positives: int
    negatives: int
    source: str  # where the card was measured, e.g. "corpus:test"


@cache
def published_cards() -> dict[str, dict[str, Any]]:
    """Cards by judge name; empty when no cards were published into the package."""
    ref = resources.files("mhsafe.validation").joinpath(PACKAGED)
    if not ref.is_file():
        return {}
    data = json.loads(ref.read_text(encoding="utf-8"))
    source = str(data.get("source", ""))
    return {str(c["judge"]): {**c, "source": source} for c in data.get("cards", [])}


def judge_error(judge: str) -> JudgeError | None:
    """The published error of ``judge``; ``None`` if it has no card or an undefined rate."""
    card = published_cards().get(judge)
    if card is None:
        return None
    se, sp = card.get("sensitivity", {}), card.get("specificity", {})
    if not isinstance(se.get("estimate"), int | float) or not isinstance(
        sp.get("estimate"), int | float
    ):
        return None
    return JudgeError(judge, float(se["estimate"]), float(sp["estimate"]), int(se.get("n", 0)),
                      int(sp.get("n", 0)), str(card.get("source", "")))


__all__ = ["JudgeError", "judge_error", "published_cards"]
