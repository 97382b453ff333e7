"""Red team, issue 19 (low): a NUL byte in an eval prompt. PostgreSQL text and JSONB cannot
hold one, so the row is quarantined at load with its line -- never a crash at the store, and
the other rows of the set are kept and stored on the real server."""

from __future__ import annotations

import json
from pathlib import Path

from mhsafe.store import Store
from mhsafe.suites import load_dataset_file


def test_a_nul_prompt_is_quarantined_and_the_rest_is_stored(tmp_path: Path, pg_url: str) -> None:
    data = tmp_path / "set.jsonl"
    rows = [{"prompt": "how do I sleep better?"}, {"prompt": "bad\u0000prompt"},
            {"prompt": "fine", "system_prompt": "sys\u0000tem"}, {"prompt": "still here"}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    loaded = load_dataset_file(data, default_expected="answer_directly")
    assert [c.turns for c in loaded.cases] == [["how do I sleep better?"], ["still here"]]
    assert [(q.where, q.reason) for q in loaded.quarantined] == [
        ("line 2", "NUL byte in the prompt"), ("line 3", "NUL byte in the prompt")]
    store = Store(pg_url)
    try:
        assert store.upsert_cases("custom", loaded.cases) == 2
    finally:
        store.close()
