"""Crisis mode per conversation: in memory, bounded, least-recently-used first out.

The proxy is stateless HTTP, but crisis mode must outlive one request: once someone has said
they have a plan, the next reply must not go back to small talk because the message that said
it scrolled out of the request. Conversations are keyed by the request's ``user`` field or
``metadata.conversation_id``, else by a hash of the system prompt and first user turn. A bounded
LRU keeps memory flat under any traffic; an evicted conversation is rebuilt from its history
(the guard re-screens earlier user turns when it has no state).

A state is stored under its conversation id *and the user turns it has seen*
(:func:`history_key`), so it is only reused for a request that continues exactly that history.
The same conversation therefore gets the same decision however often it is sent: a second
epoch of an evaluation, a client retry or an edited earlier turn never inherits the crisis mode
of a different history (it is rebuilt from the turns it carries).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mhsafe.schema import Message


@dataclass
class CrisisState:
    """One conversation's crisis mode: since which user turn, why, clear turns since."""

    active: bool = False
    since_turn: int | None = None
    reason: str | None = None
    clear_turns: int = 0


def conversation_id(
    messages: Sequence[Message], user: str | None, metadata: Mapping[str, Any] | None
) -> str:
    """The caller's id when given (``metadata.conversation_id``, then ``user``), else a hash.

    The hash covers the system prompt and the first user turn: two conversations that open
    with the same words under the same prompt share an id, which errs toward keeping a crisis
    mode rather than losing one.
    """
    given = (metadata or {}).get("conversation_id") or user
    if isinstance(given, str) and given.strip():
        return given.strip()[:200]
    system = next((m.content for m in messages if m.role == "system"), "")
    first = next((m.content for m in messages if m.role == "user"), "")
    digest = hashlib.sha256(f"{system}\x1f{first}".encode()).hexdigest()[:24]
    return f"h-{digest}"


def history_key(conversation: str, user_turns: Sequence[str]) -> str:
    """The key of the state after ``user_turns`` of ``conversation``."""
    digest = hashlib.sha256("\x1f".join([conversation, *user_turns]).encode()).hexdigest()
    return digest[:32]


class CrisisModes:
    """A bounded, thread-safe map conversation id -> :class:`CrisisState`."""

    def __init__(self, max_conversations: int = 10_000) -> None:
        self._max = max_conversations
        self._states: OrderedDict[str, CrisisState] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> CrisisState | None:
        """The state, or None when unknown (new, or evicted: the caller rebuilds it)."""
        with self._lock:
            state = self._states.get(key)
            if state is not None:
                self._states.move_to_end(key)
            return state

    def put(self, key: str, state: CrisisState) -> None:
        with self._lock:
            self._states[key] = state
            self._states.move_to_end(key)
            while len(self._states) > self._max:
                self._states.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._states)


__all__ = ["CrisisModes", "CrisisState", "conversation_id", "history_key"]
