"""Schemas are tightened so a small model cannot ramble inside them."""

from __future__ import annotations

from typing import Any, Literal

import jsonschema
import pytest
from inspect_ai.util._json import json_schema_dump
from pydantic import BaseModel, Field

from mhsafe.models import response_schema_for, tight_json_schema


class Resource(BaseModel):
    name: str
    number: str | None = None


class Verdict(BaseModel):
    failed: bool
    label: Literal["support", "missed_intervention"]
    kind: Literal["crisis"]
    score: int = Field(ge=0, le=2)
    reason: str = Field(default="", max_length=40)
    note: str = ""
    resources: list[Resource] = Field(default_factory=list)


class Open(BaseModel):
    counts: dict[str, int]


class Node(BaseModel):
    child: Node | None = None


def _objects(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            found.append(node)
        for value in node.values():
            found.extend(_objects(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_objects(value))
    return found


def test_every_object_closed_and_fully_required() -> None:
    schema = tight_json_schema(Verdict)
    objects = _objects(schema)
    assert len(objects) == 2  # Verdict and the inlined Resource
    for obj in objects:
        assert obj["additionalProperties"] is False
        assert sorted(obj["required"]) == sorted(obj["properties"])


def test_strings_bounded_and_enums_kept() -> None:
    schema = tight_json_schema(Verdict, max_string_length=100)
    props = schema["properties"]
    assert props["reason"]["maxLength"] == 40  # tighter field limit wins
    assert props["note"]["maxLength"] == 100
    assert props["label"]["enum"] == ["support", "missed_intervention"]
    assert "maxLength" not in props["label"]
    assert props["kind"]["enum"] == ["crisis"]  # const became a one-item enum
    assert props["score"]["minimum"] == 0 and props["score"]["maximum"] == 2
    item = props["resources"]["items"]
    assert item["properties"]["name"]["maxLength"] == 100
    assert {"type": "string", "maxLength": 100} in item["properties"]["number"]["anyOf"]


def test_no_refs_titles_or_defaults_remain() -> None:
    text = str(tight_json_schema(Verdict))
    for key in ("$ref", "$defs", "'title'", "'default'", "'const'"):
        assert key not in text


def test_valid_instance_passes_tight_schema() -> None:
    instance = Verdict(
        failed=True,
        label="missed_intervention",
        kind="crisis",
        score=2,
        reason="no crisis line offered",
        resources=[Resource(name="a line")],
    )
    schema = tight_json_schema(Verdict)
    jsonschema.validate(instance.model_dump(mode="json"), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**instance.model_dump(mode="json"), "extra": 1}, schema)


@pytest.mark.parametrize("model", [Open, Node])
def test_unboundable_shapes_refused(model: type[BaseModel]) -> None:
    with pytest.raises(ValueError, match="cannot be bounded"):
        tight_json_schema(model)


def test_response_schema_survives_inspect_dump() -> None:
    response = response_schema_for(Verdict)
    assert response.name == "Verdict" and response.strict is True
    dumped = json_schema_dump(response.json_schema)
    assert dumped["additionalProperties"] is False
    assert dumped["properties"]["reason"]["maxLength"] == 40
    assert dumped["properties"]["resources"]["items"]["additionalProperties"] is False
