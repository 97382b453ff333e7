"""Readers for logs as teams already have them: Inspect ``.eval`` logs and OpenTelemetry GenAI
trace exports (OTLP JSON, ``*.otlp.json`` / ``*.otel.json``).

Why these two: a team that evaluated its chatbot with Inspect holds every conversation in
``.eval`` files, and a team that runs it in production with an OpenTelemetry SDK (OpenLLMetry,
OpenLIT, the official GenAI instrumentations) holds them as spans. Both go through the same
per-message checks as JSONL (:func:`check_message`), so a role word or an id means the same
thing in every format, and a record that cannot be read is quarantined with its position.

Positions: an Inspect sample is numbered by its 1-based place in the log; an OTel conversation
by the 1-based place of its span in the file. The resume cursor counts conversations consumed
(``offset``), so a resumed audit skips exactly those already done.

An OTLP JSON export is one JSON document, so it is read whole (bounded by
``IngestLimits.max_record_bytes``); Inspect logs are streamed sample by sample.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mhsafe.audit._ingest_common import (
    Cursor,
    FieldMap,
    IngestLimits,
    InputError,
    Item,
    check_id,
    check_message,
    no_user_turn,
)
from mhsafe.audit._quarantine import Quarantined, QuarantineReason
from mhsafe.schema import Message, Transcript

OTEL_SUFFIXES = (".otlp.json", ".otel.json")


def is_otel_export(path: Path) -> bool:
    """An OTLP JSON trace export, by its name (a plain ``.json`` file stays JSONL)."""
    return path.name.lower().endswith(OTEL_SUFFIXES)


def _conversation(
    cid: str, raw_messages: list[tuple[Any, Any]], file: str, position: int,
    limits: IngestLimits, fields: FieldMap, metadata: dict[str, Any], source: str,
) -> Transcript | Quarantined:
    """(role, content) pairs -> a checked transcript, or the first reason it cannot be one."""
    checked: list[Message] = []
    for i, (role, content) in enumerate(raw_messages):
        result = check_message(role, content, limits, True, fields.roles)
        if not isinstance(result, Message):
            reason, detail = result
            return Quarantined(file, position, reason, f"message {i} {detail}".strip(), cid)
        checked.append(result)
    if not checked:
        return Quarantined(file, position, "empty_conversation", "", cid)
    if no_user_turn(checked):
        return Quarantined(file, position, "no_user_turn", "", cid)
    return Transcript.model_construct(id=cid, messages=checked, metadata=metadata, source=source)


# --- Inspect .eval logs ---------------------------------------------------------------------


def iter_inspect_log(
    path: Path, file_index: int, start: Cursor, limits: IngestLimits, fields: FieldMap
) -> Iterator[Item]:
    """Every sample of an Inspect log as one conversation (id ``<sample id>/e<epoch>``)."""
    from inspect_ai.log import read_eval_log_samples  # heavy import, only for .eval inputs

    name = str(path)
    try:
        samples = read_eval_log_samples(path, all_samples_required=False,
                                        resolve_attachments=True)
        for position, sample in enumerate(samples, start=1):
            if position <= start.offset:
                continue
            cursor = Cursor(file_index, position, position)
            cid = check_id(f"{sample.id}/e{sample.epoch}", limits.max_id_chars)
            if not isinstance(cid, str):
                yield Quarantined(name, position, *cid), cursor
                continue
            pairs = [(m.role, m.text) for m in sample.messages]
            metadata = {"inspect_sample_id": str(sample.id), "epoch": sample.epoch}
            yield (_conversation(cid, pairs, name, position, limits, fields, metadata,
                                 f"inspect:{name}:{position}"), cursor)
    except (OSError, ValueError, KeyError) as exc:  # not a zip, a damaged header, ...
        raise InputError(f"{path}: not a readable Inspect log ({type(exc).__name__})") from exc


# --- OpenTelemetry GenAI (OTLP JSON) --------------------------------------------------------


def _attr_value(value: Mapping[str, Any]) -> Any:
    """An OTLP ``AnyValue`` as plain Python."""
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in value:
            return value[key]
    if "intValue" in value:
        return int(value["intValue"])
    if "arrayValue" in value:
        return [_attr_value(v) for v in value["arrayValue"].get("values", [])]
    return None


def _attributes(span: Mapping[str, Any]) -> dict[str, Any]:
    attrs = span.get("attributes", [])
    if not isinstance(attrs, list):
        return {}
    return {a["key"]: _attr_value(a.get("value", {})) for a in attrs
            if isinstance(a, dict) and isinstance(a.get("key"), str)}


def _part_text(parts: Any) -> Any:
    """GenAI semconv message parts -> text (text parts only); anything else stays as it is,
    so :func:`check_message` quarantines it as not text."""
    if not isinstance(parts, list):
        return parts
    texts = [p.get("content") for p in parts if isinstance(p, dict) and p.get("type") == "text"]
    strings = [t for t in texts if isinstance(t, str)]
    if texts and len(strings) == len(texts):
        return "\n".join(strings)
    return parts


def _semconv_messages(attrs: Mapping[str, Any]) -> list[tuple[Any, Any]] | None:
    """Messages of one span: ``gen_ai.input.messages``/``gen_ai.output.messages`` (JSON,
    current semconv) or the indexed ``gen_ai.prompt.N.*``/``gen_ai.completion.N.*`` keys
    (OpenLLMetry). ``None``: the span is not a chat call. Raises ValueError on bad JSON."""
    if "gen_ai.input.messages" in attrs:
        pairs: list[tuple[Any, Any]] = []
        system = attrs.get("gen_ai.system_instructions")
        if isinstance(system, str) and system.strip():
            parts = json.loads(system)
            pairs.append(("system", _part_text(parts) if isinstance(parts, list) else parts))
        for key in ("gen_ai.input.messages", "gen_ai.output.messages"):
            raw = attrs.get(key)
            if raw is None:
                continue
            messages = json.loads(raw) if isinstance(raw, str) else raw
            if not isinstance(messages, list):
                raise ValueError(f"{key} is not a list")
            for m in messages:
                if not isinstance(m, dict):
                    raise ValueError(f"{key} holds a non-object")
                content = m["parts"] if "parts" in m else m.get("content")
                pairs.append((m.get("role"), _part_text(content)))
        return pairs
    indexed: list[tuple[Any, Any]] = []
    for prefix in ("gen_ai.prompt", "gen_ai.completion"):
        i = 0
        while f"{prefix}.{i}.role" in attrs or f"{prefix}.{i}.content" in attrs:
            indexed.append((attrs.get(f"{prefix}.{i}.role"), attrs.get(f"{prefix}.{i}.content")))
            i += 1
    return indexed or None


@dataclass(slots=True)
class _Call:
    """The most complete chat call seen for one conversation (chat clients resend the whole
    history on every call, so the longest input is the conversation so far)."""

    position: int
    end: int
    pairs: list[tuple[Any, Any]] | None
    problem: tuple[QuarantineReason, str] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def _spans(document: Any) -> Iterator[Mapping[str, Any]]:
    for resource in document.get("resourceSpans", []) if isinstance(document, dict) else []:
        for scope in resource.get("scopeSpans", []) if isinstance(resource, dict) else []:
            for span in scope.get("spans", []) if isinstance(scope, dict) else []:
                if isinstance(span, dict):
                    yield span


def _otel_calls(path: Path, limits: IngestLimits) -> dict[str, _Call]:
    size = path.stat().st_size
    if size > limits.max_record_bytes:
        raise InputError(f"{path}: OTLP export of {size} bytes is over the "
                         f"{limits.max_record_bytes}-byte limit; split the export")
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 (byte {exc.start})") from exc
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f" line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise InputError(f"{path}{where}: not an OTLP JSON export (invalid JSON)") from exc
    if not isinstance(document, dict) or "resourceSpans" not in document:
        raise InputError(f"{path}: not an OTLP JSON export (no resourceSpans)")
    calls: dict[str, _Call] = {}
    for position, span in enumerate(_spans(document), start=1):
        attrs = _attributes(span)
        try:
            pairs = _semconv_messages(attrs)
            problem: tuple[QuarantineReason, str] | None = None
        except (ValueError, KeyError, RecursionError):
            pairs, problem = [], ("invalid_json", "gen_ai messages")
        if pairs is None:
            continue  # not a chat span (an HTTP call, a tool span, ...)
        cid = attrs.get("gen_ai.conversation.id") or span.get("traceId") or f"span{position}"
        end = int(span.get("endTimeUnixNano") or 0)
        call = _Call(position, end, pairs, problem,
                     {"otel_trace_id": span.get("traceId"), "otel_span_id": span.get("spanId")})
        old = calls.get(str(cid))
        if old is None or (len(pairs), end) >= (len(old.pairs or []), old.end):
            calls[str(cid)] = call
    return calls


def iter_otel_export(
    path: Path, file_index: int, start: Cursor, limits: IngestLimits, fields: FieldMap
) -> Iterator[Item]:
    """One conversation per ``gen_ai.conversation.id`` (else per trace), in span order."""
    name = str(path)
    calls = sorted(_otel_calls(path, limits).items(), key=lambda kv: kv[1].position)
    for number, (raw_id, call) in enumerate(calls, start=1):
        if number <= start.offset:
            continue
        cursor = Cursor(file_index, number, number)
        cid = check_id(raw_id, limits.max_id_chars)
        if not isinstance(cid, str):
            yield Quarantined(name, call.position, *cid), cursor
        elif call.problem is not None:
            yield Quarantined(name, call.position, *call.problem, cid), cursor
        else:
            yield (_conversation(cid, call.pairs or [], name, call.position, limits, fields,
                                 call.metadata, f"otel:{name}:{call.position}"), cursor)
