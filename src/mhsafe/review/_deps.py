"""Request-scoped pieces every route shares: the app context, who is asking, CSRF, rendering.

Access control lives here and only here, as FastAPI dependencies, so a route cannot forget it
by accident: a route that takes ``CurrentUser`` refuses anonymous users, one that takes
``AdminUser`` refuses reviewers, and every POST route takes ``CsrfChecked``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from mhsafe.review._form import FormSpec
from mhsafe.review._security import (
    LoginRateLimiter,
    SessionCodec,
    SessionData,
    client_address,
    csrf_ok,
)
from mhsafe.store import ReviewDesk, UserView

SESSION_COOKIE = "mhsafe_review_session"
#: Largest id the routes accept: the 32-bit range every database's INTEGER holds. Without the
#: bound a huge id in a URL reaches the driver and fails there (found by schemathesis).
MAX_ID = 2_147_483_647
ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]
#: Run ids as ``Store.new_run_id`` makes them (and anything similar a caller chose).
RunId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.:-]+$")]


@dataclass
class ReviewContext:
    """Everything the routes need, built once by ``create_app`` and kept on ``app.state``."""

    desk: ReviewDesk
    codec: SessionCodec
    limiter: LoginRateLimiter
    templates: Jinja2Templates
    form_spec: FormSpec
    double_review_fraction: float
    secure_cookies: bool
    minutes_per_item: float = 3.0
    trusted_proxies: frozenset[str] = frozenset()
    guidelines: tuple[dict[str, Any], ...] = ()


class NotAuthenticated(Exception):
    """Raised by ``current_user`` for anonymous requests; the app turns it into a redirect to
    the login page (GET) or a 401 (anything else)."""


def get_context(request: Request) -> ReviewContext:
    """The app's context (set by ``create_app``)."""
    context: ReviewContext = request.app.state.review
    return context


Context = Annotated[ReviewContext, Depends(get_context)]


def get_session(request: Request, ctx: Context) -> SessionData | None:
    """The valid session behind the request's cookie, or None (absent/forged/expired/revoked)."""
    return ctx.codec.decode(request.cookies.get(SESSION_COOKIE))


Session = Annotated[SessionData | None, Depends(get_session)]


def client_of(request: Request, ctx: ReviewContext) -> str:
    """The client's address (``X-Forwarded-For`` believed only from a trusted proxy)."""
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.get("x-forwarded-for"), ctx.trusted_proxies)


def current_user(request: Request, ctx: Context, session: Session) -> UserView:
    """The logged-in, still-active user whose session version is current; anything less is
    anonymous.

    The user row is read on every request: deactivating an account, resetting its password or
    logging out (each moves the session version on) takes effect at once and for good.
    """
    if session is None or session.user_id is None:
        raise NotAuthenticated
    user = ctx.desk.user_by_id(session.user_id)
    if user is None or not user.active or user.session_version != session.version:
        raise NotAuthenticated
    request.state.user = user
    request.state.session = session
    return user


CurrentUser = Annotated[UserView, Depends(current_user)]


def admin_user(user: CurrentUser) -> UserView:
    """The current user if an admin; reviewers get 403."""
    if user.role != "admin":
        raise HTTPException(status_code=403, detail="admins only")
    return user


AdminUser = Annotated[UserView, Depends(admin_user)]


async def csrf_checked(request: Request, session: Session) -> SessionData:
    """Refuse a POST whose ``csrf_token`` field does not match the session's token (403).

    Runs before the body is validated, so a forged request learns nothing from field errors.
    """
    if session is None:
        raise NotAuthenticated
    form = await request.form()
    submitted = form.get("csrf_token")
    if not isinstance(submitted, str) or not csrf_ok(session.csrf, submitted):
        raise HTTPException(status_code=403, detail="missing or invalid CSRF token")
    return session


CsrfChecked = Annotated[SessionData, Depends(csrf_checked)]


def render(
    request: Request,
    ctx: ReviewContext,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    session: SessionData | None = None,
) -> HTMLResponse:
    """Render ``template`` with the things every page needs (user, CSRF token, nav)."""
    session = session or getattr(request.state, "session", None)
    page: dict[str, Any] = {
        "user": getattr(request.state, "user", None),
        "csrf_token": session.csrf if session is not None else "",
    }
    page.update(context or {})
    response: HTMLResponse = ctx.templates.TemplateResponse(
        request, template, page, status_code=status_code
    )
    return response


def set_session_cookie(response: Response, ctx: ReviewContext, data: SessionData) -> None:
    """Attach the signed session cookie (HttpOnly, SameSite=Lax, Secure when configured)."""
    response.set_cookie(
        SESSION_COOKIE,
        ctx.codec.encode(data),
        max_age=ctx.codec.ttl_s,
        httponly=True,
        samesite="lax",
        secure=ctx.secure_cookies,
        path="/",
    )
