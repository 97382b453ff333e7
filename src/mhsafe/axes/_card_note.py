"""The offline fidelity estimate's measured error, read from the published judge cards.

Why read a file instead of quoting numbers: the figures change whenever the judge or the corpus
does, and ``make judge-cards`` rewrites ``docs/judge-cards.json`` from the frozen test split.
``MHSAFE_JUDGE_CARDS`` points elsewhere (an installed copy has no ``docs/``); when no card is
found the note says so rather than leaving the estimate unqualified.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

#: The ordinal card the offline fidelity estimate is measured on (mhsafe.validation).
FIDELITY_CARD = "clinical: protocol_fidelity (offline estimate)"
_SPLITS = {"corpus:test": "the test split", "corpus:dev": "the dev split",
           "corpus:train": "the train split"}


def judge_cards_path() -> Path:
    """``$MHSAFE_JUDGE_CARDS``, else the repository's ``docs/judge-cards.json``."""
    env = os.environ.get("MHSAFE_JUDGE_CARDS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "docs" / "judge-cards.json"


def _card(path: Path) -> tuple[dict[str, Any], str] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for card in data.get("ordinal_cards", []) if isinstance(data, dict) else []:
        if isinstance(card, dict) and card.get("judge") == FIDELITY_CARD:
            return card, str(data.get("source", ""))
    return None


def fidelity_card_note(path: Path | None = None) -> str:
    """``offline estimate; judge card: exact 0.xx, κ 0.xx on the test split (n=…)``."""
    found = _card(path or judge_cards_path())
    if found is None:
        return ("offline estimate (no LLM judge); no judge card for it was found "
                "(make judge-cards writes docs/judge-cards.json)")
    card, source = found
    exact = card.get("exact_agreement", {}).get("estimate")
    kappa = card.get("weighted_kappa", {}).get("estimate")
    where = _SPLITS.get(source, source or "its labelled set")
    if exact is None or kappa is None:
        return f"offline estimate (no LLM judge); its judge card on {where} has no data"
    return (f"offline estimate (no LLM judge); judge card: exact {exact:.2f}, "
            f"κ {kappa:.2f} (linear weights) on {where}, n={card.get('n')}")
