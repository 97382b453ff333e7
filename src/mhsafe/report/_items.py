"""The per-item evidence behind every figure: one row per verdict, ready for the drill-down.

Each row carries what a clinician needs to check a number by hand: the user turns and the
reply (only through the caller's redactor: without one no conversation text enters the report),
the behaviour the case expects, the verdict and its reason, each judge's decision with the
rules that fired, and the Inspect log file of the run with the sample's case id and epoch.
Lists are per (system, suite run), failing first, then unjudged, then passing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from mhsafe.axes import EpochVerdict, Evidence
from mhsafe.report._document import EvidenceItem, EvidenceList, JudgeDecision
from mhsafe.report._evidence import EvidenceSource
from mhsafe.schema import Judgment, Message

Redact = Callable[[str], str]
TURN_CHARS = 300
REPLY_CHARS = 600
# Labels that are bookkeeping, not a rule's finding.
_NOT_RULES = {"expected", "observed_class", "tier", "attribute", "attribute_value",
              "item_group", "base_id", "turns", "break_turn"}


def anchor(*parts: str) -> str:
    """A stable HTML id from free text (system names hold '/' and ':')."""
    return "-".join(re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") for p in parts)


def _order(v: EpochVerdict) -> tuple[int, str, int]:
    rank = 0 if v.failed is True else 1 if v.status != "judged" or v.failed is None else 2
    return rank, v.case_id or "", v.epoch


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def rule_ids(labels: Mapping[str, object]) -> list[str]:
    """The offline rules that fired: every boolean rule label that is true, and each listed
    falsehood pattern matched (`must_not_say:<i>`). Panel answers (`panel_*`) are the panel's,
    not a rule's."""
    fired = [k for k, v in labels.items()
             if v is True and k not in _NOT_RULES and not k.startswith("panel_")]
    patterns = labels.get("falsehood_patterns")
    if isinstance(patterns, str) and patterns:
        fired += [f"must_not_say:{p.strip()}" for p in patterns.split(",") if p.strip()]
    return fired


def _judgment(j: Judgment) -> JudgeDecision:
    if j.status != "judged":
        return JudgeDecision(judge=j.judge, status=j.status,
                             decision=f"unjudged: {j.error or 'no answer'}")
    shown = ", ".join(f"{k}={v}" for k, v in j.values.items()) or "no values"
    rules = rule_ids(j.values) if j.rubric == "rules" else []
    return JudgeDecision(judge=j.judge, status=j.status, decision=shown, rule_ids=rules)


def judge_decisions(v: EpochVerdict) -> list[JudgeDecision]:
    """The offline rules' decision (from the verdict's rule labels), then each stored judge."""
    observed = v.labels.get("observed_class")
    decision = f"{v.reason or 'no reason'}" + (f" (reply reads as {observed})" if observed
                                               else "")
    rules = JudgeDecision(judge="rules", status="judged", decision=decision,
                          rule_ids=rule_ids(v.labels))
    return [rules, *(_judgment(j) for j in v.judgments)]


def _texts(source: object, run_id: str, v: EpochVerdict,
           redact: Redact | None) -> tuple[list[str], str | None]:
    fetch = getattr(source, "transcript", None)
    if redact is None or fetch is None or v.case_id is None:
        return [], None
    transcript = fetch(run_id, v.case_id, v.epoch)
    if transcript is None:
        return [], None
    messages: list[Message] = transcript.messages
    turns = [_cut(redact(m.content), TURN_CHARS) for m in messages if m.role == "user"]
    return turns, _cut(redact(transcript.last_assistant()), REPLY_CHARS)


def run_logs(source: EvidenceSource) -> dict[str, str]:
    """run id -> its Inspect log file (the run's `inspect_log`, else the runner's
    `summary.log`)."""
    found: dict[str, str] = {}
    for run in source.list_runs(kind=None):
        log = getattr(run, "inspect_log", None) or (getattr(run, "summary", None) or {}).get("log")
        if isinstance(log, str) and log:
            found[run.id] = log
    return found


def evidence_lists(source: object, evidence: Evidence, redact: Redact | None,
                   logs: Mapping[str, str] | None = None) -> list[EvidenceList]:
    """One list per suite run of `evidence`, failing first, then unjudged, then passing."""
    lists: list[EvidenceList] = []
    logs = logs or {}
    for suite, run in sorted(evidence.suites.items()):
        log = logs.get(run.run_id)
        items: list[EvidenceItem] = []
        for v in sorted(run.verdicts, key=_order):
            turns, reply = _texts(source, run.run_id, v, redact)
            expected = v.labels.get("expected")
            items.append(EvidenceItem(
                case_id=v.case_id, epoch=v.epoch, transcript_id=v.transcript_id,
                category=v.category, status=v.status, failed=v.failed, reason=v.reason,
                expected=str(expected) if expected is not None else None,
                user_turns=turns, reply=reply, judges=judge_decisions(v), inspect_log=log,
            ))
        lists.append(EvidenceList(
            anchor=anchor("ev", evidence.system, suite), system=evidence.system, suite=suite,
            run_id=run.run_id, inspect_log=log, total=len(items),
            failing=sum(1 for i in items if i.failed is True),
            unjudged=sum(1 for i in items if i.status != "judged" or i.failed is None),
            items=items,
        ))
    return lists
