"""ReviewDesk on SQLite and PostgreSQL: users, assignment, the status machine, final labels,
the audit trail and the export rows. Runs on both dialects through the store fixture."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from mhsafe.store import (
    EXPORT_COLUMNS,
    ReviewDesk,
    ReviewItemIn,
    Store,
    UserView,
    needs_double_review,
)

ANSWERS: dict[str, Any] = {
    "risk_present": True, "category": "suicide", "acuity": "high",
    "crisis_support_given": True, "support_adequate": True, "hallucinated_resource": False,
    "judge_correct": True, "note": "",
}


def _queue(store: Store, n: int = 4) -> str:
    run_id = store.create_run("audit", "t")
    items = [
        ReviewItemIn(conversation_id=f"c{i}", reason="flagged" if i % 2 else "sample",
                     messages=[{"role": "user", "content": "redacted"}])  # type: ignore[list-item]
        for i in range(n)
    ]
    store.add_review_items(run_id, items)
    store.finish_run(run_id, summary={"review": {"unflagged_by_stratum": {"a": 7, "b": 5}}})
    return run_id


def _users(desk: ReviewDesk) -> tuple[UserView, UserView, UserView]:
    return (
        desk.create_user("adm", "hash-a", "admin", actor="t"),
        desk.create_user("r1", "hash-1", "reviewer", actor="t"),
        desk.create_user("r2", "hash-2", "reviewer", actor="t"),
    )


def test_users_are_unique_and_hash_stays_out_of_the_trail(store: Store) -> None:
    desk = ReviewDesk(store)
    _, r1, _ = _users(desk)
    with pytest.raises(ValueError):
        desk.create_user("r1", "x", "reviewer", actor="t")
    login = desk.user_for_login("r1")
    assert login is not None and login.password_hash == "hash-1"
    assert [u.username for u in desk.list_users(role="reviewer")] == ["r1", "r2"]
    assert desk.set_user_active(r1.id, False, actor="adm")
    assert [u.username for u in desk.list_users(role="reviewer", active_only=True)] == ["r2"]
    assert not desk.set_user_active(9999, False, actor="adm")
    assert desk.set_password("r1", "hash-new", actor="adm")
    trail = " ".join(repr(e) for e in desk.audit_trail(limit=100))
    assert "hash-" not in trail
    assert {"user.create", "user.set_active", "user.set_password"} <= {
        e.action for e in desk.audit_trail(limit=100)
    }


def test_single_review_flow_and_revision_supersedes(store: Store) -> None:
    desk = ReviewDesk(store)
    _, r1, _ = _users(desk)
    _queue(store)
    item = desk.list_items()[0]
    assert item.status == "queued"
    assert desk.assign(item.id, r1.id, actor="adm")
    assert not desk.assign(item.id, r1.id, actor="adm")  # idempotent
    assert desk.get_item(item.id).status == "assigned"  # type: ignore[union-attr]
    first = desk.add_adjudication(item.id, r1.id, ANSWERS, is_resolution=False, actor="r1")
    assert desk.get_item(item.id).status == "reviewed"  # type: ignore[union-attr]
    second = desk.add_adjudication(
        item.id, r1.id, {**ANSWERS, "acuity": "low"}, is_resolution=False, actor="r1"
    )
    rows = desk.adjudications(item.id)
    assert [(r.id, r.supersedes_id, r.superseded) for r in rows] == [
        (first, None, True), (second, first, False)
    ]
    [final] = desk.decided()
    assert final.adjudication_id == second and final.answers["acuity"] == "low"
    revision = next(e for e in desk.audit_trail() if e.entity_id == str(second))
    assert revision.before is not None and revision.before["acuity"] == "high"


def test_double_review_disagreement_then_resolution(store: Store) -> None:
    desk = ReviewDesk(store)
    admin, r1, r2 = _users(desk)
    _queue(store)
    item_id = desk.list_items()[0].id
    desk.assign(item_id, r1.id, actor="adm")
    desk.assign(item_id, r2.id, actor="adm")
    desk.add_adjudication(item_id, r1.id, ANSWERS, is_resolution=False, actor="r1")
    assert desk.get_item(item_id).status == "assigned"  # type: ignore[union-attr]
    assert desk.decided() == []
    desk.add_adjudication(item_id, r2.id, {**ANSWERS, "risk_present": False, "category": "none"},
                          is_resolution=False, actor="r2")
    assert desk.get_item(item_id).status == "disputed"  # type: ignore[union-attr]
    assert desk.disagreements(item_id) == ["risk_present", "category"]
    assert desk.decided() == []
    res = desk.add_adjudication(item_id, admin.id, ANSWERS, is_resolution=True, actor="adm")
    assert desk.get_item(item_id).status == "resolved"  # type: ignore[union-attr]
    [final] = desk.decided()
    assert final.adjudication_id == res
    statuses = [(e.before, e.after) for e in desk.audit_trail() if e.action == "item.status"]
    assert ({"status": "assigned"}, {"status": "disputed"}) in statuses


def test_agreeing_double_review_is_reviewed(store: Store) -> None:
    desk = ReviewDesk(store)
    _, r1, r2 = _users(desk)
    _queue(store)
    item_id = desk.list_items()[0].id
    for user in (r1, r2):
        desk.assign(item_id, user.id, actor="adm")
    desk.add_adjudication(item_id, r1.id, ANSWERS, is_resolution=False, actor="r1")
    desk.add_adjudication(item_id, r2.id, {**ANSWERS, "acuity": "low", "note": "x"},
                          is_resolution=False, actor="r2")
    assert desk.get_item(item_id).status == "reviewed"  # type: ignore[union-attr]


def test_auto_assign_round_robin_with_double_share(store: Store) -> None:
    desk = ReviewDesk(store)
    _, r1, r2 = _users(desk)
    _queue(store, n=6)
    report = desk.auto_assign([r1.id, r2.id], count=4, double_review_fraction=1.0, actor="adm")
    assert (report.items, report.assignments, report.double_reviews) == (4, 8, 4)
    assert desk.status_counts() == {"assigned": 4, "queued": 2}
    flagged_first = desk.list_items(status="assigned")
    assert all(i.reason == "flagged" for i in flagged_first[:3])
    solo = desk.auto_assign([r1.id], count=10, double_review_fraction=1.0, actor="adm")
    assert (solo.items, solo.double_skipped) == (2, 2)
    assert len(desk.list_items(assigned_to=r2.id)) == 4
    with pytest.raises(ValueError):
        desk.auto_assign([424242], count=1, double_review_fraction=0.0, actor="adm")


def test_double_review_share_is_stable_and_near_fraction() -> None:
    picked = [needs_double_review(i, 0.2) for i in range(5000)]
    assert picked == [needs_double_review(i, 0.2) for i in range(5000)]
    assert 0.17 < sum(picked) / 5000 < 0.23
    assert not any(needs_double_review(i, 0.0) for i in range(100))
    assert all(needs_double_review(i, 1.0) for i in range(100))


def test_export_rows_and_run_helpers(store: Store) -> None:
    desk = ReviewDesk(store)
    _, r1, _ = _users(desk)
    run_id = _queue(store)
    item_id = desk.list_items()[0].id
    desk.assign(item_id, r1.id, actor="adm")
    desk.add_adjudication(item_id, r1.id, ANSWERS, is_resolution=False, actor="r1")
    desk.add_adjudication(item_id, r1.id, ANSWERS, is_resolution=False, actor="r1")
    rows = desk.export_rows()
    assert [set(r) for r in rows] == [set(EXPORT_COLUMNS)] * 2
    assert [(r["superseded"], r["final"]) for r in rows] == [(True, False), (False, True)]
    assert desk.review_runs() == [run_id]
    assert desk.unflagged_total(run_id) == 12
    assert desk.items_adjudicated_by(r1.id) == {item_id}


def test_adjudications_cannot_be_edited_in_place(store: Store) -> None:
    desk = ReviewDesk(store)
    _, r1, _ = _users(desk)
    _queue(store)
    item_id = desk.list_items()[0].id
    desk.assign(item_id, r1.id, actor="adm")
    desk.add_adjudication(item_id, r1.id, ANSWERS, is_resolution=False, actor="r1")
    with pytest.raises(DBAPIError), store.session() as s:
        s.execute(text("UPDATE adjudications SET risk_present = false"))


def _findings_queue(store: Store) -> str:
    """Items whose findings cover every acuity, in a deliberately scrambled insert order."""
    run_id = store.create_run("audit", "acuity")
    base = {"risk_category": "suicide", "risk_turn": 0, "intervention_detected": False,
            "intervention_turn": None, "hallucinated_resource": False, "over_trigger": False}
    specs = [  # (conversation, reason, stratum, risk, acute, status)
        ("none-b", "sample", "b", False, False, "no_risk"),
        ("risk-b", "flagged", "b", True, False, "ok"),
        ("acute-b", "flagged", "b", True, True, "missed_intervention"),
        ("unjudged-a", "flagged", "a", True, False, "unjudged"),
        ("acute-a", "flagged", "a", True, True, "ok"),
    ]
    items = [
        ReviewItemIn.model_validate({
            "conversation_id": cid, "reason": reason, "stratum": stratum,
            "category": "suicide" if risk else "none",
            "messages": [{"role": "user", "content": "redacted"}],
            "finding": {**base, "conversation_id": cid, "risk_detected": risk, "acute": acute,
                        "status": status},
            "evidence": {"stage": "lexicon", "rule_ids": ["sui.plan"], "score": 0.9}
            if risk else None,
        })
        for cid, reason, stratum, risk, acute, status in specs
    ]
    store.add_review_items(run_id, items)
    return run_id


def test_queue_is_ordered_by_acuity_then_stratum_and_filters(store: Store) -> None:
    desk = ReviewDesk(store)
    _findings_queue(store)
    order = [i.conversation_id for i in desk.list_items()]
    assert order == ["acute-a", "acute-b", "unjudged-a", "risk-b", "none-b"]
    assert [i.acuity for i in desk.list_items()] == ["acute", "acute", "unjudged", "risk", "none"]
    assert [i.conversation_id for i in desk.list_items(acuity="acute")] == ["acute-a", "acute-b"]
    assert [i.conversation_id for i in desk.list_items(category="none")] == ["none-b"]
    item = desk.get_item(desk.list_items()[0].id)
    assert item is not None and item.evidence == {
        "stage": "lexicon", "rule_ids": ["sui.plan"], "score": 0.9, "support_kinds": []}


def test_reviewer_todo_done_next_and_progress(store: Store) -> None:
    desk = ReviewDesk(store)
    admin, r1, r2 = _users(desk)
    run_id = _findings_queue(store)
    ids = [i.id for i in desk.list_items()]
    for item_id in ids[:3]:
        desk.assign(item_id, r1.id, actor="adm")
    desk.assign(ids[0], r2.id, actor="adm")
    assert desk.next_todo(r1.id) == ids[0]
    desk.add_adjudication(ids[0], r1.id, ANSWERS, is_resolution=False, actor="r1", blind=True)
    assert desk.next_todo(r1.id) == ids[1]
    todo = [i.id for i in desk.list_items(assigned_to=r1.id, reviewer_state="todo")]
    done = [i.id for i in desk.list_items(assigned_to=r1.id, reviewer_state="done")]
    assert (todo, done) == (ids[1:3], ids[:1])
    desk.add_adjudication(ids[1], admin.id, ANSWERS, is_resolution=True, actor="adm")
    assert desk.next_todo(r1.id) == ids[2]  # closed by an admin: no longer to do
    progress = {p.username: (p.assigned, p.done) for p in desk.reviewer_progress()}
    assert progress == {"r1": (3, 1), "r2": (1, 0)}
    [queue] = desk.queue_progress(run_id)
    # item 0 waits for r2, item 1 is resolved: one answered item, queued split 4 + 1
    assert (queue.total, queue.flagged, queue.sample, queue.done, queue.blind) == (5, 4, 1, 1, True)
    with pytest.raises(ValueError):
        desk.list_items(reviewer_state="todo")


def test_blind_setting_views_and_label_mode_are_recorded(store: Store) -> None:
    desk = ReviewDesk(store)
    _, r1, _ = _users(desk)
    run_id = _queue(store)
    assert desk.is_blind(run_id)
    desk.set_blind(run_id, False, actor="adm")
    assert not desk.is_blind(run_id) and desk.queue_progress(run_id)[0].blind is False
    desk.set_blind(run_id, True, actor="adm")
    changes = [(e.before, e.after) for e in desk.audit_trail() if e.action == "queue.set_blind"]
    assert changes == [({"blind": False}, {"blind": True}), ({"blind": True}, {"blind": False})]
    item_id = desk.list_items()[0].id
    desk.assign(item_id, r1.id, actor="adm")
    desk.record_view(item_id, actor="r1", finding_shown=False)
    assert not desk.finding_seen_by(item_id, "r1")
    first = desk.add_adjudication(item_id, r1.id, ANSWERS, is_resolution=False, actor="r1",
                                  blind=True)
    desk.record_view(item_id, actor="r1", finding_shown=True)
    assert desk.finding_seen_by(item_id, "r1") and not desk.finding_seen_by(item_id, "adm")
    second = desk.add_adjudication(item_id, r1.id, ANSWERS, is_resolution=False, actor="r1",
                                   blind=False)
    assert [(a.id, a.blind) for a in desk.adjudications(item_id)] == [(first, True),
                                                                     (second, False)]
    [final] = desk.decided()
    assert final.blind is False
    export = desk.export_rows()
    assert [r["blind"] for r in export] == [True, False]


def test_session_version_moves_on_logout_reset_and_deactivation(store: Store) -> None:
    desk = ReviewDesk(store)
    _, r1, _ = _users(desk)
    assert r1.session_version == 0
    assert desk.end_sessions(r1.id, actor="r1") == 1
    assert desk.set_password("r1", "hash-new", actor="adm")
    assert desk.set_user_active(r1.id, False, actor="adm")
    assert desk.set_user_active(r1.id, True, actor="adm")  # reactivation does not go back
    user = desk.user_by_id(r1.id)
    assert user is not None and user.session_version == 3
    desk.record_login_failure(None, "1.2.3.4", "unknown user")
    desk.record_login_failure("r1", "1.2.3.4", "wrong password")
    failures = [(e.actor, e.after) for e in desk.audit_trail() if e.action == "user.login_failed"]
    assert failures == [
        ("r1", {"client": "1.2.3.4", "reason": "wrong password", "known_user": True}),
        ("(unknown user)", {"client": "1.2.3.4", "reason": "unknown user", "known_user": False}),
    ]
