"""The work dir: commits are durable, uncommitted appends vanish on resume, a resume against
different inputs is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from mhsafe.audit import ResumeError, WorkDir
from mhsafe.audit._checkpoint import input_fingerprint


def test_uncommitted_rows_are_truncated_on_resume(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("{}\n")
    fp = input_fingerprint([src], {"window": 2})
    work = WorkDir(tmp_path / "out")
    cp = work.start(fp, resume=False)
    work.append("findings", [{"conversation_id": "a"}])
    cp.next_batch, cp.offset = 1, 3
    work.commit(cp)
    work.append("findings", [{"conversation_id": "b"}])  # a crash before commit
    work.close()

    again = WorkDir(tmp_path / "out")
    cp2 = again.start(fp, resume=True)
    again.close()
    assert (cp2.next_batch, cp2.offset) == (1, 3)
    assert [r["conversation_id"] for r in again.iter_part("findings")] == ["a"]


def test_resume_refuses_different_inputs_or_options(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("{}\n")
    work = WorkDir(tmp_path / "out")
    work.start(input_fingerprint([src], {"window": 2}), resume=False)
    work.close()
    with pytest.raises(ResumeError):
        WorkDir(tmp_path / "out").start(input_fingerprint([src], {"window": 3}), resume=True)
    src.write_text("{}\n{}\n")
    with pytest.raises(ResumeError):
        WorkDir(tmp_path / "out").start(input_fingerprint([src], {"window": 2}), resume=True)


def test_fresh_start_clears_previous_parts(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("{}\n")
    fp = input_fingerprint([src], {})
    work = WorkDir(tmp_path / "out")
    cp = work.start(fp, resume=False)
    work.append("quarantine", [{"line": 1}])
    work.commit(cp)
    work.close()
    fresh = WorkDir(tmp_path / "out")
    cp2 = fresh.start(fp, resume=False)
    fresh.close()
    assert cp2.next_batch == 0 and list(fresh.iter_part("quarantine")) == []
