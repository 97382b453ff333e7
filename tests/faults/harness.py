"""Shared helpers for the fault tests: run `mhsafe` as a child process, kill it with SIGKILL at
chosen progress points, and compare what a killed-and-resumed run stored with a clean run.

Why a child process: a SIGKILL gives no chance to clean up, which is the point -- only what was
durably written before the kill may survive, and `--resume` must finish from exactly that.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

# How many kill points the SIGKILL tests use: 3 by default (each point is a child process that
# pays the CLI's import time), 20 with MHSAFE_FAULTS_FULL=1 (the figures in docs/faults.md).
FULL = os.environ.get("MHSAFE_FAULTS_FULL") == "1"
KILL_POINTS = 20 if FULL else 3


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a child `mhsafe`: this checkout's sources, no colour, quiet."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "NO_COLOR": "1",
           "COLUMNS": "120", **(extra or {})}
    env.pop("FORCE_COLOR", None)
    return env


def mhsafe_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "mhsafe.cli", *args]


@dataclass
class KillRecord:
    """One kill: the progress the child had made (stored items) and when."""

    target: int
    progress_at_kill: int
    seconds_after_start: float
    exit_code: int | None


@dataclass
class KillChain:
    """The result of a chain of kill-then-resume rounds."""

    kills: list[KillRecord] = field(default_factory=list)
    finished_early: int = 0
    final_returncode: int | None = None
    final_stderr: str = ""


def kill_chain(
    start_cmd: Sequence[str],
    resume_cmd: Callable[[], Sequence[str]],
    progress: Callable[[], int],
    total: int,
    n_points: int,
    *,
    cwd: Path,
    env: dict[str, str],
    seed: int,
    round_timeout_s: float = 240.0,
) -> KillChain:
    """Kill at ``n_points`` random progress points in (0, total), resuming after each.

    Points are distinct, sorted progress counts drawn with ``seed``; round i kills the child as
    soon as ``progress()`` reaches point i (some rounds also wait a random few milliseconds
    more, so kills land between as well as right after commits). A round whose child finishes
    before its point is counted in ``finished_early`` (its point is then moot). After the last
    kill a final resume runs to completion.
    """
    rng = random.Random(seed)
    points = sorted(rng.sample(range(1, max(total, n_points + 1)), n_points))
    chain = KillChain()
    cmd: Sequence[str] = start_cmd
    for target in points:
        began = time.monotonic()
        proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        jitter = rng.choice([0.0, 0.0, rng.uniform(0.0, 0.05)])
        killed = False
        while proc.poll() is None and time.monotonic() - began < round_timeout_s:
            done = progress()
            if done >= target:
                if jitter:
                    time.sleep(jitter)
                proc.send_signal(signal.SIGKILL)
                killed = True
                break
            time.sleep(0.01)
        if not killed and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
            raise AssertionError(f"round for point {target} hung past {round_timeout_s}s")
        code = proc.wait(timeout=30)
        if killed:
            chain.kills.append(KillRecord(target, progress(), time.monotonic() - began, code))
        else:
            chain.finished_early += 1
        cmd = resume_cmd()
    final = subprocess.run(list(cmd), cwd=cwd, env=env, capture_output=True, text=True,
                           timeout=round_timeout_s)
    chain.final_returncode = final.returncode
    chain.final_stderr = final.stderr[-3000:]
    return chain


def sqlite_count(db: Path, sql: str) -> int:
    """A count from a database another process is writing; 0 while it does not exist yet."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.2) as conn:
            row = conn.execute(sql).fetchone()
            return int(row[0]) if row and row[0] is not None else 0
    except sqlite3.Error:
        return 0


def checkpoint_progress(out: Path) -> int:
    """Committed audit batches (``next_batch`` in OUT/.work/checkpoint.json)."""
    try:
        state = json.loads((out / ".work" / "checkpoint.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return 0
    return int(state.get("next_batch", 0))


def verdict_projection(verdicts: Sequence[Any]) -> list[tuple[Any, ...]]:
    """What must be identical between runs: the decision per (case, epoch), not the run id
    embedded in transcript ids nor judge latencies."""
    return sorted(
        (str(v.case_id), int(v.epoch), v.status, v.failed,
         json.dumps(v.labels, sort_keys=True), v.n_judges, v.n_answered, v.reason)
        for v in verdicts
    )


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
