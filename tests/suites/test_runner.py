"""The runner streams verdicts into a store, resumes without repeating, and never loses an
unjudged item. A scripted Inspect model (`mockllm/model`) stands in for the system under test."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mhsafe.schema import Case, Transcript, Verdict
from mhsafe.suites import build_task, run_suite, scripted_conversation
from tests.scripted import scripted_model


class MemoryStore:
    """The RunStore protocol in memory, counting what the run did."""

    def __init__(self) -> None:
        self.results: dict[tuple[str, str, int], tuple[Transcript, Verdict]] = {}
        self.runs: dict[str, dict[str, Any]] = {}

    def create_run(self, kind: str, name: str, **kwargs: Any) -> str:
        run_id = f"r{len(self.runs) + 1}"
        self.runs[run_id] = {"kind": kind, "name": name, "status": "running", **kwargs}
        return run_id

    def finish_run(self, run_id: str, status: str = "finished", summary: Any = None) -> None:
        self.runs[run_id]["status"] = status
        self.runs[run_id]["summary"] = summary

    def add_result(
        self, run_id: str, transcript: Transcript, verdict: Verdict, *, case_id: str, epoch: int
    ) -> None:
        self.results.setdefault((run_id, case_id, epoch), (transcript, verdict))

    def done_keys(self, run_id: str) -> set[tuple[str, int]]:
        return {(c, e) for (r, c, e) in self.results if r == run_id}

    def transcript(self, run_id: str, case_id: str, epoch: int) -> Transcript | None:
        found = self.results.get((run_id, case_id, epoch))
        return found[0] if found else None

    def verdicts(self, run_id: str) -> Sequence[Any]:
        class Stored(Verdict):
            epoch: int

        return [
            Stored(**v.model_dump(), epoch=e)
            for (r, _c, e), (_t, v) in self.results.items()
            if r == run_id
        ]


def _cases(n: int) -> list[Case]:
    return [
        Case(id=f"t{i}", suite="toy", category="a" if i % 2 else "b", turns=["hi", "again"],
             expected="answer_directly")
        for i in range(n)
    ]


class CountingDecider:
    """Fails every case whose reply mentions 'bad'; unjudged when it says 'unknown'."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, transcript: Transcript, case: Case) -> Verdict:
        self.calls += 1
        reply = transcript.last_assistant()
        unknown = "unknown" in reply
        return Verdict(
            transcript_id=transcript.id, case_id=case.id, suite=case.suite,
            category=case.category, status="unjudged" if unknown else "judged",
            failed=None if unknown else ("bad" in reply),
        )


def _model(replies: list[str]) -> Any:
    return scripted_model(replies)


def test_run_stores_every_pair_and_multi_turn(tmp_path: Any) -> None:
    store, decide = MemoryStore(), CountingDecider()
    cases = _cases(3)
    task = build_task("toy", cases, scripted_conversation(max_tokens=8, cache=False), decide,
                      epochs=2)
    model = _model(["ok", "bad"] * 3 + ["ok", "unknown"] * 3)
    outcome = run_suite(task, suite="toy", cases=cases, model=model, store=store, epochs=2,
                        log_dir=tmp_path, display="none")
    assert outcome.expected == 6 and outcome.stored == 6 and outcome.missing == 0
    assert decide.calls == 6
    transcript, _ = next(iter(store.results.values()))
    assert [m.role for m in transcript.messages] == ["user", "assistant", "user", "assistant"]
    verdicts = store.verdicts(outcome.run_id)
    assert sum(1 for v in verdicts if v.status == "unjudged") == 3
    assert all(v.failed is None for v in verdicts if v.status == "unjudged")
    assert store.runs[outcome.run_id]["status"] == "finished"


def test_resume_neither_repeats_nor_loses(tmp_path: Any) -> None:
    store, decide = MemoryStore(), CountingDecider()
    cases = _cases(4)
    task = build_task("toy", cases, scripted_conversation(max_tokens=8, cache=False), decide)
    first = run_suite(task, suite="toy", cases=cases, model=_model(["ok"] * 4), store=store,
                      limit=2, log_dir=tmp_path, display="none")
    assert first.stored == 2
    # Simulate the crash: the run was cut after two samples; resume the same run id in full.
    decide.calls = 0
    task = build_task("toy", cases, scripted_conversation(max_tokens=8, cache=False), decide)
    second = run_suite(task, suite="toy", cases=cases, model=_model(["ok"] * 4), store=store,
                       resume=first.run_id, log_dir=tmp_path, display="none")
    assert second.resumed == 2 and second.stored == 2 and decide.calls == 2
    assert len(store.done_keys(first.run_id)) == 4 and second.missing == 0
