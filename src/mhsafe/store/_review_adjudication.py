"""Review desk, part three: adjudications, final labels, the audit trail and the export.

Nothing is edited in place: a revised answer is a new ``adjudications`` row whose
``supersedes_id`` points at the one it replaces (the database refuses UPDATE/DELETE there).
Each label records its mode (``blind``): the metrics page must be able to say whether the
clinician answered before or after seeing the automated finding, since the latter biases the
judge-vs-clinician figures toward the judge.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from mhsafe.store._review_common import (
    DeskBase,
    adjudication_views,
    answers_of,
    current_by_reviewer,
    disagreements,
    event,
    item_fields,
    item_filter,
    refresh_status,
)
from mhsafe.store._review_views import ANSWER_FIELDS, AdjudicationView, DecidedItem, EventView
from mhsafe.store._tables import AdjudicationRow, AuditEventRow, ReviewItemRow, RunRow

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
    "blind",
    "superseded",
    "final",
)


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


class AdjudicationDesk(DeskBase):
    """Answers, final labels and everything read back from them."""

    def adjudications(self, item_id: int, reviewer_id: int | None = None) -> list[AdjudicationView]:
        """An item's adjudications, oldest first (only one reviewer's when given)."""
        with self._store.session() as s:
            views = adjudication_views(s, [item_id])
        return [v for v in views if reviewer_id is None or v.reviewer_id == reviewer_id]

    def add_adjudication(
        self,
        item_id: int,
        reviewer_id: int,
        answers: Mapping[str, Any],
        *,
        is_resolution: bool,
        actor: str,
        blind: bool | None = None,
    ) -> int:
        """Append one adjudication (superseding the same reviewer's previous one, or the
        previous resolution) and recompute the item's status. ``blind``: whether the answer
        was given before its author saw the automated finding (None: not known). Returns the
        new row's id."""
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
                blind=blind,
                **{name: answers.get(name) for name in ANSWER_FIELDS},
            )
            s.add(row)
            s.flush()
            event(s, actor, "adjudication.resolve" if is_resolution else "adjudication.create",
                  "adjudication", row.id,
                  None if previous is None else answers_of(previous),
                  {**answers_of(row), "item_id": item_id, "supersedes_id": row.supersedes_id,
                   "blind": blind})
            refresh_status(s, item_id, actor, self.compared)
            return row.id

    def disagreements(self, item_id: int) -> list[str]:
        """Compared answers on which the item's current reviewer answers differ."""
        with self._store.session() as s:
            return disagreements(current_by_reviewer(s, item_id).values(), self.compared)

    def decided(self, run_id: str | None = None) -> list[DecidedItem]:
        """Items whose label is final, with that label: the latest resolution if any, else
        the latest current answer of an agreeing (or single) review."""
        query = item_filter(select(ReviewItemRow), None, None, run_id).where(
            ReviewItemRow.status.in_(("reviewed", "resolved"))
        ).order_by(ReviewItemRow.id)
        out: list[DecidedItem] = []
        with self._store.session() as s:
            items = list(s.scalars(query))
            views = adjudication_views(s, [i.id for i in items])
            by_item: dict[int, list[AdjudicationView]] = defaultdict(list)
            for v in views:
                by_item[v.item_id].append(v)
            for item in items:
                final = _final(by_item[item.id])
                if final is not None:
                    out.append(DecidedItem(
                        item_id=item.id, run_id=item.run_id, conversation_id=item.conversation_id,
                        reason=item.reason, finding=dict(item.finding or {}),
                        adjudication_id=final.id, answers=final.answers(), blind=final.blind,
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

    def record_export(self, actor: str, fmt: str, rows: int) -> None:
        """An export of adjudications (which carry clinicians' notes) is itself audited."""
        with self._store.session() as s:
            event(s, actor, "export.adjudications", "adjudications", None, None,
                  {"format": fmt, "rows": rows})

    def export_rows(self, run_id: str | None = None) -> list[dict[str, Any]]:
        """Every adjudication as a flat dict with ``EXPORT_COLUMNS`` keys."""
        rows: list[dict[str, Any]] = []
        with self._store.session() as s:
            query = item_filter(select(ReviewItemRow), None, None, run_id)
            items = {i.id: item_fields(i) for i in s.scalars(query)}
            views = adjudication_views(s, list(items))
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
                "is_resolution": v.is_resolution, "blind": v.blind, "superseded": v.superseded,
                "final": v.id in final_ids,
            })
        return rows
