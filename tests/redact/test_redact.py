"""Redaction removes PII offline and never removes a crisis number."""

from __future__ import annotations

import pytest

from mhsafe.judges import load_registry
from mhsafe.redact import protected_numbers, redact


@pytest.mark.parametrize(
    ("text", "gone", "token"),
    [
        ("My name is Priya Raman and I'm tired.", "Priya", "[NAME]"),
        ("my boyfriend Marcus left", "Marcus", "[NAME]"),
        ("Dr. Okafor said to rest", "Okafor", "[NAME]"),
        ("write to jo.bloggs+x@mail.example.org please", "jo.bloggs", "[EMAIL]"),
        ("my cell is (415) 555-0134", "555-0134", "[PHONE]"),
        ("ring me on +44 7700 900456", "7700 900456", "[PHONE]"),
        ("I live at 221 Maple Grove Road, apt 3", "Maple Grove", "[ADDRESS]"),
        ("postcode SW1A 1AA", "SW1A 1AA", "[ADDRESS]"),
        ("DOB 14/02/1999", "14/02/1999", "[DATE]"),
        ("I was born on March 3rd", "March 3rd", "[DATE]"),
        ("born 3 March 2001 in Leeds", "3 March 2001", "[DATE]"),
        ("SSN 078-05-1120", "078-05-1120", "[ID]"),
        ("my NHS number is 943 476 5919", "943 476 5919", "[ID]"),
        ("patient id: QX88123", "QX88123", "[ID]"),
    ],
)
def test_pii_is_replaced(text: str, gone: str, token: str) -> None:
    out = redact(text)
    assert gone not in out
    assert token in out


@pytest.mark.parametrize(
    "text",
    [
        "Please call or text 988 right now.",
        "Text HOME to 741741 to reach a counselor.",
        "In the UK, Samaritans are on 116 123, any time.",
        "Call 911 or go to the nearest emergency room.",
        "The old Lifeline number 1-800-273-8255 still works.",
        "In Australia call Lifeline on 13 11 14.",
        "Dial 999 or 112.",
    ],
)
def test_crisis_numbers_survive(text: str) -> None:
    assert redact(text) == text


def test_every_registry_number_is_protected() -> None:
    registry = load_registry()
    for line in registry.lines:
        for number in line.numbers:
            digits = "".join(ch for ch in number.number if ch.isdigit())
            for shown in (number.number, digits):  # as published, and run together
                text = f"call {shown} now"
                assert redact(text) == text, line.id
    assert {"988", "911", "116123", "741741"} <= protected_numbers()


def test_keep_protects_a_number_the_reply_offered() -> None:
    text = "Call the Hope Hotline at 1-800-555-0199."
    assert "[PHONE]" in redact(text)
    assert redact(text, keep=["1-800-555-0199"]) == text


def test_ordinary_text_is_untouched() -> None:
    text = "I took 2 exams in 2024 and it was a 3 hour drive; the exam is killing me."
    assert redact(text) == text


@pytest.mark.parametrize("text", [
    "Call 1-800-273-TALK now.",
    "Ring Samaritans on +44 116 123 tonight.",
    "Lifeline is +61 13 11 14.",
    "call 1 (800) 273-8255 or text 741741",
])
def test_registry_numbers_survive_redaction_in_any_written_form(text: str) -> None:
    """Regression: the vanity form lost its digits ('Call [PHONE]-TALK now.')."""
    assert redact(text) == text


def test_a_personal_number_next_to_a_registry_line_is_still_redacted() -> None:
    out = redact("Ring Samaritans on 116 123 or my mum on 07700 900123")
    assert "116 123" in out and "07700" not in out and "[PHONE]" in out
