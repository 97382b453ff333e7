"""What the three parts of the review desk share: the audit-trail writer, row-to-view helpers
and the item status machine.

They run inside the caller's transaction (they take the open ``Session``), so a change and its
audit event, or an adjudication and the status it implies, are committed together or not at
all. The status machine lives here rather than with adjudications because assigning a reviewer
changes an item's status too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from mhsafe.store._review_views import ANSWER_FIELDS, AdjudicationView, Assignee, UserView
from mhsafe.store._store import Store
from mhsafe.store._tables import (
    REVIEW_ACUITIES,
    AdjudicationRow,
    AuditEventRow,
    ReviewAssignmentRow,
    ReviewItemRow,
    UserRow,
)

ITEM_STATUSES = ("queued", "assigned", "reviewed", "disputed", "resolved")
#: Statuses in which every assigned reviewer has answered. Reviewers are only ever told "done"
#: for these, never which one: "disputed" would tell the second reviewer the first's answer.
ANSWERED_STATUSES = ("reviewed", "disputed", "resolved")
#: Answers two reviewers must agree on unless the caller says otherwise (the web app passes the
#: list from its form spec). Free text and judgement-of-the-judge are not compared.
DEFAULT_COMPARED = (
    "risk_present",
    "category",
    "crisis_support_given",
    "support_adequate",
    "hallucinated_resource",
)


class DeskBase:
    """State every part of ``ReviewDesk`` uses: the store and the compared answers."""

    def __init__(self, store: Store, compared: Sequence[str] = DEFAULT_COMPARED):
        self._store = store
        self.compared = tuple(compared)


def needs_double_review(item_id: int, fraction: float) -> bool:
    """Whether ``item_id`` falls in the double-review share ``fraction``.

    A stable hash of the id, not a random draw: the same item is always in or out for a given
    fraction, so reruns, restarts and an auditor all agree on which items were double-reviewed.
    """
    if fraction <= 0:
        return False
    digest = hashlib.sha256(f"mhsafe-double-review:{item_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def event(
    s: Session, actor: str, action: str, entity: str, entity_id: int | str | None,
    before: dict[str, Any] | None, after: dict[str, Any] | None,
) -> None:
    """Append one audit event (ids and field values only; callers never pass message text)."""
    s.add(AuditEventRow(
        actor=actor, action=action, entity=entity,
        entity_id=None if entity_id is None else str(entity_id), before=before, after=after,
    ))


def user_view(row: UserRow) -> UserView:
    """An account without its hash."""
    return UserView(
        id=row.id, username=row.username, role=row.role, active=row.active,
        created_at=row.created_at, session_version=row.session_version or 0,
    )


def answers_of(row: AdjudicationRow) -> dict[str, Any]:
    """An adjudication row's answer fields."""
    return {name: getattr(row, name) for name in ANSWER_FIELDS}


#: SQL rank of ``review_items.acuity`` in queue order (unknown values last).
ACUITY_RANK = case(
    *((ReviewItemRow.acuity == a, i) for i, a in enumerate(REVIEW_ACUITIES)),
    else_=len(REVIEW_ACUITIES),
)
#: The queue order: acuity first (acute risk gets human eyes first), then stratum, then the
#: audit's reason (flagged before sample) and age.
QUEUE_ORDER = (
    ACUITY_RANK, func.coalesce(ReviewItemRow.stratum, ""), ReviewItemRow.reason,
    ReviewItemRow.id,
)


def item_filter(
    query: Any,
    status: str | Sequence[str] | None,
    assigned_to: int | None,
    run_id: str | None,
    *,
    category: str | None = None,
    acuity: str | None = None,
) -> Any:
    """Narrow a ``review_items`` query; every argument left None is no restriction."""
    if isinstance(status, str):
        query = query.where(ReviewItemRow.status == status)
    elif status is not None:
        query = query.where(ReviewItemRow.status.in_(tuple(status)))
    if run_id is not None:
        query = query.where(ReviewItemRow.run_id == run_id)
    if category is not None:
        query = query.where(ReviewItemRow.category == category)
    if acuity is not None:
        query = query.where(ReviewItemRow.acuity == acuity)
    if assigned_to is not None:
        query = query.where(ReviewItemRow.id.in_(
            select(ReviewAssignmentRow.item_id).where(ReviewAssignmentRow.user_id == assigned_to)
        ))
    return query


def item_fields(row: ReviewItemRow) -> dict[str, Any]:
    """The columns every item view carries."""
    return {
        "id": row.id, "run_id": row.run_id, "conversation_id": row.conversation_id,
        "reason": row.reason, "stratum": row.stratum, "category": row.category,
        "status": row.status, "finding": dict(row.finding or {}), "acuity": row.acuity,
    }


def assignees(s: Session, item_ids: Sequence[int]) -> dict[int, list[Assignee]]:
    """Who is assigned to each item, in assignment order."""
    out: dict[int, list[Assignee]] = {i: [] for i in item_ids}
    if not item_ids:
        return out
    query = (
        select(ReviewAssignmentRow, UserRow.username)
        .join(UserRow, UserRow.id == ReviewAssignmentRow.user_id)
        .where(ReviewAssignmentRow.item_id.in_(item_ids))
        .order_by(ReviewAssignmentRow.id)
    )
    for a, username in s.execute(query):
        out[a.item_id].append(
            Assignee(user_id=a.user_id, username=username, assigned_at=a.assigned_at)
        )
    return out


def adjudication_counts(s: Session, item_ids: Sequence[int]) -> dict[int, int]:
    """How many adjudication rows (superseded ones too) each item has."""
    out: dict[int, int] = dict.fromkeys(item_ids, 0)
    if item_ids:
        query = (
            select(AdjudicationRow.item_id, func.count())
            .where(AdjudicationRow.item_id.in_(item_ids))
            .group_by(AdjudicationRow.item_id)
        )
        out.update({int(i): int(n) for i, n in s.execute(query)})
    return out


def adjudication_views(s: Session, item_ids: Sequence[int]) -> list[AdjudicationView]:
    """The items' adjudications, oldest first, each marked superseded or not."""
    if not item_ids:
        return []
    query = (
        select(AdjudicationRow, UserRow.username)
        .join(UserRow, UserRow.id == AdjudicationRow.reviewer_id)
        .where(AdjudicationRow.item_id.in_(item_ids))
        .order_by(AdjudicationRow.id)
    )
    rows = list(s.execute(query))
    replaced = {a.supersedes_id for a, _ in rows if a.supersedes_id is not None}
    return [
        AdjudicationView(
            id=a.id, item_id=a.item_id, reviewer_id=a.reviewer_id, reviewer=name,
            created_at=a.created_at, supersedes_id=a.supersedes_id,
            is_resolution=a.is_resolution, superseded=a.id in replaced, blind=a.blind,
            **answers_of(a),
        )
        for a, name in rows
    ]


def current_by_reviewer(s: Session, item_id: int) -> dict[int, AdjudicationView]:
    """Each reviewer's latest, not superseded, non-resolution answer on the item."""
    current: dict[int, AdjudicationView] = {}
    for v in adjudication_views(s, [item_id]):
        if not v.is_resolution and not v.superseded:
            current[v.reviewer_id] = v
    return current


def disagreements(views: Iterable[AdjudicationView], compared: Sequence[str]) -> list[str]:
    """Compared answers on which the given answers differ."""
    answers = [v.answers() for v in views]
    return [name for name in compared if len({repr(a[name]) for a in answers}) > 1]


def refresh_status(s: Session, item_id: int, actor: str, compared: Sequence[str]) -> None:
    """Recompute the item's status from its rows: a resolution makes it ``resolved``; until
    every assigned reviewer has answered it stays ``assigned``; then ``reviewed`` if they agree
    on the compared answers, else ``disputed`` (an admin resolves it)."""
    item = s.get(ReviewItemRow, item_id)
    if item is None:
        raise ValueError(f"no review item {item_id}")
    s.flush()
    views = adjudication_views(s, [item_id])
    assigned = set(s.scalars(
        select(ReviewAssignmentRow.user_id).where(ReviewAssignmentRow.item_id == item_id)
    ))
    current = {v.reviewer_id: v for v in views if not v.is_resolution and not v.superseded}
    if any(v.is_resolution for v in views):
        status = "resolved"
    elif not assigned and not current:
        status = "queued"
    elif not assigned <= set(current):
        status = "assigned"
    else:
        status = "disputed" if disagreements(current.values(), compared) else "reviewed"
    if status != item.status:
        event(s, actor, "item.status", "review_item", item_id,
              {"status": item.status}, {"status": status})
        item.status = status
