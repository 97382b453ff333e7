"""Login and logout: the only routes an anonymous visitor may use (besides static files).

Every refused login is in the audit trail (with the client address and why, the attempted
name only when it is a real account), and an unknown name costs the same argon2 verification
as a known one, so neither the answer nor its timing tells which usernames exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from mhsafe.review._deps import (
    SESSION_COOKIE,
    Context,
    CsrfChecked,
    CurrentUser,
    ReviewContext,
    Session,
    client_of,
    render,
    set_session_cookie,
)
from mhsafe.review._security import SessionData, check_login_password, csrf_ok

router = APIRouter()


def _login_page(
    request: Request,
    ctx: ReviewContext,
    session: SessionData,
    *,
    error: str = "",
    username: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    response = render(
        request,
        ctx,
        "login.html.j2",
        {"error": error, "username": username},
        status_code=status_code,
        session=session,
    )
    set_session_cookie(response, ctx, session)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, ctx: Context, session: Session) -> Response:
    """The login page. It hands out an anonymous session so the form carries a CSRF token."""
    if session is not None and session.user_id is not None:
        return RedirectResponse("/queue", status_code=303)
    return _login_page(request, ctx, session or ctx.codec.new(None))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    ctx: Context,
    session: Session,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form(max_length=200)],
) -> Response:
    """Check the password; on success rotate the session (new id, new CSRF token).

    The rate limit is checked before the password, so a blocked client learns nothing about
    whether its guess was right. The error message is the same for unknown user, wrong password
    and inactive account.
    """
    if session is None or not csrf_ok(session.csrf, csrf_token):
        return _login_page(
            request, ctx, ctx.codec.new(None), error="Your form expired; please try again.",
            username=username, status_code=403,
        )
    client = client_of(request, ctx)
    user = ctx.desk.user_for_login(username.strip())
    known = user.username if user is not None else None
    wait = ctx.limiter.retry_after(username, client)
    if wait > 0:
        ctx.desk.record_login_failure(known, client, "rate limited")
        blocked = _login_page(
            request, ctx, session, username=username, status_code=429,
            error=f"Too many failed attempts. Try again in {int(wait) + 1} seconds.",
        )
        blocked.headers["Retry-After"] = str(int(wait) + 1)
        return blocked
    # Always one argon2 verification: against the account's hash, or a dummy of equal cost.
    right = check_login_password(None if user is None else user.password_hash, password)
    if user is None or not user.active or not right:
        ctx.limiter.failed(username, client)
        reason = ("unknown user" if user is None else "inactive account" if not user.active
                  else "wrong password")
        ctx.desk.record_login_failure(known, client, reason)
        return _login_page(
            request, ctx, session, username=username, status_code=401,
            error="Wrong username or password.",
        )
    ctx.limiter.succeeded(username, client)
    ctx.codec.revoke(session)
    fresh = ctx.codec.new(user.id, user.session_version)
    ctx.desk.record_login(user.username, client)
    response = RedirectResponse("/queue", status_code=303)
    set_session_cookie(response, ctx, fresh)
    return response


@router.post("/logout", response_class=HTMLResponse)
def logout(ctx: Context, user: CurrentUser, session: CsrfChecked) -> Response:
    """End the session on the server and in the browser. The account's session version moves
    on in the database, so the old cookie stays dead after a restart (and on other devices)."""
    ctx.desk.end_sessions(user.id, actor=user.username)
    response: Response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
