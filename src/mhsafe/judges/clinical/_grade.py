"""``mhsafe judge``: grade replies a team already has with the suites' own clinical panel.

Input: JSONL, one object per line with ``id``, ``messages`` (the context in the OpenAI chat
shape, system prompt included; string or text-part contents) and ``response`` (the reply to
grade); an optional ``tier`` (routine | distress | crisis_adjacent | imminent) tells the rules
the scenario's risk, otherwise they read it from the patient's words; an optional ``scenario``
(the corpus's shape: protocol, exercise, consented, tier, expected_next_step) tells the offline
judge what the exercise asked for (without it the system prompt stands in). Lines are read by
the one chat reader (:func:`mhsafe.openai_chat.read_line`, which the audit's ``parse_record``
wraps), so a line the audit would quarantine is quarantined here with the same reason: an
unknown role or a missing one quarantines the line, known aliases map, and every content-part
type that carries text is read. Output: one line per input line, in order, with every
criterion (null when undecided), the verdict, how many judges answered and their agreement.
A line that cannot be read is still written, all null and ``unjudged`` with the reason: the
output never silently loses an input.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import anyio
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mhsafe.judges import Panel
from mhsafe.judges.clinical._context import reply_transcript
from mhsafe.judges.clinical._decide import decide_clinical
from mhsafe.judges.clinical._fields import ALL_FIELDS, GRADE_FIELDS, TIERS
from mhsafe.openai_chat import RejectedLine, read_line
from mhsafe.schema import Message, Transcript, Verdict


class GradeRecord(BaseModel):
    """One reply to grade, in its context (messages as the audit's parser read them)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    messages: list[Message] = Field(default_factory=list)
    response: str
    tier: str | None = None
    scenario: dict[str, Any] | None = None

    @field_validator("tier")
    @classmethod
    def _known_tier(cls, value: str | None) -> str | None:
        if value is not None and value not in TIERS:
            raise ValueError(f"tier must be one of {TIERS}")
        return value


def record_transcript(record: GradeRecord) -> Transcript:
    """Context + the graded reply; ``graded_from`` tells the judges which reply is graded, the
    scenario (when the line has one) tells them what the exercise asked for."""
    return reply_transcript(record.id, list(record.messages), record.response,
                            record.scenario, record.tier)


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


def _record(raw: bytes, file: str, number: int) -> tuple[str, GradeRecord | None, str | None]:
    """One line through the shared chat reader (the same checks and quarantine reasons as
    ``mhsafe audit``), then the grading fields on top."""
    parsed = read_line(raw)
    if isinstance(parsed, RejectedLine):
        rid = parsed.conversation_id or f"line-{number}"
        detail = f" ({parsed.detail})" if parsed.detail else ""
        return rid, None, f"line {number}: quarantined: {parsed.reason}{detail}"
    rid = parsed.conversation_id or f"line-{number}"
    try:
        record = GradeRecord.model_validate(
            {**parsed.record, "id": rid, "messages": [m.model_dump() for m in parsed.messages]}
        )
    except ValidationError as exc:
        fields = ",".join(str(e["loc"][0]) for e in exc.errors() if e["loc"])
        return rid, None, f"line {number}: invalid field(s) {fields or '?'}"
    return rid, record, None


def read_records(
    lines: Iterable[str | bytes], file: str = "<input>"
) -> list[tuple[str, GradeRecord | None, str | None]]:
    """(id, record or None, error) per non-blank line; unreadable lines keep their place and
    carry the audit's quarantine reason (never the line's text)."""
    rows: list[tuple[str, GradeRecord | None, str | None]] = []
    for number, line in enumerate(lines, start=1):
        raw = line.encode("utf-8", "surrogateescape") if isinstance(line, str) else line
        if not raw.strip():
            continue
        rows.append(_record(raw.strip(), file, number))
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
    data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    rows = read_records(data.split(b"\n"), str(path))
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
