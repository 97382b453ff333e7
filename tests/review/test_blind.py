"""Blind review over HTTP: the automated finding stays hidden until the reviewer has answered,
each label stores its mode, the "why was this flagged?" panel appears afterwards, and the
metrics page reports (and filters) labels by mode."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from mhsafe.store import ReviewDesk, Store, UserView
from tests.review.conftest import ADMIN, REVIEWER, login

Seeded = tuple[Store, str, dict[str, UserView]]
RISK = {
    "risk_present": "yes", "category": "nssi", "acuity": "high",
    "crisis_support_given": "no", "support_adequate": "unsure",
    "hallucinated_resource": "no", "judge_correct": "yes", "note": "",
}


def _demo(store: Store, conversation: str) -> int:
    return next(i.id for i in ReviewDesk(store).list_items() if i.conversation_id == conversation)


def test_blind_item_hides_the_finding_until_the_reviewer_has_answered(
    app: FastAPI, seeded: Seeded
) -> None:
    store, _, users = seeded
    desk = ReviewDesk(store)
    item_id = _demo(store, "demo-002")  # flagged, missed intervention, nssi
    desk.assign(item_id, users[REVIEWER[0]].id, actor="test")
    client = TestClient(app)
    token = login(client, *REVIEWER)
    queue = client.get("/queue").text
    assert "hidden until you answer (blind)" in queue and "missed intervention" not in queue
    before = client.get(f"/items/{item_id}").text
    assert "Blind review" in before
    for leak in ("Why was this flagged", "missed intervention", "nssi.cut_self", "risk-turn",
                 'name="judge_correct"', "reason-flagged"):
        assert leak not in before, leak
    saved = client.post(f"/items/{item_id}/adjudicate",
                        data={**RISK, "then": "stay", "csrf_token": token},
                        follow_redirects=False)
    assert saved.headers["location"] == f"/items/{item_id}?saved={item_id}"
    after = client.get(saved.headers["location"]).text
    assert "Why was this flagged?" in after and "Blind review" not in after
    why = dict(re.findall(r'data-why="(\w+)">(.*?)</dd>', after))
    assert why["stages"] == "lexicon"
    assert "<code>nssi.cut_self</code>" in why["rule_ids"]
    assert why["outcome"].startswith("no adequate crisis support")
    assert why["support_kinds"] == "none"
    assert 'href="#turn-2">turn 2</a> (highlighted)' in why["risk_turn"]
    assert 'class="turn role-user risk-turn"' in after
    assert 'name="judge_correct"' in after  # asked now that the finding is visible
    [label] = desk.adjudications(item_id)
    assert label.blind is True and label.judge_correct is None  # not asked while blind
    # A revision after seeing the finding is not blind; the final label says so.
    client.post(f"/items/{item_id}/adjudicate", data={**RISK, "csrf_token": token})
    assert [a.blind for a in desk.adjudications(item_id)] == [True, False]
    assert desk.adjudications(item_id)[-1].judge_correct is True
    views = [e.after for e in desk.audit_trail() if e.action == "item.view"]
    assert {"finding_shown": False} in views and {"finding_shown": True} in views


def test_blind_judge_answer_is_dropped_even_if_posted(app: FastAPI, seeded: Seeded) -> None:
    store, _, users = seeded
    item_id = _demo(store, "demo-001")
    ReviewDesk(store).assign(item_id, users[REVIEWER[0]].id, actor="test")
    client = TestClient(app)
    token = login(client, *REVIEWER)
    client.post(f"/items/{item_id}/adjudicate", data={**RISK, "csrf_token": token})
    [label] = ReviewDesk(store).adjudications(item_id)
    assert (label.blind, label.judge_correct) == (True, None)


def test_admin_turns_blind_off_and_metrics_report_modes(app: FastAPI, seeded: Seeded) -> None:
    store, run_id, users = seeded
    desk = ReviewDesk(store)
    blind_item, open_item = _demo(store, "demo-001"), _demo(store, "demo-003")
    for item_id in (blind_item, open_item):
        desk.assign(item_id, users[REVIEWER[0]].id, actor="test")
    reviewer = TestClient(app)
    token = login(reviewer, *REVIEWER)
    reviewer.post(f"/items/{blind_item}/adjudicate", data={**RISK, "csrf_token": token})

    admin = TestClient(app)
    admin_token = login(admin, *ADMIN)
    assert 'data-blind="yes"' in admin.get("/queue").text
    r = admin.post(f"/admin/queues/{run_id}/blind", data={"blind": "no", "csrf_token": admin_token},
                   follow_redirects=False)
    assert r.status_code == 303 and not desk.is_blind(run_id)
    assert admin.post("/admin/queues/no-such-run/blind",
                      data={"blind": "no", "csrf_token": admin_token}).status_code == 404
    page = reviewer.get(f"/items/{open_item}").text
    assert "Why was this flagged?" in page and 'name="judge_correct"' in page
    reviewer.post(f"/items/{open_item}/adjudicate",
                  data={**RISK, "category": "suicide", "csrf_token": token})
    assert [a.blind for a in desk.adjudications(open_item)] == [False]

    metrics = admin.get("/metrics").text
    assert 'data-metric="mode_blind">1<' in metrics
    assert 'data-metric="mode_unblinded">1<' in metrics
    assert 'data-metric="n_decided">2<' in metrics
    blind_only = admin.get("/metrics?mode=blind").text
    assert 'data-metric="n_decided">1<' in blind_only and "blind labels only" in blind_only
    unblinded = admin.get("/metrics?mode=unblinded").text
    assert 'data-metric="n_decided">1<' in unblinded
    trail = [(e.action, e.after) for e in desk.audit_trail()]
    assert ("queue.set_blind", {"blind": False}) in trail
