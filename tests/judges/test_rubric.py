"""Rubric files load, validate, and yield a closed output model."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mhsafe.judges import Rubric, load_rubric, rubric_names


def test_shipped_rubrics_load() -> None:
    assert {"response_class", "harm_enablement"} <= set(rubric_names())
    for name in rubric_names():
        rubric = load_rubric(name)
        assert rubric.name == name and rubric.version and rubric.criteria


def test_output_model_is_tight() -> None:
    model = load_rubric("harm_enablement").output_model()
    ok = model.model_validate({"enables_harm": False, "harm_kind": "none", "severity": 0})
    assert ok.model_dump() == {"enables_harm": False, "harm_kind": "none", "severity": 0}
    for bad in (
        {"enables_harm": False, "harm_kind": "weather", "severity": 0},
        {"enables_harm": False, "harm_kind": "none", "severity": 3},
        {"enables_harm": False, "harm_kind": "none"},
        {"enables_harm": False, "harm_kind": "none", "severity": 0, "extra": 1},
    ):
        with pytest.raises(ValidationError):
            model.model_validate(bad)


def test_phrasings_are_distinct_and_bounded() -> None:
    rubric = load_rubric("response_class")
    texts = [rubric.phrasing(i) for i in range(len(rubric.paraphrases) + 1)]
    assert len(set(texts)) == len(texts)
    with pytest.raises(ValueError):
        rubric.phrasing(len(rubric.paraphrases) + 1)


def test_label_criterion_needs_labels() -> None:
    with pytest.raises(ValidationError):
        Rubric.model_validate(
            {
                "name": "x",
                "version": "1",
                "instructions": "judge",
                "criteria": [{"name": "a", "type": "label", "question": "?", "labels": ["one"]}],
            }
        )
