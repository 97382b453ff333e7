"""Schema check for corpus items (standalone; knows only the label schema in BRIEF.md)."""

from __future__ import annotations

import collections
import json
import sys
from pathlib import Path

RISKS = {"none", "suicide", "nssi", "eating_disorder", "substance"}
SUPPORT = {
    "crisis_line", "emergency_services", "poison_control", "emergency_care_now",
    "safety_question", "means_safety", "contact_clinician_today", "trusted_person",
}
CONTEXTS = {"pe_exposure", "cbt", "over_refusal", "general_support", "harmful_request", "benign_howto"}
REFUSAL = {"none", "partial", "full"}
BOOL_ALWAYS = ["harm_enabling", "crisis_resource_insertion", "needless_refusal", "safety_preamble",
               "missed_imminent_risk"]
CLINICAL_ONLY = ["task_abandonment", "protocol_fidelity"]
TIERS = {"routine", "distress", "imminent_risk"}


def check_messages(msgs: object, errs: list[str]) -> None:
    if not isinstance(msgs, list) or not msgs:
        errs.append("messages must be a non-empty list")
        return
    for i, m in enumerate(msgs):
        if not isinstance(m, dict) or set(m) != {"role", "content"}:
            errs.append(f"message {i} must have exactly role and content")
            continue
        if m["role"] not in {"system", "user", "assistant"}:
            errs.append(f"message {i} bad role {m['role']!r}")
        if m["role"] == "system" and i != 0:
            errs.append("system message only first")
        if not isinstance(m["content"], str) or not m["content"].strip():
            errs.append(f"message {i} empty content")


def check_conversation(it: dict, errs: list[str]) -> None:
    msgs = it.get("messages")
    check_messages(msgs, errs)
    lab = it.get("labels") or {}
    need = {"risk", "acute", "risk_turn", "intervention", "over_trigger", "support_kinds"}
    if set(lab) != need:
        errs.append(f"labels keys must be {sorted(need)}")
        return
    if lab["risk"] not in RISKS:
        errs.append("bad risk")
    if not isinstance(lab["acute"], bool):
        errs.append("acute must be bool")
    if not isinstance(msgs, list):
        return
    roles = [m.get("role") for m in msgs if isinstance(m, dict)]
    rt = lab["risk_turn"]
    if lab["risk"] == "none":
        if rt is not None:
            errs.append("risk_turn must be null when risk is none")
        if lab["acute"]:
            errs.append("acute must be false when risk is none")
        if lab["intervention"] is not None:
            errs.append("intervention must be null when risk is none")
    else:
        if not isinstance(rt, int) or not (0 <= rt < len(roles)) or roles[rt] != "user":
            errs.append("risk_turn must index a user message")
        else:
            after = "assistant" in roles[rt + 1:]
            if after and not isinstance(lab["intervention"], bool):
                errs.append("intervention must be bool when an assistant message follows risk_turn")
            if not after and lab["intervention"] is not None:
                errs.append("intervention must be null when no assistant message follows risk_turn")
        if lab["over_trigger"] is True:
            errs.append("over_trigger must be false when there is real risk")
    has_asst = "assistant" in roles
    if has_asst and not isinstance(lab["over_trigger"], bool):
        errs.append("over_trigger must be bool when there is an assistant message")
    if not has_asst and lab["over_trigger"] is not None:
        errs.append("over_trigger must be null without assistant messages")
    sk = lab["support_kinds"]
    if not isinstance(sk, list) or any(s not in SUPPORT for s in sk):
        errs.append(f"support_kinds must be a list from {sorted(SUPPORT)}")


def check_reply(it: dict, errs: list[str]) -> None:
    msgs = it.get("messages")
    check_messages(msgs, errs)
    if isinstance(msgs, list) and msgs and isinstance(msgs[-1], dict) and msgs[-1].get("role") != "user":
        errs.append("messages must end with a user message")
    if not isinstance(it.get("reply"), str) or not it["reply"].strip():
        errs.append("reply must be non-empty text")
    ctx = it.get("context")
    if ctx not in CONTEXTS:
        errs.append(f"context must be one of {sorted(CONTEXTS)}")
    clinical = ctx in {"pe_exposure", "cbt"}
    sc = it.get("scenario")
    if clinical:
        if not isinstance(sc, dict) or set(sc) != {"protocol", "exercise", "consented", "tier", "expected_next_step"}:
            errs.append("clinical items need scenario with protocol, exercise, consented, tier, expected_next_step")
        else:
            if sc["protocol"] not in {"PE", "CBT"}:
                errs.append("scenario.protocol PE or CBT")
            if sc["tier"] not in TIERS:
                errs.append(f"scenario.tier one of {sorted(TIERS)}")
            if not isinstance(sc["consented"], bool):
                errs.append("scenario.consented bool")
    elif sc is not None:
        errs.append("scenario must be null outside pe_exposure/cbt")
    lab = it.get("labels") or {}
    need = {"refusal", *BOOL_ALWAYS, "false_reassurance", *CLINICAL_ONLY, "failure_to_challenge"}
    if set(lab) != need:
        errs.append(f"labels keys must be {sorted(need)}")
        return
    if lab["refusal"] not in REFUSAL:
        errs.append("refusal must be none|partial|full")
    for k in BOOL_ALWAYS:
        if not isinstance(lab[k], bool):
            errs.append(f"{k} must be bool")
    fr = lab["false_reassurance"]
    if ctx in {"pe_exposure", "cbt", "general_support"}:
        if not isinstance(fr, bool):
            errs.append("false_reassurance must be bool here")
    elif fr is not None:
        errs.append("false_reassurance must be null here")
    for k in CLINICAL_ONLY:
        if clinical and lab[k] is None:
            errs.append(f"{k} must be set for clinical items")
        if not clinical and lab[k] is not None:
            errs.append(f"{k} must be null outside clinical items")
    if clinical and lab["protocol_fidelity"] not in {0, 1, 2}:
        errs.append("protocol_fidelity 0|1|2")
    if clinical and not isinstance(lab["task_abandonment"], bool):
        errs.append("task_abandonment bool")
    ftc = lab["failure_to_challenge"]
    if ftc is not None and (not clinical or not isinstance(ftc, bool)):
        errs.append("failure_to_challenge bool (clinical only) or null")


def text_len(it: dict) -> int:
    n = sum(len(m.get("content", "")) for m in it.get("messages", []) if isinstance(m, dict))
    return n + len(it.get("reply") or "")


def main(folder: str) -> int:
    ids: set[str] = set()
    bad = 0
    stats: collections.Counter[str] = collections.Counter()
    for path in sorted(Path(folder).glob("*.jsonl")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
            if not line.strip():
                continue
            errs: list[str] = []
            try:
                it = json.loads(line)
            except json.JSONDecodeError as exc:
                print(f"{path.name}:{lineno}: invalid JSON: {exc}")
                bad += 1
                continue
            for key in ("id", "cluster", "kind", "language", "voice", "tags"):
                if key not in it:
                    errs.append(f"missing {key}")
            if it.get("id") in ids:
                errs.append("duplicate id")
            ids.add(it.get("id"))
            if not str(it.get("id", "")).startswith(str(it.get("cluster", "?"))):
                errs.append("id must start with its cluster id")
            if not isinstance(it.get("tags"), list):
                errs.append("tags must be a list")
            if it.get("kind") == "conversation":
                check_conversation(it, errs)
                stats[f"conversation risk={(it.get('labels') or {}).get('risk')}"] += 1
            elif it.get("kind") == "reply":
                check_reply(it, errs)
                stats[f"reply context={it.get('context')}"] += 1
            else:
                errs.append("kind must be conversation or reply")
            stats[f"language={it.get('language')}"] += 1
            if text_len(it) > 2000:
                stats["long (>2000 chars)"] += 1
            for tag in it.get("tags") or []:
                stats[f"tag={tag}"] += 1
            for e in errs:
                print(f"{path.name}:{lineno}: {it.get('id')}: {e}")
            bad += bool(errs)
            stats["items"] += 1
    for k, v in sorted(stats.items()):
        print(f"{v:6d}  {k}")
    print(f"{len({i.rsplit('-', 1)[0] for i in ids if i})} clusters (approx), {bad} items with errors")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
