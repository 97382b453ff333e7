"""schemathesis against the app's OpenAPI schema: generated requests never cause a 500.

The schema is taken in-process (``app.openapi()``: the app serves no schema URL to anonymous
visitors). Requests are sent as a logged-in admin with the session's real CSRF token patched
into form bodies, so generated input reaches the handlers instead of stopping at the login or
CSRF check; a second pass sends the same operations anonymously.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mhsafe.review._deps import SESSION_COOKIE
from tests.review.conftest import ADMIN, login

EXAMPLES = 12


def _check_operation(
    operation: Any, *, token: str, cookies: dict[str, str], failures: list[str]
) -> None:
    """Run one operation's generated cases; record any 5xx."""

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(), patch=st.booleans())
    def check(case: Any, patch: bool) -> None:
        if token and patch and isinstance(case.body, dict):
            case.body["csrf_token"] = token
        if "/logout" in operation.path and isinstance(case.body, dict):
            case.body.pop("csrf_token", None)  # keep the session for the other operations
        response = case.call(cookies=cookies)
        if response.status_code >= 500:
            failures.append(f"{operation.method.upper()} {operation.path}: "
                            f"{response.status_code} {case.body!r}")

    check()


def _fuzz(app: FastAPI, *, as_admin: bool) -> int:
    schema = schemathesis.openapi.from_dict(app.openapi())
    schema.app = app
    client = TestClient(app)
    token = login(client, *ADMIN) if as_admin else ""
    cookie = client.cookies.get(SESSION_COOKIE)
    cookies = {SESSION_COOKIE: cookie} if as_admin and cookie else {}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        _check_operation(operation, token=token, cookies=cookies, failures=failures)
    assert failures == []
    return len(operations)


def test_no_server_errors_as_admin(app: FastAPI) -> None:
    assert _fuzz(app, as_admin=True) >= 15


def test_no_server_errors_anonymous(app: FastAPI) -> None:
    assert _fuzz(app, as_admin=False) >= 15
