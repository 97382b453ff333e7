"""Login and logout: the only routes an anonymous visitor may use (besides static files)."""

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
    render,
    set_session_cookie,
)
from mhsafe.review._security import SessionData, csrf_ok, verify_password

router = APIRouter()


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


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
    client = _client(request)
    wait = ctx.limiter.retry_after(username, client)
    if wait > 0:
        blocked = _login_page(
            request, ctx, session, username=username, status_code=429,
            error=f"Too many failed attempts. Try again in {int(wait) + 1} seconds.",
        )
        blocked.headers["Retry-After"] = str(int(wait) + 1)
        return blocked
    user = ctx.desk.user_for_login(username.strip())
    if user is None or not user.active or not verify_password(user.password_hash, password):
        ctx.limiter.failed(username, client)
        return _login_page(
            request, ctx, session, username=username, status_code=401,
            error="Wrong username or password.",
        )
    ctx.limiter.succeeded(username, client)
    ctx.codec.revoke(session)
    fresh = ctx.codec.new(user.id)
    ctx.desk.record_login(user.username)
    response = RedirectResponse("/queue", status_code=303)
    set_session_cookie(response, ctx, fresh)
    return response


@router.post("/logout", response_class=HTMLResponse)
def logout(ctx: Context, user: CurrentUser, session: CsrfChecked) -> Response:
    """End the session on the server (revoked) and in the browser (cookie deleted)."""
    ctx.codec.revoke(session)
    response: Response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
