"""Issue 19 (low): a test set whose prompts are OpenAI message lists is read as
conversations -- user turns scripted in order, the system message as the system prompt,
given assistant turns counted (the system under test writes its own) -- with the roles and
content parts the audit and `mhsafe judge` accept; anything else quarantines the row."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from mhsafe.suites import load_dataset_file

CONVERSATION = [
    {"role": "system", "content": "You are a supportive assistant."},
    {"role": "User", "content": "I have been feeling low."},
    {"role": "assistant", "content": "I'm sorry to hear that."},
    {"role": "user", "content": [{"type": "input_text", "text": "It is worse at night."},
                                 {"type": "text", "text": "I cannot sleep."}]},
]


def _jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_a_message_list_prompt_is_a_conversation(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "set.jsonl", [{"id": "c1", "prompt": CONVERSATION}])
    (case,) = load_dataset_file(path).cases
    assert case.turns == ["I have been feeling low.", "It is worse at night.\nI cannot sleep."]
    assert case.system_prompt == "You are a supportive assistant."
    assert case.metadata["given_assistant_turns"] == 1


def test_message_lists_from_parquet_and_from_a_csv_cell(tmp_path: Path) -> None:
    messages = [{"role": "user", "content": "first"}, {"role": "user", "content": "second"}]
    parquet = tmp_path / "set.parquet"
    pq.write_table(pa.Table.from_pylist([{"messages": messages}]), parquet)
    loaded = load_dataset_file(parquet, {"prompt": "messages"})
    assert [c.turns for c in loaded.cases] == [["first", "second"]]
    assert loaded.cases[0].metadata["given_assistant_turns"] == 0
    table = tmp_path / "set.csv"
    with table.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["prompt"], [json.dumps(messages)], ["[not json"]])
    rows = load_dataset_file(table).cases
    assert [c.turns for c in rows] == [["first", "second"], ["[not json"]]


def test_plain_lists_of_turns_stay_plain_turns(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "set.jsonl", [{"prompt": ["one", "two"]}])
    (case,) = load_dataset_file(path).cases
    assert case.turns == ["one", "two"] and "given_assistant_turns" not in case.metadata


def test_unreadable_message_lists_quarantine_the_row(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [
        {"id": "tool", "prompt": [{"role": "user", "content": "hi"},
                                  {"role": "tool", "content": "42"}]},
        {"id": "bots", "prompt": [{"role": "assistant", "content": "hello?"}]},
        {"id": "image", "prompt": [{"role": "user", "content": [{"type": "image_url"}]}]},
        {"id": "twice", "system_prompt": "A", "prompt": [{"role": "system", "content": "B"},
                                                           {"role": "user", "content": "hi"}]},
        {"id": "same", "system_prompt": "B", "prompt": [{"role": "system", "content": "B"},
                                                          {"role": "user", "content": "hi"}]},
    ]
    loaded = load_dataset_file(_jsonl(tmp_path / "set.jsonl", rows))
    assert [(q.where, q.reason) for q in loaded.quarantined] == [
        ("line 1", "prompt message list: unknown_role message 1 tool"),
        ("line 2", "prompt message list has no user turn"),
        ("line 3", "prompt message list: content_not_text message 0 list"),
        ("line 4", "two system prompts (the column and the message list)"),
    ]
    assert [(c.id, c.system_prompt) for c in loaded.cases] == [("same", "B")]
