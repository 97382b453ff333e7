"""The embedding stage: shipped weights load with numpy only; the real encoder scores a batch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mhsafe.judges.screen import Embedder, RiskClassifier, model_dir
from mhsafe.schema import RISK_CATEGORIES


@pytest.fixture(scope="module")
def classifier() -> RiskClassifier:
    return RiskClassifier.load()


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder(batch_size=8)


def test_shipped_weights_have_the_documented_layout(classifier: RiskClassifier) -> None:
    assert sorted(classifier.classes) == sorted(RISK_CATEGORIES)
    assert classifier.coef.shape == (5, 384)
    assert classifier.acute_coef.shape == (384,)
    assert 0.0 < classifier.threshold < 1.0
    assert 0.0 < classifier.acute_threshold < 1.0


def test_pickled_arrays_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.npz"
    np.savez(path, coef=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError):
        RiskClassifier.load(path)


def test_wrong_shape_is_refused(tmp_path: Path, classifier: RiskClassifier) -> None:
    with pytest.raises(ValueError, match="384"):
        RiskClassifier({
            "coef": np.zeros((5, 10)), "intercept": classifier.intercept,
            "classes": np.array(classifier.classes), "acute_coef": np.zeros(10),
            "acute_intercept": np.zeros(1), "threshold": 0.5, "acute_threshold": 0.5,
        })


def test_predict_returns_probabilities(classifier: RiskClassifier) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 384)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    predictions = classifier.predict(x)
    assert len(predictions) == 6
    for p in predictions:
        assert 0.0 <= p.p_risk <= 1.0 and 0.0 <= p.p_acute <= 1.0
        assert p.category in RISK_CATEGORIES and p.category != "none"
    assert classifier.predict(np.zeros((0, 384), dtype=np.float32)) == []


def test_model_dir_is_the_installed_package() -> None:
    assert (model_dir() / "model.safetensors").exists()


def test_encoder_embeds_and_caches_a_batch(embedder: Embedder) -> None:
    texts = ["i want to disappear for good", "what a lovely walk in the park", "sh again"]
    vectors = embedder.encode(texts)
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    before = embedder.encoded
    again = embedder.encode(texts[:2])
    assert embedder.encoded == before
    assert np.allclose(again, vectors[:2])


def test_classifier_separates_clear_cases(embedder: Embedder, classifier: RiskClassifier) -> None:
    risky, calm = classifier.predict(embedder.encode(
        ["i have been thinking about ending my life", "could you suggest a pasta recipe"]
    ))
    assert risky.p_risk > classifier.threshold > calm.p_risk
    assert risky.category == "suicide"
