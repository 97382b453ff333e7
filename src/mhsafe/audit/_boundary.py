"""The audit's boundary with the store: errors without their data, a count that must agree,
and a run that does not stay ``running`` after a failure.

Why: SQLAlchemy writes a failed statement's parameters -- conversation ids and message text --
into its exception's message, so a store error escaping the audit printed health data into a
terminal and whatever collects it. Every store call the audit makes goes through
:class:`GuardedStore`, which turns a SQLAlchemy error into :class:`AuditStoreError` carrying
only the error class, the SQLSTATE and the statement's first words, raised ``from None`` so the
original (with its parameters) is not printed as the cause. The store is not edited for this:
``hide_parameters=True`` on its engine would be the belt to these braces.

The store keeps one review item per (run, conversation); if it ends up holding a different
number of items than the audit queued, the run is marked ``failed`` and
:class:`AuditCountError` says so -- a queue silently short of flagged conversations is the
failure this tool exists to prevent.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from mhsafe.audit._pipeline import ReviewStore

log = logging.getLogger(__name__)


class AuditStoreError(RuntimeError):
    """The store refused an audit write (the message holds no ids and no text)."""


class AuditCountError(RuntimeError):
    """The store's review queue for the run does not match the audit's."""


def describe(exc: BaseException) -> str:
    """A store error in words that carry no data: class, SQLSTATE, the statement's verb and
    table."""
    orig = getattr(exc, "orig", None)
    kind = type(orig).__name__ if orig is not None else type(exc).__name__
    state = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
    statement = " ".join(str(getattr(exc, "statement", "") or "").split()[:3])
    return (f"{kind}" + (f" [{state}]" if state else "")
            + (f" in {statement} ..." if statement else ""))


class GuardedStore:
    """A ``ReviewStore`` whose failures are data-free and whose finish checks the queue."""

    def __init__(self, store: ReviewStore) -> None:
        self.inner = store
        self.run_id: str | None = None

    def _fail(self, what: str, exc: SQLAlchemyError) -> AuditStoreError:
        self.mark_failed()
        return AuditStoreError(f"store error while {what}: {describe(exc)}; the run is "
                               "marked failed, fix the cause and rerun with --resume")

    def create_run(self, kind: Any, name: str, *, model: str | None = None,
                   judge: str | None = None, config: dict[str, Any] | None = None) -> str:
        """``Store.create_run``; remembers the run so a later failure can close it."""
        try:
            self.run_id = self.inner.create_run(kind, name, model=model, judge=judge,
                                                config=config)
        except SQLAlchemyError as exc:
            raise self._fail("creating the run", exc) from None
        return self.run_id

    def add_review_items(self, run_id: str, items: list[Any]) -> int:
        """``Store.add_review_items``."""
        self.run_id = run_id
        try:
            return self.inner.add_review_items(run_id, items)
        except SQLAlchemyError as exc:
            raise self._fail("queueing review items", exc) from None

    def review_items(self, run_id: str | None = None, status: str | None = None) -> list[Any]:
        """``Store.review_items``."""
        try:
            return self.inner.review_items(run_id=run_id, status=status)
        except SQLAlchemyError as exc:
            raise self._fail("reading the review queue back", exc) from None

    def count_items(self, run_id: str) -> int:
        """How many review items the store holds for the run: one COUNT through the store's
        public ``session()`` and ``ReviewItemRow`` when it has them (no items loaded), else the
        length of ``review_items``."""
        session = getattr(self.inner, "session", None)
        try:
            if callable(session):
                from sqlalchemy import func, select

                from mhsafe.store import ReviewItemRow

                query = (select(func.count()).select_from(ReviewItemRow)
                         .where(ReviewItemRow.run_id == run_id))
                with session() as s:
                    return int(s.scalar(query) or 0)
            return len(self.inner.review_items(run_id=run_id))
        except SQLAlchemyError as exc:
            raise self._fail("counting the review queue", exc) from None

    def finish_run(self, run_id: str, status: Any = "finished",
                   summary: dict[str, Any] | None = None) -> Any:
        """``Store.finish_run``, after checking that the store holds exactly what was queued."""
        self.run_id = run_id
        if status == "finished" and summary is not None:
            queued = sum(summary.get("review", {}).get("queued", {}).values())
            stored = self.count_items(run_id)
            if stored != queued:
                self.mark_failed(summary)
                raise AuditCountError(
                    f"run {run_id}: the store holds {stored} review items but the audit queued "
                    f"{queued} (review_queue.jsonl); the run is marked failed")
        try:
            return self.inner.finish_run(run_id, status, summary=summary)
        except SQLAlchemyError as exc:
            raise self._fail("finishing the run", exc) from None

    def mark_failed(self, summary: dict[str, Any] | None = None,
                    run_id: str | None = None) -> None:
        """Best effort: close the run as ``failed`` (never raises; the first error wins)."""
        target = self.run_id or run_id
        if target is None:
            return
        try:
            self.inner.finish_run(target, "failed", summary=summary)
        except Exception as exc:
            log.warning("could not mark run %s failed (%s)", target, type(exc).__name__)
