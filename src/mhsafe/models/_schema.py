"""JSON schemas tight enough that a small base model cannot ramble inside them.

Measured on Gemma 3 270M under llama.cpp's grammar-constrained decoding: with a loose schema
(optional keys, unbounded strings, extra properties allowed, flexible whitespace) the model
fills max_tokens with newlines and never closes the object, so every answer is truncated and
fails validation. A tight schema makes each generated token count:

* every object is closed (`additionalProperties: false`) and lists every property as required
  (pydantic still applies defaults when *validating*; the model just may not skip a key);
* every free string gets a `maxLength`;
* `$ref`s are inlined (Inspect's `JSONSchema` type has no `$defs`), `const` becomes a
  one-item `enum`, titles and defaults are dropped (they are prompt noise to a grammar);
* open-ended mappings (`dict[str, X]`) are refused: no grammar can bound them.

Arrays keep no `maxItems` because Inspect's schema type cannot carry it; `max_tokens` bounds
them, and pydantic's own length checks run at validation.
"""

from __future__ import annotations

import copy
from typing import Any

from inspect_ai.model import ResponseSchema
from inspect_ai.util import JSONSchema
from pydantic import BaseModel

DEFAULT_MAX_STRING_LENGTH = 200

_DROP = ("title", "default", "examples", "description")


def _resolve_ref(ref: str, defs: dict[str, Any]) -> dict[str, Any]:
    prefix = "#/$defs/"
    if not ref.startswith(prefix) or ref[len(prefix) :] not in defs:
        raise ValueError(f"unsupported $ref {ref!r}")
    target = defs[ref[len(prefix) :]]
    assert isinstance(target, dict)
    return target


def _tighten(
    node: dict[str, Any], defs: dict[str, Any], max_len: int, seen: tuple[str, ...]
) -> dict[str, Any]:
    if "$ref" in node:
        ref = str(node["$ref"])
        if ref in seen:
            raise ValueError(f"recursive schema through {ref!r} cannot be bounded")
        merged = {**_resolve_ref(ref, defs), **{k: v for k, v in node.items() if k != "$ref"}}
        return _tighten(merged, defs, max_len, (*seen, ref))
    out = {k: copy.deepcopy(v) for k, v in node.items() if k not in _DROP and k != "$defs"}
    if "const" in out:
        out["enum"] = [out.pop("const")]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in out:
            out[key] = [_tighten(option, defs, max_len, seen) for option in out[key]]
    if "oneOf" in out:  # Inspect's schema type knows anyOf only; for data they agree here
        out["anyOf"] = out.pop("oneOf")
    kind = out.get("type")
    if kind == "object" or "properties" in out:
        properties = out.get("properties") or {}
        extra = out.get("additionalProperties")
        if not properties and extra not in (None, False):
            raise ValueError("open-ended mapping (dict[str, ...]) cannot be bounded")
        out["properties"] = {
            name: _tighten(sub, defs, max_len, seen) for name, sub in properties.items()
        }
        out["required"] = list(out["properties"])
        out["additionalProperties"] = False
        out["type"] = "object"
    elif kind == "array" and isinstance(out.get("items"), dict):
        out["items"] = _tighten(out["items"], defs, max_len, seen)
    elif kind == "string" and "enum" not in out:
        out["maxLength"] = min(int(out.get("maxLength", max_len)), max_len)
    return out


def tight_json_schema(
    output_type: type[BaseModel], *, max_string_length: int = DEFAULT_MAX_STRING_LENGTH
) -> dict[str, Any]:
    """The pydantic model's JSON schema, tightened for constrained decoding (see module doc).

    Raises ValueError for shapes no grammar can bound (recursive models, free-form dicts),
    so the mistake shows up when a judge is written, not as silent truncation at run time.
    """
    raw = output_type.model_json_schema()
    defs = raw.get("$defs", {})
    return _tighten(raw, defs, max_string_length, ())


def response_schema_for(
    output_type: type[BaseModel], *, max_string_length: int = DEFAULT_MAX_STRING_LENGTH
) -> ResponseSchema:
    """Inspect's `ResponseSchema` for `output_type` (tight schema, strict mode)."""
    schema = tight_json_schema(output_type, max_string_length=max_string_length)
    return ResponseSchema(
        name=output_type.__name__[:64],
        json_schema=JSONSchema.model_validate(schema),
        strict=True,
    )
