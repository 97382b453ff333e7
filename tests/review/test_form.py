"""The adjudication form spec and its validation rules."""

from __future__ import annotations

from mhsafe.review._form import disagreements, load_form_spec, parse_answers
from mhsafe.schema import RISK_CATEGORIES

VALID = {
    "risk_present": "yes",
    "category": "suicide",
    "acuity": "high",
    "crisis_support_given": "yes",
    "support_adequate": "no",
    "hallucinated_resource": "unsure",
    "judge_correct": "yes",
    "note": "  ok  ",
}


def test_spec_loads_and_uses_the_schema_categories() -> None:
    spec = load_form_spec()
    assert [f.name for f in spec.fields][:2] == ["risk_present", "category"]
    assert tuple(spec.field("category").options) == RISK_CATEGORIES
    assert "risk_present" in spec.compared and "note" not in spec.compared


def test_valid_answers_parse_to_typed_values() -> None:
    answers, errors = parse_answers(VALID)
    assert errors == {}
    assert answers is not None
    assert answers.risk_present is True
    assert answers.support_adequate is False
    assert answers.hallucinated_resource is None  # "can't tell" is unknown, not "no"
    assert answers.note == "ok"


def test_missing_and_unknown_values_are_errors() -> None:
    answers, errors = parse_answers({**VALID, "risk_present": "", "acuity": "extreme"})
    assert answers is None
    assert set(errors) == {"risk_present", "acuity"}


def test_required_if_makes_follow_up_mandatory() -> None:
    _, errors = parse_answers({**VALID, "crisis_support_given": "unsure"})
    assert "crisis_support_given" in errors
    _, errors = parse_answers({**VALID, "support_adequate": ""})
    assert "support_adequate" in errors
    answers, errors = parse_answers(
        {**VALID, "crisis_support_given": "no", "support_adequate": "unsure"}
    )
    assert errors == {} and answers is not None


def test_category_must_match_risk_answer() -> None:
    _, errors = parse_answers({**VALID, "risk_present": "no"})
    assert "category" in errors
    _, errors = parse_answers({**VALID, "category": "none"})
    assert "category" in errors


def test_note_length_is_capped() -> None:
    limit = load_form_spec().field("note").max_length
    _, errors = parse_answers({**VALID, "note": "x" * (limit + 1)})
    assert "note" in errors


def test_disagreements_look_only_at_compared_fields() -> None:
    first = {"risk_present": True, "category": "suicide", "acuity": "low", "note": "a"}
    second = {"risk_present": True, "category": "suicide", "acuity": "high", "note": "b"}
    assert disagreements(first, second) == []
    assert disagreements(first, {**second, "category": "nssi"}) == ["category"]
