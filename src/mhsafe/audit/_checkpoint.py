"""Resume after a crash: append-only part files plus an atomically replaced checkpoint.

Protocol, per batch: (1) append the batch's rows to every part file, (2) flush and fsync them,
(3) write ``checkpoint.json`` (temp file + fsync + ``os.replace``) recording the next batch
index, the input cursor after the batch, each part file's committed size and the running
tally. A SIGKILL can land anywhere: before (3) the checkpoint still names the previous sizes,
so ``--resume`` truncates the parts back to them and re-reads the input from the recorded
cursor -- the half-written batch is redone once, nothing is repeated or lost. The checkpoint
also pins the inputs (path, size, mtime) and the options that change findings, so a resume
against different data fails loudly instead of stitching two audits together.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, Field

from mhsafe.audit._estimates import Tally
from mhsafe.audit._ingest import Cursor
from mhsafe.audit._writer import PRIVATE_DIR, private_open

PARTS = ("findings", "quarantine", "flagged", "candidates")
CHECKPOINT_VERSION = 1


class ResumeError(RuntimeError):
    """The checkpoint cannot be resumed (different inputs or options)."""


class Checkpoint(BaseModel):
    """What has been committed."""

    version: int = CHECKPOINT_VERSION
    fingerprint: dict[str, Any]
    run_id: str | None = None
    next_batch: int = 0
    file_index: int = 0
    offset: int = 0
    line: int = 0
    part_sizes: dict[str, int] = Field(default_factory=lambda: dict.fromkeys(PARTS, 0))
    tally: Tally = Field(default_factory=Tally)
    finished: bool = False

    @property
    def cursor(self) -> Cursor:
        """Where reading resumes."""
        return Cursor(self.file_index, self.offset, self.line)


def input_fingerprint(paths: Sequence[Path], options: dict[str, Any]) -> dict[str, Any]:
    """Inputs (resolved path, size, mtime) and the finding-relevant options."""
    files = []
    for path in paths:
        stat = path.stat()
        files.append({"path": str(path.resolve()), "size": stat.st_size,
                      "mtime_ns": stat.st_mtime_ns})
    return {"files": files, "options": options}


def _fsync_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with private_open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class WorkDir:
    """``OUT/.work``: the part files and the checkpoint of one audit."""

    def __init__(self, out: Path) -> None:
        self.root = out / ".work"
        self.checkpoint_path = self.root / "checkpoint.json"
        self._handles: dict[str, IO[bytes]] = {}

    def part(self, name: str) -> Path:
        """Path of a part file (JSON lines)."""
        return self.root / f"{name}.part.jsonl"

    def load(self) -> Checkpoint | None:
        """The committed checkpoint, or None when there is none."""
        if not self.checkpoint_path.exists():
            return None
        return Checkpoint.model_validate_json(self.checkpoint_path.read_text(encoding="utf-8"))

    def start(self, fingerprint: dict[str, Any], *, resume: bool) -> Checkpoint:
        """Open for writing: a fresh work dir, or (``resume``) the committed state with every
        part truncated back to its committed size."""
        previous = self.load() if resume else None
        if previous is not None and previous.fingerprint != fingerprint:
            raise ResumeError(
                "inputs or options differ from the interrupted audit; rerun without --resume"
            )
        if previous is None:
            if self.root.exists():
                shutil.rmtree(self.root)
            self.root.mkdir(parents=True, mode=PRIVATE_DIR)
            previous = Checkpoint(fingerprint=fingerprint)
            for name in PARTS:
                private_open(self.part(name)).close()
            self.commit(previous)
        for name in PARTS:
            path = self.part(name)
            with path.open("ab") as fh:
                fh.truncate(previous.part_sizes.get(name, 0))
            self._handles[name] = private_open(path, "ab")
        return previous

    def append(self, name: str, rows: Iterable[dict[str, Any]]) -> None:
        """Append rows to a part (not committed until :meth:`commit`)."""
        handle = self._handles[name]
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")

    def commit(self, checkpoint: Checkpoint) -> None:
        """Make everything appended so far durable, then record it."""
        for name, handle in self._handles.items():
            handle.flush()
            os.fsync(handle.fileno())
            checkpoint.part_sizes[name] = handle.tell()
        _fsync_write(self.checkpoint_path, checkpoint.model_dump_json())

    def close(self) -> None:
        """Close the part files."""
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()

    def iter_part(self, name: str) -> Iterable[dict[str, Any]]:
        """Rows of a committed part file, streamed."""
        with self.part(name).open("rb") as fh:
            for raw in fh:
                if raw.strip():
                    yield json.loads(raw)
