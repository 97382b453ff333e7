"""Red-team regressions for the clinician review app (issue 19): each test is an attack that
worked, or a leak that existed, before the fix.

* a password reset or a deactivation left existing sessions alive;
* a logged-out cookie came back to life after a restart (revocation lived in memory);
* login time told which usernames exist (no argon2 work for an unknown name);
* the second reviewer of a double review could read the first's answer off the "disputed"
  status; only an admin may see or resolve a dispute;
* failed logins and who viewed which conversation were not in the audit trail;
* ``X-Forwarded-For`` could pick a fresh address per attempt (rate limit bypass);
* any 10-character password was accepted ("password12");
* and conversation text must never reach the logs.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mhsafe.review import _security, create_app, demo_items, hash_password
from mhsafe.review._deps import SESSION_COOKIE
from mhsafe.review._passwords import password_problem, strength_bits
from mhsafe.store import ReviewDesk, Store, UserView
from tests.review.conftest import ADMIN, OTHER, REVIEWER, SECRET, csrf_of, login, populate

Seeded = tuple[Store, str, dict[str, UserView]]
ANSWERS = {
    "risk_present": "yes", "category": "suicide", "acuity": "high",
    "crisis_support_given": "yes", "support_adequate": "yes",
    "hallucinated_resource": "no", "judge_correct": "yes", "note": "",
}
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2id at its cheapest, for every test but the timing one."""
    monkeypatch.setattr(_security, "_HASHER", FAST)


@pytest.fixture
def seeded(tmp_path: Path, fast_argon2: None) -> Iterator[Seeded]:
    store = Store(f"sqlite:///{tmp_path / 'rt.db'}")
    run_id, users = populate(store)
    yield store, run_id, users
    store.close()


def _app(store: Store, **options: Any) -> FastAPI:
    settings: dict[str, Any] = {"secret_key": SECRET, "double_review_fraction": 0.0}
    settings.update(options)
    return create_app(store=store, **settings)


def _try_login(client: TestClient, username: str, password: str) -> int:
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token}, follow_redirects=False).status_code


def test_password_reset_ends_existing_sessions(seeded: Seeded) -> None:
    store, _, users = seeded
    app = _app(store)
    victim = TestClient(app)
    login(victim, *REVIEWER)
    stolen = victim.cookies.get(SESSION_COOKIE)
    admin = TestClient(app)
    token = login(admin, *ADMIN)
    new_password = "gravel-lantern-osprey"
    r = admin.post(f"/admin/users/{users[REVIEWER[0]].id}/password",
                   data={"password": new_password, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    replay = TestClient(app, cookies={SESSION_COOKIE: stolen or ""})
    assert replay.get("/queue", follow_redirects=False).status_code == 303
    assert _try_login(TestClient(app), REVIEWER[0], REVIEWER[1]) == 401
    login(TestClient(app), REVIEWER[0], new_password)
    # the CLI's --reset goes through the same store call, so it ends sessions too
    cli_victim = TestClient(app)
    login(cli_victim, REVIEWER[0], new_password)
    ReviewDesk(store).set_password(REVIEWER[0], hash_password("ember-quarry-violin"), actor="cli")
    assert cli_victim.get("/queue", follow_redirects=False).status_code == 303


def test_deactivation_ends_sessions_and_reactivation_does_not_revive_them(
    seeded: Seeded,
) -> None:
    store, _, users = seeded
    app = _app(store)
    victim = TestClient(app)
    login(victim, *REVIEWER)
    cookie = victim.cookies.get(SESSION_COOKIE) or ""
    desk = ReviewDesk(store)
    desk.set_user_active(users[REVIEWER[0]].id, False, actor="adm")
    desk.set_user_active(users[REVIEWER[0]].id, True, actor="adm")
    replay = TestClient(app, cookies={SESSION_COOKIE: cookie})
    assert replay.get("/queue", follow_redirects=False).status_code == 303
    login(TestClient(app), *REVIEWER)  # a fresh login works again


def test_logout_survives_a_restart(seeded: Seeded) -> None:
    store, _, _ = seeded
    before = _app(store)
    client = TestClient(before)
    token = login(client, *REVIEWER)
    kept = TestClient(before)
    login(kept, *ADMIN)
    kept_cookie = kept.cookies.get(SESSION_COOKIE) or ""
    cookie = client.cookies.get(SESSION_COOKIE) or ""
    client.post("/logout", data={"csrf_token": token})
    after = _app(store)  # a new process with the same signing key and database
    assert TestClient(after, cookies={SESSION_COOKIE: cookie}).get(
        "/queue", follow_redirects=False).status_code == 303
    # the restart itself ends nobody's session: only the logout did
    assert TestClient(after, cookies={SESSION_COOKIE: kept_cookie}).get(
        "/queue").status_code == 200
    assert any(e.action == "user.logout" for e in ReviewDesk(store).audit_trail())


class CountingHasher(PasswordHasher):
    """argon2 with a count of verifications."""

    verifications = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        CountingHasher.verifications += 1
        return super().verify(hash, password)


def test_unknown_and_inactive_users_cost_one_argon2_verification(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _, users = seeded
    ReviewDesk(store).set_user_active(users[OTHER[0]].id, False, actor="adm")
    monkeypatch.setattr(_security, "_HASHER", CountingHasher(time_cost=1, memory_cost=1024,
                                                            parallelism=1))
    app = _app(store, login_attempts=100)
    for username, password in (("nobody-at-all", "whatever-pass-1"),
                               (REVIEWER[0], "wrong-password-here"),
                               (OTHER[0], OTHER[1])):
        CountingHasher.verifications = 0
        assert _try_login(TestClient(app), username, password) == 401
        assert CountingHasher.verifications == 1, username


def test_login_time_does_not_reveal_which_usernames_exist(tmp_path: Path) -> None:
    """With production argon2 parameters: an unknown name takes as long as a wrong password
    (before the fix it was ~100× faster)."""
    store = Store(f"sqlite:///{tmp_path / 'timing.db'}")
    ReviewDesk(store).create_user("known_user", hash_password("real-password-xyz"), "reviewer",
                                  actor="t")
    app = _app(store, login_attempts=1000)

    def median_s(username: str) -> float:
        client = TestClient(app)
        token = csrf_of(client.get("/login").text)
        times = []
        for _ in range(5):
            start = time.perf_counter()
            client.post("/login", data={"username": username, "password": "not-the-password",
                                        "csrf_token": token})
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    median_s("warm-up")
    known, unknown = median_s("known_user"), median_s("no_such_user")
    store.close()
    assert 0.5 < unknown / known < 2.0, (known, unknown)


def test_second_reviewer_never_learns_the_first_answer(seeded: Seeded) -> None:
    store, _, users = seeded
    desk = ReviewDesk(store)
    item_id = desk.list_items()[0].id
    for name in (REVIEWER[0], OTHER[0]):
        desk.assign(item_id, users[name].id, actor="adm")
    app = _app(store)
    first, second = TestClient(app), TestClient(app)
    first_token, second_token = login(first, *REVIEWER), login(second, *OTHER)
    first.post(f"/items/{item_id}/adjudicate",
               data={**ANSWERS, "note": "FIRST-REVIEWER-NOTE", "csrf_token": first_token})
    before = second.get(f"/items/{item_id}").text
    assert "FIRST-REVIEWER-NOTE" not in before and REVIEWER[0] not in before
    second.post(f"/items/{item_id}/adjudicate",
                data={**ANSWERS, "category": "nssi", "csrf_token": second_token})
    assert desk.get_item(item_id).status == "disputed"  # type: ignore[union-attr]
    for client in (first, second):
        for path in ("/queue", f"/items/{item_id}", "/queue?status=done"):
            page = client.get(path).text.lower()
            for leak in ("disputed", "disagree", "reviewed", "first-reviewer-note"):
                assert leak not in page or (leak == "first-reviewer-note" and client is first), (
                    path, leak)
        assert client.get("/queue?status=disputed").status_code == 403
        token = first_token if client is first else second_token
        assert client.post(f"/items/{item_id}/resolve",
                           data={**ANSWERS, "csrf_token": token}).status_code == 403
    assert "Reviewers disagree on: category" in _admin_page(app, f"/items/{item_id}")


def _admin_page(app: FastAPI, path: str) -> str:
    admin = TestClient(app)
    login(admin, *ADMIN)
    return admin.get(path).text


def test_failed_logins_and_conversation_views_are_in_the_audit_trail(seeded: Seeded) -> None:
    store, _, users = seeded
    desk = ReviewDesk(store)
    item_id = desk.list_items()[0].id
    desk.assign(item_id, users[REVIEWER[0]].id, actor="adm")
    app = _app(store)
    assert _try_login(TestClient(app), "MySecretPassw0rd", "typed-into-the-wrong-box") == 401
    assert _try_login(TestClient(app), REVIEWER[0], "not-my-password") == 401
    client = TestClient(app)
    login(client, *REVIEWER)
    client.get(f"/items/{item_id}")
    trail = desk.audit_trail()
    failed = [(e.actor, e.after) for e in trail if e.action == "user.login_failed"]
    assert failed == [
        (REVIEWER[0], {"client": "testclient", "reason": "wrong password", "known_user": True}),
        ("(unknown user)", {"client": "testclient", "reason": "unknown user",
                            "known_user": False}),
    ]
    assert "MySecretPassw0rd" not in repr(trail)  # a mistyped secret is not kept
    views = [(e.actor, e.entity_id, e.after) for e in trail if e.action == "item.view"]
    assert views == [(REVIEWER[0], str(item_id), {"finding_shown": False})]
    admin = TestClient(app)
    login(admin, *ADMIN)
    admin.get("/export/adjudications.csv")
    assert any(e.action == "export.adjudications" and e.actor == ADMIN[0]
               for e in desk.audit_trail())


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(seeded: Seeded) -> None:
    store, _, _ = seeded
    untrusted = TestClient(_app(store, login_attempts=3, login_window_s=60))
    for n in range(3):
        token = csrf_of(untrusted.get("/login").text)
        untrusted.post("/login", data={"username": ADMIN[0], "password": "wrong-wrong-wrong",
                                       "csrf_token": token},
                       headers={"X-Forwarded-For": f"203.0.113.{n}"})
    token = csrf_of(untrusted.get("/login").text)
    blocked = untrusted.post("/login", data={"username": ADMIN[0], "password": ADMIN[1],
                                             "csrf_token": token},
                             headers={"X-Forwarded-For": "198.51.100.7"})
    assert blocked.status_code == 429  # a fresh header is not a fresh client
    clients = {e.after["client"] for e in ReviewDesk(store).audit_trail()
               if e.action == "user.login_failed" and e.after}
    assert clients == {"testclient"}

    proxied = TestClient(_app(store, login_attempts=3, login_window_s=60,
                              trusted_proxies=["testclient"]))
    for _ in range(3):
        token = csrf_of(proxied.get("/login").text)
        proxied.post("/login", data={"username": OTHER[0], "password": "wrong-wrong-wrong",
                                     "csrf_token": token},
                     headers={"X-Forwarded-For": "spoofed, 192.0.2.50"})
    token = csrf_of(proxied.get("/login").text)
    other_client = proxied.post("/login", data={"username": OTHER[0], "password": OTHER[1],
                                                "csrf_token": token},
                                headers={"X-Forwarded-For": "192.0.2.51"},
                                follow_redirects=False)
    assert other_client.status_code == 303  # behind a trusted proxy, the header is the client


@pytest.mark.parametrize(("password", "why"), [
    ("password123", "commonly used"),
    ("P@ssw0rd2024", "commonly used"),
    ("qwertyuiop12", "commonly used"),  # a listed stem with digits appended
    ("welcome12345", "commonly used"),
    ("zxcvbnm-asdfgh", "too easy to guess"),  # two keyboard walks
    ("aaaaaaaaaaaaaa", "too easy to guess"),
    ("summer-winter-1", "too easy to guess"),  # listed words and a digit
    ("rob_reviewer-2025", "must not contain the username"),
])
def test_weak_passwords_are_refused(password: str, why: str) -> None:
    problem = password_problem(password, "rob_reviewer")
    assert problem is not None and why in problem


def test_strong_passwords_pass_and_the_estimate_ranks_them() -> None:
    for good in ("gravel-lantern-osprey", "Tr0ub4dor&3x-quay", "kX9#mq2!vLp4"):
        assert password_problem(good, "rob_reviewer") is None, good
    assert strength_bits("qwertyuiop12") < 20 < 60 < strength_bits("gravel-lantern-osprey")


def test_admin_form_applies_the_policy(seeded: Seeded) -> None:
    store, _, users = seeded
    admin = TestClient(_app(store))
    token = login(admin, *ADMIN)
    weak = admin.post("/admin/users", data={"username": "newbie", "password": "password123",
                                            "role": "reviewer", "csrf_token": token})
    assert weak.status_code == 422 and "commonly used" in weak.text
    reset = admin.post(f"/admin/users/{users[REVIEWER[0]].id}/password",
                       data={"password": "zxcvbnm-asdfgh", "csrf_token": token})
    assert reset.status_code == 422 and "too easy to guess" in reset.text


def test_no_conversation_text_reaches_the_logs(
    seeded: Seeded, caplog: pytest.LogCaptureFixture
) -> None:
    store, _, users = seeded
    desk = ReviewDesk(store)
    item_id = desk.list_items()[0].id
    desk.assign(item_id, users[REVIEWER[0]].id, actor="adm")
    app = _app(store)
    caplog.set_level(logging.DEBUG)
    client = TestClient(app)
    token = login(client, *REVIEWER)
    client.get(f"/items/{item_id}")
    client.post(f"/items/{item_id}/adjudicate", data={**ANSWERS, "risk_present": "",
                                                      "csrf_token": token})  # 422 page
    client.post(f"/items/{item_id}/adjudicate", data={**ANSWERS, "csrf_token": token})
    client.get(f"/items/{item_id}")
    admin = TestClient(app)
    login(admin, *ADMIN)
    admin.get(f"/items/{item_id}")
    admin.get("/export/adjudications.csv")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    trail = repr(desk.audit_trail(limit=1000))
    for item in demo_items():
        for message in item.messages:
            fragment = message.content[:40]
            assert fragment not in logged
            assert fragment not in trail
