"""The one OpenAI-message adapter (mhsafe.openai_chat), and its three callers agreeing on it:
the audit's ``parse_record``, ``mhsafe judge``'s reader and the proxy's ``parse_messages``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mhsafe.audit import IngestLimits, Quarantined, parse_record
from mhsafe.judges.clinical._grade import read_records
from mhsafe.openai_chat import ChatLine, RejectedLine, read_line, read_message
from mhsafe.safeguard import BadRequest, parse_messages
from mhsafe.schema import Message

DISCLOSURE = "I have decided to end my life tonight."

#: messages -> the roles and texts all three callers must read, or the reason all refuse
CASES: list[tuple[list[dict[str, Any]], list[tuple[str, str]] | str]] = [
    ([{"role": "User", "content": DISCLOSURE}], [("user", DISCLOSURE)]),
    ([{"role": " ASSISTANT ", "content": "hi"}, {"role": "user", "content": "x"}],
     [("assistant", "hi"), ("user", "x")]),
    ([{"role": "developer", "content": "be kind"}, {"role": "user", "content": "x"}],
     [("system", "be kind"), ("user", "x")]),
    ([{"role": "user", "content": [{"type": "input_text", "text": DISCLOSURE}]}],
     [("user", DISCLOSURE)]),
    ([{"role": "user", "content": [{"type": "text", "text": "a"},
                                   {"type": "image_url", "image_url": {"url": "data:,"}},
                                   {"type": "output_text", "text": "b"}]}],
     [("user", "a\nb")]),
    ([{"role": "user", "content": "x"}, {"role": "tool", "content": DISCLOSURE}],
     "unknown_role"),
    ([{"content": DISCLOSURE}], "missing_role"),
    ([{"role": "user", "content": None}], "missing_content"),
    ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:,"}}]}],
     "content_not_text"),
    ([{"role": "user", "content": [{"type": "text", "text": 5}]}], "content_not_text"),
    ([], "empty_conversation"),
]


@pytest.mark.parametrize(("messages", "expected"), CASES)
def test_audit_judge_and_proxy_read_messages_alike(
    messages: list[dict[str, Any]], expected: list[tuple[str, str]] | str
) -> None:
    line = json.dumps({"id": "c1", "messages": messages, "response": "ok"}).encode()
    audited = parse_record(line, "f.jsonl", 1, IngestLimits())
    [(_, graded, error)] = read_records([line])
    try:
        proxied: list[Message] | str = parse_messages(messages)
    except BadRequest as exc:
        proxied = str(exc)
    if isinstance(expected, str):
        assert isinstance(audited, Quarantined) and audited.reason == expected
        assert graded is None and error is not None and f"quarantined: {expected}" in error
        assert isinstance(proxied, str) and expected in proxied
        return
    assert not isinstance(audited, Quarantined)
    assert graded is not None and error is None
    assert isinstance(proxied, list)
    for read in (audited.messages, graded.messages, proxied):
        assert [(m.role, m.content) for m in read] == expected


def test_read_message_checks_text_and_size() -> None:
    assert read_message("user", "a\x00b") == ("nul_byte", "")
    assert read_message("user", "\ud800") == ("invalid_utf8", "")
    assert read_message("user", "x" * 11, max_bytes=10) == ("message_too_large", "11 bytes")
    assert read_message(7, "x") == ("unknown_role", "int")
    assert read_message("Tool ", "x") == ("unknown_role", "Tool")
    mapped = read_message("patient", "x", roles={"patient": "user"})
    assert isinstance(mapped, Message) and mapped.role == "user"


def test_read_line_reports_problems_without_text() -> None:
    assert read_line(b"[1]") == RejectedLine("not_an_object", "list")
    deep = b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert read_line(deep) == RejectedLine("invalid_json", "too deep")
    assert read_line(b'{"id": true, "messages": []}') == RejectedLine("bad_id", "bool")
    no_user = read_line(b'{"id": 5, "messages": [{"role": "assistant", "content": "x"}]}')
    assert no_user == RejectedLine("no_user_turn", "", "5", id_read=True)
    ok = read_line(b'{"conversation_id": 5, "messages": [{"role": "user", "content": "x"}]}')
    assert isinstance(ok, ChatLine) and ok.conversation_id == "5"
