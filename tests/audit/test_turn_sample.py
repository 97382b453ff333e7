"""A log's user turns for `report --ecological`: read as the audit reads the log
(quarantined records left out), capped by a seeded sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from mhsafe.audit import InputError, sample_user_turns
from tests.audit.fakes import conv, write_jsonl


def test_user_turns_in_order_and_quarantine_left_out(tmp_path: Path) -> None:
    logs = write_jsonl(tmp_path / "logs.jsonl", [
        conv("a", "first", "reply"), "{broken",
        {"id": "t", "messages": [{"role": "tool", "content": "x"},
                                 {"role": "user", "content": "hidden"}]},
        conv("b", "second", "reply")])
    assert sample_user_turns([logs], 10) == ["first", "second"]


def test_the_cap_is_a_seeded_sample(tmp_path: Path) -> None:
    logs = write_jsonl(tmp_path / "logs.jsonl",
                       [conv(f"c{i}", f"turn {i}", "ok") for i in range(30)])
    once = sample_user_turns([logs], 5, seed=3)
    assert len(once) == 5 and len(set(once)) == 5
    assert once == sample_user_turns([logs], 5, seed=3)
    assert once != sample_user_turns([logs], 5, seed=4)
    assert set(once) <= {f"turn {i}" for i in range(30)}


def test_a_missing_log_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        sample_user_turns([tmp_path / "missing.jsonl"], 5)
