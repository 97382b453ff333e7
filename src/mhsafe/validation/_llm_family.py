"""The LLM-judge family: an LLM judge's card, measured on a seeded, stratified sample.

The offline families run over every item in seconds; an LLM judge on 2 CPU cores takes ~3-10 s
per call, so the whole test split (1,300 items) would take hours. This family is therefore
opt-in (``mhsafe validate --split test --judge MODEL --judge-sample N``) and runs on a
sample that is:

* **seeded**: items are ranked by SHA-256 of ``"<seed>:<item id>"``, so the same seed and the
  same split give the same sample on every machine, and nothing about an item's text or labels
  other than its stratum decides whether it is picked;
* **stratified**: strata are (kind, label pattern): reply items by refusal class and harm label,
  conversations by risk present and acute. ``N`` is allocated proportionally (largest
  remainder) with at least one item per stratum, so rare strata (harm-enabling replies, acute
  risk) are never left out by chance.

The judge is asked exactly what production asks it: the safety panel's rubric
(``safety_response``) on reply items, the audit's rubric (``audit_conversation``) on
conversations, through ``judges.LLMJudge`` with production budgets. A judge that times out or
answers unparseably gives ``predicted=None`` (undecided, lowering *decided*), never a negative.
"""

from __future__ import annotations

import hashlib
import math
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import anyio

from mhsafe.schema import Message, Transcript
from mhsafe.validation._card import CardSet, card
from mhsafe.validation._items import LabelledItem
from mhsafe.validation._judges import Decision
from mhsafe.validation._render import write_cards

DEFAULT_SAMPLE = 60
DEFAULT_SEED = 0
JUDGE_MAX_TOKENS = 64
JUDGE_TIMEOUT_S = 300.0  # generous: a card measures the judge, not the load on 2 shared cores


def stratum(item: LabelledItem) -> str | None:
    """The item's stratum, or None when no LLM question covers its labels."""
    labels = item.labels
    if item.kind == "reply" and item.reply is not None:
        refusal = labels.get("refusal")
        harm = labels.get("harm_enabling")
        if refusal is None and harm is None:
            return None
        return f"reply/refusal={refusal}/harm={harm}"
    if item.kind == "conversation" and "risk" in labels:
        risk = labels.get("risk") != "none"
        return f"conversation/risk={risk}/acute={labels.get('acute') is True}"
    return None


def _rank(seed: int, item_id: str) -> str:
    return hashlib.sha256(f"{seed}:{item_id}".encode()).hexdigest()


def stratified_sample(
    items: Sequence[LabelledItem], n: int, seed: int = DEFAULT_SEED
) -> list[LabelledItem]:
    """``n`` items (fewer if fewer are covered) over the strata, proportionally, at least one
    per stratum; within a stratum the lowest hash ranks. Deterministic in (items, n, seed)."""
    strata: dict[str, list[LabelledItem]] = defaultdict(list)
    for item in items:
        key = stratum(item)
        if key is not None:
            strata[key].append(item)
    total = sum(len(v) for v in strata.values())
    if n <= 0 or total == 0:
        return []
    n = min(n, total)
    keys = sorted(strata)
    quotas = {k: n * len(strata[k]) / total for k in keys}
    alloc = {k: min(len(strata[k]), max(1, math.floor(quotas[k]))) for k in keys}
    by_remainder = sorted(keys, key=lambda k: (-(quotas[k] - math.floor(quotas[k])), k))
    while sum(alloc.values()) < n:
        grown = False
        for k in by_remainder:
            if sum(alloc.values()) >= n:
                break
            if alloc[k] < len(strata[k]):
                alloc[k] += 1
                grown = True
        if not grown:
            break
    while sum(alloc.values()) > n:  # the at-least-one floor overshot: trim the largest
        biggest = max(keys, key=lambda k: (alloc[k], k))
        alloc[biggest] -= 1
    picked: list[LabelledItem] = []
    for k in keys:
        ranked = sorted(strata[k], key=lambda item: _rank(seed, item.id))
        picked.extend(ranked[: alloc[k]])
    return sorted(picked, key=lambda item: _rank(seed, item.id))


def _transcript(item: LabelledItem) -> Transcript:
    messages = list(item.messages)
    if item.kind == "reply":
        messages.append(Message(role="assistant", content=item.reply or ""))
    return Transcript(id=item.id, messages=messages)


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _judges(model: Any) -> dict[str, Any]:
    from mhsafe.audit import audit_rubric
    from mhsafe.judges import LLMJudge, load_rubric

    common: dict[str, Any] = {
        "max_tokens": JUDGE_MAX_TOKENS,
        "timeout_s": JUDGE_TIMEOUT_S,
        "retries": 1,
    }
    return {
        "reply": LLMJudge(model, load_rubric("safety_response"), **common),
        "conversation": LLMJudge(model, audit_rubric(), **common),
    }


def _decisions(label: str, item: LabelledItem, values: dict[str, Any] | None) -> list[Decision]:
    """The item's labels against the judge's answer (``values=None``: unjudged)."""
    got = values or {}

    def answer(field: str) -> bool | None:
        return None if values is None else _bool(got.get(field))

    out: list[Decision] = []
    labels = item.labels
    if item.kind == "reply":
        refusal = labels.get("refusal")
        if refusal in ("none", "partial", "full"):
            out.append(Decision(f"{label}: refusal", item, refusal != "none", answer("refuses")))
        harm = _bool(labels.get("harm_enabling"))
        if harm is not None:
            out.append(Decision(f"{label}: harm enablement", item, harm, answer("enables_harm")))
    else:
        out.append(
            Decision(f"{label}: risk", item, labels.get("risk") != "none", answer("risk_present"))
        )
        intervention = _bool(labels.get("intervention"))
        if intervention is not None and labels.get("risk") != "none":
            given = answer("crisis_support_given")
            predicted = None if given is None else not given
            out.append(Decision(f"{label}: missed intervention", item, not intervention,
                                predicted))
    return out


def llm_decisions(
    items: Sequence[LabelledItem],
    model: Any,
    *,
    concurrency: int = 2,
    progress: Callable[[int, int], None] | None = None,
) -> list[Decision]:
    """Ask ``model`` (an Inspect name or ``Model``) about every item; one Decision per label."""
    judges = _judges(model)
    label = f"llm {model if isinstance(model, str) else 'model'}"
    results: list[list[Decision]] = [[] for _ in items]
    gate = anyio.Semaphore(max(1, concurrency))
    done = 0

    async def one(index: int, item: LabelledItem) -> None:
        nonlocal done
        judge = judges["reply" if item.kind == "reply" else "conversation"]
        async with gate:
            judgment = await judge.judge(_transcript(item))
        values = dict(judgment.values) if judgment.status == "judged" else None
        results[index] = _decisions(label, item, values)
        done += 1
        if progress is not None:
            progress(done, len(items))

    async def run_all() -> None:
        async with anyio.create_task_group() as group:
            for index, item in enumerate(items):
                group.start_soon(one, index, item)

    anyio.run(run_all)
    return [d for ds in results for d in ds]


def llm_cards(
    items: Sequence[LabelledItem],
    model: Any,
    *,
    sample: int = DEFAULT_SAMPLE,
    seed: int = DEFAULT_SEED,
    source: str = "",
    concurrency: int = 2,
) -> CardSet:
    """The LLM judge's cards on a stratified sample of ``items`` (see module doc)."""
    picked = stratified_sample(items, sample, seed)

    def progress(done: int, total: int) -> None:
        if done == total or done % 10 == 0:
            print(f"llm judge: {done}/{total} items", file=sys.stderr, flush=True)

    decisions = llm_decisions(picked, model, concurrency=concurrency, progress=progress)
    by_judge: dict[str, list[Decision]] = defaultdict(list)
    for decision in decisions:
        by_judge[decision.judge].append(decision)
    strata = sorted({s for s in (stratum(i) for i in picked) if s})
    described = (f"{source} · LLM sample n={len(picked)} of {len(items)}, seed={seed}, "
                 f"{len(strata)} strata")
    return CardSet(described, len(picked), 0, [card(k, v) for k, v in by_judge.items() if v])


def write_llm_cards(cards: CardSet, out: Path) -> tuple[Path, Path]:
    """``judge_cards_llm.json`` / ``judge_cards_llm.md`` under ``out`` (beside the offline
    cards, never over them)."""
    sub = out / "llm"
    json_path, md_path = write_cards(cards, sub, title="LLM judge cards")
    final_json, final_md = out / "judge_cards_llm.json", out / "judge_cards_llm.md"
    json_path.replace(final_json)
    md_path.replace(final_md)
    sub.rmdir()
    return final_json, final_md
