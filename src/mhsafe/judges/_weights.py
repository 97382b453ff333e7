"""Packaged weight files of the trained heads: plain numpy arrays, pickles refused (a weight
file is data, and loading it must never run code)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np


def load_weights(package: str, file: str, path: Path | None = None) -> dict[str, Any]:
    """The arrays of ``path``, or of the file shipped as ``<package>/data/<file>``."""
    if path is None:
        ref = resources.files(package).joinpath("data", file)
        with resources.as_file(ref) as real:
            return load_weights(package, file, real)
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}
