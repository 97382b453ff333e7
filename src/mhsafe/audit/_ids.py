"""Conversation ids made unique across an audit, on disk, so memory stays flat.

Why: ids are the key of everything downstream -- findings, the review sampler, clinicians'
labels and the store's review queue, which keeps one item per (run, conversation). Two
conversations with one id (``5`` and ``"5"``, a log exported twice, two files both numbering
from 1) used to collapse into one review item, silently dropping flagged conversations. Here
the second and later holders of an id are renamed ``<id>#dup:<file>:<line>`` (the source
location, so the name is unique and traceable), counted, and warned about; a renamed id that
would no longer fit the store is quarantined instead (``duplicate_id``).

The registry is a SQLite file in the work dir. Each id is stored with the batch that claimed
it, and a resume first forgets the ids of batches after the checkpoint: those batches are read
again and must claim the same names. Renaming happens before the stages run, in input order,
so the names do not depend on the executor.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from mhsafe.audit._ingest_common import MAX_ID_CHARS, Batch
from mhsafe.audit._quarantine import Quarantined
from mhsafe.schema import Transcript

log = logging.getLogger(__name__)


class IdRegistry:
    """Ids claimed so far in this audit (``OUT/.work/ids.sqlite``)."""

    def __init__(self, path: Path, *, max_chars: int = MAX_ID_CHARS) -> None:
        self.max_chars = max_chars
        self._db = sqlite3.connect(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS ids (id TEXT PRIMARY KEY, batch INTEGER "
                         "NOT NULL, renamed INTEGER NOT NULL)")
        self._db.commit()
        path.chmod(0o600)

    def forget_from(self, batch: int) -> None:
        """Drop what batches ``batch`` and later claimed (they will be read again)."""
        self._db.execute("DELETE FROM ids WHERE batch >= ?", (batch,))
        self._db.commit()

    def renamed(self) -> int:
        """How many conversations were renamed so far."""
        row = self._db.execute("SELECT count(*) FROM ids WHERE renamed = 1").fetchone()
        return int(row[0])

    def _taken(self, ids: list[str]) -> set[str]:
        taken: set[str] = set()
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            marks = ",".join("?" * len(part))
            taken.update(r[0] for r in self._db.execute(
                f"SELECT id FROM ids WHERE id IN ({marks})", part))
        return taken

    def claim(self, batch: Batch) -> Batch:
        """The batch with every conversation's id unique in the audit so far."""
        taken = self._taken([t.id for t in batch.conversations])
        kept: list[Transcript] = []
        rows: list[tuple[str, int, int]] = []
        renamed = 0
        for t in batch.conversations:
            duplicate = t.id in taken
            if duplicate:
                cid = self._new_name(t, taken)
                if cid is None:
                    file, line = _location(t)
                    batch.quarantined.append(Quarantined(
                        file, line, "duplicate_id", "renamed id would exceed "
                        f"{self.max_chars} chars", None))
                    continue
                t = t.model_copy(update={"id": cid})
                renamed += 1
            taken.add(t.id)
            kept.append(t)
            rows.append((t.id, batch.index, int(duplicate)))
        self._db.executemany("INSERT OR REPLACE INTO ids VALUES (?, ?, ?)", rows)
        self._db.commit()
        if renamed:
            log.warning("batch %d: %d conversation id(s) already used; made unique "
                        "(<id>#dup:<file>:<line>)", batch.index, renamed)
        batch.conversations = kept
        return batch

    def _new_name(self, t: Transcript, taken: set[str]) -> str | None:
        file, line = _location(t)
        base = f"{t.id}#dup:{Path(file).name}:{line}"
        name, n = base, 1
        while name in taken or self._taken([name]):
            n += 1
            name = f"{base}.{n}"
        return name if len(name) <= self.max_chars else None

    def close(self) -> None:
        """Close the database."""
        self._db.close()


def _location(t: Transcript) -> tuple[str, int]:
    """(file, line) from the transcript's ``log:<file>:<line>`` source."""
    source = (t.source or "").removeprefix("log:")
    file, _, line = source.rpartition(":")
    return (file or source, int(line) if line.isdigit() else 0)


def unique_ids(batches: Iterator[Batch], registry: IdRegistry) -> Iterator[Batch]:
    """``batches`` with ids made unique, batch by batch, as they are read."""
    for batch in batches:
        yield registry.claim(batch)
