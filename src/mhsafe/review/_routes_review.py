"""The reviewer's pages: one conversation and the adjudication form.

A reviewer sees only the items assigned to them (403 otherwise, checked on every item route),
and only their own earlier answers: a double review stays independent until an admin looks.

**Blind by default.** In a blind queue the automated finding -- the audit's call, its reasons,
even the highlighted risk turn and flagged-vs-sample -- stays hidden until the reviewer has
answered; the "was the judge right?" question is not asked before then. Each view is audited
with whether the finding was shown, and each label is stored as blind only when its author had
never been shown the finding, so the metrics page can score the judge on unbiased labels.

**Speed.** "Save & next" goes straight to the reviewer's next item (queue order); "No risk" is
one action; every answer has a key (``static/review.js``); the page says how far along they are.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from mhsafe.review._deps import (
    MAX_ID,
    Context,
    CsrfChecked,
    CurrentUser,
    ItemId,
    ReviewContext,
    render,
)
from mhsafe.review._explain import explain
from mhsafe.review._form import AdjudicationAnswers, parse_answers
from mhsafe.store import ItemView, UserView

router = APIRouter()

#: Answers that mean nothing before the reviewer has seen the automated finding.
BLIND_HIDDEN = frozenset({"judge_correct"})
NO_RISK = {"risk_present": "no", "category": "none", "acuity": "none"}


def load_item_for(ctx: ReviewContext, user: UserView, item_id: int) -> ItemView:
    """The item, if it exists and ``user`` may see it (404 / 403 otherwise)."""
    item = ctx.desk.get_item(item_id)
    if item is None:
        raise HTTPException(status_code=404, detail="no such item")
    if user.role != "admin" and user.id not in {a.user_id for a in item.assignees}:
        raise HTTPException(status_code=403, detail="this item is not assigned to you")
    return item


def may_see_finding(ctx: ReviewContext, user: UserView, item: ItemView, answered: bool) -> bool:
    """Admins always (they resolve disputes); a reviewer after answering, or in a queue that
    is not blind."""
    return user.role == "admin" or answered or not ctx.desk.is_blind(item.run_id)


def item_page(
    request: Request,
    ctx: ReviewContext,
    user: UserView,
    item: ItemView,
    *,
    errors: dict[str, str] | None = None,
    submitted: dict[str, str] | None = None,
    status_code: int = 200,
    saved: int | None = None,
) -> HTMLResponse:
    """Render one conversation with the form; shared by GET and by a failed POST. Records
    the view (and whether the finding was shown) in the audit trail."""
    is_admin = user.role == "admin"
    history = ctx.desk.adjudications(item.id, reviewer_id=None if is_admin else user.id)
    mine = [a for a in history if a.reviewer_id == user.id and not a.is_resolution]
    latest_mine = mine[-1] if mine else None
    reveal = may_see_finding(ctx, user, item, latest_mine is not None)
    ctx.desk.record_view(item.id, actor=user.username, finding_shown=reveal)
    prefill: dict[str, Any] = dict(submitted or {})
    if not prefill and latest_mine is not None:
        prefill = latest_mine.form_values()
    assigned_ids = {a.user_id for a in item.assignees}
    closed = item.status == "resolved"
    context: dict[str, Any] = {
        "item": item,
        "reveal": reveal,
        "why": explain(item) if reveal else None,
        "blind_queue": ctx.desk.is_blind(item.run_id),
        "hidden_fields": frozenset() if reveal else BLIND_HIDDEN,
        "my_state": "done" if latest_mine else "closed" if closed else "to do",
        "history": history,
        "errors": errors or {},
        "prefill": prefill,
        "saved": saved,
        "can_adjudicate": user.id in assigned_ids and not closed,
        "can_resolve": is_admin and item.n_adjudications > 0,
        "disagreements": ctx.desk.disagreements(item.id) if is_admin else [],
        "assignable": [
            u for u in ctx.desk.list_users(active_only=True) if u.id not in assigned_ids
        ] if is_admin else [],
        "double_review": is_admin and ctx.desk.needs_double_review(
            item.id, ctx.double_review_fraction),
        "progress": ctx.desk.reviewer_progress(user.id)[0],
        "guidelines": ctx.guidelines,
    }
    return render(request, ctx, "item.html.j2", context, status_code=status_code)


@router.get("/items/{item_id}", response_class=HTMLResponse)
def show_item(
    request: Request,
    ctx: Context,
    user: CurrentUser,
    item_id: ItemId,
    saved: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """One conversation (redacted text) with the form; the finding as blind mode allows."""
    return item_page(request, ctx, user, load_item_for(ctx, user, item_id), saved=saved)


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
    quick: Annotated[Literal["", "no_risk"], Form()] = "",
    then: Annotated[Literal["", "next", "stay"], Form()] = "",
) -> Response:
    """Record the reviewer's answers as a new adjudication row, then go to their next item
    (``then=stay``: back to this one, now with the finding shown).

    ``quick=no_risk`` is the one-action "no risk" answer: risk no, category and acuity none,
    the rest as submitted. A second submission does not edit the first: it is appended with
    ``supersedes_id`` pointing at it. The label is blind when the queue is blind and the
    reviewer has never been shown this item's finding.
    """
    item = load_item_for(ctx, user, item_id)
    if user.id not in {a.user_id for a in item.assignees}:
        raise HTTPException(status_code=403, detail="only assigned reviewers adjudicate")
    if item.status == "resolved":
        raise HTTPException(status_code=409, detail="closed by an admin; no further reviews")
    blind = ctx.desk.is_blind(item.run_id) and not ctx.desk.finding_seen_by(
        item.id, user.username)
    raw = {**raw, **(NO_RISK if quick == "no_risk" else {})}
    if blind:
        raw.update(dict.fromkeys(BLIND_HIDDEN, ""))
    answers, errors = parse_or_none(ctx, raw)
    if answers is None:
        return item_page(
            request, ctx, user, item, errors=errors, submitted=raw, status_code=422
        )
    ctx.desk.add_adjudication(
        item.id, user.id, answers.model_dump(), is_resolution=False, actor=user.username,
        blind=blind,
    )
    if then == "stay":
        return RedirectResponse(f"/items/{item.id}?saved={item.id}", status_code=303)
    following = ctx.desk.next_todo(user.id)
    if following is None:
        return RedirectResponse(f"/queue?saved={item.id}", status_code=303)
    return RedirectResponse(f"/items/{following}?saved={item.id}", status_code=303)
