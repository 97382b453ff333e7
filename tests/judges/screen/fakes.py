"""A keyword encoder and a two-direction classifier: the cascade's logic without MiniLM.

Texts containing 'heavy' point in the risk direction, anything else in 'none'; the classifier
reads those two directions. Shared by the cascade and failure-class tests.
"""

from __future__ import annotations

import numpy as np

from mhsafe.judges.screen import Embedder, RiskClassifier

CLASSES = ["eating_disorder", "none", "nssi", "substance", "suicide"]


class FakeEmbedder(Embedder):
    """Maps texts containing 'heavy' to a risk direction and everything else to 'none'; records
    what it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:  # type: ignore[override]
        self.seen.extend(texts)
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i, 0 if "heavy" in t else 1] = 1.0
        return out


def keyword_classifier() -> RiskClassifier:
    """P(suicide) high on the risk direction, P(none) high on the other."""
    coef = np.zeros((5, 384), dtype=np.float32)
    coef[CLASSES.index("suicide"), 0] = 8.0
    coef[CLASSES.index("none"), 1] = 8.0
    return RiskClassifier({
        "coef": coef, "intercept": np.zeros(5), "classes": np.array(CLASSES),
        "acute_coef": np.zeros(384), "acute_intercept": np.array([-5.0]),
        "threshold": 0.5, "acute_threshold": 0.5,
    })
