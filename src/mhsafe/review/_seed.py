"""A small demo queue: one audit run and six review items, from ``data/demo_items.jsonl``.

Lets the app, its tests and a first-time user see real pages without running the audit. The
conversations are self-written and already look redacted; the findings include a correct
intervention, a missed one, a hallucinated line, an over-trigger and two unflagged samples
(one of which hides a risk the screen missed), so every metric has something to show.
"""

from __future__ import annotations

import json
from importlib.resources import files

from mhsafe.store import ReviewItemIn, Store

#: What the demo run's summary says about the population the sample came from, in the shape
#: the audit writes (``review.unflagged_by_stratum``), so the bound can be scaled to a count.
DEMO_UNFLAGGED = {"short": 410, "long": 190}


def demo_items() -> list[ReviewItemIn]:
    """The packaged demo items, validated."""
    text = files("mhsafe.review").joinpath("data/demo_items.jsonl").read_text("utf-8")
    return [ReviewItemIn.model_validate(json.loads(line)) for line in text.splitlines() if line]


def seed_demo(store: Store) -> str:
    """Create a finished audit run holding the demo items; returns its run id."""
    run_id = store.create_run("audit", "review-demo", config={"demo": True})
    items = demo_items()
    store.add_review_items(run_id, items)
    store.finish_run(
        run_id,
        summary={
            "conversations_audited": sum(DEMO_UNFLAGGED.values())
            + sum(1 for i in items if i.reason == "flagged"),
            "review": {"unflagged_by_stratum": DEMO_UNFLAGGED},
        },
    )
    return run_id
