"""Red team, findings 2 and 3: ids are strings end to end, unique in an audit, and fit the
store; a store error never prints its statement's parameters and never leaves a run
``running``.

2. ``5`` and ``"5"`` (and plain duplicates) collapsed into one review item: four flagged in
   review_queue.jsonl, two in ``review_items``, no warning.
3. On PostgreSQL an id over 200 characters crashed finalisation, left the run ``running``,
   broke ``--resume`` and printed SQL parameters (ids and message text) in the traceback.
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from mhsafe.audit import AuditCountError, AuditOptions, AuditStoreError, ResumeError
from mhsafe.store import ReviewItemIn, Store
from tests.audit.fakes import FakeScreen, conv, write_jsonl
from tests.red_team.helpers import audit, read_jsonl

OPTIONS = AuditOptions(batch_size=2, max_rate=0.5)
SECRET = "RISK my secret plan for tonight"


def _colliding(tmp_path: Path) -> Path:
    five_int = conv("ignored", "RISK one", "a")
    five_int["id"] = 5
    return write_jsonl(tmp_path / "logs.jsonl", [
        five_int,                          # line 1: id 5 (a number)
        conv("5", "RISK two", "a"),        # line 2: id "5"
        conv("x", "RISK three", "a"),      # line 3
        conv("x", "RISK four", "a"),       # line 4: an exact duplicate id
        conv("ok", "hello", "hi"),
    ])


def test_colliding_ids_are_made_unique_and_every_flagged_one_is_stored(tmp_path: Path) -> None:
    logs = _colliding(tmp_path)
    store = Store(f"sqlite:///{tmp_path / 'm.db'}")
    out = tmp_path / "out"
    result = audit([logs], out, options=OPTIONS, store=store)
    queue = read_jsonl(out / "review_queue.jsonl")
    flagged = [q["conversation_id"] for q in queue if q["reason"] == "flagged"]
    assert flagged == ["5", "5#dup:logs.jsonl:2", "x", "x#dup:logs.jsonl:4"]
    assert result.run_id is not None
    stored = [i.conversation_id for i in store.review_items(run_id=result.run_id)]
    assert sorted(stored) == sorted(q["conversation_id"] for q in queue)
    assert len(stored) == len(queue) == 5  # 4 flagged + the 1 sampled
    assert result.summary["duplicate_ids_renamed"] == 2
    findings = [f["conversation_id"] for f in read_jsonl(out / "findings.jsonl")]
    assert len(findings) == len(set(findings)) == 5
    # the renamed finding still points at its own line
    by_id = {f["conversation_id"]: f for f in read_jsonl(out / "findings.jsonl")}
    assert by_id["x#dup:logs.jsonl:4"]["source"] == f"log:{logs}:4"


def test_ids_that_are_not_strings_or_integers_are_quarantined(tmp_path: Path) -> None:
    records: list[Any] = []
    for raw in (True, 5.0, {"a": 1}, ["b"]):
        record = conv("ignored", "RISK", "a")
        record["id"] = raw
        records.append(record)
    logs = write_jsonl(tmp_path / "logs.jsonl", [*records, conv("fine", "hello", "hi")])
    out = tmp_path / "out"
    audit([logs], out, options=OPTIONS)
    assert [(q["line"], q["reason"], q["detail"]) for q in read_jsonl(out / "quarantine.jsonl")
            ] == [(1, "bad_id", "bool"), (2, "bad_id", "float"), (3, "bad_id", "dict"),
                  (4, "bad_id", "list")]


class _Crash(RuntimeError):
    pass


class _CrashingScreen(FakeScreen):
    """Dies on its n-th batch, like a SIGKILL between commits."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at

    def screen_turns_counted(self, texts: Any) -> Any:
        if self.calls + 1 == self.at:
            raise _Crash("simulated crash")
        return super().screen_turns_counted(texts)


def test_renamed_ids_survive_a_crash_and_resume_unchanged(tmp_path: Path) -> None:
    from mhsafe.audit import run_audit
    from tests.red_team.helpers import checker

    records = [conv(str(i % 3), f"RISK {i}" if i % 2 else "hello", "a") for i in range(12)]
    logs = write_jsonl(tmp_path / "logs.jsonl", records)
    whole = tmp_path / "whole"
    audit([logs], whole, options=OPTIONS)
    killed = tmp_path / "killed"
    with pytest.raises(_Crash):
        run_audit([logs], killed, OPTIONS, screen=_CrashingScreen(4), checker=checker())
    audit([logs], killed, options=OPTIONS, resume=True)
    assert (killed / "findings.jsonl").read_bytes() == (whole / "findings.jsonl").read_bytes()
    ids = [f["conversation_id"] for f in read_jsonl(whole / "findings.jsonl")]
    assert len(ids) == len(set(ids)) == 12
    assert json.loads((killed / "summary.json").read_text())["duplicate_ids_renamed"] == 9


class _LosingStore(Store):
    """Stores all but the last item it is given: the queue and the store disagree."""

    def add_review_items(self, run_id: str, items: Any) -> int:
        return super().add_review_items(run_id, list(items)[:-1])


def test_a_store_short_of_the_queue_fails_loudly_and_marks_the_run(tmp_path: Path) -> None:
    logs = _colliding(tmp_path)
    store = _LosingStore(f"sqlite:///{tmp_path / 'm.db'}")
    with pytest.raises(AuditCountError, match="holds 4 review items but the audit queued 5"):
        audit([logs], tmp_path / "out", options=OPTIONS, store=store)
    (run,) = store.list_runs(kind="audit")
    assert run.status == "failed"


@pytest.mark.postgres
def test_postgres_overlong_id_is_quarantined_and_the_run_finishes(tmp_path: Path,
                                                                   pg_url: str) -> None:
    long_id = "L" * 250
    logs = write_jsonl(tmp_path / "logs.jsonl", [
        conv(long_id, "RISK long", "a"), conv("short", "RISK short", "a"),
        conv("n", "hello", "hi")])
    store = Store(pg_url)
    out = tmp_path / "out"
    result = audit([logs], out, options=OPTIONS, store=store)
    assert read_jsonl(out / "quarantine.jsonl") == [
        {"file": str(logs), "line": 1, "reason": "id_too_long", "detail": "250 chars > 200",
         "conversation_id": None}]
    assert result.run_id is not None
    run = store.get_run(result.run_id)
    assert run is not None and run.status == "finished"
    assert len(store.review_items(run_id=result.run_id)) == len(
        read_jsonl(out / "review_queue.jsonl")) == 2
    again = audit([logs], out, options=OPTIONS, store=store, resume=True)  # --resume works
    assert again.run_id == result.run_id
    assert len(store.review_items(run_id=result.run_id)) == 2


class _PgFailingStore(Store):
    """A genuine PostgreSQL error whose statement parameters hold message text and the id."""

    def add_review_items(self, run_id: str, items: Any) -> int:
        item: ReviewItemIn = next(iter(items))
        with self.session() as s:
            s.execute(text("SELECT CAST(:content AS integer), :cid"),
                      {"content": item.messages[0].content, "cid": item.conversation_id})
        return 0


@pytest.mark.postgres
def test_postgres_store_error_prints_no_parameters_and_marks_the_run_failed(
    tmp_path: Path, pg_url: str
) -> None:
    cid = "patient-7731"
    logs = write_jsonl(tmp_path / "logs.jsonl", [conv(cid, SECRET, "a")])
    store = _PgFailingStore(pg_url)
    out = tmp_path / "out"
    options = AuditOptions(batch_size=2, max_rate=0.5, redact=False)
    with pytest.raises(AuditStoreError) as caught:
        audit([logs], out, options=options, store=store)
    printed = "".join(traceback.format_exception(caught.value))
    assert "InvalidTextRepresentation [22P02]" in printed
    assert "secret plan" not in printed and cid not in printed
    assert caught.value.__suppress_context__  # the original (with parameters) is not shown
    (run,) = store.list_runs(kind="audit")
    assert run.status == "failed"
    # The cause fixed, --resume finishes the same run.
    fixed = Store(pg_url)
    result = audit([logs], out, options=options, store=fixed, resume=True)
    assert result.run_id == run.id
    finished = fixed.get_run(run.id)
    assert finished is not None and finished.status == "finished"
    assert [i.conversation_id for i in fixed.review_items(run_id=run.id)] == [cid]


def test_resume_with_other_role_mapping_is_refused(tmp_path: Path) -> None:
    logs = write_jsonl(tmp_path / "logs.jsonl", [conv("a", "RISK", "x")])
    out = tmp_path / "out"
    audit([logs], out, options=OPTIONS)
    with pytest.raises(ResumeError):
        audit([logs], out, options=AuditOptions(batch_size=2, max_rate=0.5,
                                                roles={"bot": "assistant"}), resume=True)
