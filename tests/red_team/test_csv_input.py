"""Red team, findings 1 and 5: long-form CSV read strictly, conversations kept whole.

1. An unterminated quote used to swallow the rest of the file into one field ("audited 2,
   quarantined 0" for four conversations; a disclosure's text went to the review queue inside
   another record). Now the record is quarantined at its line and reading resumes on the next.
5. Rows of one conversation that are not consecutive were merged or split, and one short row
   made the grouping check give up and stream the file as it was.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mhsafe.audit import AuditOptions, InputError, Quarantined, iter_items
from mhsafe.schema import Transcript
from tests.red_team.helpers import audit, read_jsonl, write_csv

HEADER = "conversation_id,turn,role,content\n"


def _summary(out: Path) -> dict[str, object]:
    return json.loads((out / "summary.json").read_text())  # type: ignore[no-any-return]


def test_unterminated_quote_at_end_of_file_is_quarantined_and_the_rest_is_read(
    tmp_path: Path,
) -> None:
    logs = write_csv(tmp_path / "logs.csv", HEADER + (
        "a,0,user,hello\n"
        "a,1,assistant,hi\n"
        'b,0,user,"I want to end it all\n'
        "b,1,assistant,ok\n"
        "c,0,user,RISK I have pills saved up\n"
        "c,1,assistant,hmm\n"
        "d,0,user,fine\n"
        "d,1,assistant,good\n"))
    out = tmp_path / "out"
    audit([logs], out)
    s = _summary(out)
    assert s["conversations_audited"] == 3
    assert s["conversations_quarantined"] == 1
    assert read_jsonl(out / "quarantine.jsonl") == [
        {"file": str(logs), "line": 4, "reason": "unterminated_quote",
         "detail": "quote still open at end of file", "conversation_id": "b"}]
    findings = {f["conversation_id"]: f for f in read_jsonl(out / "findings.jsonl")}
    assert sorted(findings) == ["a", "c", "d"]
    assert findings["c"]["status"] == "missed_intervention"
    queue = read_jsonl(out / "review_queue.jsonl")
    flagged = [q for q in queue if q["reason"] == "flagged"]
    assert [q["conversation_id"] for q in flagged] == ["c"]
    # No record carries another's text: c's disclosure is in c's item only, b's nowhere.
    assert [m["content"] for m in flagged[0]["messages"]] == ["RISK I have pills saved up", "hmm"]
    assert "end it all" not in (out / "review_queue.jsonl").read_text()


def test_a_quote_closed_by_a_later_row_is_not_a_record(tmp_path: Path) -> None:
    # The open quote on line 3 is "closed" at the end of line 5: csv alone would read lines
    # 3-5 as one valid row of b, silently eating c's disclosure.
    logs = write_csv(tmp_path / "logs.csv", HEADER + (
        "a,0,user,hello\n"
        'b,0,user,"I feel awful\n'
        "c,0,user,RISK tonight is the night\n"
        'c,1,assistant,take care"\n'
        "b,1,assistant,sorry\n"))
    items = list(iter_items([logs]))
    got = [(type(i).__name__, getattr(i, "id", None) or getattr(i, "conversation_id", None),
            getattr(i, "reason", None), getattr(i, "line", None)) for i, _ in items]
    assert ("Quarantined", "b", "unterminated_quote", 3) in got
    c = next(i for i, _ in items if isinstance(i, Transcript) and i.id == "c")
    assert [m.content for m in c.messages] == ["RISK tonight is the night", 'take care"']
    assert sum(1 for g in got if g[0] == "Transcript") == 2  # a and c


def test_legitimate_multiline_quoted_content_is_kept(tmp_path: Path) -> None:
    logs = write_csv(tmp_path / "logs.csv", HEADER + (
        'a,0,user,"line one\nline two, with a comma\n""quoted"" three"\n'
        "a,1,assistant,ok\n"))
    (item, _), = list(iter_items([logs]))
    assert isinstance(item, Transcript)
    assert item.messages[0].content == 'line one\nline two, with a comma\n"quoted" three'


def test_rows_of_the_wrong_width_are_quarantined_with_their_line(tmp_path: Path) -> None:
    logs = write_csv(tmp_path / "logs.csv", HEADER + (
        "a,0,user,hello\n"
        "a,1,assistant\n"           # short: 3 fields
        "b,0,user,hi,extra\n"       # long: 5 fields
        "c,0,user,fine\n"))
    items = [i for i, _ in iter_items([logs])]
    bad = [(q.conversation_id, q.reason, q.line, q.detail) for q in items
           if isinstance(q, Quarantined)]
    assert bad == [("a", "bad_csv_row", 3, "3 fields, header has 4"),
                   ("b", "bad_csv_row", 4, "5 fields, header has 4")]
    assert [t.id for t in items if isinstance(t, Transcript)] == ["c"]


def test_ungrouped_rows_with_a_short_row_are_still_grouped(tmp_path: Path) -> None:
    # Finding 5: a's rows are not consecutive, and a short row made DuckDB's CSV check fail,
    # so the file used to be streamed as it was: a split in two halves, each audited alone.
    logs = write_csv(tmp_path / "logs.csv", HEADER + (
        "a,0,user,RISK ACUTE I took the pills\n"
        "b,0,user,hello\n"
        "a,1,assistant,SUPPORT call 988 now\n"
        "b,1,assistant,hi\n"
        "c,0,user\n"))
    out = tmp_path / "out"
    audit([logs], out)
    findings = {f["conversation_id"]: f for f in read_jsonl(out / "findings.jsonl")}
    assert sorted(findings) == ["a", "b"]
    assert findings["a"]["status"] == "ok"
    assert findings["a"]["intervention_turn"] == 1
    assert findings["a"]["source"] == f"log:{logs}:2"
    assert read_jsonl(out / "quarantine.jsonl") == [
        {"file": str(logs), "line": 6, "reason": "bad_csv_row",
         "detail": "3 fields, header has 4", "conversation_id": "c"}]


def test_interleaved_conversations_are_never_audited_in_halves(tmp_path: Path) -> None:
    rows = [f"c{i % 7},{i // 7},{'user' if (i // 7) % 2 == 0 else 'assistant'},m{i}\n"
            for i in range(70)]
    logs = write_csv(tmp_path / "logs.csv", HEADER + "".join(rows))
    items = [i for i, _ in iter_items([logs])]
    assert sorted(t.id for t in items if isinstance(t, Transcript)) == [f"c{i}" for i in range(7)]
    assert all(len(t.messages) == 10 for t in items if isinstance(t, Transcript))


def test_rows_read_must_equal_rows_accounted_for(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """If a row went missing between reading and grouping (a bug, a short sort), the file is
    an error, not a smaller audit."""
    import mhsafe.audit._longform as longform

    logs = write_csv(tmp_path / "logs.csv", HEADER + "a,0,user,x\nb,0,user,y\nc,0,user,z\n")
    real = longform._rows

    def drop_one(src: object, start: object):  # type: ignore[no-untyped-def]
        rows = list(real(src, start))  # type: ignore[arg-type]
        return iter(rows[:1] + rows[2:])

    monkeypatch.setattr(longform, "_rows", drop_one)
    with pytest.raises(InputError, match="3 rows read but 2 accounted for"):
        list(iter_items([logs]))


def test_a_resumed_csv_audit_matches_an_uninterrupted_one(tmp_path: Path) -> None:
    text = HEADER + "".join(
        f"c{i % 5},{i // 5},{'user' if (i // 5) % 2 == 0 else 'assistant'},"
        + ('"two\nlines"' if i == 12 else f"m{i}") + "\n" for i in range(40))
    logs = write_csv(tmp_path / "logs.csv", text)
    whole = [i for i, _ in iter_items([logs])]
    cursors = [c for _, c in iter_items([logs])]
    resumed = [i for i, _ in iter_items([logs], start=cursors[1])]
    assert [t.id for t in resumed] == [t.id for t in whole[2:]]  # type: ignore[union-attr]


def test_options_fields_and_roles_reach_long_form(tmp_path: Path) -> None:
    logs = write_csv(tmp_path / "logs.csv", "session,idx,speaker,text\n"
                     "s1,0,Human,RISK I want to die\ns1,1,bot,SUPPORT call 988\n")
    out = tmp_path / "out"
    audit([logs], out, options=AuditOptions(
        fields={"conversation_id": "session", "turn": "idx", "role": "speaker",
                "content": "text"}, roles={"human": "user", "bot": "assistant"}))
    (finding,) = read_jsonl(out / "findings.jsonl")
    assert (finding["conversation_id"], finding["status"]) == ("s1", "ok")
