"""`mhsafe eval --resume`: what the stored run decides, what today's flags may still fill, and
that what a run stores is exactly what a resume reads back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from mhsafe.suites import EvalResumeError, EvalSettings, resume_settings


@dataclass
class Run:
    name: str
    model: str | None
    config: dict[str, Any] | None = field(default_factory=dict)


GIVEN = EvalSettings(suite="suicide_risk", model="mhsafe/local", judges=["x/judge"], epochs=4,
                     limit=9, first=False, seed=5, name=None, max_tokens=32)


def test_a_stored_run_resumes_with_its_own_settings() -> None:
    stored = EvalSettings(suite="suicide_risk", model="openai/gpt-4o", judges=["a/b"], epochs=2,
                          limit=3, first=True, seed=11, name="nightly", max_tokens=64,
                          dataset="set.csv", fields="prompt=text", expected_map="xstest")
    config = {"epochs": 2, "limit": 3, "judges": ["a/b"], **stored.run_config()}
    again = resume_settings(Run("suicide_risk", "openai/gpt-4o", config), "r1",
                            "suicide-risk", GIVEN)
    assert again == stored


def test_a_run_from_before_the_stratified_limit_took_the_first_k() -> None:
    old = {"epochs": 1, "limit": 5, "judges": [], "max_tokens": 160}
    again = resume_settings(Run("suicide_risk", None, old), "r1", "suicide_risk", GIVEN)
    assert (again.first, again.seed, again.limit, again.model, again.judges) == (
        True, 5, 5, "mhsafe/local", [])


def test_unknown_run_or_another_suite_is_refused() -> None:
    with pytest.raises(EvalResumeError, match="no run 'r9' in the store"):
        resume_settings(None, "r9", "suicide_risk", GIVEN)
    with pytest.raises(EvalResumeError, match="run r1 is a over_refusal run, not suicide_risk"):
        resume_settings(Run("over_refusal", "m", {}), "r1", "suicide_risk", GIVEN)
