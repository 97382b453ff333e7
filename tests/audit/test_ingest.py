"""Streaming readers: every bad-record kind lands in quarantine with its file and line, good
records are all read, cursors let a resumed read continue exactly where it stopped."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mhsafe.audit import IngestLimits, Quarantined, iter_batches, iter_items, needs_sort
from mhsafe.schema import Transcript
from tests.audit.fakes import conv, write_jsonl

GOOD = conv("g", "hello", "hi there")


def _bad_lines() -> dict[str, bytes]:
    """One raw line per bad-record kind."""
    msg = lambda role, content: json.dumps(  # noqa: E731
        {"id": "b", "messages": [{"role": role, "content": content}]}).encode()
    return {
        "invalid_json": b'{"id": "b", "messages": [',
        "invalid_utf8": b'{"id": "b", "messages": [{"role": "user", "content": "caf\xe9"}]}',
        "nul_byte": b'{"id": "b", "messages": [{"role": "user", "content": "a\x00b"}]}',
        "missing_role": json.dumps({"id": "b", "messages": [{"content": "x"}]}).encode(),
        "unknown_role": msg("tool", "x"),
        "empty_conversation": json.dumps({"id": "b", "messages": []}).encode(),
        "missing_messages": json.dumps({"id": "b"}).encode(),
        "not_an_object": b"[1, 2, 3]",
        "missing_content": json.dumps({"id": "b", "messages": [{"role": "user"}]}).encode(),
        "content_not_text": json.dumps(
            {"id": "b", "messages": [{"role": "user", "content": 5}]}).encode(),
        "message_too_large": msg("user", "x" * 10_000_001),
    }


def test_every_bad_kind_is_quarantined_with_file_and_line(tmp_path: Path) -> None:
    bad = _bad_lines()
    lines: list[bytes | dict] = []
    expected: dict[int, str] = {}
    for reason, raw in bad.items():
        lines.append(GOOD)
        lines.append(raw)
        expected[len(lines)] = reason
    path = write_jsonl(tmp_path / "mixed.jsonl", lines)
    items = [item for item, _ in iter_items([path])]
    quarantined = [i for i in items if isinstance(i, Quarantined)]
    good = [i for i in items if isinstance(i, Transcript)]
    assert {q.line: q.reason for q in quarantined} == expected
    assert all(q.file == str(path) for q in quarantined)
    assert len(good) == len(bad)
    # A quarantine entry never carries the record's text.
    assert all("x" * 50 not in json.dumps(q.to_json()) for q in quarantined)


def test_oversized_line_is_skipped_without_reading_it_whole(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "big.jsonl", [GOOD, "z" * 5000, GOOD])
    items = [i for i, _ in iter_items([path], limits=IngestLimits(max_record_bytes=1000))]
    assert [type(i).__name__ for i in items] == ["Transcript", "Quarantined", "Transcript"]
    assert items[1].reason == "record_too_large" and items[1].line == 2  # type: ignore[union-attr]


def test_missing_id_gets_file_and_line_and_unknown_keys_are_ignored(tmp_path: Path) -> None:
    record = {"messages": [{"role": "developer", "content": "be kind"},
                           {"role": "user", "content": [{"type": "text", "text": "hi"}]}],
              "extra": {"anything": 1}}
    path = write_jsonl(tmp_path / "x.jsonl", ["", record])
    (item, _), = list(iter_items([path]))
    assert isinstance(item, Transcript)
    assert item.id == "x.jsonl:2"
    assert [m.role for m in item.messages] == ["system", "user"]
    assert item.messages[1].content == "hi"


def test_cursor_resumes_exactly_after_a_batch(tmp_path: Path) -> None:
    recs: list = [conv(f"c{i}", f"u{i}", f"a{i}") for i in range(7)]
    recs.insert(3, "not json")
    a = write_jsonl(tmp_path / "a.jsonl", recs)
    b = write_jsonl(tmp_path / "b.jsonl", [conv(f"d{i}", "u", "a") for i in range(4)])
    full = [(type(i).__name__, getattr(i, "id", getattr(i, "line", None)))
            for batch in iter_batches([a, b], 3) for i in (*batch.conversations,
                                                             *batch.quarantined)]
    batches = list(iter_batches([a, b], 3))
    resumed = list(iter_batches([a, b], 3, start=batches[1].end, first_index=2))
    assert [bt.index for bt in resumed] == list(range(2, len(batches)))
    ids = [t.id for bt in resumed for t in bt.conversations]
    assert ids == [t.id for bt in batches[2:] for t in bt.conversations]
    assert sum(len(bt.conversations) for bt in batches) == 11
    assert len(full) == 12
    assert batches[0].end.file_index == 0


@settings(max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_thousand_generated_bad_records_mixed_with_good(
    tmp_path: Path, data: st.DataObject
) -> None:
    bad = list(_bad_lines().items())
    bad = [(r, raw) for r, raw in bad if r != "message_too_large"]  # keep the file small
    kinds = data.draw(st.lists(st.integers(0, len(bad) - 1), min_size=1000, max_size=1000))
    goods = data.draw(st.lists(st.integers(0, 3), min_size=1000, max_size=1000))
    lines: list = []
    expected: dict[int, str] = {}
    good_ids: list[str] = []
    for n, (k, g) in enumerate(zip(kinds, goods, strict=True)):
        for j in range(g):
            cid = f"ok-{n}-{j}"
            good_ids.append(cid)
            lines.append(conv(cid, "fine", "good"))
        lines.append(bad[k][1])
        expected[len(lines)] = bad[k][0]
    path = write_jsonl(tmp_path / "fuzz.jsonl", lines)
    got_bad: dict[int, str] = {}
    got_good: list[str] = []
    for batch in iter_batches([path], 97):
        got_bad.update({q.line: q.reason for q in batch.quarantined})
        got_good.extend(t.id for t in batch.conversations)
    assert got_bad == expected
    assert got_good == good_ids


def _write_long_csv(path: Path, rows: list[tuple]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["conversation_id", "turn", "role", "content", "extra"])
        for r in rows:
            w.writerow([*r, "ignored"])
    return path


def test_long_form_csv_grouped_with_bad_rows(tmp_path: Path) -> None:
    rows = [("a", 1, "assistant", "hi"), ("a", 0, "user", "hello"),
            ("b", 0, "robot", "x"), ("b", 1, "user", "y"),
            ("c", 0, "user", 'multi\nline'), ("c", "one", "assistant", "z"),
            ("d", 0, "user", "ok")]
    path = _write_long_csv(tmp_path / "long.csv", rows)
    assert not needs_sort(path)
    items = [i for i, _ in iter_items([path], work_dir=tmp_path / "w")]
    good = [i for i in items if isinstance(i, Transcript)]
    bad = [i for i in items if isinstance(i, Quarantined)]
    assert [t.id for t in good] == ["a", "d"]
    assert [m.content for m in good[0].messages] == ["hello", "hi"]  # sorted by turn
    assert [(q.conversation_id, q.reason, q.line) for q in bad] == [
        ("b", "unknown_role", 4), ("c", "bad_turn", 8)]


def test_long_form_csv_resume_by_rows(tmp_path: Path) -> None:
    rows = [(f"c{i}", t, "user" if t % 2 == 0 else "assistant", f"m{t}")
            for i in range(5) for t in range(3)]
    path = _write_long_csv(tmp_path / "long.csv", rows)
    batches = list(iter_batches([path], 2))
    resumed = list(iter_batches([path], 2, start=batches[0].end))
    assert [t.id for b in resumed for t in b.conversations] == ["c2", "c3", "c4"]


def test_ungrouped_parquet_is_sorted_with_original_rows(tmp_path: Path) -> None:
    table = pa.table({"conversation_id": ["a", "b", "a", "b", "c"],
                      "turn": [0, 0, 1, 1, 0],
                      "role": ["user", "user", "assistant", "wizard", "user"],
                      "content": ["u", "v", "w", "x", "y"]})
    path = tmp_path / "long.parquet"
    pq.write_table(table, path)
    assert needs_sort(path)
    items = [i for i, _ in iter_items([path], work_dir=tmp_path / "w")]
    good = {i.id: i for i in items if isinstance(i, Transcript)}
    bad = [i for i in items if isinstance(i, Quarantined)]
    assert sorted(good) == ["a", "c"]
    assert [m.content for m in good["a"].messages] == ["u", "w"]
    assert [(q.conversation_id, q.reason, q.line) for q in bad] == [("b", "unknown_role", 4)]


def test_unsupported_extension_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("{}")
    with pytest.raises(ValueError, match="unsupported"):
        list(iter_items([path]))



def test_lone_surrogate_escape_is_invalid_utf8(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "s.jsonl", [
        rb'{"id": "s", "messages": [{"role": "user", "content": "a\udc80b"}]}',
        rb'{"id": "t", "messages": [{"role": "user", "content": "caf\u00e9"}]}',
    ])
    items = [i for i, _ in iter_items([path])]
    assert isinstance(items[0], Quarantined) and items[0].reason == "invalid_utf8"
    assert isinstance(items[1], Transcript) and items[1].messages[0].content == "café"


def test_ids_turns_and_field_maps_are_validated() -> None:
    from mhsafe.audit import FieldMap, InputError
    from mhsafe.audit._ingest_common import check_id, parse_turn

    assert check_id(5) == check_id("5") == "5"
    assert check_id(True) == ("bad_id", "bool")
    assert check_id("x" * 201) == ("id_too_long", "201 chars > 200")
    assert check_id("a\x00") == ("nul_byte", "in id")
    assert [parse_turn(v) for v in (3, 2.0, "4", " 5 ", "6.0", "-1")] == [3, 2, 4, 5, 6, -1]
    assert [parse_turn(v) for v in (1.5, "two", "", float("nan"), True, None)] == [None] * 6
    fields = FieldMap.from_options({"role": "speaker"}, {"Bot ": "assistant"})
    assert (fields.role, fields.content, fields.roles) == ("speaker", "content",
                                                           {"bot": "assistant"})
    with pytest.raises(InputError, match="unknown field"):
        FieldMap.from_options({"speaker": "x"}, {})
    with pytest.raises(InputError, match="targets must be"):
        FieldMap.from_options({}, {"bot": "robot"})


def test_jsonl_with_other_keys_and_role_words(tmp_path: Path) -> None:
    from mhsafe.audit import FieldMap

    path = write_jsonl(tmp_path / "x.jsonl", [
        {"session": 9, "turns": [{"who": "Human", "said": "hi"}, {"who": "bot", "said": "yo"}]}])
    fields = FieldMap.from_options(
        {"conversation_id": "session", "messages": "turns", "role": "who", "content": "said"},
        {"human": "user", "bot": "assistant"})
    (item, _), = list(iter_items([path], fields=fields))
    assert isinstance(item, Transcript) and item.id == "9"
    assert [(m.role, m.content) for m in item.messages] == [("user", "hi"), ("assistant", "yo")]
