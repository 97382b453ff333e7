"""``mhsafe judge``: grade replies a team already has with the suites' own clinical panel.

Input: JSONL, one object per line with ``id``, ``messages`` (the context in the OpenAI chat
shape, system prompt included; string or text-part contents) and ``response`` (the reply to
grade); an optional ``tier`` (routine | distress | crisis_adjacent | imminent) tells the rules
the scenario's risk, otherwise they read it from the patient's words. Output: one line per input
line, in order, with every criterion (null when undecided), the verdict, how many judges
answered and their agreement. A line that cannot be read is still written, all null and
``unjudged`` with the reason: the output never silently loses an input.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import anyio
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mhsafe.judges import Panel
from mhsafe.judges.clinical._decide import decide_clinical
from mhsafe.judges.clinical._fields import ALL_FIELDS, GRADE_FIELDS, TIERS
from mhsafe.schema import Message, Transcript, Verdict

_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}


def _text(content: Any) -> str:
    """OpenAI message content: a string, or a list of parts whose text parts are joined."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(p.get("text", ""))
            for p in content
            if isinstance(p, dict) and p.get("type") == "text"
        )
    raise ValueError("message content must be a string or a list of parts")


class GradeRecord(BaseModel):
    """One reply to grade, in its context."""

    model_config = ConfigDict(extra="ignore")

    id: str
    messages: list[Message] = Field(default_factory=list)
    response: str
    tier: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @field_validator("messages", mode="before")
    @classmethod
    def _openai_shape(cls, value: Any) -> Any:
        if not isinstance(value, list):
            raise ValueError("messages must be a list")
        out = []
        for m in value:
            role = _ROLES.get(str(m.get("role", ""))) if isinstance(m, dict) else None
            if role is None:
                continue  # tool / function turns carry no therapy content to grade
            out.append({"role": role, "content": _text(m.get("content"))})
        return out

    @field_validator("tier")
    @classmethod
    def _known_tier(cls, value: str | None) -> str | None:
        if value is not None and value not in TIERS:
            raise ValueError(f"tier must be one of {TIERS}")
        return value


def record_transcript(record: GradeRecord) -> Transcript:
    """Context + the graded reply; ``graded_from`` tells the rules which reply is graded."""
    metadata: dict[str, Any] = {"graded_from": len(record.messages)}
    if record.tier:
        metadata["tier"] = record.tier
    return Transcript(
        id=record.id,
        messages=[*record.messages, Message(role="assistant", content=record.response)],
        metadata=metadata,
    )


def output_line(
    record_id: str, verdict: Verdict | None, error: str | None = None
) -> dict[str, Any]:
    """The promised fields first (null when undecided), then the rest of the criteria and the
    panel's bookkeeping."""
    labels = verdict.labels if verdict else {}
    line: dict[str, Any] = {"id": record_id}
    for field in (*GRADE_FIELDS, *(f for f in ALL_FIELDS if f not in GRADE_FIELDS)):
        line[field] = labels.get(field)
    line.update(
        {
            "failed": verdict.failed if verdict else None,
            "status": verdict.status if verdict else "unjudged",
            "reason": verdict.reason if verdict else None,
            "risk_level": labels.get("risk_level"),
            "panel_status": labels.get("panel_status"),
            "agreement": labels.get("panel_agreement"),
            "n_judges": verdict.n_judges if verdict else 0,
            "n_answered": verdict.n_answered if verdict else 0,
            "error": error,
        }
    )
    return line


def read_records(lines: Iterable[str]) -> list[tuple[str, GradeRecord | None, str | None]]:
    """(id, record or None, error) per non-blank line; unreadable lines keep their place."""
    rows: list[tuple[str, GradeRecord | None, str | None]] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        fallback_id = f"line-{number}"
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError:
            rows.append((fallback_id, None, f"line {number}: not JSON"))
            continue
        rid = str(obj.get("id", fallback_id)) if isinstance(obj, dict) else fallback_id
        try:
            rows.append((rid, GradeRecord.model_validate(obj), None))
        except ValidationError as exc:
            fields = ",".join(str(e["loc"][0]) for e in exc.errors() if e["loc"])
            rows.append((rid, None, f"line {number}: invalid field(s) {fields or '?'}"))
    return rows


async def grade_records(
    rows: Sequence[tuple[str, GradeRecord | None, str | None]],
    panel: Panel,
    *,
    concurrency: int = 4,
) -> list[tuple[dict[str, Any], Verdict | None]]:
    """Grade every readable record with ``panel`` (at most ``concurrency`` at once)."""
    results: list[tuple[dict[str, Any], Verdict | None]] = [
        (output_line(rid, None, err), None) for rid, _, err in rows
    ]
    limiter = anyio.CapacityLimiter(max(1, concurrency))

    async def one(index: int, record: GradeRecord) -> None:
        async with limiter:
            verdict = await decide_clinical(record_transcript(record), panel)
        results[index] = (output_line(record.id, verdict), verdict)

    async with anyio.create_task_group() as group:
        for index, (_, record, _) in enumerate(rows):
            if record is not None:
                group.start_soon(one, index, record)
    return results


class GradeSummary(BaseModel):
    """What a grading run did, for the CLI to print."""

    n_lines: int
    judged: int
    unjudged: int
    failed: int
    unreadable: int
    verdicts: list[Verdict]


def grade_file(path: Path, out: Path, panel: Panel, *, concurrency: int = 4) -> GradeSummary:
    """Read ``path``, grade, write ``out`` (JSONL, same order); returns the counts."""
    rows = read_records(path.read_text(encoding="utf-8-sig").splitlines())
    results = anyio.run(lambda: grade_records(rows, panel, concurrency=concurrency))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for line, _ in results:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    verdicts = [v for _, v in results if v is not None]
    return GradeSummary(
        n_lines=len(rows),
        judged=sum(v.status == "judged" for v in verdicts),
        unjudged=len(rows) - sum(v.status == "judged" for v in verdicts),
        failed=sum(v.failed is True for v in verdicts),
        unreadable=sum(1 for _, r, _ in rows if r is None),
        verdicts=verdicts,
    )
