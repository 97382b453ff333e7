"""Floors on data the screen never saw: the hand-written held-out turns (a different voice).

The floors are below the measured figures in docs/screen.md by a margin for CPU/library
noise; if a change drops the cascade under them, the change made the screen worse on data it
was not tuned on. The sets are also checked to be disjoint from the training turns.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from mhsafe.judges.screen import RiskScreen, ScreenConfig, evaluate_turns

HELDOUT = Path(__file__).parent / "data" / "heldout.jsonl"
# A regression floor on the team's own (non-independent) held-out turns, not a target: the
# shipped threshold (0.68) is chosen under a benign-traffic false-alarm ceiling (docs/screen.md),
# which measures 0.79 here; the published figures are the judge cards on the frozen test split.
CASCADE_SENSITIVITY_FLOOR = 0.75
CASCADE_SPECIFICITY_FLOOR = 0.80


def _rows(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def heldout() -> list[dict[str, Any]]:
    return _rows(HELDOUT.read_text("utf-8"))


@pytest.fixture(scope="module")
def train() -> list[dict[str, Any]]:
    ref = resources.files("mhsafe.judges.screen").joinpath("data/train.jsonl")
    return _rows(ref.read_text("utf-8"))


def test_sets_are_big_enough_and_disjoint(
    heldout: list[dict[str, Any]], train: list[dict[str, Any]]
) -> None:
    assert len(train) >= 600 and len(heldout) >= 200
    for rows in (train, heldout):
        categories = {r["category"] for r in rows}
        assert categories == {"none", "suicide", "nssi", "eating_disorder", "substance"}
    seen = {r["text"].strip().lower() for r in train}
    assert not [r["id"] for r in heldout if r["text"].strip().lower() in seen]


def test_cascade_beats_floors_on_heldout(heldout: list[dict[str, Any]]) -> None:
    result = evaluate_turns(RiskScreen(ScreenConfig()), heldout)
    assert result.unresolved == 0
    assert result.sensitivity is not None and result.specificity is not None
    assert result.sensitivity >= CASCADE_SENSITIVITY_FLOOR
    assert result.specificity >= CASCADE_SPECIFICITY_FLOOR


def test_cascade_is_more_sensitive_than_lexicon_alone(heldout: list[dict[str, Any]]) -> None:
    lexicon = evaluate_turns(RiskScreen(ScreenConfig(embedding=False)), heldout)
    cascade = evaluate_turns(RiskScreen(ScreenConfig()), heldout)
    assert cascade.sensitivity is not None and lexicon.sensitivity is not None
    assert cascade.sensitivity > lexicon.sensitivity
