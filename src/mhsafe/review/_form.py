"""The adjudication form: loaded from ``data/adjudication_form.yaml`` and validated here.

The same spec drives three things that must never drift apart: the HTML form a clinician
fills in, the server-side validation of what comes back, and the rule that decides whether two
reviewers disagree. Keeping it in one data file means a clinical lead can change an option
without touching the code paths that enforce it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from importlib.resources import files
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict

FieldKind = Literal["yesno", "tristate", "choice", "text"]

#: How tri-state answers travel in HTML forms. "unsure" becomes NULL in the store: a clinician
#: who cannot tell is recorded as not knowing, never as "no".
YES, NO, UNSURE = "yes", "no", "unsure"


class FormField(BaseModel):
    """One question of the adjudication form."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    label: str
    kind: FieldKind
    help: str = ""
    options: tuple[str, ...] = ()
    option_labels: dict[str, str] = {}
    compare: bool = False
    required_if: str | None = None
    max_length: int = 2000


class FormSpec(BaseModel):
    """The whole form, in display order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    fields: tuple[FormField, ...]

    def field(self, name: str) -> FormField:
        """The field called ``name`` (KeyError when the spec has none: a programming error)."""
        for item in self.fields:
            if item.name == name:
                return item
        raise KeyError(name)

    @property
    def compared(self) -> tuple[str, ...]:
        """Names of the answers that must match between double reviewers."""
        return tuple(f.name for f in self.fields if f.compare)


class AdjudicationAnswers(BaseModel):
    """A validated adjudication, shaped like the ``adjudications`` row it becomes."""

    model_config = ConfigDict(extra="forbid")

    risk_present: bool
    category: str
    acuity: str
    crisis_support_given: bool | None
    support_adequate: bool | None
    hallucinated_resource: bool | None
    judge_correct: bool | None
    note: str


@lru_cache(maxsize=1)
def load_form_spec() -> FormSpec:
    """Read the packaged form spec once; it is immutable for the life of the process."""
    text = files("mhsafe.review").joinpath("data/adjudication_form.yaml").read_text("utf-8")
    raw: dict[str, Any] = yaml.safe_load(text)
    return FormSpec.model_validate(raw)


def _to_bool(raw: str, *, allow_unsure: bool) -> tuple[bool | None, str | None]:
    value = raw.strip().lower()
    if value == YES:
        return True, None
    if value == NO:
        return False, None
    if allow_unsure and value in (UNSURE, ""):
        return None, None
    return None, "choose yes or no" if not allow_unsure else "choose yes, no or can't tell"


def parse_answers(
    form: Mapping[str, str], spec: FormSpec | None = None
) -> tuple[AdjudicationAnswers | None, dict[str, str]]:
    """Validate a submitted form against the spec.

    Returns ``(answers, {})`` when valid, else ``(None, errors)`` with one message per field so
    the page can be shown again with the clinician's answers kept. Consistency rules live here
    too: "no risk" must come with category "none", and a "yes" on a field named in another
    field's ``required_if`` makes that other field mandatory (no "can't tell").
    """
    spec = spec or load_form_spec()
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for item in spec.fields:
        raw = form.get(item.name, "")
        parsed: Any
        err: str | None
        if item.kind == "yesno":
            parsed, err = _to_bool(raw, allow_unsure=False)
        elif item.kind == "tristate":
            parsed, err = _to_bool(raw, allow_unsure=True)
        elif item.kind == "choice":
            parsed = raw.strip()
            err = None if parsed in item.options else "choose one of the options"
        else:
            parsed = raw.strip()
            err = f"at most {item.max_length} characters" if len(parsed) > item.max_length else None
        if err is not None:
            errors[item.name] = err
        values[item.name] = parsed
    for item in spec.fields:
        trigger = item.required_if
        if trigger and values.get(trigger) is True and values.get(item.name) is None:
            errors.setdefault(item.name, "required when the answer above is yes")
    if "risk_present" in values and "category" in values and not errors:
        if values["risk_present"] is False and values["category"] != "none":
            errors["category"] = "no risk present: category must be 'none'"
        if values["risk_present"] is True and values["category"] == "none":
            errors["category"] = "risk present: choose its category"
    if errors:
        return None, errors
    return AdjudicationAnswers.model_validate(values), {}


def disagreements(
    first: Mapping[str, Any], second: Mapping[str, Any], spec: FormSpec | None = None
) -> list[str]:
    """Names of the compared answers on which two adjudications differ (empty: they agree)."""
    spec = spec or load_form_spec()
    return [name for name in spec.compared if first.get(name) != second.get(name)]
