"""Review-queue queries: ``ReviewDesk``, the one door from the review app and the ``mhsafe
review`` commands to the review tables.

Rows never leave as ORM objects, only as the small pydantic views of ``_review_views``. The
desk is assembled from three parts along the workflow's seams, each in its own module:

* ``_review_accounts`` -- users, session versions, login events;
* ``_review_queue`` -- listing, assignment, progress, per-queue settings, who viewed what;
* ``_review_adjudication`` -- answers, final labels, the audit trail, export rows;

with the audit-trail writer and the item status machine shared in ``_review_common``. Three
rules hold in every method: nothing is edited in place (a revision is a new row superseding
the old); every change is in the audit trail in the same transaction as the change; an item's
status follows from its rows (queued → assigned → reviewed | disputed → resolved).
"""

from __future__ import annotations

from mhsafe.store._review_accounts import AccountsDesk
from mhsafe.store._review_adjudication import AdjudicationDesk
from mhsafe.store._review_queue import QueueDesk

__all__ = ["ReviewDesk"]


class ReviewDesk(AccountsDesk, QueueDesk, AdjudicationDesk):
    """The review workflow over a ``Store``: every method is one transaction."""
