"""The route table, enumerated: anonymous users are refused on every route but the login page
and static files; reviewers are refused on every admin route; every POST checks CSRF.

Enumerating ``app.routes`` (rather than listing paths by hand) means a route added later is
covered without anyone remembering to add it here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from mhsafe.review import PUBLIC_PATHS, create_app
from mhsafe.review._deps import admin_user, csrf_checked, current_user
from mhsafe.store import Store
from tests.review.conftest import REVIEWER, SECRET, login, populate


def _calls(dependant: Dependant) -> Iterator[object]:
    for dep in dependant.dependencies:
        yield dep.call
        yield from _calls(dep)


def _routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    """(method, concrete path, route) for every API route, through included routers."""
    out = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Mount):
            assert route.path == "/static", f"unexpected mount {route.path}"
            continue
        assert isinstance(route, APIRoute), f"unexpected route kind {route!r}"
        for method in sorted(context.methods or ()):
            out.append((method, re.sub(r"\{[^}]+\}", "1", route.path), route))
    return out


def _protected(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    return [r for r in _routes(app) if r[2].path not in PUBLIC_PATHS]


def _check_anonymous_refused(app: FastAPI) -> int:
    client = TestClient(app)
    checked = 0
    for method, path, _ in _protected(app):
        response = client.request(method, path, follow_redirects=False)
        if method == "GET":
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"] == "/login"
        else:
            assert response.status_code == 401, (method, path, response.status_code)
        assert "demo-00" not in response.text  # nothing of the queue leaks
        checked += 1
    return checked


def test_route_table_is_what_we_think(app: FastAPI) -> None:
    paths = {route.path for _, _, route in _routes(app)}
    assert {"/login", "/logout", "/queue", "/items/{item_id}", "/metrics",
            "/admin/users", "/audit-trail"} <= paths
    assert len(_protected(app)) >= 15


def test_anonymous_is_refused_on_every_protected_route(app: FastAPI) -> None:
    assert _check_anonymous_refused(app) == len(_protected(app))


@pytest.mark.postgres
def test_anonymous_is_refused_on_postgres(any_store: Store) -> None:
    populate(any_store)
    app = create_app(store=any_store, secret_key=SECRET)
    assert _check_anonymous_refused(app) == len(_protected(app))
    login(TestClient(app), *REVIEWER)  # and the app really works on this dialect


def test_login_and_static_are_public(app: FastAPI) -> None:
    client = TestClient(app)
    assert client.get("/login").status_code == 200
    assert client.get("/static/style.css").status_code == 200
    for hidden in ("/openapi.json", "/docs", "/redoc"):  # no anonymous schema or docs pages
        assert client.get(hidden).status_code == 404


def test_every_protected_route_requires_a_user_and_posts_check_csrf(app: FastAPI) -> None:
    for method, path, route in _protected(app):
        calls = list(_calls(route.dependant))
        assert current_user in calls, path
        if method == "POST":
            assert csrf_checked in calls, path


def test_reviewer_is_refused_on_every_admin_route(app: FastAPI) -> None:
    client = TestClient(app)
    token = login(client, *REVIEWER)
    admin_routes = [r for r in _protected(app) if admin_user in _calls(r[2].dependant)]
    assert len(admin_routes) >= 8
    for method, path, _ in admin_routes:
        response = client.request(method, path, data={"csrf_token": token},
                                  follow_redirects=False)
        assert response.status_code == 403, (method, path, response.status_code)
