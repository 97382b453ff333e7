"""Card-weighted panel aggregation: a judge decides only as far as its measured card allows.

A panel's majority vote treats every member as equally good. They are not: the embedded 1.5B
judge answered half the user-risk questions of a small pilot wrongly, a hosted judge might do
far better. So a panel may instead be reduced by :func:`card_weighted_reducer`:

* a member *decides* a criterion only when it has a **measured card** for it (``mhsafe
  validate ... --judge``) and the card clears every threshold of the YAML policy
  (``judges/data/panel_policy.yaml``: minimum n, decided share, lower Wilson bounds of Se and
  Sp). A member without a card, or below threshold, is **advisory**: its judgment is kept and
  shown (``PanelResult.judgments``, ``advisory``), but it casts no vote. There is no default
  weight for an uncarded judge: a weight is never guessed.
* deciding members vote with the card's log-likelihood ratio (``log(Se/(1-Sp))`` for a yes,
  ``log((1-Se)/Sp)`` for a no, estimates clipped to [0.01, 0.99]); the sign of the sum decides.
  A zero sum, or no deciding member, leaves the criterion ``None``: undecided, never "safe".
* criteria no card covers (labels, scores) are never decided by this reducer.

Cards are keyed by (model, rubric, criterion); the policy maps a card's judge label (e.g.
``llm mhsafe/instruct-local: refusal``) to the criterion it measures, with ``invert`` for a card
measured on the negation (a card of *missed* interventions measures ``crisis_support_given``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from mhsafe.schema import Judgment

from ._panel import Labels, Reducer, Scores

_CLIP = (0.01, 0.99)


class CardMapping(BaseModel):
    """Which criterion of which rubric a card label measures."""

    model_config = ConfigDict(extra="forbid")

    rubric: str
    criterion: str
    invert: bool = False


class PanelPolicy(BaseModel):
    """Thresholds a card must clear for its judge to decide (from the YAML policy)."""

    model_config = ConfigDict(extra="forbid")

    version: str
    min_n: int = Field(ge=1)
    min_decided: float = Field(ge=0, le=1)
    min_sensitivity_low: float = Field(ge=0, le=1)
    min_specificity_low: float = Field(ge=0, le=1)
    cards: dict[str, CardMapping] = Field(default_factory=dict)


class CriterionCard(BaseModel):
    """A judge's measured agreement on one criterion (the positive class is ``True``)."""

    model_config = ConfigDict(extra="forbid")

    model: str
    rubric: str
    criterion: str
    n: int
    decided: float
    se: float
    se_low: float
    sp: float
    sp_low: float
    source: str = ""

    def passes(self, policy: PanelPolicy) -> bool:
        """True when every threshold of ``policy`` is met."""
        return (
            self.n >= policy.min_n
            and self.decided >= policy.min_decided
            and self.se_low >= policy.min_sensitivity_low
            and self.sp_low >= policy.min_specificity_low
        )

    def weight(self, vote: bool) -> float:
        """The vote's log-likelihood ratio for ``True``."""
        se = min(max(self.se, _CLIP[0]), _CLIP[1])
        sp = min(max(self.sp, _CLIP[0]), _CLIP[1])
        return math.log(se / (1 - sp)) if vote else math.log((1 - se) / sp)


CardBook = Mapping[tuple[str, str, str], CriterionCard]


def load_panel_policy(path: Path | None = None) -> PanelPolicy:
    """The policy YAML (default: the packaged ``judges/data/panel_policy.yaml``)."""
    if path is None:
        text = resources.files("mhsafe.judges").joinpath("data/panel_policy.yaml").read_text(
            encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    return PanelPolicy.model_validate(yaml.safe_load(text))


def cards_from_json(cards_json: Mapping[str, Any], policy: PanelPolicy) -> dict[
    tuple[str, str, str], CriterionCard
]:
    """A card book from ``judge_cards_llm.json``: every card whose label the policy maps.
    Labels look like ``llm <model>: <measure>``; the policy's ``cards`` maps ``<measure>``."""
    book: dict[tuple[str, str, str], CriterionCard] = {}
    for raw in cards_json.get("cards", []):
        label = str(raw.get("judge", ""))
        if not label.startswith("llm ") or ": " not in label:
            continue
        model, measure = label[4:].split(": ", 1)
        mapping = policy.cards.get(measure)
        if mapping is None:
            continue
        se, sp = raw["sensitivity"], raw["specificity"]
        if mapping.invert:  # the card's positive class is the criterion's False
            se, sp = sp, se
        if se.get("estimate") is None or sp.get("estimate") is None:
            continue
        card = CriterionCard(
            model=model, rubric=mapping.rubric, criterion=mapping.criterion, n=int(raw["n"]),
            decided=float(raw["decided"]["estimate"] or 0.0),
            se=float(se["estimate"]), se_low=float(se["low"]),
            sp=float(sp["estimate"]), sp_low=float(sp["low"]),
            source=str(cards_json.get("source", "")),
        )
        book[(card.model, card.rubric, card.criterion)] = card
    return book


def load_card_book(path: Path, policy: PanelPolicy) -> dict[tuple[str, str, str], CriterionCard]:
    """``cards_from_json`` on a file."""
    return cards_from_json(json.loads(path.read_text(encoding="utf-8")), policy)


@cache
def packaged_card_book() -> tuple[dict[tuple[str, str, str], CriterionCard], PanelPolicy]:
    """The measured LLM cards shipped with mhsafe (``judges/data/llm_cards.json``, copied from
    docs/judge-cards-llm.json) and the packaged policy; an empty book when none is shipped."""
    policy = load_panel_policy()
    path = resources.files("mhsafe.judges").joinpath("data/llm_cards.json")
    if not path.is_file():
        return {}, policy
    return cards_from_json(json.loads(path.read_text(encoding="utf-8")), policy), policy


def judge_model(judgment: Judgment) -> str:
    """The model behind an LLM judgment (``llm:<model>:<rubric>:p<k>`` or
    ``audit<i>:<model>``); '' for other judges (rules have no model card here)."""
    name = judgment.judge
    if name.startswith("llm:"):
        return name[4:].rsplit(":", 2)[0]
    if name.startswith("audit") and ":" in name:
        return name.split(":", 1)[1]
    return ""


def deciding_members(
    judgments: Sequence[Judgment], book: CardBook, policy: PanelPolicy
) -> dict[str, list[str]]:
    """Per criterion, the members whose card lets them decide it (the rest are advisory)."""
    out: dict[str, list[str]] = {}
    for j in judgments:
        if j.status != "judged":
            continue
        for key in j.values:
            card = book.get((judge_model(j), j.rubric, key))
            if card is not None and card.passes(policy):
                out.setdefault(key, []).append(j.judge)
    return out


def card_weighted_reducer(book: CardBook, policy: PanelPolicy) -> Reducer:
    """A panel reducer that lets only carded, passing judges decide (see module doc)."""

    def reduce(judgments: Sequence[Judgment]) -> tuple[Labels, Scores]:
        labels: Labels = {}
        answered = [j for j in judgments if j.status == "judged"]
        keys = sorted({k for j in answered for k in j.values})
        for key in keys:
            total = 0.0
            voters = 0
            for j in answered:
                vote = j.values.get(key)
                card = book.get((judge_model(j), j.rubric, key))
                if not isinstance(vote, bool) or card is None or not card.passes(policy):
                    continue
                total += card.weight(vote)
                voters += 1
            labels[key] = None if voters == 0 or total == 0 else total > 0
        return labels, {}

    return reduce
