"""Panel: run judges concurrently, collect their judgments, reduce them.

It reads like Inspect's ``multi_scorer``: the policy (how to combine) is the ``reducer``
parameter, not a branch inside. Two rules keep a panel honest. A panel never silently shrinks:
``n_answered`` of ``n_judges`` is always reported, and below ``quorum`` the result is
``unjudged``. A tie is never broken by list order: a label without a strict majority is None.

A judge with a measured card below the YAML policy (``judges/_cards.py``) is *advisory* on the
criteria its card fails, and on those it has no card for: its judgment is kept and shown,
its answers to those criteria are not counted, and it does not count towards the quorum.
Judges of a model without any card vote as before; a card-weighted vote is the opt-in
``card_weighted_reducer``.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence

import anyio
from pydantic import BaseModel, ConfigDict, Field

from mhsafe.judges._judge import Judge
from mhsafe.schema import Judgment, JudgmentStatus, Transcript, Value

Labels = dict[str, Value]
Scores = dict[str, float]
Reducer = Callable[[Sequence[Judgment]], tuple[Labels, Scores]]


class PanelResult(BaseModel):
    """What the panel decided about one transcript, with every member's judgment behind it.

    ``labels``: bool/str criteria by strict majority (None on a tie or split). ``scores``:
    numeric criteria by median. Both are empty when the panel is ``unjudged``."""

    model_config = ConfigDict(extra="forbid")

    transcript_id: str
    labels: Labels = Field(default_factory=dict)
    scores: Scores = Field(default_factory=dict)
    n_judges: int
    n_answered: int
    quorum: int
    judgments: list[Judgment]
    status: JudgmentStatus
    advisory: dict[str, list[str]] = Field(default_factory=dict)
    """Judge name -> criteria it answered but may not decide (card below policy)."""


def majority_reducer(judgments: Sequence[Judgment]) -> tuple[Labels, Scores]:
    """Strict majority per bool/str criterion among the judges that gave it (more than half,
    else None); median per numeric criterion. Only ``judged`` judgments are read."""
    answered = [j for j in judgments if j.status == "judged"]
    keys = sorted({k for j in answered for k in j.values})
    labels: Labels = {}
    scores: Scores = {}
    for key in keys:
        given = [j.values[key] for j in answered if j.values.get(key) is not None]
        numeric = [v for v in given if isinstance(v, int | float) and not isinstance(v, bool)]
        if given and len(numeric) == len(given):
            scores[key] = float(statistics.median(numeric))
            continue
        votes = Counter(given)
        top = votes.most_common(1)
        labels[key] = top[0][0] if top and top[0][1] * 2 > len(given) else None
    return labels, scores


class Panel:
    """Several judges over one transcript. ``quorum`` defaults to a strict majority of the
    members (3 of 4, 2 of 3, 1 of 1)."""

    def __init__(
        self,
        judges: Sequence[Judge],
        *,
        quorum: int | None = None,
        reducer: Reducer = majority_reducer,
        card_policy: bool = True,
    ) -> None:
        if not judges:
            raise ValueError("a panel needs at least one judge")
        names = [j.name for j in judges]
        if len(set(names)) != len(names):
            raise ValueError("panel judges need distinct names")
        self.judges = list(judges)
        self.quorum = quorum if quorum is not None else len(self.judges) // 2 + 1
        if not 1 <= self.quorum <= len(self.judges):
            raise ValueError("quorum must be between 1 and the number of judges")
        self.reducer = reducer
        self.card_policy = card_policy

    async def run(self, transcript: Transcript) -> PanelResult:
        results: list[Judgment | None] = [None] * len(self.judges)

        async def one(index: int, judge: Judge) -> None:
            results[index] = await _safe_judge(judge, transcript)

        async with anyio.create_task_group() as group:
            for index, judge in enumerate(self.judges):
                group.start_soon(one, index, judge)
        judgments = [j for j in results if j is not None]
        voting, advisory = _apply_cards(judgments) if self.card_policy else (judgments, {})
        n_answered = sum(j.status == "judged" for j in voting)
        silenced = sum(1 for j in judgments if j.status == "judged" and j.judge in advisory
                       and not any(v.judge == j.judge for v in voting))
        quorum = min(self.quorum, len(self.judges) - silenced)
        if quorum == 0:  # every answering member is advisory: the panel decides nothing
            return PanelResult(
                transcript_id=transcript.id,
                n_judges=len(self.judges),
                n_answered=0,
                quorum=self.quorum,
                judgments=judgments,
                status="judged",
                advisory=advisory,
            )
        if n_answered < quorum:
            return PanelResult(
                transcript_id=transcript.id,
                n_judges=len(self.judges),
                n_answered=n_answered,
                quorum=self.quorum,
                judgments=judgments,
                status="unjudged",
                advisory=advisory,
            )
        labels, scores = self.reducer(voting)
        return PanelResult(
            transcript_id=transcript.id,
            labels=labels,
            scores=scores,
            n_judges=len(self.judges),
            n_answered=n_answered,
            quorum=self.quorum,
            judgments=judgments,
            status="judged",
            advisory=advisory,
        )


def _apply_cards(judgments: list[Judgment]) -> tuple[list[Judgment], dict[str, list[str]]]:
    """The judgments as they may vote (answers to criteria a failing card covers removed; a
    judge left with none is out of the vote) and, per judge, the criteria it is advisory on."""
    from mhsafe.judges._cards import packaged_card_book

    book, policy = packaged_card_book()
    if not book:
        return judgments, {}
    from mhsafe.judges._cards import judge_model

    carded = {model for model, _, _ in book}
    voting: list[Judgment] = []
    advisory: dict[str, list[str]] = {}
    for j in judgments:
        model = judge_model(j)
        # a carded model is advisory wherever its card fails *or is missing*: its quality on
        # an unmeasured criterion is unknown, and unknown never decides
        failing = [k for k in j.values if (c := book.get((model, j.rubric, k))) is None
                   or not c.passes(policy)] if j.status == "judged" and model in carded else []
        if not failing:
            voting.append(j)
            continue
        advisory[j.judge] = failing
        kept = {k: v for k, v in j.values.items() if k not in failing}
        if kept:
            voting.append(j.model_copy(update={"values": kept}))
    return voting, advisory


async def _safe_judge(judge: Judge, transcript: Transcript) -> Judgment:
    """A judge that raises becomes an unjudged member; one bad judge never sinks the panel."""
    began = time.perf_counter()
    try:
        return await judge.judge(transcript)
    except Exception as exc:
        return Judgment(
            judge=judge.name,
            transcript_id=transcript.id,
            rubric="unknown",
            status="unjudged",
            error=f"judge raised {type(exc).__name__}",
            latency_s=time.perf_counter() - began,
        )
