"""The reviewer's pages: the queue, one conversation, and the adjudication form.

A reviewer sees only the items assigned to them (403 otherwise, checked on every item route),
and only their own earlier answers: a double review stays independent until an admin looks.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from mhsafe.review._deps import (
    Context,
    CsrfChecked,
    CurrentUser,
    ItemId,
    ReviewContext,
    render,
)
from mhsafe.review._form import AdjudicationAnswers, parse_answers
from mhsafe.store import ITEM_STATUSES, ItemView, UserView

router = APIRouter()

StatusFilter = Literal["queued", "assigned", "reviewed", "disputed", "resolved"]
PAGE_SIZE = 100


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
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    saved: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    """Admins see every item (filterable by status); reviewers see their assignments."""
    assigned_to = None if user.role == "admin" else user.id
    items = ctx.desk.list_items(
        status=status, assigned_to=assigned_to, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    counts = ctx.desk.status_counts(assigned_to=assigned_to)
    is_admin = user.role == "admin"
    reviewers = ctx.desk.list_users(role="reviewer", active_only=True) if is_admin else []
    done = ctx.desk.items_adjudicated_by(user.id) if user.role != "admin" else set()
    return render(
        request,
        ctx,
        "queue.html.j2",
        {
            "items": items,
            "counts": counts,
            "statuses": ITEM_STATUSES,
            "status": status,
            "page": page,
            "has_next": len(items) == PAGE_SIZE,
            "reviewers": reviewers,
            "done": done,
            "saved": saved,
            "double_review_fraction": ctx.double_review_fraction,
        },
    )


def load_item_for(ctx: ReviewContext, user: UserView, item_id: int) -> ItemView:
    """The item, if it exists and ``user`` may see it (404 / 403 otherwise)."""
    item = ctx.desk.get_item(item_id)
    if item is None:
        raise HTTPException(status_code=404, detail="no such item")
    if user.role != "admin" and user.id not in {a.user_id for a in item.assignees}:
        raise HTTPException(status_code=403, detail="this item is not assigned to you")
    return item


def item_page(
    request: Request,
    ctx: ReviewContext,
    user: UserView,
    item: ItemView,
    *,
    errors: dict[str, str] | None = None,
    submitted: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render one conversation with the form; shared by GET and by a failed POST."""
    is_admin = user.role == "admin"
    history = ctx.desk.adjudications(item.id, reviewer_id=None if is_admin else user.id)
    mine = [a for a in history if a.reviewer_id == user.id and not a.is_resolution]
    latest_mine = mine[-1] if mine else None
    prefill: dict[str, Any] = dict(submitted or {})
    if not prefill and latest_mine is not None:
        prefill = latest_mine.form_values()
    assigned_ids = {a.user_id for a in item.assignees}
    context: dict[str, Any] = {
        "item": item,
        "history": history,
        "errors": errors or {},
        "prefill": prefill,
        "can_adjudicate": user.id in assigned_ids and item.status != "resolved",
        "can_resolve": is_admin and item.n_adjudications > 0,
        "disagreements": ctx.desk.disagreements(item.id) if is_admin else [],
        "assignable": [
            u for u in ctx.desk.list_users(active_only=True) if u.id not in assigned_ids
        ] if is_admin else [],
        "double_review": ctx.desk.needs_double_review(item.id, ctx.double_review_fraction),
    }
    return render(request, ctx, "item.html.j2", context, status_code=status_code)


@router.get("/items/{item_id}", response_class=HTMLResponse)
def show_item(
    request: Request, ctx: Context, user: CurrentUser, item_id: ItemId
) -> Response:
    """One conversation: risk turn and the assistant's response highlighted, redacted text."""
    return item_page(request, ctx, user, load_item_for(ctx, user, item_id))


def answers_form(
    risk_present: Annotated[str, Form(max_length=10)] = "",
    category: Annotated[str, Form(max_length=40)] = "",
    acuity: Annotated[str, Form(max_length=40)] = "",
    crisis_support_given: Annotated[str, Form(max_length=10)] = "",
    support_adequate: Annotated[str, Form(max_length=10)] = "",
    hallucinated_resource: Annotated[str, Form(max_length=10)] = "",
    judge_correct: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> dict[str, str]:
    """The adjudication form's raw fields (validated against the spec by ``parse_answers``)."""
    return {
        "risk_present": risk_present,
        "category": category,
        "acuity": acuity,
        "crisis_support_given": crisis_support_given,
        "support_adequate": support_adequate,
        "hallucinated_resource": hallucinated_resource,
        "judge_correct": judge_correct,
        "note": note,
    }


AnswersForm = Annotated[dict[str, str], Depends(answers_form)]


def parse_or_none(ctx: ReviewContext, raw: dict[str, str]) -> tuple[
    AdjudicationAnswers | None, dict[str, str]
]:
    """Validate submitted answers with the packaged form spec."""
    return parse_answers(raw, ctx.form_spec)


@router.post("/items/{item_id}/adjudicate", response_class=HTMLResponse)
def adjudicate(
    request: Request,
    ctx: Context,
    user: CurrentUser,
    _csrf: CsrfChecked,
    item_id: ItemId,
    raw: AnswersForm,
) -> Response:
    """Record the reviewer's answers as a new adjudication row.

    A second submission by the same reviewer does not edit the first: it is appended with
    ``supersedes_id`` pointing at it, so the trail shows both.
    """
    item = load_item_for(ctx, user, item_id)
    if user.id not in {a.user_id for a in item.assignees}:
        raise HTTPException(status_code=403, detail="only assigned reviewers adjudicate")
    if item.status == "resolved":
        raise HTTPException(status_code=409, detail="resolved by an admin; no further reviews")
    answers, errors = parse_or_none(ctx, raw)
    if answers is None:
        return item_page(
            request, ctx, user, item, errors=errors, submitted=raw, status_code=422
        )
    ctx.desk.add_adjudication(
        item.id, user.id, answers.model_dump(), is_resolution=False, actor=user.username
    )
    return RedirectResponse(f"/queue?saved={item.id}", status_code=303)
