"""Layer 5: every conversation through the proxy, in the audit's input format.

One JSONL line per answered turn: ``{"id", "messages", "metadata"}`` -- exactly what
``mhsafe audit`` reads -- with the messages as the user saw them (the delivered, checked reply,
not the model's draft) and the decisions by rule id in ``metadata.safeguard``. Text is redacted
with ``mhsafe.redact``, the audit's own (one implementation: the proxy's log and an audited log hide
the same things and keep the same crisis numbers). Because each request carries the whole
conversation so far, a conversation appears once per turn; :func:`compact_log` keeps only its
latest line (a line is dropped only when a later one continues it), which is what an audit of
the proxy's traffic should read.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mhsafe.redact import redact
from mhsafe.schema import Message

from ._decision import SafeguardDecision


class ConversationLog:
    """Append-only JSONL writer, safe to share between request handlers."""

    def __init__(self, path: str | Path, *, redact_text: bool = True) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.redact_text = redact_text
        self._lock = threading.Lock()

    def write(
        self,
        *,
        conversation_id: str,
        messages: Sequence[Message],
        reply: str | None,
        decisions: Sequence[SafeguardDecision],
        metadata: dict[str, Any],
    ) -> None:
        """One line: the conversation so far plus the delivered reply (None: no reply was
        delivered, e.g. the upstream failed; the record still shows the turn)."""
        shown = [*messages, Message(role="assistant", content=reply)] if reply is not None else [
            *messages
        ]
        record = {
            "id": conversation_id,
            "messages": [
                {"role": m.role, "content": redact(m.content) if self.redact_text else m.content}
                for m in shown
            ],
            "metadata": {
                **metadata,
                "redacted": self.redact_text,
                "logged_at": datetime.now(UTC).isoformat(),
                "safeguard": [d.model_dump() for d in decisions],
            },
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if line.strip():
                yield number, json.loads(line)


def _user_turns(record: dict[str, Any]) -> list[str]:
    messages = record.get("messages")
    if not isinstance(messages, list):
        return []
    return [str(m.get("content")) for m in messages
            if isinstance(m, dict) and m.get("role") in ("user", "system")]


def _prefix_digests(record: dict[str, Any]) -> list[str]:
    """Digests of the record's id with each prefix of its system and user turns (the last is
    the whole record's): a later line continues this one when its list holds this one's last
    digest. Assistant turns are left out because a client may resend a reply reformatted."""
    hashed = hashlib.sha256(str(record.get("id")).encode("utf-8", "surrogatepass"))
    out = []
    for text in _user_turns(record):
        hashed.update(b"\x1e" + text.encode("utf-8", "surrogatepass"))
        out.append(hashed.hexdigest()[:32])
    return out or [hashed.hexdigest()[:32]]


def compact_log(source: str | Path, target: str | Path) -> int:
    """Write only the latest line of each conversation (in order of last appearance);
    returns how many conversations were written.

    A line is dropped only when a later line of the same id *continues* it (its system and
    user turns begin with this line's): two conversations that share an id -- two people who
    opened with the same words under an anonymous hash id -- are both kept. Two passes: memory
    holds digests, not text."""
    continued: set[str] = set()
    last: dict[str, int] = {}
    for number, record in _records(Path(source)):
        digests = _prefix_digests(record)
        continued.update(digests[:-1])
        last[digests[-1]] = number
    keep = {number for digest, number in last.items() if digest not in continued}
    written = 0
    with Path(target).open("w", encoding="utf-8") as out:
        for number, record in _records(Path(source)):
            if number in keep:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                written += 1
    return written


__all__ = ["ConversationLog", "compact_log"]
