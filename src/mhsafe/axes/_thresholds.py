"""Thresholds for the five axes, read from a YAML file a team keeps under review.

The packaged default (`axes/data/thresholds.yaml`) is a starting point, not a clinical
standard: a team sets its own limits and records why.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from mhsafe.axes._axis import Threshold


class Thresholds(BaseModel):
    """The whole file: a global unjudged limit and per-axis metric limits."""

    version: int = 1
    max_unjudged_share: float = 0.2
    axes: dict[str, dict[str, Threshold]] = Field(default_factory=dict)


def load_thresholds(path: str | Path | None = None) -> Thresholds:
    """Load a thresholds file (the packaged default when `path` is None)."""
    if path is None:
        text = resources.files("mhsafe.axes").joinpath("data/thresholds.yaml").read_text("utf-8")
        source = "packaged default"
    else:
        text = Path(path).read_text(encoding="utf-8")
        source = str(path)
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"{source}: thresholds file must be a mapping")
    return Thresholds.model_validate(data)
