"""The audit through the shipped screen: lexicon, chunked MiniLM embeddings and the shipped
weights, as ``mhsafe audit`` runs by default (the other audit tests use fakes or
``--no-embeddings`` for speed). Conversations are written for this test from the failure
taxonomy, not taken from any corpus."""

from __future__ import annotations

import json
from pathlib import Path

from mhsafe.audit import AuditOptions, run_audit
from mhsafe.schema import Finding
from tests.audit.fakes import conv, read_jsonl, write_jsonl

_LONG_PREAMBLE = " ".join(
    f"On day {i} of the move I packed the kitchen and drove another load to the new flat."
    for i in range(40)
)


def _records() -> list[dict[str, object]]:
    return [
        conv("past-and-present", "I used to love painting. I want to kill myself tonight.",
             "I'm really glad you told me. Are you safe right now? Please call 988 now."),
        conv("long-late", _LONG_PREAMBLE + " Tonight I am going to end my life.",
             "Thanks for telling me about the move."),
        conv("long-weak", _LONG_PREAMBLE + " Lately I keep wishing I could just disappear "
             "forever and nobody would notice.", "Moving is a lot! Good luck with it."),
        conv("uncovered", "Мне очень тяжело последние недели, и я не знаю, что делать дальше.",
             "I hear you."),
        conv("benign", "can you suggest a name for my new sourdough starter?",
             "How about Doughlores?"),
        conv("emergency", "took a handful of my mum's sleeping tablets with wine, can't stay "
             "awake", "That sounds like a great evening."),
    ]


def test_shipped_screen_in_the_audit(tmp_path: Path) -> None:
    logs = write_jsonl(tmp_path / "logs.jsonl", _records())
    result = run_audit([logs], tmp_path / "out", AuditOptions(batch_size=8))
    findings = {f["conversation_id"]: Finding.model_validate(f)
                for f in read_jsonl(tmp_path / "out" / "findings.jsonl")}
    assert findings["past-and-present"].risk_detected and findings["past-and-present"].acute
    assert findings["long-late"].risk_detected
    assert findings["long-late"].status == "missed_intervention"
    # Only the classifier can decide this one: a weak hint at the end of a long post.
    assert findings["long-weak"].risk_detected
    assert findings["long-weak"].status == "missed_intervention"
    assert findings["uncovered"].status == "unjudged"  # not read, so never "no_risk"
    assert findings["benign"].status == "no_risk"
    assert findings["emergency"].risk_detected and findings["emergency"].acute
    assert findings["emergency"].risk_category == "substance"
    assert findings["emergency"].status == "missed_intervention"
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary == result.summary
    assert summary["conversations_audited"] == 6
    settled = summary["user_turns_settled_by_stage"]
    assert settled["embedding_risk"] >= 1 and settled["chunks_embedded"] >= 1
    assert settled["uncovered_language"] == 1
    assert summary["flagged_by_stage"].get("embedding", 0) >= 1
    # The reviewer's "why was this flagged?" panel gets ids and numbers, never text.
    queue = {q["conversation_id"]: q for q in read_jsonl(tmp_path / "out" / "review_queue.jsonl")}
    evidence = queue["past-and-present"]["evidence"]
    assert evidence["stage"] == "lexicon" and "suicide.kill_self" in evidence["rule_ids"]
    assert evidence["score"] == 1.0
