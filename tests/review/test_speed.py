"""Reviewer speed and the workload stated up front: save-and-next, one-action "no risk",
queue order and filters, progress per reviewer and per queue, workload hours at the pace
setting, the guidelines panel and the keyboard script (CSP allows only our own file)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mhsafe.review._workload import PACE_ENV, pace_from_env, summary_line
from mhsafe.store import ReviewDesk, Store, UserView
from tests.review.conftest import ADMIN, OTHER, REVIEWER, login

Seeded = tuple[Store, str, dict[str, UserView]]
# Demo queue order: acute first (001, 003), then risk (002), then no risk by stratum ("long"
# before "short"), flagged (004) before sample (005) within a stratum.
ORDER = ["demo-001", "demo-003", "demo-002", "demo-006", "demo-004", "demo-005"]


def _ids(store: Store) -> list[int]:
    return [i.id for i in ReviewDesk(store).list_items()]


def test_queue_order_is_acuity_then_stratum(seeded: Seeded) -> None:
    store, _, _ = seeded
    items = ReviewDesk(store).list_items()
    assert [i.conversation_id for i in items] == ORDER
    assert [i.acuity for i in items] == ["acute", "acute", "risk", "none", "none", "none"]
    assert [i.stratum for i in items][3:] == ["long", "short", "short"]


def test_save_and_next_then_no_risk_in_one_action(app: FastAPI, seeded: Seeded) -> None:
    store, _, users = seeded
    desk = ReviewDesk(store)
    first, second, third = _ids(store)[:3]
    for item_id in (first, second, third):
        desk.assign(item_id, users[REVIEWER[0]].id, actor="test")
    client = TestClient(app)
    token = login(client, *REVIEWER)
    page = client.get(f"/items/{first}").text
    assert 'data-progress="mine">0 of 3 done' in page
    assert 'src="/static/review.js"' in page and "<script>" not in page
    assert "Guidelines" in page and "Imminent: a plan with means and timing" in page
    r = client.post(f"/items/{first}/adjudicate",
                    data={"quick": "no_risk", "note": "figure of speech", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/items/{second}?saved={first}"
    [label] = desk.adjudications(first)
    assert (label.risk_present, label.category, label.acuity, label.note) == (
        False, "none", "none", "figure of speech")
    assert label.crisis_support_given is None and label.hallucinated_resource is None
    nxt = client.get(r.headers["location"]).text
    assert "Saved your review of item" in nxt and 'data-progress="mine">1 of 3 done' in nxt
    client.post(f"/items/{second}/adjudicate", data={"quick": "no_risk", "csrf_token": token})
    last = client.post(f"/items/{third}/adjudicate",
                       data={"quick": "no_risk", "then": "next", "csrf_token": token},
                       follow_redirects=False)
    assert last.headers["location"] == f"/queue?saved={third}"
    assert "That was your last one" in client.get(last.headers["location"]).text


def test_reviewer_filters_todo_done_but_not_the_audits_call_while_blind(
    app: FastAPI, seeded: Seeded
) -> None:
    store, run_id, users = seeded
    desk = ReviewDesk(store)
    ids = _ids(store)
    for item_id in ids[:2]:
        desk.assign(item_id, users[REVIEWER[0]].id, actor="test")
    desk.add_adjudication(ids[0], users[REVIEWER[0]].id, {"risk_present": False,
                          "category": "none"}, is_resolution=False, actor="test")
    client = TestClient(app)
    login(client, *REVIEWER)
    todo = client.get("/queue?status=todo").text
    assert f'href="/items/{ids[1]}"' in todo and f'href="/items/{ids[0]}"' not in todo
    done = client.get("/queue?status=done").text
    assert f'href="/items/{ids[0]}"' in done and f'href="/items/{ids[1]}"' not in done
    assert client.get("/queue?status=reviewed").status_code == 403
    assert client.get(f"/queue?run={run_id}&category=suicide").status_code == 403
    desk.set_blind(run_id, False, actor="test")
    def listed(query: str) -> list[str]:
        return re.findall(r"<small class=\"muted\">(demo-\d+)</small>", client.get(query).text)

    assert listed(f"/queue?run={run_id}&category=suicide") == ["demo-001", "demo-003"]
    assert listed(f"/queue?run={run_id}&category=nssi") == []  # demo-002 is not theirs
    assert listed(f"/queue?run={run_id}&acuity=acute&status=todo") == ["demo-003"]


def test_admin_filters_by_category_acuity_and_status(app: FastAPI) -> None:
    client = TestClient(app)
    login(client, *ADMIN)

    def listed(query: str) -> list[str]:
        return re.findall(r"<small class=\"muted\">(demo-\d+)</small>", client.get(query).text)

    assert listed("/queue") == ORDER
    assert listed("/queue?acuity=acute") == ["demo-001", "demo-003"]
    assert listed("/queue?category=nssi") == ["demo-002"]
    assert listed("/queue?status=queued") == ORDER
    assert listed("/queue?status=assigned") == []


def test_progress_and_workload_at_the_pace_setting(
    make_app: Callable[..., FastAPI], seeded: Seeded
) -> None:
    store, run_id, users = seeded
    desk = ReviewDesk(store)
    ids = _ids(store)
    desk.auto_assign([users[REVIEWER[0]].id, users[OTHER[0]].id], count=4,
                     double_review_fraction=0.0, actor="test")
    desk.add_adjudication(ids[0], users[REVIEWER[0]].id, {"risk_present": False,
                          "category": "none"}, is_resolution=False, actor="test")
    client = TestClient(make_app(minutes_per_item=10, double_review_fraction=0.5))
    login(client, *ADMIN)
    page = client.get("/queue").text
    row = page[page.index(f'data-queue="{run_id}"'):]
    assert 'data-metric="queued">6<' in row
    assert "4 flagged by the screen · 2 designed random sample" in row
    assert 'data-progress="queue">1 of 6 done' in row
    # 6 items × 1.5 reviews × 10 min = 1.5 h; 5 left × 1.5 × 10 min = 1.25 h
    assert "1.5 h (1.2 h left) at 10 min per review, 50.0 % reviewed twice" in row
    assert f'data-progress="{REVIEWER[0]}">1 of 2 done' in page
    assert f'data-progress="{OTHER[0]}">0 of 2 done' in page
    reviewer = TestClient(make_app(minutes_per_item=10))
    login(reviewer, *REVIEWER)
    mine = reviewer.get("/queue").text
    assert "1 of 2 done</strong> (yours) · about 0.2 h left at 10 min each" in mine
    assert "disputed" not in mine


def test_pace_setting_and_summary_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PACE_ENV, "4.5")
    assert pace_from_env() == 4.5
    monkeypatch.setenv(PACE_ENV, "0")
    with pytest.raises(ValueError):
        pace_from_env()
    assert summary_line(31, 9, 3.0) == (
        "40 conversations queued (31 flagged, 9 designed sample): "
        "about 2.0 reviewer hours at 3 min each")
    assert summary_line(10, 10, 6.0, 0.5).endswith("about 3.0 reviewer hours at 6 min each, "
                                                   "50% double-reviewed")


def test_csp_allows_only_our_own_script(app: FastAPI) -> None:
    response = TestClient(app).get("/login")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    js = TestClient(app).get("/static/review.js")
    assert js.status_code == 200 and "addEventListener(\"keydown\"" in js.text
