"""Red team, finding 7 and issue 18 through the real command line (offline lexicon screen):
``--strict``, a loud first line about quarantine, exit status when nothing was audited or the
run was refused, and ``--fields``/``--roles`` for logs with other names -- where a disclosure
must never turn into ``no_risk`` because of a role word."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from mhsafe.audit._lock import output_lock
from mhsafe.cli import app
from tests.audit.fakes import conv, write_jsonl
from tests.red_team.helpers import read_jsonl

runner = CliRunner()
DISCLOSURE = "I want to kill myself tonight"
BASE = ["--no-store", "--no-embeddings"]


def _audit(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["audit", *args, *BASE])
    return result.exit_code, result.stdout


def test_strict_makes_a_quarantine_fail_and_the_first_line_counts_it(tmp_path: Path) -> None:
    logs = write_jsonl(tmp_path / "logs.jsonl", [conv("a", "hello", "hi"), "{broken"])
    code, stdout = _audit(str(logs), "--out", str(tmp_path / "lax"))
    assert code == 0
    first = stdout.splitlines()[0]
    assert first.startswith("quarantined 1 record(s), audited 1 -- NOT audited, see ")
    assert json.loads(stdout[stdout.index("{"):stdout.rindex("}") + 1])["quarantined"] == 1
    code, stdout = _audit(str(logs), "--out", str(tmp_path / "strict"), "--strict")
    assert code == 3
    clean = write_jsonl(tmp_path / "clean.jsonl", [conv("a", "hello", "hi")])
    code, stdout = _audit(str(clean), "--out", str(tmp_path / "clean"), "--strict")
    assert code == 0 and stdout.splitlines()[0] == "quarantined 0 record(s), audited 1"


def test_nothing_audited_is_not_success(tmp_path: Path) -> None:
    logs = write_jsonl(tmp_path / "logs.jsonl", ["{broken", "[1]"])
    code, _ = _audit(str(logs), "--out", str(tmp_path / "out"))
    assert code == 3
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    code, _ = _audit(str(empty), "--out", str(tmp_path / "out2"))
    assert code == 3


def test_refusals_exit_2_with_a_message(tmp_path: Path) -> None:
    logs = write_jsonl(tmp_path / "logs.jsonl", [conv("a", "hello", "hi")])
    folder = tmp_path / "folder"
    folder.mkdir()
    result = runner.invoke(app, ["audit", str(logs), str(folder), "--out",
                                 str(tmp_path / "o1"), *BASE])
    assert result.exit_code == 2 and "not a regular file" in result.output
    out = tmp_path / "o2"
    out.mkdir()
    with output_lock(out):
        result = runner.invoke(app, ["audit", str(logs), "--out", str(out), *BASE])
    assert result.exit_code == 2 and "another audit" in result.output
    result = runner.invoke(app, ["audit", str(logs), "--out", str(out), "--roles",
                                 "bot=robot", *BASE])
    assert result.exit_code == 2 and "--roles: targets must be" in result.output


def _statuses(out: Path) -> dict[str, str]:
    return {f["conversation_id"]: f["status"] for f in read_jsonl(out / "findings.jsonl")}


def test_fields_and_roles_for_csv_parquet_and_jsonl(tmp_path: Path) -> None:
    csv = tmp_path / "logs.csv"
    csv.write_text("session,idx,speaker,text\n"
                   f"s1,0,Human,{DISCLOSURE}\ns1,1,bot,ok\n"
                   "s2,0,human,what is the weather\ns2,1,bot,sunny\n", encoding="utf-8")
    parquet = tmp_path / "logs.parquet"
    pq.write_table(pa.table({"session": ["p1", "p1"], "idx": [0.0, 1.0],
                             "speaker": ["human", "bot"], "text": [DISCLOSURE, "ok"]}), parquet)
    jsonl = write_jsonl(tmp_path / "logs.jsonl", [
        {"session": "j1", "turns": [{"speaker": "human", "text": DISCLOSURE},
                                    {"speaker": "bot", "text": "ok"}]}])
    fields = "conversation_id=session,turn=idx,role=speaker,content=text,messages=turns"
    out = tmp_path / "out"
    code, stdout = _audit(str(csv), str(parquet), str(jsonl), "--out", str(out),
                          "--fields", fields, "--roles", "bot=assistant,human=user")
    assert code == 0, stdout
    statuses = _statuses(out)
    assert statuses["s2"] == "no_risk"
    assert {statuses["s1"], statuses["p1"], statuses["j1"]} == {"missed_intervention"}


def test_an_unknown_role_word_quarantines_never_clears(tmp_path: Path) -> None:
    csv = tmp_path / "logs.csv"
    csv.write_text("conversation_id,turn,role,content\n"
                   f"c1,0,customer,{DISCLOSURE}\nc1,1,assistant,ok\n"
                   "c2,0,user,hello\nc2,1,assistant,hi\n", encoding="utf-8")
    out = tmp_path / "out"
    code, _ = _audit(str(csv), "--out", str(out))
    assert code == 0
    assert _statuses(out) == {"c2": "no_risk"}
    assert read_jsonl(out / "quarantine.jsonl") == [
        {"file": str(csv), "line": 2, "reason": "unknown_role", "detail": "customer",
         "conversation_id": "c1"}]
    # Mapping the person's word to the assistant leaves no user turn: quarantined, not cleared.
    code, _ = _audit(str(csv), "--out", str(tmp_path / "wrong"), "--roles",
                          "customer=assistant")
    assert code == 0
    assert read_jsonl(tmp_path / "wrong" / "quarantine.jsonl")[0]["reason"] == "no_user_turn"
    assert "c1" not in _statuses(tmp_path / "wrong")
