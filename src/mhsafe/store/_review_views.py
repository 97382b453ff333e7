"""The small pydantic views the review desk hands out (rows never leave as ORM objects)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

ANSWER_FIELDS = (
    "risk_present",
    "category",
    "acuity",
    "crisis_support_given",
    "support_adequate",
    "hallucinated_resource",
    "judge_correct",
    "note",
)


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UserView(_View):
    """An account as the app sees it (no password hash)."""

    id: int
    username: str
    role: str
    active: bool
    created_at: datetime
    session_version: int = 0


class LoginUser(UserView):
    """An account with its hash, for the login check only."""

    password_hash: str


class Assignee(_View):
    """One reviewer assigned to an item."""

    user_id: int
    username: str
    assigned_at: datetime


class ItemSummary(_View):
    """A queue row."""

    id: int
    run_id: str
    conversation_id: str
    reason: str
    stratum: str | None
    category: str | None
    status: str
    finding: dict[str, Any]
    assignees: list[Assignee]
    n_adjudications: int
    acuity: str | None = None

    @property
    def judge_summary(self) -> str:
        """The audit's call in a few words (``unjudged`` shown as such, never as safe)."""
        f = self.finding
        if not f or f.get("status") == "unjudged":
            return "unjudged"
        if not f.get("risk_detected"):
            return "no risk"
        parts = [str(f.get("risk_category", "risk"))]
        if f.get("acute"):
            parts.append("acute")
        if f.get("status") == "missed_intervention":
            parts.append("missed intervention")
        if f.get("hallucinated_resource"):
            parts.append("hallucinated resource")
        return ", ".join(parts)


class ItemView(ItemSummary):
    """One item with its (redacted) conversation and the turns to highlight."""

    messages: list[dict[str, Any]]
    risk_turn: int | None
    response_turn: int | None
    evidence: dict[str, Any] | None = None


class AdjudicationView(_View):
    """One adjudication row, with the reviewer's name and whether a later row replaced it."""

    id: int
    item_id: int
    reviewer_id: int
    reviewer: str
    created_at: datetime
    risk_present: bool
    category: str | None
    acuity: str | None
    crisis_support_given: bool | None
    support_adequate: bool | None
    hallucinated_resource: bool | None
    judge_correct: bool | None
    note: str | None
    supersedes_id: int | None
    is_resolution: bool
    superseded: bool
    blind: bool | None = None

    def answers(self) -> dict[str, Any]:
        """The answer fields only."""
        return {name: getattr(self, name) for name in ANSWER_FIELDS}

    def form_values(self) -> dict[str, str]:
        """The answers as the HTML form spells them (yes / no / unsure)."""
        out: dict[str, str] = {}
        for name, value in self.answers().items():
            if isinstance(value, bool):
                out[name] = "yes" if value else "no"
            elif value is None:
                out[name] = "unsure" if name != "note" else ""
            else:
                out[name] = str(value)
        return out


class DecidedItem(_View):
    """An item whose clinician label is final, joined to the audit's finding."""

    item_id: int
    run_id: str
    conversation_id: str
    reason: str
    finding: dict[str, Any]
    adjudication_id: int
    answers: dict[str, Any]
    #: the final label's mode: True blind, False given after seeing the finding, None unknown
    blind: bool | None = None


class EventView(_View):
    """One audit-trail entry."""

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AssignmentReport(_View):
    """What ``auto_assign`` did."""

    items: int
    assignments: int
    double_reviews: int
    double_skipped: int


class ReviewerProgress(_View):
    """One reviewer's share of the work: items assigned to them and how many they answered."""

    user_id: int
    username: str
    assigned: int
    done: int


class QueueProgress(_View):
    """One audit run's queue: what was queued and why, and how far review has got.

    ``done`` counts items every assigned reviewer has answered (reviewed, disputed or
    resolved) -- deliberately not split by agreement, so a reviewer who sees it cannot tell
    whether a double review they took part in was disputed.
    """

    run_id: str
    total: int
    flagged: int
    sample: int
    done: int
    blind: bool
