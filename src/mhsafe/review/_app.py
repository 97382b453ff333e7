"""``create_app``: the clinician review web app as a FastAPI application.

Server-rendered Jinja2 pages and plain HTML forms: no JavaScript framework, so the app works
with scripts off and on the locked-down laptops clinicians tend to have. Every route except the
login page and the static files requires a session; see ``_deps`` for how that is enforced.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Awaitable, Callable, Iterable
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from mhsafe.review import _routes_admin, _routes_auth, _routes_queue, _routes_review
from mhsafe.review._deps import NotAuthenticated, ReviewContext, render
from mhsafe.review._form import load_form_spec
from mhsafe.review._security import LoginRateLimiter, SessionCodec
from mhsafe.review._workload import pace_from_env
from mhsafe.store import ReviewDesk, Store

#: Paths anyone may reach; everything else refuses anonymous users (tested route by route).
PUBLIC_PATHS: frozenset[str] = frozenset({"/login", "/static"})

_SECURITY_HEADERS = {
    # Pages show (redacted) conversations: never cache them, never frame them.
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # One script, served from /static (keyboard shortcuts; every page works without it):
    # no inline script, no eval, nothing from elsewhere.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
}
TRUSTED_PROXIES_ENV = "MHSAFE_REVIEW_TRUSTED_PROXIES"


def _package_dir(name: str) -> Path:
    return Path(str(files("mhsafe.review").joinpath(name)))


def _guidelines() -> tuple[dict[str, Any], ...]:
    text = files("mhsafe.review").joinpath("data/review_guidelines.yaml").read_text("utf-8")
    raw: dict[str, Any] = yaml.safe_load(text)
    return tuple(dict(section) for section in raw["sections"])


def _trusted(proxies: Iterable[str] | None) -> frozenset[str]:
    if proxies is None:
        proxies = os.environ.get(TRUSTED_PROXIES_ENV, "").split(",")
    return frozenset(p.strip() for p in proxies if p.strip())


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
    minutes_per_item: float | None = None,
    trusted_proxies: Iterable[str] | None = None,
) -> FastAPI:
    """Build the review app on the store at ``store_url`` (or an already open ``store``).

    ``secret_key`` signs session cookies; None draws a random one, so sessions do not survive
    a restart (set ``MHSAFE_REVIEW_SECRET`` in production). ``session_ttl_s`` is enforced on the
    server. ``double_review_fraction`` of items (chosen by a stable hash of their id, so the
    choice is reproducible) get a second, independent reviewer when work is assigned.
    ``secure_cookies`` must be True behind HTTPS. ``minutes_per_item`` is the pace the workload
    estimate assumes (None: ``$MHSAFE_REVIEW_MINUTES_PER_ITEM``, else 3). ``trusted_proxies``:
    peer addresses whose ``X-Forwarded-For`` is believed (None: the comma-separated
    ``$MHSAFE_REVIEW_TRUSTED_PROXIES``, else none -- the header is ignored).
    """
    if not 0.0 <= double_review_fraction <= 1.0:
        raise ValueError("double_review_fraction must be in [0, 1]")
    if session_ttl_s <= 0:
        raise ValueError("session_ttl_s must be positive")
    pace = pace_from_env() if minutes_per_item is None else minutes_per_item
    if not pace > 0:
        raise ValueError("minutes_per_item must be positive")
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
        minutes_per_item=pace,
        trusted_proxies=_trusted(trusted_proxies),
        guidelines=_guidelines(),
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
    app.include_router(_routes_queue.router)
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
