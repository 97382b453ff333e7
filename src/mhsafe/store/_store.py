"""The ``Store``: the one door to mhsafe's relational state.

Each public method is one transaction. ``add_result`` and ``add_review_items`` are
idempotent on their natural keys (the database's unique constraints decide, not a prior
SELECT alone), so a resumed or duplicated run can never count a case twice.
Other rooms needing their own queries use :meth:`Store.session` with the row classes.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from mhsafe.schema import Case, Transcript, Verdict
from mhsafe.store._convert import (
    judgment_rows,
    review_item_row,
    review_out,
    run_info,
    stored_verdict,
    transcript_of,
    transcript_row,
    verdict_row,
)
from mhsafe.store._engine import make_engine, resolve_url, upgrade_to_head
from mhsafe.store._tables import (
    RUN_KINDS,
    RUN_STATUSES,
    AuditEventRow,
    CaseRow,
    JudgmentRow,
    ReviewItemRow,
    RunRow,
    TranscriptRow,
    VerdictRow,
)
from mhsafe.store._types import (
    ReviewItemIn,
    ReviewItemOut,
    RunInfo,
    StoredVerdict,
)

_ID_ATTEMPTS = 5


def _now() -> datetime:
    return datetime.now(UTC)


def new_run_id() -> str:
    """A run id people can read and sort (``20250101-120000-a1b2c3d4``); the random tail makes
    two processes starting in the same second distinct, and the primary key backs that up."""
    return f"{_now():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"


class Store:
    """mhsafe's database: SQLite by default, any SQLAlchemy URL (PostgreSQL is tested).

    ``url`` None means ``$MHSAFE_DB``, else ``sqlite:///mhsafe.db`` in the working directory.
    Opening a store upgrades its schema to head (``migrate=False`` skips that, for tools
    that must not touch the schema).
    """

    def __init__(self, url: str | None = None, *, migrate: bool = True) -> None:
        self.url = resolve_url(url)
        self.engine: Engine = make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            upgrade_to_head(self.engine)

    @property
    def url_display(self) -> str:
        """The URL with any password masked: safe for logs, reports and the web app."""
        return self.engine.url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"Store({self.url_display!r})"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release pooled connections (the database itself is untouched)."""
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    # --- runs ------------------------------------------------------------------------------

    def create_run(
        self,
        kind: str,
        name: str,
        *,
        model: str | None = None,
        judge: str | None = None,
        config: dict[str, Any] | None = None,
        inspect_log: str | None = None,
        notes: str | None = None,
    ) -> str:
        """Start a run and return its id (status ``running``)."""
        if kind not in RUN_KINDS:
            raise ValueError(f"run kind must be one of {RUN_KINDS}, got {kind!r}")
        for _ in range(_ID_ATTEMPTS):
            run_id = new_run_id()
            try:
                with self.session() as s:
                    s.add(
                        RunRow(
                            id=run_id,
                            kind=kind,
                            name=name,
                            model=model,
                            judge=judge,
                            config=config or {},
                            status="running",
                            created_at=_now(),
                            inspect_log=inspect_log,
                            notes=notes,
                        )
                    )
                return run_id
            except IntegrityError:  # id collision: draw again
                continue
        raise RuntimeError("could not allocate a unique run id")

    def get_run(self, run_id: str) -> RunInfo | None:
        """The run, or None when no run has that id."""
        with self.session() as s:
            row = s.get(RunRow, run_id)
            return None if row is None else run_info(row)

    def finish_run(
        self,
        run_id: str,
        status: str = "finished",
        summary: dict[str, Any] | None = None,
        *,
        inspect_log: str | None = None,
    ) -> None:
        """Close a run as ``finished`` or ``failed``, recording its summary."""
        if status not in RUN_STATUSES or status == "running":
            raise ValueError(f"finish status must be 'finished' or 'failed', got {status!r}")
        with self.session() as s:
            row = s.get(RunRow, run_id)
            if row is None:
                raise KeyError(run_id)
            row.status = status
            row.finished_at = _now()
            if summary is not None:
                row.summary = summary
            if inspect_log is not None:
                row.inspect_log = inspect_log

    def list_runs(self, kind: str | None = None) -> list[RunInfo]:
        """Runs, newest first, optionally of one kind."""
        query = select(RunRow).order_by(RunRow.created_at.desc(), RunRow.id.desc())
        if kind is not None:
            query = query.where(RunRow.kind == kind)
        with self.session() as s:
            return [run_info(r) for r in s.scalars(query)]

    # --- cases -----------------------------------------------------------------------------

    def upsert_cases(self, suite: str, cases: Sequence[Case]) -> int:
        """Insert or refresh a suite's cases (keyed by (suite, case id)); returns how many."""
        with self.session() as s:
            existing = {
                r.case_id: r for r in s.scalars(select(CaseRow).where(CaseRow.suite == suite))
            }
            for case in cases:
                payload = case.model_dump(mode="json")
                row = existing.get(case.id)
                if row is None:
                    row = CaseRow(suite=suite, case_id=case.id)
                    s.add(row)
                    existing[case.id] = row
                row.category = case.category
                row.expected = case.expected
                row.payload = payload
        return len(cases)

    # --- results ---------------------------------------------------------------------------

    def add_result(
        self,
        run_id: str,
        transcript: Transcript,
        verdict: Verdict,
        *,
        case_id: str,
        epoch: int,
    ) -> bool:
        """Store a transcript, its judgments and its verdict in one transaction.

        Returns True when stored, False when (run_id, case_id, epoch) was already there: the
        first result wins and nothing is double-counted. Any other integrity failure (e.g.
        an unknown run) is raised.
        """
        try:
            with self.session() as s:
                if self._verdict_exists(s, run_id, case_id, epoch):
                    return False
                row = transcript_row(run_id, transcript, case_id=case_id, epoch=epoch)
                s.add(row)
                s.flush()
                s.add_all(judgment_rows(row.id, verdict))
                s.add(verdict_row(run_id, row.id, verdict, case_id=case_id, epoch=epoch))
            return True
        except IntegrityError:
            with self.session() as s:
                if self._verdict_exists(s, run_id, case_id, epoch):
                    return False  # a concurrent writer stored the same key first
            raise

    @staticmethod
    def _verdict_exists(s: Session, run_id: str, case_id: str, epoch: int) -> bool:
        query = select(VerdictRow.id).where(
            VerdictRow.run_id == run_id, VerdictRow.case_id == case_id, VerdictRow.epoch == epoch
        )
        return s.scalar(query) is not None

    def verdicts(self, run_id: str) -> list[StoredVerdict]:
        """Every verdict of a run with its judgments, ordered by case then epoch."""
        with self.session() as s:
            rows = s.execute(
                select(VerdictRow, TranscriptRow.transcript_id)
                .join(TranscriptRow, VerdictRow.transcript_row_id == TranscriptRow.id)
                .where(VerdictRow.run_id == run_id)
                .order_by(VerdictRow.case_id, VerdictRow.epoch)
            ).all()
            judgments: dict[int, list[JudgmentRow]] = {}
            tids = [v.transcript_row_id for v, _ in rows]
            if tids:
                for j in s.scalars(
                    select(JudgmentRow)
                    .where(JudgmentRow.transcript_row_id.in_(tids))
                    .order_by(JudgmentRow.id)
                ):
                    judgments.setdefault(j.transcript_row_id, []).append(j)
            return [
                stored_verdict(v, tid, judgments.get(v.transcript_row_id, [])) for v, tid in rows
            ]

    def transcript(self, run_id: str, case_id: str, epoch: int) -> Transcript | None:
        """The stored transcript for one case and epoch of a run, or None."""
        with self.session() as s:
            row = s.scalar(
                select(TranscriptRow).where(
                    TranscriptRow.run_id == run_id,
                    TranscriptRow.case_id == case_id,
                    TranscriptRow.epoch == epoch,
                )
            )
            if row is None:
                return None
            return transcript_of(row)

    def done_keys(self, run_id: str) -> set[tuple[str, int]]:
        """(case_id, epoch) pairs already stored for a run: what a resumed run skips."""
        with self.session() as s:
            rows = s.execute(
                select(VerdictRow.case_id, VerdictRow.epoch).where(VerdictRow.run_id == run_id)
            )
            return {(c, e) for c, e in rows}

    # --- review queue ----------------------------------------------------------------------

    def add_review_items(self, run_id: str, items: Sequence[ReviewItemIn]) -> int:
        """Queue items for review; returns how many were new. Re-queuing a conversation of
        the same run is a no-op, so re-running the sampler cannot duplicate the queue."""
        with self.session() as s:
            have = set(
                s.scalars(
                    select(ReviewItemRow.conversation_id).where(ReviewItemRow.run_id == run_id)
                )
            )
            added = 0
            for item in items:
                if item.conversation_id in have:
                    continue
                have.add(item.conversation_id)
                s.add(review_item_row(run_id, item, created_at=_now()))
                added += 1
            return added

    def review_items(
        self, run_id: str | None = None, status: str | None = None
    ) -> list[ReviewItemOut]:
        """Review items in queue order, optionally for one run and/or one status."""
        query = select(ReviewItemRow).order_by(ReviewItemRow.id)
        if run_id is not None:
            query = query.where(ReviewItemRow.run_id == run_id)
        if status is not None:
            query = query.where(ReviewItemRow.status == status)
        with self.session() as s:
            return [review_out(r) for r in s.scalars(query)]

    # --- audit trail -----------------------------------------------------------------------

    def record_event(
        self,
        actor: str,
        action: str,
        entity: str,
        entity_id: str | int | None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        *,
        session: Session | None = None,
    ) -> int:
        """Append one audit event and return its id.

        Pass ``session`` to write it in the same transaction as the change it describes, so
        the change and its trace commit or fail together.
        """
        row = AuditEventRow(
            at=_now(),
            actor=actor,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            before=before,
            after=after,
        )
        if session is not None:
            session.add(row)
            session.flush()
            return row.id
        with self.session() as s:
            s.add(row)
            s.flush()
            return row.id
