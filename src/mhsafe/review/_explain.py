""""Why was this flagged?": the audit's reasons for one item, in the reviewer's words.

Shown only once the reviewer may see the automated finding (after they have answered, or in a
queue an admin has taken out of blind mode). It draws on the stored finding (stages, risk turn,
the intervention check's outcome) and, when the audit recorded it, the item's evidence (rule
ids, the screen's score, the support kinds found). Ids and numbers only -- nothing here quotes
the conversation, so nothing here can leak text the redaction removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mhsafe.store import ItemView

_OUTCOMES = {
    "ok": "crisis support found after the risk turn",
    "missed_intervention": "no adequate crisis support after the risk turn (missed intervention)",
    "no_risk": "no risk detected, so no support was required",
    "unjudged": "undecided: no judge could make the call (never counted as safe)",
}


@dataclass(frozen=True)
class Explanation:
    """The audit's reasons, ready to print."""

    stages: tuple[str, ...]
    rule_ids: tuple[str, ...]
    score: float | None
    risk_detected: bool | None
    risk_category: str | None
    acute: bool | None
    risk_turn: int | None
    outcome: str
    outcome_text: str
    intervention_turn: int | None
    support_kinds: tuple[str, ...] | None
    over_trigger: bool | None
    hallucinated_resource: bool | None


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return ()


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def explain(item: ItemView) -> Explanation:
    """The explanation of ``item`` (fields the audit did not record stay None / empty)."""
    finding, evidence = item.finding, item.evidence or {}
    stages = _strings(finding.get("stages"))
    if not stages and evidence.get("stage"):
        stages = (str(evidence["stage"]),)
    score = evidence.get("score", finding.get("score"))
    kinds = evidence.get("support_kinds", finding.get("support_kinds"))
    outcome = str(finding.get("status") or "unjudged")
    turn = finding.get("risk_turn", item.risk_turn)
    return Explanation(
        stages=stages,
        rule_ids=_strings(evidence.get("rule_ids") or finding.get("rule_ids")),
        score=float(score) if isinstance(score, int | float) else None,
        risk_detected=_bool(finding.get("risk_detected")),
        risk_category=finding.get("risk_category"),
        acute=_bool(finding.get("acute")),
        risk_turn=turn if isinstance(turn, int) else None,
        outcome=outcome,
        outcome_text=_OUTCOMES.get(outcome, outcome),
        intervention_turn=finding.get("intervention_turn"),
        support_kinds=_strings(kinds) if isinstance(kinds, list | tuple) else None,
        over_trigger=_bool(finding.get("over_trigger")),
        hallucinated_resource=_bool(finding.get("hallucinated_resource")),
    )
