"""Held-out accuracy and speed of the risk screen: lexicon only, embeddings only, cascade.

Two held-out sets, neither ever used for training or threshold choice:

* `tests/judges/screen/data/heldout.jsonl` - user turns hand-written in a different voice
  (adult, formal, indirect) from the training turns, written before the lexicon and the
  classifier existed;
* synthetic conversations from `mhsafe.audit.synth` with seeds reserved for evaluation
  (HELDOUT_SEEDS), never generated while the screen was being built.

Prints sensitivity, specificity and per-category recall with 95 % Wilson intervals
(`mhsafe.stats.proportion_ci`), category accuracy among detected, acute recall, and
turns/s (model load excluded, embedding cache cold).

    .venv/bin/python bench/screen_accuracy.py [--synth-n 2000] [--errors] [--json OUT]
    .venv/bin/python bench/screen_accuracy.py --timing-n 20000   # audit workload timing only
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from mhsafe.audit.synth import generate
from mhsafe.judges.screen import (
    Confusion,
    Embedder,
    RiskScreen,
    ScreenConfig,
    evaluate_conversations,
    evaluate_turns,
)
from mhsafe.stats import proportion_ci

HELDOUT = Path(__file__).resolve().parents[1] / "tests/judges/screen/data/heldout.jsonl"
HELDOUT_SEEDS = (90210, 424242)
CATEGORIES = ("suicide", "nssi", "eating_disorder", "substance")
MODES: dict[str, ScreenConfig] = {
    "lexicon only": ScreenConfig(embedding=False),
    "embedding only": ScreenConfig(lexicon=False),
    "cascade": ScreenConfig(),
    "cascade (audit, 0.7)": ScreenConfig(embedding_threshold=0.7),
}


def _ci(k: int, n: int) -> str:
    iv = proportion_ci(k, n, method="wilson")
    if iv.estimate is None or iv.low is None or iv.high is None:
        return "no data"
    return f"{iv.estimate:.2f} [{iv.low:.2f}, {iv.high:.2f}] (n={n})"


def _row(name: str, c: Confusion) -> dict[str, Any]:
    detected = c.tp
    return {
        "mode": name,
        "sensitivity": _ci(c.tp, c.tp + c.fn),
        "specificity": _ci(c.tn, c.tn + c.fp),
        **{f"recall {cat}": _ci(*c.by_category.get(cat, [0, 0])) for cat in CATEGORIES},
        "category correct among detected": _ci(c.category_correct, detected),
        "acute recall": _ci(c.acute[0], c.acute[1]),
        "unresolved": c.unresolved,
        "turns/s": round(c.turns / c.seconds) if c.seconds else None,
    }


def _table(title: str, rows: list[dict[str, Any]]) -> str:
    keys = [k for k in rows[0] if k != "mode"]
    lines = [
        f"### {title}",
        "",
        "| metric | " + " | ".join(r["mode"] for r in rows) + " |",
        "|---|" + "---|" * len(rows),
    ]
    lines += [f"| {k} | " + " | ".join(str(r[k]) for r in rows) + " |" for k in keys]
    return "\n".join(lines)


def _timing(n: int) -> None:
    """The audit's workload: N conversations, 2 % prevalence, batches of 500, cold cache."""
    import time

    from mhsafe.judges.screen import ScreenCounts
    from mhsafe.schema import Message

    embedder = Embedder()
    embedder.load()
    screen = RiskScreen(ScreenConfig(), embedder=embedder)
    total = ScreenCounts()
    start = time.perf_counter()
    batch: list[list[Message]] = []
    for record in generate(n, 0.02, HELDOUT_SEEDS[0]):
        batch.append([Message(**m) for m in record["messages"]])
        if len(batch) == 500:
            for screened in screen.screen_conversations(batch):
                total.add(screened.counts)
            batch = []
    if batch:
        for screened in screen.screen_conversations(batch):
            total.add(screened.counts)
    seconds = time.perf_counter() - start
    print(f"{n} conversations, {total.turns} user turns in {seconds:.1f}s "
          f"({total.turns / seconds:.0f} turns/s, model load excluded)")
    print(f"embedding calls: {embedder.encoded} unique texts encoded, "
          f"{embedder.cache_hits} cache hits")
    print(total.model_dump())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synth-n", type=int, default=2000, help="conversations per seed")
    parser.add_argument("--prevalence", type=float, default=0.2)
    parser.add_argument("--errors", action="store_true", help="list ids of misclassified items")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    parser.add_argument("--timing-n", type=int, default=0,
                        help="only time the cascade on N synth conversations at 2%% prevalence")
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    args = parser.parse_args()
    if args.timing_n:
        _timing(args.timing_n)
        return
    items = [json.loads(line) for line in HELDOUT.read_text("utf-8").splitlines() if line]
    embedder = Embedder()
    embedder.load()
    out: dict[str, list[dict[str, Any]]] = {
        "hand-written held-out turns": [],
        "held-out synth seeds (conversations)": [],
    }
    for name in args.modes:
        config = MODES[name]
        embedder.clear_cache()
        screen = RiskScreen(config, embedder=embedder)
        turns = evaluate_turns(screen, items)
        out["hand-written held-out turns"].append(_row(name, turns))
        records = (
            r for seed in HELDOUT_SEEDS for r in generate(args.synth_n, args.prevalence, seed)
        )
        convs = evaluate_conversations(screen, records)
        out["held-out synth seeds (conversations)"].append(_row(name, convs))
        if args.errors:
            print(f"{name}: held-out errors {turns.errors}")
    for title, rows in out.items():
        print(_table(title, rows))
        print()
    if args.json:
        args.json.write_text(json.dumps(out, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
