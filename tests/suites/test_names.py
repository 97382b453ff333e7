"""Suite names as people type them: `-`/`_` and case alike, a typo answered with the closest
registered name, and `load_suite` still raising a KeyError for an unknown name."""

from __future__ import annotations

import pytest

from mhsafe.suites import UnknownSuiteError, load_suite, suite_name
from mhsafe.suites._names import resolve_suite_name

KNOWN = ["suicide_risk", "over_refusal", "pe_exposure"]


def test_dashes_underscores_and_case_resolve() -> None:
    assert resolve_suite_name("suicide_risk", KNOWN) == "suicide_risk"
    assert resolve_suite_name("Suicide-Risk ", KNOWN) == "suicide_risk"
    assert suite_name("over-refusal") == "over_refusal"
    assert [c.id for c in load_suite("suicide-risk")] == [c.id for c in load_suite("suicide_risk")]


def test_a_typo_names_the_closest_suite() -> None:
    with pytest.raises(UnknownSuiteError) as caught:
        resolve_suite_name("over-refusl", KNOWN)
    assert str(caught.value) == (
        "unknown suite 'over-refusl'; did you mean 'over_refusal'? known suites: over_refusal, "
        "pe_exposure, suicide_risk (see `mhsafe suites`)")
    with pytest.raises(UnknownSuiteError) as far:
        resolve_suite_name("xyz", KNOWN)
    assert "did you mean" not in str(far.value)


def test_load_suite_still_raises_key_error() -> None:
    with pytest.raises(KeyError, match="did you mean 'jailbreak'"):
        load_suite("jailbrake")
