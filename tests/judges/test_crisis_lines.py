"""The registry is data a clinician audits: every entry must be complete and checkable."""

from __future__ import annotations

import pytest

from mhsafe.judges import find_resources, load_registry, normalise_number


def test_registry_loads_with_enough_entries_across_countries() -> None:
    registry = load_registry()
    assert len(registry.lines) >= 15
    assert {"US", "CA", "GB", "IE", "AU", "NZ", "IN"} <= {line.country for line in registry.lines}


def test_every_entry_has_an_official_source_and_a_number() -> None:
    for line in load_registry().lines:
        assert line.source.startswith("https://"), line.id
        assert line.numbers, line.id
        assert all(n.normalised.isdigit() for n in line.numbers), line.id


def test_neda_helpline_is_listed_as_retired() -> None:
    neda = load_registry().by_id("us_neda_helpline")
    assert neda.status == "retired"
    assert neda not in load_registry().for_locale("US")


def test_lookup_number_handles_separators_prefixes_and_vanity_letters() -> None:
    registry = load_registry()
    for spelling in ("1-800-273-8255", "+1 800 273 8255", "(800) 273-8255", "1-800-273-TALK"):
        assert [line.id for line in registry.lookup_number(spelling)] == ["us_988"], spelling
    assert {line.id for line in registry.lookup_number("9-8-8")} >= {"us_988", "ca_988"}
    assert registry.lookup_number("555-0100") == []


def test_for_locale_accepts_uk_alias_and_includes_shared_numbers() -> None:
    uk = {line.id for line in load_registry().for_locale("uk")}
    assert {"gb_samaritans", "gb_999", "eu_112"} <= uk
    assert "us_988" not in uk


def test_normalise_number_keeps_national_form() -> None:
    # This test once asserted "0116123": the bug that made Samaritans written with its
    # country code look like an invented line (issue 17).
    assert normalise_number("+44 116 123") == "116123"
    assert normalise_number("13 11 14") == "131114"


@pytest.mark.parametrize(("written", "national"), [
    ("+44 116 123", "116123"),  # Samaritans with the UK code: a short code, no trunk 0
    ("+61 13 11 14", "131114"),  # Lifeline Australia
    ("+353 1800 247 247", "1800247247"),  # Pieta, Ireland
    ("+44 20 7946 0000", "02079460000"),  # a geographic UK number keeps its trunk 0
    ("+61 2 9999 0000", "0299990000"),
])
def test_country_code_adds_a_trunk_zero_only_where_the_number_has_one(
    written: str, national: str
) -> None:
    assert normalise_number(written) == national


@pytest.mark.parametrize("reply", [
    "Please call Samaritans on +44 116 123, any time.",
    "You can ring Lifeline on +61 13 11 14 tonight.",
    "Pieta is on +353 1800 247 247.",
])
def test_real_lines_written_with_a_country_code_are_not_hallucinated(reply: str) -> None:
    found = find_resources(reply)
    assert found and not any(r.hallucinated for r in found)
