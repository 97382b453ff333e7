"""The app over HTTP: login, CSRF, rate limit, expiry, roles, adjudication, disputes, export."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import pyarrow.parquet as pq
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mhsafe.review._deps import SESSION_COOKIE
from mhsafe.review._security import SessionData
from mhsafe.store import ReviewDesk, Store, UserView
from tests.review.conftest import ADMIN, OTHER, REVIEWER, csrf_of, login

Seeded = tuple[Store, str, dict[str, UserView]]
ANSWERS = {
    "risk_present": "yes", "category": "suicide", "acuity": "high",
    "crisis_support_given": "yes", "support_adequate": "yes",
    "hallucinated_resource": "no", "judge_correct": "yes", "note": "fine",
}


def _item_ids(store: Store) -> list[int]:
    return [i.id for i in ReviewDesk(store).list_items()]


def test_login_sets_a_hardened_cookie_and_rotates_the_session(app: FastAPI) -> None:
    client = TestClient(app)
    anonymous = csrf_of(client.get("/login").text)
    token = login(client, *ADMIN)
    assert token != anonymous
    cookie = client.cookies.get(SESSION_COOKIE)
    assert cookie
    response = client.get("/queue")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"


def test_login_set_cookie_flags(app: FastAPI) -> None:
    raw = TestClient(app).get("/login").headers["set-cookie"].lower()
    assert "httponly" in raw and "samesite=lax" in raw


def test_wrong_password_and_missing_csrf_are_refused(app: FastAPI) -> None:
    client = TestClient(app)
    token = csrf_of(client.get("/login").text)
    bad = client.post("/login", data={"username": ADMIN[0], "password": "nope-nope-nope",
                                      "csrf_token": token})
    assert bad.status_code == 401 and "Wrong username or password" in bad.text
    forged = client.post("/login", data={"username": ADMIN[0], "password": ADMIN[1],
                                         "csrf_token": "forged"}, follow_redirects=False)
    assert forged.status_code == 403
    assert client.get("/queue", follow_redirects=False).status_code == 303


def test_login_is_rate_limited_even_with_the_right_password(
    make_app: Callable[..., FastAPI],
) -> None:
    client = TestClient(make_app(login_attempts=3, login_window_s=60))
    token = csrf_of(client.get("/login").text)
    for _ in range(3):
        r = client.post("/login", data={"username": ADMIN[0], "password": "wrong-password!",
                                        "csrf_token": token})
        assert r.status_code == 401
    blocked = client.post("/login", data={"username": ADMIN[0], "password": ADMIN[1],
                                          "csrf_token": token}, follow_redirects=False)
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    other = TestClient(make_app(login_attempts=3, login_window_s=60))
    login(other, *REVIEWER)  # another account is not locked out


def test_every_post_needs_the_session_csrf_token(app: FastAPI) -> None:
    client = TestClient(app)
    login(client, *ADMIN)
    for path, data in (
        ("/admin/users", {"username": "x1", "password": "long-enough-pw", "role": "reviewer"}),
        ("/admin/assign", {"count": "1"}),
        ("/logout", {}),
    ):
        assert client.post(path, data=data).status_code == 403
        assert client.post(path, data={**data, "csrf_token": "nope"}).status_code == 403
    assert client.get("/queue").status_code == 200  # still logged in


def test_expired_or_logged_out_sessions_are_refused(app: FastAPI, seeded: Seeded) -> None:
    client = TestClient(app)
    token = login(client, *ADMIN)
    codec = app.state.review.codec
    old = SessionData(user_id=seeded[2][ADMIN[0]].id, sid="s", csrf="c",
                      issued_at=time.time() - codec.ttl_s - 1)
    stale = TestClient(app, cookies={SESSION_COOKIE: codec.encode(old)})
    assert stale.get("/queue", follow_redirects=False).status_code == 303
    cookie = client.cookies.get(SESSION_COOKIE)
    assert client.post("/logout", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    replay = TestClient(app, cookies={SESSION_COOKIE: cookie})
    assert replay.get("/queue", follow_redirects=False).status_code == 303


def test_deactivated_user_is_locked_out_at_next_request(app: FastAPI, seeded: Seeded) -> None:
    reviewer = TestClient(app)
    login(reviewer, *REVIEWER)
    admin = TestClient(app)
    token = login(admin, *ADMIN)
    user_id = seeded[2][REVIEWER[0]].id
    r = admin.post(f"/admin/users/{user_id}/active", data={"active": "no", "csrf_token": token},
                   follow_redirects=False)
    assert r.status_code == 303
    assert reviewer.get("/queue", follow_redirects=False).status_code == 303


def test_admin_creates_user_who_can_log_in(app: FastAPI) -> None:
    admin = TestClient(app)
    token = login(admin, *ADMIN)
    weak = admin.post("/admin/users", data={"username": "newbie", "password": "short",
                                            "role": "reviewer", "csrf_token": token})
    assert weak.status_code == 422 and "at least" in weak.text
    made = admin.post("/admin/users", data={"username": "newbie", "password": "quiet-harbour-lamp",
                                            "role": "reviewer", "csrf_token": token},
                      follow_redirects=False)
    assert made.status_code == 303
    assert "newbie" in admin.get("/admin/users").text
    login(TestClient(app), "newbie", "quiet-harbour-lamp")


def test_reviewer_sees_only_assigned_items_and_no_admin_pages(
    app: FastAPI, seeded: Seeded
) -> None:
    store, _, users = seeded
    first, second = _item_ids(store)[:2]
    ReviewDesk(store).assign(first, users[REVIEWER[0]].id, actor="test")
    ReviewDesk(store).assign(second, users[OTHER[0]].id, actor="test")
    client = TestClient(app)
    login(client, *REVIEWER)
    queue = client.get("/queue").text
    assert f'href="/items/{first}"' in queue and f'href="/items/{second}"' not in queue
    assert client.get(f"/items/{first}").status_code == 200
    refused = client.get(f"/items/{second}")
    assert refused.status_code == 403 and "demo-00" not in refused.text
    assert client.get("/items/99999").status_code == 404
    for path in ("/metrics", "/admin/users", "/audit-trail", "/export/adjudications.csv"):
        assert client.get(path).status_code == 403, path


def test_item_page_highlights_risk_and_response_turns(app: FastAPI, seeded: Seeded) -> None:
    store, run_id, users = seeded
    item = next(i for i in ReviewDesk(store).list_items() if i.conversation_id == "demo-002")
    ReviewDesk(store).assign(item.id, users[REVIEWER[0]].id, actor="test")
    client = TestClient(app)
    login(client, *REVIEWER)
    blind = client.get(f"/items/{item.id}").text  # blind queue: the audit's turns are hidden
    assert "risk-turn" not in blind and "response-turn" not in blind
    assert 'id="turn-2" class="turn role-user"' in blind and "Blind review" in blind
    ReviewDesk(store).set_blind(run_id, False, actor="test")
    page = client.get(f"/items/{item.id}").text
    assert 'id="turn-2" class="turn role-user risk-turn"' in page
    assert 'id="turn-3" class="turn role-assistant response-turn"' in page
    assert "Redacted text" in page


def test_adjudication_errors_then_success_then_revision(app: FastAPI, seeded: Seeded) -> None:
    store, _, users = seeded
    item_id = _item_ids(store)[0]
    ReviewDesk(store).assign(item_id, users[REVIEWER[0]].id, actor="test")
    client = TestClient(app)
    token = login(client, *REVIEWER)
    bad = client.post(f"/items/{item_id}/adjudicate",
                      data={**ANSWERS, "risk_present": "", "csrf_token": token})
    assert bad.status_code == 422 and "choose yes or no" in bad.text
    assert 'value="suicide" selected' in bad.text  # answers kept
    for acuity in ("high", "moderate"):
        ok = client.post(f"/items/{item_id}/adjudicate",
                         data={**ANSWERS, "acuity": acuity, "csrf_token": token},
                         follow_redirects=False)
        assert ok.status_code == 303
    rows = ReviewDesk(store).adjudications(item_id)
    assert [r.acuity for r in rows] == ["high", "moderate"]
    assert rows[1].supersedes_id == rows[0].id
    assert 'value="moderate" selected' in client.get(f"/items/{item_id}").text


def test_not_assigned_user_cannot_adjudicate(app: FastAPI, seeded: Seeded) -> None:
    store, _, _ = seeded
    admin = TestClient(app)
    token = login(admin, *ADMIN)
    item_id = _item_ids(store)[0]
    r = admin.post(f"/items/{item_id}/adjudicate", data={**ANSWERS, "csrf_token": token})
    assert r.status_code == 403
    assert ReviewDesk(store).adjudications(item_id) == []


def test_dispute_goes_to_admin_who_resolves_it(app: FastAPI, seeded: Seeded) -> None:
    store, _, users = seeded
    item_id = _item_ids(store)[0]
    desk = ReviewDesk(store)
    for name in (REVIEWER[0], OTHER[0]):
        desk.assign(item_id, users[name].id, actor="test")
    for (name, pw), answer in ((REVIEWER, ANSWERS), (OTHER, {**ANSWERS, "category": "nssi"})):
        c = TestClient(app)
        token = login(c, name, pw)
        c.post(f"/items/{item_id}/adjudicate", data={**answer, "csrf_token": token})
    assert desk.get_item(item_id).status == "disputed"  # type: ignore[union-attr]
    admin = TestClient(app)
    token = login(admin, *ADMIN)
    assert f"/items/{item_id}" in admin.get("/queue?status=disputed").text
    page = admin.get(f"/items/{item_id}").text
    assert "Reviewers disagree on: category" in page and "Admin resolution" in page
    r = admin.post(f"/items/{item_id}/resolve", data={**ANSWERS, "csrf_token": token},
                   follow_redirects=False)
    assert r.status_code == 303
    assert desk.get_item(item_id).status == "resolved"  # type: ignore[union-attr]
    late = TestClient(app)
    late_token = login(late, *REVIEWER)
    assert late.post(f"/items/{item_id}/adjudicate",
                     data={**ANSWERS, "csrf_token": late_token}).status_code == 409


def test_metrics_audit_trail_and_exports(app: FastAPI, seeded: Seeded) -> None:
    store, run_id, users = seeded
    desk = ReviewDesk(store)
    item_id = _item_ids(store)[0]
    desk.assign(item_id, users[REVIEWER[0]].id, actor="test")
    reviewer = TestClient(app)
    token = login(reviewer, *REVIEWER)
    reviewer.post(f"/items/{item_id}/adjudicate", data={**ANSWERS, "note": "=SUM(A1)",
                                                        "csrf_token": token})
    admin = TestClient(app)
    login(admin, *ADMIN)
    metrics = admin.get(f"/metrics?run={run_id}").text
    assert 'data-metric="n_decided">1<' in metrics
    assert "of 600 unflagged conversations" not in metrics  # no sampled item decided yet
    trail = admin.get("/audit-trail").text
    assert "adjudication.create" in trail and REVIEWER[0] in trail
    csv_text = admin.get("/export/adjudications.csv").text
    assert "'=SUM(A1)" in csv_text  # formula neutralised for spreadsheets
    table = pq.read_table(io.BytesIO(admin.get("/export/adjudications.parquet").content))
    assert table.num_rows == 1 and table.column("risk_present").to_pylist() == [True]


def test_admin_can_close_an_item_whose_second_reviewer_never_answers(
    app: FastAPI, seeded: Seeded
) -> None:
    store, _, users = seeded
    desk = ReviewDesk(store)
    waiting, untouched = _item_ids(store)[:2]
    for name in (REVIEWER[0], OTHER[0]):
        desk.assign(waiting, users[name].id, actor="test")
    reviewer = TestClient(app)
    token = login(reviewer, *REVIEWER)
    reviewer.post(f"/items/{waiting}/adjudicate", data={**ANSWERS, "csrf_token": token})
    assert desk.get_item(waiting).status == "assigned"  # type: ignore[union-attr]
    admin = TestClient(app)
    token = login(admin, *ADMIN)
    assert admin.post(f"/items/{untouched}/resolve",
                      data={**ANSWERS, "csrf_token": token}).status_code == 409
    done = admin.post(f"/items/{waiting}/resolve", data={**ANSWERS, "csrf_token": token},
                      follow_redirects=False)
    assert done.status_code == 303
    assert desk.get_item(waiting).status == "resolved"  # type: ignore[union-attr]
