"""``create_app``: the clinician review web app as a FastAPI application.

Server-rendered Jinja2 pages and plain HTML forms: no JavaScript framework, so the app works
with scripts off and on the locked-down laptops clinicians tend to have. Every route except the
login page and the static files requires a session; see ``_deps`` for how that is enforced.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from mhsafe.review import _routes_admin, _routes_auth, _routes_review
from mhsafe.review._deps import NotAuthenticated, ReviewContext, render
from mhsafe.review._form import load_form_spec
from mhsafe.review._security import LoginRateLimiter, SessionCodec
from mhsafe.store import ReviewDesk, Store

#: Paths anyone may reach; everything else refuses anonymous users (tested route by route).
PUBLIC_PATHS: frozenset[str] = frozenset({"/login", "/static"})

_SECURITY_HEADERS = {
    # Pages show (redacted) conversations: never cache them, never frame them.
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}


def _package_dir(name: str) -> Path:
    return Path(str(files("mhsafe.review").joinpath(name)))


def create_app(
    store_url: str | None = None,
    *,
    secret_key: str | None = None,
    session_ttl_s: int = 8 * 3600,
    double_review_fraction: float = 0.2,
    login_attempts: int = 5,
    login_window_s: float = 300.0,
    secure_cookies: bool = False,
    store: Store | None = None,
) -> FastAPI:
    """Build the review app on the store at ``store_url`` (or an already open ``store``).

    ``secret_key`` signs session cookies; None draws a random one, so sessions do not survive
    a restart (set ``MHSAFE_REVIEW_SECRET`` in production). ``session_ttl_s`` is enforced on the
    server. ``double_review_fraction`` of items (chosen by a stable hash of their id, so the
    choice is reproducible) get a second, independent reviewer when work is assigned.
    ``secure_cookies`` must be True behind HTTPS.
    """
    if not 0.0 <= double_review_fraction <= 1.0:
        raise ValueError("double_review_fraction must be in [0, 1]")
    if session_ttl_s <= 0:
        raise ValueError("session_ttl_s must be positive")
    opened = store if store is not None else Store(store_url)
    # Our own Environment: autoescape must cover the .j2 templates (select_autoescape would
    # not), since they print clinician notes and conversation text.
    env = Environment(loader=FileSystemLoader(str(_package_dir("templates"))), autoescape=True)
    templates = Jinja2Templates(env=env)
    templates.env.globals["form_spec"] = load_form_spec()
    context = ReviewContext(
        desk=ReviewDesk(opened),
        codec=SessionCodec(secret_key or secrets.token_urlsafe(32), session_ttl_s),
        limiter=LoginRateLimiter(login_attempts, login_window_s),
        templates=templates,
        form_spec=load_form_spec(),
        double_review_fraction=double_review_fraction,
        secure_cookies=secure_cookies,
    )
    app = FastAPI(
        title="mhsafe clinician review",
        description="Clinicians adjudicate what the audit flagged; their labels feed every "
        "estimate. Server-rendered HTML forms; every route but /login needs a session.",
        version="1",
        # No schema or docs endpoints: they would be routes open to anonymous visitors. The
        # schema is still available in-process (``app.openapi()``) for contract tests.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.review = context
    app.mount("/static", StaticFiles(directory=str(_package_dir("static"))), name="static")
    app.include_router(_routes_auth.router)
    app.include_router(_routes_review.router)
    app.include_router(_routes_admin.router)

    @app.exception_handler(NotAuthenticated)
    async def _login_required(request: Request, exc: NotAuthenticated) -> Response:
        if request.method in ("GET", "HEAD"):
            return RedirectResponse("/login", status_code=303)
        return HTMLResponse("login required", status_code=401)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 405 or request.method not in ("GET", "HEAD", "POST"):
            return HTMLResponse(str(exc.detail), status_code=exc.status_code)
        return render(
            request,
            context,
            "error.html.j2",
            {"status": exc.status_code, "detail": exc.detail},
            status_code=exc.status_code,
        )

    @app.middleware("http")
    async def _headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for key, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    return app
