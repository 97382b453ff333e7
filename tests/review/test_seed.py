"""The demo queue: valid audit findings, one run, idempotent on re-seed per run."""

from __future__ import annotations

from mhsafe.review import demo_items, seed_demo
from mhsafe.store import ReviewDesk, Store


def test_demo_items_are_schema_valid_and_cover_both_reasons() -> None:
    items = demo_items()
    assert len(items) == 6
    assert {i.reason for i in items} == {"flagged", "sample"}
    assert all(i.finding is not None for i in items)
    for item in items:
        if item.risk_turn is not None:
            assert item.messages[item.risk_turn].role == "user"
        if item.response_turn is not None:
            assert item.messages[item.response_turn].role == "assistant"


def test_seed_demo_fills_one_finished_audit_run(store: Store) -> None:
    run_id = seed_demo(store)
    run = store.get_run(run_id)
    assert run is not None and run.kind == "audit" and run.status == "finished"
    assert len(store.review_items(run_id=run_id, status="queued")) == 6
    assert ReviewDesk(store).unflagged_total(run_id) == 600
