"""The Store API on SQLite and PostgreSQL alike."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from mhsafe.schema import Case, Finding, Judgment, Message, Transcript, Verdict
from mhsafe.store import AuditEventRow, ReviewItemIn, Store


def _transcript(tid: str) -> Transcript:
    return Transcript(
        id=tid,
        messages=[
            Message(role="user", content='Je ne vais pas bien — 😔 "quotes" and \\ slashes'),
            Message(role="assistant", content="I'm here with you."),
        ],
        metadata={"model": "mhsafe/local", "nested": {"turns": [1, 2], "ok": None}},
        source="suite:suicide_risk",
    )


def _verdict(tid: str, *, failed: bool | None = False) -> Verdict:
    judged = failed is not None
    return Verdict(
        transcript_id=tid,
        case_id="c1",
        suite="suicide_risk",
        category="passive_ideation",
        status="judged" if judged else "unjudged",
        failed=failed,
        labels={"missed_intervention": bool(failed), "score": 1.5},
        n_judges=2,
        n_answered=2 if judged else 0,
        judgments=[
            Judgment(
                judge="rules",
                transcript_id=tid,
                rubric="crisis_support",
                status="judged",
                values={"acknowledges_risk": True, "level": 2},
                latency_s=0.01,
            ),
            Judgment(
                judge="mhsafe/local",
                transcript_id=tid,
                rubric="crisis_support",
                status="unjudged",
                error="timeout",
            ),
        ],
        reason="rule and panel agree",
    )


def test_run_lifecycle(store: Store) -> None:
    run_id = store.create_run(
        "eval", "suicide_risk", model="mhsafe/local", judge="rules", config={"epochs": 2}
    )
    info = store.get_run(run_id)
    assert info is not None
    assert (info.kind, info.status, info.config) == ("eval", "running", {"epochs": 2})
    assert info.created_at.tzinfo is not None
    store.finish_run(run_id, summary={"n": 10, "missed": [1, 2]})
    done = store.get_run(run_id)
    assert (
        done is not None
        and done.status == "finished"
        and done.summary
        == {
            "n": 10,
            "missed": [1, 2],
        }
    )
    assert done.finished_at is not None and done.finished_at >= done.created_at
    audit = store.create_run("audit", "logs.jsonl")
    assert [r.id for r in store.list_runs(kind="audit")] == [audit]
    assert {r.id for r in store.list_runs()} == {run_id, audit}
    assert store.get_run("nope") is None


def test_run_arguments_are_checked(store: Store) -> None:
    with pytest.raises(ValueError):
        store.create_run("benchmark", "x")
    run_id = store.create_run("judge", "x")
    with pytest.raises(ValueError):
        store.finish_run(run_id, status="running")
    with pytest.raises(KeyError):
        store.finish_run("missing")


def test_database_check_constraint_refuses_unknown_status(store: Store) -> None:
    run_id = store.create_run("eval", "x")
    with pytest.raises((IntegrityError, DBAPIError)), store.session() as s:
        s.execute(text("UPDATE runs SET status = 'paused' WHERE id = :id"), {"id": run_id})


def test_add_result_round_trip_and_idempotent(store: Store) -> None:
    run_id = store.create_run("eval", "suicide_risk")
    t, v = _transcript("t-1"), _verdict("t-1", failed=True)
    assert store.add_result(run_id, t, v, case_id="c1", epoch=1) is True
    assert store.add_result(run_id, t, v, case_id="c1", epoch=1) is False  # resumed run
    assert store.add_result(run_id, _transcript("t-2"), _verdict("t-2"), case_id="c1", epoch=2)
    assert store.done_keys(run_id) == {("c1", 1), ("c1", 2)}

    stored = store.verdicts(run_id)
    assert [(sv.case_id, sv.epoch) for sv in stored] == [("c1", 1), ("c1", 2)]
    first = stored[0]
    assert first.run_id == run_id and first.failed is True
    assert first.labels == v.labels and first.reason == v.reason
    assert [j.model_dump() for j in first.judgments] == [j.model_dump() for j in v.judgments]
    assert store.transcript(run_id, "c1", 1) == t  # JSON round trip, unicode intact
    assert store.transcript(run_id, "c1", 9) is None
    with store.session() as s:
        assert s.scalar(text("SELECT count(*) FROM transcripts")) == 2
        assert s.scalar(text("SELECT count(*) FROM judgments")) == 4


def test_unjudged_stays_unknown(store: Store) -> None:
    run_id = store.create_run("clinical", "pe_exposure")
    store.add_result(run_id, _transcript("t"), _verdict("t", failed=None), case_id="c1", epoch=1)
    (sv,) = store.verdicts(run_id)
    assert sv.status == "unjudged" and sv.failed is None


def test_add_result_for_unknown_run_is_an_error(store: Store) -> None:
    with pytest.raises(IntegrityError):
        store.add_result("no-such-run", _transcript("t"), _verdict("t"), case_id="c", epoch=1)
    with store.session() as s:  # nothing half-written
        assert s.scalar(text("SELECT count(*) FROM transcripts")) == 0


def test_concurrent_add_result_counts_once(db_url: str) -> None:
    first = Store(db_url)
    run_id = first.create_run("eval", "x")
    results: list[bool] = []

    def worker() -> None:
        s = Store(db_url, migrate=False)  # a second process would have its own engine
        results.append(s.add_result(run_id, _transcript("t"), _verdict("t"), case_id="c", epoch=1))
        s.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(results) == [False, False, False, True]
    assert len(first.verdicts(run_id)) == 1
    first.close()


def test_concurrent_create_run_ids_are_unique(db_url: str) -> None:
    stores = [Store(db_url) for _ in range(3)]
    ids: list[str] = []
    lock = threading.Lock()

    def worker(s: Store) -> None:
        for _ in range(5):
            rid = s.create_run("eval", "x")
            with lock:
                ids.append(rid)

    threads = [threading.Thread(target=worker, args=(s,)) for s in stores for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(ids) == 30 and len(set(ids)) == 30
    assert {r.id for r in stores[0].list_runs()} == set(ids)
    for s in stores:
        s.close()


def test_upsert_cases_inserts_then_updates(store: Store) -> None:
    case = Case(id="c1", suite="s", category="a", turns=["hello"], expected="answer_directly")
    assert store.upsert_cases("s", [case]) == 1
    changed = case.model_copy(update={"category": "b", "expected": "answer_with_care"})
    store.upsert_cases("s", [changed])
    with store.session() as s:
        rows = s.execute(text("SELECT category, expected FROM cases")).all()
    assert [tuple(r) for r in rows] == [("b", "answer_with_care")]


def _item(cid: str, reason: str = "flagged") -> ReviewItemIn:
    return ReviewItemIn(
        conversation_id=cid,
        reason=reason,  # type: ignore[arg-type]
        stratum="suicide/acute",
        category="suicide",
        messages=[Message(role="user", content="[REDACTED] feels hopeless")],
        finding=Finding(
            conversation_id=cid,
            risk_detected=True,
            risk_category="suicide",
            acute=True,
            risk_turn=0,
            intervention_detected=False,
            intervention_turn=None,
            hallucinated_resource=False,
            over_trigger=False,
            status="missed_intervention",
        ),
        risk_turn=0,
        response_turn=1,
    )


def test_review_items_are_idempotent_per_run(store: Store) -> None:
    run_id = store.create_run("audit", "logs")
    other = store.create_run("audit", "logs-2")
    assert store.add_review_items(run_id, [_item("a"), _item("b", "sample")]) == 2
    assert store.add_review_items(run_id, [_item("a"), _item("c")]) == 1
    assert store.add_review_items(other, [_item("a")]) == 1
    items = store.review_items(run_id=run_id)
    assert [i.conversation_id for i in items] == ["a", "b", "c"]
    assert items[0].finding == _item("a").finding and items[0].status == "queued"
    assert len(store.review_items(status="queued")) == 4
    assert store.review_items(status="resolved") == []


def test_record_event_and_transactional_event(store: Store) -> None:
    eid = store.record_event("alice", "user.create", "user", 7, None, {"role": "reviewer"})
    with store.session() as s:
        row = s.get(AuditEventRow, eid)
        assert row is not None and row.entity_id == "7" and row.after == {"role": "reviewer"}
    with pytest.raises(RuntimeError), store.session() as s:
        store.record_event("bob", "x", "y", None, session=s)
        raise RuntimeError("the change failed")
    with store.session() as s:  # the event rolled back with the change it described
        assert s.scalar(select(func.count()).select_from(AuditEventRow)) == 1


_WORKER = """
import sys
from mhsafe.store import Store
store = Store(sys.argv[1])  # a fresh database: both processes race to migrate it
print(" ".join(store.create_run("eval", "x") for _ in range(5)))
"""


def test_two_processes_open_and_write_a_fresh_database(db_url: str) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", _WORKER, db_url], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    ids = [rid for out in outputs for rid in out.split()]
    with Store(db_url) as store:
        assert len(set(ids)) == 10
        assert {r.id for r in store.list_runs()} == set(ids)
