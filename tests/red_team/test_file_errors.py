"""Red team, issue 19 (medium and low): `eval --dataset` and `mhsafe judge` refuse a file that
cannot be read as a whole with one paragraph and exit 2 -- missing, empty, a broken
`datasets` folder, invalid UTF-8, UTF-16, JSON nested too deep -- while a line nested too
deep quarantines that line only; `mhsafe judge` splits lines on ``\\n`` only; and `audit`
that audited nothing does not exit 0. Everything runs through the real CLI where the error
comes before any model call, and through the readers where a model would be needed."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
import pytest
from typer.testing import CliRunner

from mhsafe.cli import app
from mhsafe.judges.clinical import GradeInputError, grade_lines, read_records
from mhsafe.suites import load_dataset_file

DEEP = b"[" * 200_000 + b"]" * 200_000  # deeper than Python's recursion limit
RECORD = {"id": "a", "messages": [{"role": "user", "content": "hello"}], "response": "hi"}


@pytest.fixture(autouse=True)
def _bare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MHSAFE_PROJECT", raising=False)


def _refused(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    message = result.output.strip()
    assert message.startswith("error: ") and "\n" not in message, message
    return message


def _eval(path: Path) -> str:
    return _refused("eval", "custom", "--dataset", str(path), "--db", "sqlite:///m.db")


def _folder(folder: Path, *, state: str | None = None, shard: bytes | None = None) -> Path:
    """A `save_to_disk` folder; ``state``/``shard`` replace the good state file or shard."""
    folder.mkdir()
    table = pa.Table.from_pylist([{"prompt": "hello"}])
    shard_path = folder / "data-00000-of-00001.arrow"
    with ipc.new_stream(str(shard_path), table.schema) as writer:
        writer.write_table(table)
    if shard is not None:
        shard_path.write_bytes(shard)
    good = json.dumps({"_data_files": [{"filename": shard_path.name}]})
    (folder / "state.json").write_text(good if state is None else state, encoding="utf-8")
    return folder


def test_eval_dataset_file_level_problems(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    assert _eval(tmp_path / "empty.csv") == "error: empty.csv: empty (no rows to evaluate)"
    (tmp_path / "header.csv").write_text("prompt\n", encoding="utf-8")
    assert _eval(tmp_path / "header.csv") == "error: header.csv: empty (no rows to evaluate)"
    (tmp_path / "blank.jsonl").write_text("\n\n  \n", encoding="utf-8")
    assert _eval(tmp_path / "blank.jsonl") == "error: blank.jsonl: empty (no rows to evaluate)"
    (tmp_path / "latin1.csv").write_bytes("prompt\nhello\ncaf\u00e9\n".encode("latin-1"))
    assert _eval(tmp_path / "latin1.csv").startswith(
        "error: latin1.csv line 3: not valid utf-8-sig text (invalid continuation byte)")
    (tmp_path / "deep.json").write_bytes(DEEP)
    assert _eval(tmp_path / "deep.json") == (
        "error: deep.json: invalid JSON (nested too deep to parse)")
    assert _eval(tmp_path / "missing.csv") == (
        f"error: {tmp_path / 'missing.csv'}: no such file or folder")


@pytest.mark.parametrize(("encoding", "named"), [
    ("utf-16", "UTF-16-LE"), ("utf-16-be", "UTF-16 or UTF-32 (no byte-order mark)"),
    ("utf-32", "UTF-32-LE")])
def test_eval_dataset_in_utf16_or_utf32_is_named(
    tmp_path: Path, encoding: str, named: str
) -> None:
    path = tmp_path / "set.csv"
    path.write_bytes("prompt\nhello\n".encode(encoding))
    assert _eval(path) == f"error: set.csv line 1: text is {named}; re-save it as UTF-8"


def test_eval_dataset_broken_datasets_folders(tmp_path: Path) -> None:
    assert _eval(_folder(tmp_path / "bad_state", state="{not json")) == (
        "error: bad_state/state.json: broken state file (JSONDecodeError); not a complete "
        "datasets save_to_disk folder?")
    assert _eval(_folder(tmp_path / "no_files", state='{"_data_files": 3}')) == (
        "error: no_files/state.json: no list of data files")
    gone = json.dumps({"_data_files": [{"filename": "data-00009-of-00010.arrow"}]})
    assert _eval(_folder(tmp_path / "gone", state=gone)) == (
        "error: gone: data files listed but missing: ['data-00009-of-00010.arrow']")
    corrupt = _eval(_folder(tmp_path / "corrupt", shard=b"not arrow at all"))
    assert corrupt.startswith("error: corrupt: unreadable data file (")
    split = _folder(tmp_path / "dd")
    (split / "dataset_dict.json").write_text('{"splits": []}', encoding="utf-8")
    assert _eval(split) == "error: dd/dataset_dict.json: no list of splits"
    (split / "dataset_dict.json").write_bytes(b"\xff\xfe{")
    assert _eval(split).startswith("error: dd/dataset_dict.json: broken split list")
    (tmp_path / "plain").mkdir()
    assert _eval(tmp_path / "plain") == (
        "error: plain: no data-*.arrow files; not a save_to_disk folder?")


def test_eval_dataset_with_every_row_quarantined_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_bytes(b'{"prompt": ""}\n' + DEEP + b"\n")
    result = CliRunner().invoke(app, ["eval", "custom", "--dataset", str(path),
                                      "--db", "sqlite:///m.db"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.strip().splitlines()[-1] == (
        f"error: {path}: no row could be loaded (2 quarantined, listed above)")


def test_a_line_nested_too_deep_quarantines_that_line_only(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_bytes(b'{"prompt": "first"}\n' + DEEP + b'\n{"prompt": "third"}\n')
    loaded = load_dataset_file(path)
    assert [c.turns for c in loaded.cases] == [["first"], ["third"]]
    assert [(q.where, q.reason) for q in loaded.quarantined] == [
        ("line 2", "invalid JSON (nested too deep to parse)")]


def test_a_recursion_error_while_converting_a_row_quarantines_that_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mhsafe.suites._loaders as loaders

    real = loaders._row_to_case

    def deep_on_boom(row: dict[str, object], *args: object, **kwargs: object) -> object:
        if row.get("prompt") == "boom":
            raise RecursionError("maximum recursion depth exceeded")
        return real(row, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loaders, "_row_to_case", deep_on_boom)
    path = tmp_path / "set.jsonl"
    path.write_text('{"prompt": "one"}\n{"prompt": "boom"}\n{"prompt": "three"}\n',
                    encoding="utf-8")
    loaded = load_dataset_file(path)
    assert [c.turns for c in loaded.cases] == [["one"], ["three"]]
    assert [(q.where, q.reason) for q in loaded.quarantined] == [
        ("line 2", "a value is nested too deep to read")]


def test_judge_file_level_problems(tmp_path: Path) -> None:
    def judge(path: Path) -> str:
        return _refused("judge", str(path), "--out", str(tmp_path / "out.jsonl"))

    (tmp_path / "empty.jsonl").write_bytes(b"\xef\xbb\xbf\n \n")
    assert judge(tmp_path / "empty.jsonl") == (
        f"error: {tmp_path / 'empty.jsonl'}: empty (no lines to grade); one JSON object a "
        "line with id, messages and response")
    (tmp_path / "u16.jsonl").write_bytes((json.dumps(RECORD) + "\n").encode("utf-16"))
    assert judge(tmp_path / "u16.jsonl") == (
        f"error: {tmp_path / 'u16.jsonl'} line 1: text is UTF-16-LE; re-save it as UTF-8")
    (tmp_path / "cp1252.jsonl").write_bytes(b'{"id": "caf\xe9"}\n{"id": "\xe0"}\n')
    assert judge(tmp_path / "cp1252.jsonl") == (
        f"error: {tmp_path / 'cp1252.jsonl'}: not UTF-8 text on any line; re-save it as UTF-8")
    assert not (tmp_path / "out.jsonl").exists()


def test_judge_quarantines_a_deep_line_and_splits_on_newline_only(tmp_path: Path) -> None:
    tricky = dict(RECORD, id="b", response="a\u2028b\x85c\x0cd")  # raw in the JSON string
    path = tmp_path / "replies.jsonl"
    path.write_bytes(json.dumps(RECORD).encode() + b"\n" + DEEP + b"\n"
                     + json.dumps(tricky, ensure_ascii=False).encode() + b"\n")
    rows = read_records(grade_lines(path), str(path))
    assert [(rid, err) for rid, _, err in rows] == [
        ("a", None), ("line-2", "line 2: quarantined: invalid_json (too deep)"), ("b", None)]
    third = rows[2][1]
    assert third is not None and third.response == "a\u2028b\x85c\x0cd"
    with pytest.raises(GradeInputError, match="empty"):
        grade_lines(_empty(tmp_path))


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "nothing.jsonl"
    path.write_bytes(b"")
    return path


def test_audit_that_audited_nothing_exits_non_zero(tmp_path: Path) -> None:
    logs = tmp_path / "logs.jsonl"
    logs.write_bytes(b'{"id": "a", "messages": [{"role": "user", "content": "caf\xe9"}]}\n'
                     + DEEP + b"\n")
    result = CliRunner().invoke(app, ["audit", str(logs), "--out", str(tmp_path / "out"),
                                      "--no-store", "--no-embeddings"])
    assert result.exit_code == 3, result.output
    assert result.stdout.splitlines()[0].startswith("quarantined 2 record(s), audited 0")
    assert result.stderr.strip().splitlines()[-1] == "error: nothing was audited"
