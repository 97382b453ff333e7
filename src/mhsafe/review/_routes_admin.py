"""Admin pages: users, assignment, dispute resolution, the audit trail, metrics and export.

Every route here takes ``AdminUser`` (reviewers get 403) and every POST takes ``CsrfChecked``.
Changes go through ``ReviewDesk``, which writes an audit event beside each of them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import Field

from mhsafe.review._deps import (
    MAX_ID,
    AdminUser,
    Context,
    CsrfChecked,
    ItemId,
    ReviewContext,
    RunId,
    UserId,
    render,
)
from mhsafe.review._export import adjudications_csv, adjudications_parquet
from mhsafe.review._metrics import compute_metrics
from mhsafe.review._routes_review import AnswersForm, item_page, load_item_for, parse_or_none
from mhsafe.review._security import hash_password, password_problem

router = APIRouter()

Role = Literal["admin", "reviewer"]
YesNo = Literal["yes", "no"]
LabelMode = Literal["all", "blind", "unblinded"]


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, ctx: Context, admin: AdminUser) -> Response:
    """All accounts, with the form that creates one."""
    return render(request, ctx, "users.html.j2", {"users": ctx.desk.list_users()})


@router.post("/admin/users", response_class=HTMLResponse)
def create_user(
    request: Request,
    ctx: Context,
    admin: AdminUser,
    _csrf: CsrfChecked,
    username: Annotated[str, Form(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")],
    password: Annotated[str, Form(max_length=1000)],
    role: Annotated[Role, Form()],
) -> Response:
    """Create an account (argon2-hashed password); the event is in the audit trail."""
    problem = password_problem(password, username)
    if problem is None and ctx.desk.user_for_login(username) is not None:
        problem = f"username {username!r} is taken"
    if problem is not None:
        return render(
            request, ctx, "users.html.j2",
            {"users": ctx.desk.list_users(), "error": problem, "new_username": username},
            status_code=422,
        )
    ctx.desk.create_user(username, hash_password(password), role, actor=admin.username)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/active", response_class=HTMLResponse)
def set_active(
    ctx: Context,
    admin: AdminUser,
    _csrf: CsrfChecked,
    user_id: UserId,
    active: Annotated[YesNo, Form()],
) -> Response:
    """Deactivate (or reactivate) an account; its sessions die at their next request."""
    if user_id == admin.id and active == "no":
        raise HTTPException(status_code=409, detail="you cannot deactivate yourself")
    if not ctx.desk.set_user_active(user_id, active == "yes", actor=admin.username):
        raise HTTPException(status_code=404, detail="no such user")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/password", response_class=HTMLResponse)
def reset_password(
    request: Request,
    ctx: Context,
    admin: AdminUser,
    _csrf: CsrfChecked,
    user_id: UserId,
    password: Annotated[str, Form(max_length=1000)],
) -> Response:
    """Give an account a new password (same policy as a new account); every session the
    account holds ends at once."""
    target = ctx.desk.user_by_id(user_id)
    if target is None:
        raise HTTPException(status_code=404, detail="no such user")
    problem = password_problem(password, target.username)
    if problem is not None:
        return render(
            request, ctx, "users.html.j2",
            {"users": ctx.desk.list_users(), "error": f"{target.username}: {problem}"},
            status_code=422,
        )
    ctx.desk.set_password(target.username, hash_password(password), actor=admin.username)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/queues/{run_id}/blind", response_class=HTMLResponse)
def set_blind(
    ctx: Context,
    admin: AdminUser,
    _csrf: CsrfChecked,
    run_id: RunId,
    blind: Annotated[YesNo, Form()],
) -> Response:
    """Turn a queue's blind mode on or off. Labels keep the mode they were given in; the
    metrics page reports them by mode."""
    if run_id not in ctx.desk.review_runs():
        raise HTTPException(status_code=404, detail="no review queue for that run")
    ctx.desk.set_blind(run_id, blind == "yes", actor=admin.username)
    return RedirectResponse("/queue", status_code=303)


@router.post("/admin/assign", response_class=HTMLResponse)
def auto_assign(
    ctx: Context,
    admin: AdminUser,
    _csrf: CsrfChecked,
    count: Annotated[int, Form(ge=1, le=10_000)],
    reviewer_ids: Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None, Form()] = None,
) -> Response:
    """Hand out up to ``count`` queued items round-robin to the chosen reviewers; the
    double-review share gets a second, different reviewer."""
    ids = reviewer_ids or [u.id for u in ctx.desk.list_users(role="reviewer", active_only=True)]
    if not ids:
        raise HTTPException(status_code=409, detail="no active reviewers to assign to")
    try:
        ctx.desk.auto_assign(
            ids, count=count, double_review_fraction=ctx.double_review_fraction,
            actor=admin.username,
        )
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    return RedirectResponse("/queue", status_code=303)


@router.post("/items/{item_id}/assign", response_class=HTMLResponse)
def assign_one(
    ctx: Context,
    admin: AdminUser,
    _csrf: CsrfChecked,
    item_id: ItemId,
    user_id: Annotated[int, Form(ge=1, le=MAX_ID)],
) -> Response:
    """Assign one item to one more user (a second reviewer makes it a double review)."""
    load_item_for(ctx, admin, item_id)
    target = ctx.desk.user_by_id(user_id)
    if target is None or not target.active:
        raise HTTPException(status_code=422, detail="no such active user")
    ctx.desk.assign(item_id, user_id, actor=admin.username)
    return RedirectResponse(f"/items/{item_id}", status_code=303)


@router.post("/items/{item_id}/resolve", response_class=HTMLResponse)
def resolve(
    request: Request,
    ctx: Context,
    admin: AdminUser,
    _csrf: CsrfChecked,
    item_id: ItemId,
    raw: AnswersForm,
) -> Response:
    """An admin's final answer on a reviewed item: appended with ``is_resolution`` set; it
    wins over every reviewer's row in the metrics. Meant for disputes, but allowed once any
    review exists, so an item whose second reviewer left is never stuck."""
    item = load_item_for(ctx, admin, item_id)
    if item.n_adjudications == 0:
        raise HTTPException(status_code=409, detail="nothing to resolve before a review")
    answers, errors = parse_or_none(ctx, raw)
    if answers is None:
        return item_page(request, ctx, admin, item, errors=errors, submitted=raw, status_code=422)
    ctx.desk.add_adjudication(  # an admin has seen everything: never a blind label
        item.id, admin.id, answers.model_dump(), is_resolution=True, actor=admin.username,
        blind=False,
    )
    return RedirectResponse(f"/items/{item_id}", status_code=303)


@router.get("/metrics", response_class=HTMLResponse)
def metrics_page(
    request: Request,
    ctx: Context,
    admin: AdminUser,
    run: Annotated[str | None, Query(max_length=100)] = None,
    mode: Annotated[LabelMode, Query()] = "all",
) -> Response:
    """Judge vs clinician and the end-to-end figures, recomputed from the adjudications;
    ``mode`` restricts them to blind labels or to labels given after seeing the finding."""
    counts = ctx.desk.status_counts(run_id=run)
    decided = ctx.desk.decided(run_id=run)
    modes = {
        "blind": sum(1 for d in decided if d.blind is True),
        "unblinded": sum(1 for d in decided if d.blind is False),
        "unknown": sum(1 for d in decided if d.blind is None),
    }
    if mode != "all":
        decided = [d for d in decided if d.blind is (mode == "blind")]
    metrics = compute_metrics(
        decided,
        n_items=sum(counts.values()),
        n_waiting=counts.get("queued", 0) + counts.get("assigned", 0),
        n_disputed=counts.get("disputed", 0),
        unflagged_total=ctx.desk.unflagged_total(run) if run else None,
    )
    return render(
        request, ctx, "metrics.html.j2",
        {"m": metrics, "runs": ctx.desk.review_runs(), "run": run, "mode": mode,
         "modes": modes},
    )


@router.get("/audit-trail", response_class=HTMLResponse)
def audit_trail(
    request: Request,
    ctx: Context,
    admin: AdminUser,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """Who did what, when, and what it was before: newest first, 100 a page."""
    events = ctx.desk.audit_trail(limit=100, offset=(page - 1) * 100)
    return render(
        request, ctx, "audit_trail.html.j2",
        {"events": events, "page": page, "has_next": len(events) == 100},
    )


def _export(ctx: ReviewContext, admin_name: str, fmt: Literal["csv", "parquet"]) -> Response:
    """Every adjudication row in one format; the export itself goes into the audit trail."""
    rows = ctx.desk.export_rows()
    ctx.desk.record_export(admin_name, fmt, len(rows))
    body, media_type = (
        (adjudications_csv(rows), "text/csv; charset=utf-8") if fmt == "csv"
        else (adjudications_parquet(rows), "application/vnd.apache.parquet")
    )
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="adjudications.{fmt}"'},
    )


@router.get("/export/adjudications.csv")
def export_csv(ctx: Context, admin: AdminUser) -> Response:
    """Every adjudication row (superseded ones too, marked) as CSV."""
    return _export(ctx, admin.username, "csv")


@router.get("/export/adjudications.parquet")
def export_parquet(ctx: Context, admin: AdminUser) -> Response:
    """Every adjudication row as Parquet."""
    return _export(ctx, admin.username, "parquet")
