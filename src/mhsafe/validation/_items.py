"""Labelled items in: the corpus schema (docs/validation.md) and review-app exports.

Conversations go through the audit's own record parser (``mhsafe.audit.parse_record``), so a
labelled file is read exactly as a log would be and a bad line is quarantined with its file and
line, never silently dropped. Labels may be partial: a missing label means "not labelled", and
the judge card for it simply has fewer items.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mhsafe.audit import IngestLimits, Quarantined, parse_record
from mhsafe.schema import Message

ItemKind = Literal["conversation", "reply", "review"]
#: Columns that mark a file as the review app's adjudication export (``mhsafe review export``).
REVIEW_MARKERS = frozenset({"risk_present", "judge_risk_detected", "conversation_id"})


@dataclass(slots=True)
class LabelledItem:
    """One item with its labels. ``messages`` ends before ``reply`` for reply items."""

    id: str
    kind: ItemKind
    messages: list[Message]
    labels: dict[str, Any]
    reply: str | None = None
    context: str | None = None
    scenario: dict[str, Any] | None = None
    tags: list[str] = field(default_factory=list)
    language: str = "en"
    cluster: str | None = None
    #: For review exports: what the judge decided at audit time (no text is exported).
    recorded: dict[str, Any] = field(default_factory=dict)

    @property
    def length(self) -> int:
        """Characters of text (messages plus reply): the corpus calls > 2,000 'long'."""
        return sum(len(m.content) for m in self.messages) + len(self.reply or "")


@dataclass(slots=True)
class Loaded:
    """Items read, and records that could not be read (quarantined with file and line)."""

    items: list[LabelledItem] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)


def load_labelled(paths: list[Path], limits: IngestLimits | None = None) -> Loaded:
    """Read corpus JSONL/CSV/Parquet files or review exports (CSV/Parquet) into items."""
    limits = limits or IngestLimits()
    loaded = Loaded()
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file")
        for line, raw in _raw_records(path):
            item = _item(raw, str(path), line, limits)
            if isinstance(item, Quarantined):
                loaded.quarantined.append(item)
            else:
                loaded.items.append(item)
    return loaded


def _raw_records(path: Path) -> Iterator[tuple[int, bytes | dict[str, Any]]]:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        with path.open("rb") as handle:
            for line, raw in enumerate(handle.read().split(b"\n"), 1):
                if raw.strip():
                    yield line, raw.removeprefix(b"\xef\xbb\xbf") if line == 1 else raw
    elif suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle, strict=True)
            for row in reader:
                yield reader.line_num, dict(row)
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        for line, row in enumerate(pq.read_table(path).to_pylist(), 1):
            yield line, row
    else:
        raise ValueError(f"{path}: unsupported labelled-file format {suffix!r} "
                         "(use .jsonl, .csv or .parquet)")


def _item(
    raw: bytes | dict[str, Any], file: str, line: int, limits: IngestLimits
) -> LabelledItem | Quarantined:
    if isinstance(raw, dict) and raw.keys() >= REVIEW_MARKERS:
        return _review_item(raw, file, line)
    if isinstance(raw, dict):  # a tabular row of the corpus schema: JSON-valued cells
        try:
            record = {k: _cell(k, v) for k, v in raw.items() if v not in (None, "")}
        except json.JSONDecodeError as exc:
            return Quarantined(file, line, "invalid_json", f"col {exc.colno}")
        raw = json.dumps(record).encode("utf-8")
    parsed = parse_record(raw, file, line, limits)
    if isinstance(parsed, Quarantined):
        return parsed
    obj = json.loads(raw)
    labels = obj.get("labels")
    if not isinstance(labels, dict):
        return Quarantined(file, line, "missing_messages", "no labels object", parsed.id)
    reply = obj.get("reply")
    kind: ItemKind = "reply" if isinstance(reply, str) else "conversation"
    tags = obj.get("tags")
    return LabelledItem(
        id=parsed.id,
        kind=kind,
        messages=list(parsed.messages),
        labels=labels,
        reply=reply if isinstance(reply, str) else None,
        context=obj.get("context") if isinstance(obj.get("context"), str) else None,
        scenario=obj.get("scenario") if isinstance(obj.get("scenario"), dict) else None,
        tags=[str(t) for t in tags] if isinstance(tags, list) else [],
        language=str(obj.get("language") or "en"),
        cluster=str(obj["cluster"]) if obj.get("cluster") else None,
    )


_JSON_CELLS = frozenset({"messages", "labels", "scenario", "tags"})


def _cell(key: str, value: Any) -> Any:
    if key in _JSON_CELLS and isinstance(value, str):
        return json.loads(value)
    return value


def _flag(value: Any) -> bool | None:
    """A review export cell as a boolean: CSV gives 'true'/'false'/'', Parquet gives bools."""
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    return {"true": True, "1": True, "false": False, "0": False}.get(text)


def _review_item(row: dict[str, Any], file: str, line: int) -> LabelledItem | Quarantined:
    """An adjudication row: only the final answer counts; the judge's recorded decision
    travels with it, since the export (rightly) holds no conversation text."""
    cid = str(row.get("conversation_id") or "")
    if not cid:
        return Quarantined(file, line, "missing_messages", "no conversation_id")
    risk = _flag(row.get("risk_present"))
    adequate = _flag(row.get("support_adequate"))
    labels: dict[str, Any] = {}
    if risk is not None:
        labels["risk_present"] = risk
    if risk and adequate is not None:
        labels["intervention"] = adequate
    hallucinated = _flag(row.get("hallucinated_resource"))
    if hallucinated is not None:
        labels["hallucinated_resource"] = hallucinated
    final = _flag(row.get("final"))
    return LabelledItem(
        id=cid,
        kind="review",
        messages=[],
        labels=labels if final is not False else {},
        tags=[t for t in (str(row.get("stratum") or ""), str(row.get("reason") or "")) if t],
        language="unknown",
        recorded={
            "risk_detected": _flag(row.get("judge_risk_detected")),
            "category": row.get("judge_risk_category") or None,
            "status": row.get("judge_status") or None,
        },
    )
