"""Red team, finding 4: two audits on one ``--out`` both exited 0, one run's stored results
short. Now the second refuses at once; the lock dies with its holder."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from mhsafe.audit import AuditOptions, OutputLockedError, run_audit
from mhsafe.audit._lock import LOCK_NAME, output_lock
from mhsafe.store import Store
from tests.audit.fakes import FakeScreen, conv, write_jsonl
from tests.red_team.helpers import audit, checker, read_jsonl

OPTIONS = AuditOptions(batch_size=5, max_rate=0.5)


class _HeldScreen(FakeScreen):
    """Signals when the audit is under way, then waits to be let go."""

    def __init__(self) -> None:
        super().__init__()
        self.started, self.release = threading.Event(), threading.Event()

    def screen_turns_counted(self, texts: Any) -> Any:
        self.started.set()
        assert self.release.wait(30)
        return super().screen_turns_counted(texts)


def test_a_second_audit_on_the_same_out_is_refused(tmp_path: Path) -> None:
    logs = write_jsonl(tmp_path / "logs.jsonl",
                       [conv(f"c{i}", "RISK" if i % 4 == 0 else "hi", "a") for i in range(20)])
    out = tmp_path / "out"
    store = Store(f"sqlite:///{tmp_path / 'm.db'}")
    screen = _HeldScreen()
    results: list[Any] = []
    first = threading.Thread(target=lambda: results.append(run_audit(
        [logs], out, OPTIONS, screen=screen, checker=checker(), store=store)))
    first.start()
    try:
        assert screen.started.wait(30)
        with pytest.raises(OutputLockedError,
                           match=r"another audit \(pid \d+\) is writing this output"):
            audit([logs], out, options=OPTIONS, store=store)
        with pytest.raises(OutputLockedError):
            audit([logs], out, options=OPTIONS, store=store, resume=True)
    finally:
        screen.release.set()
        first.join(60)
    (result,) = results
    assert result.summary["conversations_audited"] == 20
    assert len(read_jsonl(out / "findings.jsonl")) == 20
    assert len(store.review_items(run_id=result.run_id)) == len(
        read_jsonl(out / "review_queue.jsonl"))
    assert len(store.list_runs(kind="audit")) == 1  # the refused one created no run


def test_the_lock_is_released_after_a_failure_and_a_stale_file_does_not_block(
    tmp_path: Path,
) -> None:
    logs = write_jsonl(tmp_path / "logs.jsonl", [conv("a", "hello", "hi")])
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).write_text("12345\n")  # left behind by a dead audit: no flock held
    with pytest.raises(RuntimeError, match="boom"), output_lock(out):
        raise RuntimeError("boom")
    assert audit([logs], out, options=OPTIONS).summary["conversations_audited"] == 1


def test_a_killed_holder_leaves_no_lock(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    code = ("import os, signal, sys; from pathlib import Path; "
            "from mhsafe.audit._lock import output_lock\n"
            "with output_lock(Path(sys.argv[1])):\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n")
    done = subprocess.run([sys.executable, "-c", code, str(out)], check=False)
    assert done.returncode == -9
    with output_lock(out) as path:
        assert path.read_text().strip().isdigit()
