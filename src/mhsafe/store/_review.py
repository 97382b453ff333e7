"""Review-queue queries: users, assignments, adjudications and the audit trail.

The review web app and the ``mhsafe review`` commands reach the store's tables only through
``ReviewDesk``; rows never leave as ORM objects, only as the small pydantic views below.

Three rules hold in every method:

* **Nothing is edited in place.** A revised answer is a new ``adjudications`` row whose
  ``supersedes_id`` points at the one it replaces (the database refuses UPDATE/DELETE there).
* **Every change is in the audit trail**, in the same transaction as the change itself: who,
  when, what, and the value before. Password hashes never enter the trail.
* **An item's status follows from its rows.** After every assignment or adjudication it is
  recomputed: a resolution makes it ``resolved``; until every assigned reviewer has answered it
  stays ``assigned``; then ``reviewed`` if they agree on the compared answers, else
  ``disputed`` (an admin resolves it).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mhsafe.store._review_views import (
    ANSWER_FIELDS,
    AdjudicationView,
    Assignee,
    AssignmentReport,
    DecidedItem,
    EventView,
    ItemSummary,
    ItemView,
    LoginUser,
    UserView,
)
from mhsafe.store._store import Store
from mhsafe.store._tables import (
    AdjudicationRow,
    AuditEventRow,
    ReviewAssignmentRow,
    ReviewItemRow,
    RunRow,
    UserRow,
)

ITEM_STATUSES = ("queued", "assigned", "reviewed", "disputed", "resolved")
#: Answers two reviewers must agree on unless the caller says otherwise (the web app passes the
#: list from its form spec). Free text and judgement-of-the-judge are not compared.
DEFAULT_COMPARED = (
    "risk_present",
    "category",
    "crisis_support_given",
    "support_adequate",
    "hallucinated_resource",
)
EXPORT_COLUMNS = (
    "adjudication_id",
    "item_id",
    "run_id",
    "conversation_id",
    "reason",
    "stratum",
    "item_status",
    "judge_risk_detected",
    "judge_risk_category",
    "judge_status",
    "reviewer",
    "created_at",
    *ANSWER_FIELDS,
    "supersedes_id",
    "is_resolution",
    "superseded",
    "final",
)


def needs_double_review(item_id: int, fraction: float) -> bool:
    """Whether ``item_id`` falls in the double-review share ``fraction``.

    A stable hash of the id, not a random draw: the same item is always in or out for a given
    fraction, so reruns, restarts and an auditor all agree on which items were double-reviewed.
    """
    if fraction <= 0:
        return False
    digest = hashlib.sha256(f"mhsafe-double-review:{item_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def _user_view(row: UserRow) -> UserView:
    return UserView(
        id=row.id, username=row.username, role=row.role, active=row.active,
        created_at=row.created_at,
    )


def _answers_of(row: AdjudicationRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in ANSWER_FIELDS}


class ReviewDesk:
    """The review workflow over a ``Store``: every method is one transaction."""

    def __init__(self, store: Store, compared: Sequence[str] = DEFAULT_COMPARED):
        self._store = store
        self.compared = tuple(compared)

    # -- users ------------------------------------------------------------------------------

    def user_for_login(self, username: str) -> LoginUser | None:
        """The account called ``username`` with its hash (None: no such account)."""
        with self._store.session() as s:
            row = s.scalars(select(UserRow).where(UserRow.username == username)).first()
            if row is None:
                return None
            return LoginUser(**_user_view(row).model_dump(), password_hash=row.password_hash)

    def user_by_id(self, user_id: int) -> UserView | None:
        """The account with id ``user_id``, or None."""
        with self._store.session() as s:
            row = s.get(UserRow, user_id)
            return None if row is None else _user_view(row)

    def list_users(self, role: str | None = None, active_only: bool = False) -> list[UserView]:
        """Accounts by username, optionally only one role / only active ones."""
        query = select(UserRow).order_by(UserRow.username)
        if role is not None:
            query = query.where(UserRow.role == role)
        if active_only:
            query = query.where(UserRow.active.is_(True))
        with self._store.session() as s:
            return [_user_view(r) for r in s.scalars(query)]

    def create_user(self, username: str, password_hash: str, role: str, *, actor: str) -> UserView:
        """Add an account (the caller hashes the password). ValueError if the name is taken."""
        with self._store.session() as s:
            if s.scalars(select(UserRow.id).where(UserRow.username == username)).first():
                raise ValueError(f"username {username!r} is taken")
            row = UserRow(username=username, password_hash=password_hash, role=role, active=True)
            s.add(row)
            s.flush()
            view = _user_view(row)
            _event(s, actor, "user.create", "user", row.id, None,
                   {"username": username, "role": role, "active": True})
            return view

    def set_user_active(self, user_id: int, active: bool, *, actor: str) -> bool:
        """(De)activate an account; False when there is no such account."""
        with self._store.session() as s:
            row = s.get(UserRow, user_id)
            if row is None:
                return False
            if row.active != active:
                _event(s, actor, "user.set_active", "user", row.id,
                       {"active": row.active}, {"active": active})
                row.active = active
            return True

    def set_password(self, username: str, password_hash: str, *, actor: str) -> bool:
        """Replace an account's password hash (the trail says it changed, never to what)."""
        with self._store.session() as s:
            row = s.scalars(select(UserRow).where(UserRow.username == username)).first()
            if row is None:
                return False
            row.password_hash = password_hash
            _event(s, actor, "user.set_password", "user", row.id, None, {"password": "changed"})
            return True

    def record_login(self, username: str) -> None:
        """A successful login, for the trail."""
        with self._store.session() as s:
            _event(s, username, "user.login", "user", None, None, None)

    # -- items ------------------------------------------------------------------------------

    def list_items(
        self,
        *,
        status: str | None = None,
        assigned_to: int | None = None,
        run_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[ItemSummary]:
        """Queue rows: flagged before sampled, oldest first."""
        query = _item_filter(select(ReviewItemRow), status, assigned_to, run_id)
        query = query.order_by(ReviewItemRow.reason, ReviewItemRow.id).limit(limit).offset(offset)
        with self._store.session() as s:
            rows = list(s.scalars(query))
            ids = [r.id for r in rows]
            assignees, counts = _assignees(s, ids), _counts(s, ids)
            return [
                ItemSummary(**_item_fields(r), assignees=assignees[r.id],
                            n_adjudications=counts[r.id])
                for r in rows
            ]

    def status_counts(
        self, *, assigned_to: int | None = None, run_id: str | None = None
    ) -> dict[str, int]:
        """How many items are in each status (within an assignee's or a run's items)."""
        query = _item_filter(
            select(ReviewItemRow.status, func.count()), None, assigned_to, run_id
        ).group_by(ReviewItemRow.status)
        with self._store.session() as s:
            return {str(status): int(n) for status, n in s.execute(query)}

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
                **_item_fields(row),
                assignees=_assignees(s, [row.id])[row.id],
                n_adjudications=_counts(s, [row.id])[row.id],
                messages=list(row.messages or []),
                risk_turn=row.risk_turn,
                response_turn=row.response_turn,
            )

    @staticmethod
    def needs_double_review(item_id: int, fraction: float) -> bool:
        """See :func:`needs_double_review`."""
        return needs_double_review(item_id, fraction)

    def assign(self, item_id: int, user_id: int, *, actor: str) -> bool:
        """Assign one item to one more user; False if already assigned to them."""
        with self._store.session() as s:
            done = _assign(s, item_id, user_id, actor)
            if done:
                _refresh_status(s, item_id, actor, self.compared)
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
        """Assign up to ``count`` queued items round-robin over ``reviewer_ids`` (flagged first).

        Items in the double-review share get the next reviewer too, so two different people
        answer them independently; with a single reviewer that is impossible and the item is
        counted in ``double_skipped`` rather than silently single-reviewed without a trace.
        """
        ids = list(dict.fromkeys(reviewer_ids))
        if not ids:
            raise ValueError("no reviewers given")
        query = _item_filter(select(ReviewItemRow.id), "queued", None, run_id)
        query = query.order_by(ReviewItemRow.reason, ReviewItemRow.id).limit(count)
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
                _refresh_status(s, item_id, actor, self.compared)
        return AssignmentReport(
            items=items, assignments=assignments, double_reviews=doubles, double_skipped=skipped
        )

    # -- adjudications ----------------------------------------------------------------------

    def adjudications(self, item_id: int, reviewer_id: int | None = None) -> list[AdjudicationView]:
        """An item's adjudications, oldest first (only one reviewer's when given)."""
        with self._store.session() as s:
            views = _adjudication_views(s, [item_id])
        return [v for v in views if reviewer_id is None or v.reviewer_id == reviewer_id]

    def add_adjudication(
        self,
        item_id: int,
        reviewer_id: int,
        answers: Mapping[str, Any],
        *,
        is_resolution: bool,
        actor: str,
    ) -> int:
        """Append one adjudication (superseding the same reviewer's previous one, or the
        previous resolution) and recompute the item's status. Returns the new row's id."""
        with self._store.session() as s:
            query = select(AdjudicationRow).where(
                AdjudicationRow.item_id == item_id,
                AdjudicationRow.is_resolution.is_(is_resolution),
            )
            if not is_resolution:  # a resolution replaces any earlier one, whoever gave it
                query = query.where(AdjudicationRow.reviewer_id == reviewer_id)
            previous = s.scalars(query.order_by(AdjudicationRow.id.desc())).first()
            row = AdjudicationRow(
                item_id=item_id,
                reviewer_id=reviewer_id,
                supersedes_id=previous.id if previous is not None else None,
                is_resolution=is_resolution,
                **{name: answers.get(name) for name in ANSWER_FIELDS},
            )
            s.add(row)
            s.flush()
            _event(s, actor, "adjudication.resolve" if is_resolution else "adjudication.create",
                   "adjudication", row.id,
                   None if previous is None else _answers_of(previous),
                   {**_answers_of(row), "item_id": item_id, "supersedes_id": row.supersedes_id})
            _refresh_status(s, item_id, actor, self.compared)
            return row.id

    def disagreements(self, item_id: int) -> list[str]:
        """Compared answers on which the item's current reviewer answers differ."""
        with self._store.session() as s:
            return _disagreements(_current_by_reviewer(s, item_id).values(), self.compared)

    def decided(self, run_id: str | None = None) -> list[DecidedItem]:
        """Items whose label is final, with that label: the latest resolution if any, else
        the latest current answer of an agreeing (or single) review."""
        query = _item_filter(select(ReviewItemRow), None, None, run_id).where(
            ReviewItemRow.status.in_(("reviewed", "resolved"))
        ).order_by(ReviewItemRow.id)
        out: list[DecidedItem] = []
        with self._store.session() as s:
            items = list(s.scalars(query))
            views = _adjudication_views(s, [i.id for i in items])
            by_item: dict[int, list[AdjudicationView]] = defaultdict(list)
            for v in views:
                by_item[v.item_id].append(v)
            for item in items:
                final = _final(by_item[item.id])
                if final is not None:
                    out.append(DecidedItem(
                        item_id=item.id, run_id=item.run_id, conversation_id=item.conversation_id,
                        reason=item.reason, finding=dict(item.finding or {}),
                        adjudication_id=final.id, answers=final.answers(),
                    ))
        return out

    # -- runs, trail, export ----------------------------------------------------------------

    def review_runs(self) -> list[str]:
        """Ids of runs that have review items, newest first."""
        query = (
            select(RunRow.id).where(RunRow.id.in_(select(ReviewItemRow.run_id).distinct()))
            .order_by(RunRow.created_at.desc())
        )
        with self._store.session() as s:
            return list(s.scalars(query))

    def unflagged_total(self, run_id: str) -> int | None:
        """How many conversations the audit did not flag (its summary's per-stratum counts),
        or None when the run recorded none."""
        with self._store.session() as s:
            run = s.get(RunRow, run_id)
            summary = (run.summary or {}) if run is not None else {}
        by_stratum = (summary.get("review") or {}).get("unflagged_by_stratum")
        if isinstance(by_stratum, dict) and by_stratum:
            return sum(int(v) for v in by_stratum.values())
        return None

    def audit_trail(self, limit: int = 100, offset: int = 0) -> list[EventView]:
        """Audit events, newest first."""
        query = select(AuditEventRow).order_by(AuditEventRow.id.desc()).limit(limit).offset(offset)
        with self._store.session() as s:
            return [
                EventView(id=e.id, at=e.at, actor=e.actor, action=e.action, entity=e.entity,
                          entity_id=e.entity_id, before=e.before, after=e.after)
                for e in s.scalars(query)
            ]

    def export_rows(self, run_id: str | None = None) -> list[dict[str, Any]]:
        """Every adjudication as a flat dict with ``EXPORT_COLUMNS`` keys."""
        rows: list[dict[str, Any]] = []
        with self._store.session() as s:
            query = _item_filter(select(ReviewItemRow), None, None, run_id)
            items = {i.id: _item_fields(i) for i in s.scalars(query)}
            views = _adjudication_views(s, list(items))
        final_ids = _final_ids(views, items)
        for v in views:
            item = items[v.item_id]
            finding = item["finding"]
            rows.append({
                "adjudication_id": v.id, "item_id": v.item_id, "run_id": item["run_id"],
                "conversation_id": item["conversation_id"], "reason": item["reason"],
                "stratum": item["stratum"], "item_status": item["status"],
                "judge_risk_detected": finding.get("risk_detected"),
                "judge_risk_category": finding.get("risk_category"),
                "judge_status": finding.get("status"), "reviewer": v.reviewer,
                "created_at": v.created_at, **v.answers(), "supersedes_id": v.supersedes_id,
                "is_resolution": v.is_resolution, "superseded": v.superseded,
                "final": v.id in final_ids,
            })
        return rows


# -- helpers (all run inside the caller's transaction) -------------------------------------


def _event(
    s: Session, actor: str, action: str, entity: str, entity_id: int | None,
    before: dict[str, Any] | None, after: dict[str, Any] | None,
) -> None:
    s.add(AuditEventRow(
        actor=actor, action=action, entity=entity,
        entity_id=None if entity_id is None else str(entity_id), before=before, after=after,
    ))


def _item_filter(
    query: Any, status: str | None, assigned_to: int | None, run_id: str | None
) -> Any:
    if status is not None:
        query = query.where(ReviewItemRow.status == status)
    if run_id is not None:
        query = query.where(ReviewItemRow.run_id == run_id)
    if assigned_to is not None:
        query = query.where(ReviewItemRow.id.in_(
            select(ReviewAssignmentRow.item_id).where(ReviewAssignmentRow.user_id == assigned_to)
        ))
    return query


def _item_fields(row: ReviewItemRow) -> dict[str, Any]:
    return {
        "id": row.id, "run_id": row.run_id, "conversation_id": row.conversation_id,
        "reason": row.reason, "stratum": row.stratum, "category": row.category,
        "status": row.status, "finding": dict(row.finding or {}),
    }


def _assignees(s: Session, item_ids: Sequence[int]) -> dict[int, list[Assignee]]:
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


def _counts(s: Session, item_ids: Sequence[int]) -> dict[int, int]:
    out: dict[int, int] = dict.fromkeys(item_ids, 0)
    if item_ids:
        query = (
            select(AdjudicationRow.item_id, func.count())
            .where(AdjudicationRow.item_id.in_(item_ids))
            .group_by(AdjudicationRow.item_id)
        )
        out.update({int(i): int(n) for i, n in s.execute(query)})
    return out


def _assign(s: Session, item_id: int, user_id: int, actor: str) -> bool:
    exists = s.scalars(select(ReviewAssignmentRow.id).where(
        ReviewAssignmentRow.item_id == item_id, ReviewAssignmentRow.user_id == user_id
    )).first()
    if exists is not None:
        return False
    by = s.scalars(select(UserRow.id).where(UserRow.username == actor)).first()
    s.add(ReviewAssignmentRow(item_id=item_id, user_id=user_id, assigned_by=by))
    _event(s, actor, "item.assign", "review_item", item_id, None, {"user_id": user_id})
    return True


def _adjudication_views(s: Session, item_ids: Sequence[int]) -> list[AdjudicationView]:
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
            is_resolution=a.is_resolution, superseded=a.id in replaced, **_answers_of(a),
        )
        for a, name in rows
    ]


def _current_by_reviewer(s: Session, item_id: int) -> dict[int, AdjudicationView]:
    """Each reviewer's latest, not superseded, non-resolution answer on the item."""
    current: dict[int, AdjudicationView] = {}
    for v in _adjudication_views(s, [item_id]):
        if not v.is_resolution and not v.superseded:
            current[v.reviewer_id] = v
    return current


def _disagreements(views: Iterable[AdjudicationView], compared: Sequence[str]) -> list[str]:
    answers = [v.answers() for v in views]
    return [name for name in compared if len({repr(a[name]) for a in answers}) > 1]


def _final(views: Sequence[AdjudicationView]) -> AdjudicationView | None:
    resolutions = [v for v in views if v.is_resolution and not v.superseded]
    if resolutions:
        return resolutions[-1]
    current = [v for v in views if not v.is_resolution and not v.superseded]
    return current[-1] if current else None


def _final_ids(views: Sequence[AdjudicationView], items: Mapping[int, dict[str, Any]]) -> set[int]:
    by_item: dict[int, list[AdjudicationView]] = defaultdict(list)
    for v in views:
        by_item[v.item_id].append(v)
    out: set[int] = set()
    for item_id, group in by_item.items():
        final = _final(group)
        if final is not None and items[item_id]["status"] in ("reviewed", "resolved"):
            out.add(final.id)
    return out


def _refresh_status(s: Session, item_id: int, actor: str, compared: Sequence[str]) -> None:
    """Recompute the item's status from its assignments and adjudications (see module doc)."""
    item = s.get(ReviewItemRow, item_id)
    if item is None:
        raise ValueError(f"no review item {item_id}")
    s.flush()
    views = _adjudication_views(s, [item_id])
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
        status = "disputed" if _disagreements(current.values(), compared) else "reviewed"
    if status != item.status:
        _event(s, actor, "item.status", "review_item", item_id,
               {"status": item.status}, {"status": status})
        item.status = status
