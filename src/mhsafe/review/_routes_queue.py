"""The queue page: what there is to review, in what order, how far along, and how long it takes.

Admins see every item with its status and the audit's call, each queue's workload (flagged vs
designed sample, expected reviewer hours at the stated pace), each reviewer's progress, and
the per-queue blind switch. A reviewer sees only their own items as "to do" / "done" -- never
an item status, which would tell the second reviewer of a double review whether the first
agreed -- and, in a blind queue, nothing of the automated finding (not even flagged vs sample)
until they have answered that item.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from mhsafe.review._deps import Context, CurrentUser, ReviewContext, render
from mhsafe.review._workload import Workload, workload
from mhsafe.store import ITEM_STATUSES, ItemSummary, UserView
from mhsafe.store._review_queue import ReviewerState

router = APIRouter()

StatusFilter = Literal["queued", "assigned", "reviewed", "disputed", "resolved", "todo", "done"]
CategoryFilter = Literal["none", "suicide", "nssi", "eating_disorder", "substance"]
AcuityFilter = Literal["acute", "unjudged", "risk", "none"]
PAGE_SIZE = 100
ACUITY_LABELS = {"acute": "acute risk", "unjudged": "undecided", "risk": "risk",
                 "none": "no risk"}


def reveal_map(
    ctx: ReviewContext, user: UserView, items: list[ItemSummary], done: set[int]
) -> dict[int, bool]:
    """Per item: may ``user`` see the automated finding? Admins always; a reviewer once they
    have answered the item, or when its queue is not blind."""
    if user.role == "admin":
        return {i.id: True for i in items}
    blind = {run: ctx.desk.is_blind(run) for run in {i.run_id for i in items}}
    return {i.id: (not blind[i.run_id]) or i.id in done for i in items}


def _workloads(ctx: ReviewContext, runs: set[str] | None) -> list[Workload]:
    return [
        workload(q, ctx.minutes_per_item, ctx.double_review_fraction)
        for q in ctx.desk.queue_progress() if runs is None or q.run_id in runs
    ]


@router.get("/", response_class=HTMLResponse)
def home(user: CurrentUser) -> Response:
    """Everyone starts at the queue."""
    return RedirectResponse("/queue", status_code=303)


@router.get("/queue", response_class=HTMLResponse)
def queue(
    request: Request,
    ctx: Context,
    user: CurrentUser,
    status: Annotated[StatusFilter | None, Query()] = None,
    category: Annotated[CategoryFilter | None, Query()] = None,
    acuity: Annotated[AcuityFilter | None, Query()] = None,
    run: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    saved: Annotated[int | None, Query(ge=0, le=2_147_483_647)] = None,
) -> Response:
    """Admins see every item (filter by status, category, acuity, queue); reviewers see their
    assignments (filter by to do / done, queue; by category and acuity only in a queue that is
    not blind, since those are the audit's call)."""
    is_admin = user.role == "admin"
    if not is_admin and status in ITEM_STATUSES:
        raise HTTPException(status_code=403, detail="reviewers filter by to do or done")
    if not is_admin and (category or acuity) and (run is None or ctx.desk.is_blind(run)):
        raise HTTPException(
            status_code=403, detail="category and acuity are the audit's call: hidden in a "
            "blind queue (choose a queue that is not blind to filter by them)")
    state: ReviewerState | None = "todo" if status == "todo" else "done" if status == "done" \
        else None
    mine = state is not None
    assigned_to = user.id if (not is_admin or mine) else None
    items = ctx.desk.list_items(
        status=None if mine else status, assigned_to=assigned_to, run_id=run,
        category=category, acuity=acuity,
        reviewer_state=state,
        limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
    )
    done = ctx.desk.items_adjudicated_by(user.id)
    runs = None if is_admin else ctx.desk.runs_assigned_to(user.id)
    return render(
        request,
        ctx,
        "queue.html.j2",
        {
            "items": items,
            "reveal": reveal_map(ctx, user, items, done),
            "counts": ctx.desk.status_counts(run_id=run) if is_admin else {},
            "statuses": ITEM_STATUSES,
            "status": status,
            "category": category,
            "acuity": acuity,
            "acuity_labels": ACUITY_LABELS,
            "run": run,
            "page": page,
            "has_next": len(items) == PAGE_SIZE,
            "reviewers": ctx.desk.list_users(role="reviewer", active_only=True)
            if is_admin else [],
            "done": done,
            "saved": saved,
            "mine": ctx.desk.reviewer_progress(user.id)[0],
            "progress": ctx.desk.reviewer_progress() if is_admin else [],
            "workloads": _workloads(ctx, runs),
            "minutes_per_item": ctx.minutes_per_item,
            "double_review_fraction": ctx.double_review_fraction,
            "filters_open": is_admin or (run is not None and not ctx.desk.is_blind(run)),
        },
    )
