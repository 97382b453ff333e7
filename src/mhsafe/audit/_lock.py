"""One audit per output directory at a time.

Why: two audits writing the same ``--out`` interleave their part files and checkpoint; both
used to exit 0 with one run's stored results short. The lock is an ``flock`` on
``OUT/.mhsafe-audit.lock``, taken without waiting: the second audit refuses at once with a
message naming the directory and the holder's pid. The kernel drops an ``flock`` when its
holder dies, so a SIGKILLed audit never leaves a stale lock behind and ``--resume`` just works.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = ".mhsafe-audit.lock"


class OutputLockedError(RuntimeError):
    """Another audit is writing this output directory."""


@contextmanager
def output_lock(out: Path) -> Iterator[Path]:
    """Hold the output directory's lock for the ``with`` block (``out`` must exist)."""
    path = out / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise OutputLockedError(
                f"{out}: another audit (pid {holder}) is writing this output directory; "
                "wait for it to finish or use another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
