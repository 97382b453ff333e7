"""Shared ingest types and per-message validation (JSONL and long form use the same rules)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mhsafe.audit._quarantine import Quarantined, QuarantineReason
from mhsafe.schema import Message, Transcript

_ROLES = {"user", "assistant", "system"}
_ROLE_ALIASES = {"developer": "system"}  # OpenAI's newer name for the system role
LONG_COLUMNS = ("conversation_id", "turn", "role", "content")


@dataclass(frozen=True, slots=True)
class IngestLimits:
    """Size limits. A 10 MB "message" is a paste or a bug, not a chat turn, and auditing it
    would stall the screen; a line longer than ``max_record_bytes`` is skipped without ever
    being held in memory whole."""

    max_message_bytes: int = 1_000_000
    max_record_bytes: int = 32_000_000


@dataclass(frozen=True, slots=True)
class Cursor:
    """How far the inputs were consumed: file number, position inside it, lines consumed.

    ``offset`` is a byte offset for JSONL and a count of data rows for CSV/Parquet; ``line`` is
    the number of physical lines consumed (for numbering quarantine entries after a resume).
    """

    file_index: int = 0
    offset: int = 0
    line: int = 0


Item = tuple[Transcript | Quarantined, Cursor]


@dataclass(slots=True)
class Batch:
    """Consecutive input records: the unit of work and of checkpointing."""

    index: int
    conversations: list[Transcript] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    end: Cursor = field(default_factory=Cursor)


def has_nul(value: str) -> bool:
    return "\x00" in value


def is_bad_utf8(value: str) -> bool:
    """Lone surrogates come from ``surrogateescape`` decoding of invalid UTF-8 bytes."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _content_text(content: Any) -> str | None:
    """OpenAI content is a string or a list of parts; only text parts are audited."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        if texts and all(isinstance(t, str) for t in texts):
            return "\n".join(t for t in texts if isinstance(t, str))
    return None


def check_message(
    role: Any, content: Any, limits: IngestLimits, check_utf8: bool = True
) -> tuple[QuarantineReason, str] | Message:
    """One turn, validated; returns the reason code instead when it cannot be audited."""
    if role is None or role == "":
        return ("missing_role", "")
    if not isinstance(role, str):
        return ("unknown_role", type(role).__name__)
    role = _ROLE_ALIASES.get(role, role)
    if role not in _ROLES:
        return ("unknown_role", role[:32])
    if content is None:
        return ("missing_content", "")
    text = _content_text(content)
    if text is None:
        return ("content_not_text", type(content).__name__)
    if has_nul(text):
        return ("nul_byte", "")
    if check_utf8 and is_bad_utf8(text):
        return ("invalid_utf8", "")
    size = len(text.encode("utf-8"))
    if size > limits.max_message_bytes:
        return ("message_too_large", f"{size} bytes")
    return Message.model_construct(role=role, content=text)
