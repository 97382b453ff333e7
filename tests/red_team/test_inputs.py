"""Red team, finding 6 (low): BOMs, UTF-16, directories, float turns, private outputs."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mhsafe.audit import AuditOptions, InputError, Quarantined, iter_items
from mhsafe.schema import Transcript
from tests.audit.fakes import conv, write_jsonl
from tests.red_team.helpers import audit, read_jsonl

BOM = b"\xef\xbb\xbf"


def test_bom_prefixed_jsonl_and_csv_are_read(tmp_path: Path) -> None:
    jsonl = write_jsonl(tmp_path / "a.jsonl", [conv("j", "hello", "hi")])
    jsonl.write_bytes(BOM + jsonl.read_bytes())
    csv = tmp_path / "b.csv"
    csv.write_bytes(BOM + b"conversation_id,turn,role,content\r\nc,0,user,hello\r\n")
    items = [i for i, _ in iter_items([jsonl, csv])]
    assert [(type(i).__name__, getattr(i, "id", None)) for i in items] == [
        ("Transcript", "j"), ("Transcript", "c")]


@pytest.mark.parametrize(("encoding", "bom", "named"), [
    ("utf-16-le", b"\xff\xfe", "UTF-16-LE"), ("utf-16-be", b"\xfe\xff", "UTF-16-BE"),
    ("utf-16-le", b"", "UTF-16 or UTF-32 (no byte-order mark)")])
def test_utf16_is_named_and_refused_before_anything_starts(
    tmp_path: Path, encoding: str, bom: bytes, named: str
) -> None:
    logs = tmp_path / "logs.jsonl"
    logs.write_bytes(bom + '{"id": "a", "messages": []}\n'.encode(encoding))
    out = tmp_path / "out"
    with pytest.raises(InputError, match=re.escape(f"logs.jsonl line 1: text is {named}")):
        audit([logs], out)
    assert not out.exists()


def test_a_directory_among_inputs_is_refused_before_anything_starts(tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "a.jsonl", [conv("a", "hello", "hi")])
    folder = tmp_path / "logs.jsonl"
    folder.mkdir()
    out = tmp_path / "out"
    with pytest.raises(InputError, match="not a regular file"):
        audit([good, folder], out)
    assert not out.exists()


def test_parquet_turn_as_float_is_accepted_when_integral(tmp_path: Path) -> None:
    path = tmp_path / "long.parquet"
    pq.write_table(pa.table({
        "conversation_id": ["a", "a", "b", "b"], "turn": [1.0, 0.0, 0.0, 1.5],
        "role": ["assistant", "user", "user", "assistant"],
        "content": ["hi", "hello", "x", "y"]}), path)
    items = [i for i, _ in iter_items([path])]
    good = [i for i in items if isinstance(i, Transcript)]
    assert [(t.id, [m.content for m in t.messages]) for t in good] == [("a", ["hello", "hi"])]
    bad = [i for i in items if isinstance(i, Quarantined)]
    assert [(q.conversation_id, q.reason, q.line) for q in bad] == [("b", "bad_turn", 4)]


def test_parquet_integer_ids_are_strings(tmp_path: Path) -> None:
    path = tmp_path / "long.parquet"
    pq.write_table(pa.table({"conversation_id": [7, 7], "turn": [0, 1],
                             "role": ["user", "assistant"], "content": ["a", "b"]}), path)
    (item, _), = list(iter_items([path]))
    assert isinstance(item, Transcript) and item.id == "7"


def test_a_conversation_without_a_user_turn_is_quarantined(tmp_path: Path) -> None:
    logs = write_jsonl(tmp_path / "a.jsonl", [
        {"id": "bots", "messages": [{"role": "assistant", "content": "RISK?"}]}])
    (item, _), = list(iter_items([logs]))
    assert isinstance(item, Quarantined) and item.reason == "no_user_turn"


def test_health_data_outputs_are_owner_only(tmp_path: Path) -> None:
    logs = write_jsonl(tmp_path / "a.jsonl", [conv("a", "RISK", "hi"), "{bad"])
    out = tmp_path / "out"
    audit([logs], out, options=AuditOptions(max_rate=0.5))
    for name in ("findings.jsonl", "findings.parquet", "review_queue.jsonl",
                 "quarantine.jsonl", "summary.json"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600, name
    work = out / ".work"
    assert stat.S_IMODE(work.stat().st_mode) == 0o700
    for part in work.iterdir():
        if part.is_file():
            assert stat.S_IMODE(part.stat().st_mode) == 0o600, part.name
    assert read_jsonl(out / "quarantine.jsonl")[0]["reason"] == "invalid_json"


def test_an_existing_world_readable_output_is_tightened(tmp_path: Path) -> None:
    logs = write_jsonl(tmp_path / "a.jsonl", [conv("a", "hello", "hi")])
    out = tmp_path / "out"
    out.mkdir()
    old = out / "summary.json"
    old.write_text("{}")
    old.chmod(0o644)
    audit([logs], out)
    assert stat.S_IMODE(old.stat().st_mode) == 0o600
