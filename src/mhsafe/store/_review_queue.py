"""Review desk, part two: the queue -- listing, assignment, progress, per-queue settings and the
record of who looked at which conversation.

The queue is ordered by the audit's acuity (acute first), then stratum, then reason: with a
backlog, the conversations most likely to need a human are read first. A reviewer's view of
progress is "to do" / "done" only; item statuses that depend on *other* reviewers' answers
(reviewed vs disputed) are for admins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mhsafe.store._review_common import (
    ANSWERED_STATUSES,
    QUEUE_ORDER,
    DeskBase,
    adjudication_counts,
    assignees,
    event,
    item_fields,
    item_filter,
    needs_double_review,
    refresh_status,
)
from mhsafe.store._review_views import (
    AssignmentReport,
    ItemSummary,
    ItemView,
    QueueProgress,
    ReviewerProgress,
)
from mhsafe.store._tables import (
    AdjudicationRow,
    AuditEventRow,
    ReviewAssignmentRow,
    ReviewItemRow,
    ReviewQueueRow,
    UserRow,
)

ReviewerState = Literal["todo", "done"]


def _assign(s: Session, item_id: int, user_id: int, actor: str) -> bool:
    exists = s.scalars(select(ReviewAssignmentRow.id).where(
        ReviewAssignmentRow.item_id == item_id, ReviewAssignmentRow.user_id == user_id
    )).first()
    if exists is not None:
        return False
    by = s.scalars(select(UserRow.id).where(UserRow.username == actor)).first()
    s.add(ReviewAssignmentRow(item_id=item_id, user_id=user_id, assigned_by=by))
    event(s, actor, "item.assign", "review_item", item_id, None, {"user_id": user_id})
    return True


def _answered_by(user_id: int) -> Any:
    return select(AdjudicationRow.item_id).where(
        AdjudicationRow.reviewer_id == user_id, AdjudicationRow.is_resolution.is_(False)
    )


def _reviewer_state(query: Any, user_id: int, state: ReviewerState | None) -> Any:
    """Restrict to the reviewer's own to-do (not answered, not closed by an admin) or done."""
    if state is None:
        return query
    answered = ReviewItemRow.id.in_(_answered_by(user_id))
    closed = ReviewItemRow.status == "resolved"
    if state == "todo":
        return query.where(~answered, ~closed)
    return query.where(answered | closed)


class QueueDesk(DeskBase):
    """Queue listing, assignment and progress."""

    def list_items(
        self,
        *,
        status: str | None = None,
        assigned_to: int | None = None,
        run_id: str | None = None,
        category: str | None = None,
        acuity: str | None = None,
        reviewer_state: ReviewerState | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[ItemSummary]:
        """Queue rows in queue order (acuity, stratum, reason, id). ``reviewer_state`` needs
        ``assigned_to``: that reviewer's own to-do or done items."""
        query = item_filter(select(ReviewItemRow), status, assigned_to, run_id,
                            category=category, acuity=acuity)
        if reviewer_state is not None:
            if assigned_to is None:
                raise ValueError("reviewer_state needs assigned_to")
            query = _reviewer_state(query, assigned_to, reviewer_state)
        query = query.order_by(*QUEUE_ORDER).limit(limit).offset(offset)
        with self._store.session() as s:
            rows = list(s.scalars(query))
            ids = [r.id for r in rows]
            who, counts = assignees(s, ids), adjudication_counts(s, ids)
            return [
                ItemSummary(**item_fields(r), assignees=who[r.id], n_adjudications=counts[r.id])
                for r in rows
            ]

    def status_counts(
        self, *, assigned_to: int | None = None, run_id: str | None = None
    ) -> dict[str, int]:
        """How many items are in each status (within an assignee's or a run's items). For
        admins: a reviewer must be shown :meth:`reviewer_progress` instead."""
        query = item_filter(
            select(ReviewItemRow.status, func.count()), None, assigned_to, run_id
        ).group_by(ReviewItemRow.status)
        with self._store.session() as s:
            return {str(status): int(n) for status, n in s.execute(query)}

    def runs_assigned_to(self, user_id: int) -> set[str]:
        """Ids of the runs (queues) that hold items assigned to ``user_id``."""
        query = (
            select(ReviewItemRow.run_id).distinct()
            .join(ReviewAssignmentRow, ReviewAssignmentRow.item_id == ReviewItemRow.id)
            .where(ReviewAssignmentRow.user_id == user_id)
        )
        with self._store.session() as s:
            return {str(r) for r in s.scalars(query)}

    def items_adjudicated_by(self, user_id: int) -> set[int]:
        """Ids of the items ``user_id`` has answered."""
        query = select(AdjudicationRow.item_id).where(AdjudicationRow.reviewer_id == user_id)
        with self._store.session() as s:
            return set(s.scalars(query))

    def get_item(self, item_id: int) -> ItemView | None:
        """One item with its conversation, or None."""
        with self._store.session() as s:
            row = s.get(ReviewItemRow, item_id)
            if row is None:
                return None
            return ItemView(
                **item_fields(row),
                assignees=assignees(s, [row.id])[row.id],
                n_adjudications=adjudication_counts(s, [row.id])[row.id],
                messages=list(row.messages or []),
                risk_turn=row.risk_turn,
                response_turn=row.response_turn,
                evidence=None if row.evidence is None else dict(row.evidence),
            )

    def next_todo(self, user_id: int) -> int | None:
        """The reviewer's first item still to do, in queue order (None: nothing left)."""
        query = item_filter(select(ReviewItemRow.id), None, user_id, None)
        query = _reviewer_state(query, user_id, "todo").order_by(*QUEUE_ORDER).limit(1)
        with self._store.session() as s:
            found = s.scalars(query).first()
            return None if found is None else int(found)

    @staticmethod
    def needs_double_review(item_id: int, fraction: float) -> bool:
        """See :func:`needs_double_review`."""
        return needs_double_review(item_id, fraction)

    def assign(self, item_id: int, user_id: int, *, actor: str) -> bool:
        """Assign one item to one more user; False if already assigned to them."""
        with self._store.session() as s:
            done = _assign(s, item_id, user_id, actor)
            if done:
                refresh_status(s, item_id, actor, self.compared)
            return done

    def auto_assign(
        self,
        reviewer_ids: Sequence[int],
        *,
        count: int,
        double_review_fraction: float,
        actor: str,
        run_id: str | None = None,
    ) -> AssignmentReport:
        """Assign up to ``count`` queued items round-robin over ``reviewer_ids``, in queue order.

        Items in the double-review share get the next reviewer too, so two different people
        answer them independently; with a single reviewer that is impossible and the item is
        counted in ``double_skipped`` rather than silently single-reviewed without a trace.
        """
        ids = list(dict.fromkeys(reviewer_ids))
        if not ids:
            raise ValueError("no reviewers given")
        query = item_filter(select(ReviewItemRow.id), "queued", None, run_id)
        query = query.order_by(*QUEUE_ORDER).limit(count)
        items = assignments = doubles = skipped = 0
        with self._store.session() as s:
            for uid in ids:
                user = s.get(UserRow, uid)
                if user is None or not user.active:
                    raise ValueError(f"no active user with id {uid}")
            for turn, item_id in enumerate(list(s.scalars(query))):
                wanted = 1
                if needs_double_review(item_id, double_review_fraction):
                    if len(ids) >= 2:
                        wanted, doubles = 2, doubles + 1
                    else:
                        skipped += 1
                for k in range(wanted):
                    assignments += _assign(s, item_id, ids[(turn + k) % len(ids)], actor)
                items += 1
                refresh_status(s, item_id, actor, self.compared)
        return AssignmentReport(
            items=items, assignments=assignments, double_reviews=doubles, double_skipped=skipped
        )

    # -- progress and per-queue settings ---------------------------------------------------

    def reviewer_progress(self, user_id: int | None = None) -> list[ReviewerProgress]:
        """Per reviewer (or only ``user_id``): items assigned and items they have answered."""
        assigned_q = select(ReviewAssignmentRow.user_id, func.count()).group_by(
            ReviewAssignmentRow.user_id)
        done_q = (
            select(AdjudicationRow.reviewer_id, func.count(func.distinct(AdjudicationRow.item_id)))
            .join(ReviewAssignmentRow, (ReviewAssignmentRow.item_id == AdjudicationRow.item_id)
                  & (ReviewAssignmentRow.user_id == AdjudicationRow.reviewer_id))
            .where(AdjudicationRow.is_resolution.is_(False))
            .group_by(AdjudicationRow.reviewer_id)
        )
        with self._store.session() as s:
            assigned = {int(u): int(n) for u, n in s.execute(assigned_q)}
            done = {int(u): int(n) for u, n in s.execute(done_q)}
            users = {u.id: u.username for u in s.scalars(select(UserRow))}
        ids = [user_id] if user_id is not None else sorted(assigned, key=lambda u: users[u])
        return [
            ReviewerProgress(user_id=u, username=users.get(u, "?"), assigned=assigned.get(u, 0),
                             done=done.get(u, 0))
            for u in ids
        ]

    def queue_progress(self, run_id: str | None = None) -> list[QueueProgress]:
        """Per audit run: items queued (flagged vs sample), items answered, the blind setting."""
        query = select(ReviewItemRow.run_id, ReviewItemRow.reason, ReviewItemRow.status,
                       func.count()).group_by(
            ReviewItemRow.run_id, ReviewItemRow.reason, ReviewItemRow.status)
        if run_id is not None:
            query = query.where(ReviewItemRow.run_id == run_id)
        tallies: dict[str, dict[str, int]] = {}
        with self._store.session() as s:
            for rid, reason, status, n in s.execute(query):
                t = tallies.setdefault(str(rid), {"flagged": 0, "sample": 0, "done": 0})
                t[str(reason)] += int(n)
                if status in ANSWERED_STATUSES:
                    t["done"] += int(n)
            blind = {r.run_id: r.blind for r in s.scalars(select(ReviewQueueRow))}
        return [
            QueueProgress(run_id=rid, total=t["flagged"] + t["sample"], flagged=t["flagged"],
                          sample=t["sample"], done=t["done"], blind=blind.get(rid, True))
            for rid, t in sorted(tallies.items())
        ]

    def is_blind(self, run_id: str) -> bool:
        """Whether the run's queue hides the automated finding until a reviewer has answered
        (the default: a reviewer who sees the judge's call first is biased toward it)."""
        with self._store.session() as s:
            row = s.get(ReviewQueueRow, run_id)
            return True if row is None else bool(row.blind)

    def set_blind(self, run_id: str, blind: bool, *, actor: str) -> None:
        """Turn a queue's blind mode on or off (audited, before and after)."""
        with self._store.session() as s:
            row = s.get(ReviewQueueRow, run_id)
            before = True if row is None else bool(row.blind)
            if row is None:
                row = ReviewQueueRow(run_id=run_id, blind=blind, updated_by=actor)
                s.add(row)
            row.blind, row.updated_by = blind, actor
            if before != blind:
                event(s, actor, "queue.set_blind", "review_queue", run_id,
                      {"blind": before}, {"blind": blind})

    # -- who looked at what ----------------------------------------------------------------

    def record_view(self, item_id: int, *, actor: str, finding_shown: bool) -> None:
        """A conversation was shown to ``actor`` (and whether its automated finding was)."""
        with self._store.session() as s:
            event(s, actor, "item.view", "review_item", item_id, None,
                  {"finding_shown": finding_shown})

    def finding_seen_by(self, item_id: int, actor: str) -> bool:
        """Whether ``actor`` has ever been shown this item's automated finding: what decides
        whether their next label on it is blind."""
        query = select(AuditEventRow.after).where(
            AuditEventRow.action == "item.view", AuditEventRow.entity == "review_item",
            AuditEventRow.entity_id == str(item_id), AuditEventRow.actor == actor,
        )
        with self._store.session() as s:
            return any(isinstance(a, dict) and a.get("finding_shown") for a in s.scalars(query))
