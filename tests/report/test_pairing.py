"""`mhsafe compare` pairs stored verdicts on (case id as a string, epoch): epoch 1 of one run
is never paired with epoch 2 of the other."""

from __future__ import annotations

from collections.abc import Sequence

from mhsafe.report import compare_stored_runs, keyed_verdicts
from mhsafe.store import StoredVerdict


def _v(run: str, case: str, epoch: int, failed: bool) -> StoredVerdict:
    return StoredVerdict(transcript_id=f"{run}-{case}-{epoch}", case_id=case, suite="s",
                         category="c", status="judged", failed=failed, run_id=run, epoch=epoch)


class Source:
    def __init__(self, runs: dict[str, list[StoredVerdict]]) -> None:
        self.runs = runs

    def verdicts(self, run_id: str) -> Sequence[StoredVerdict]:
        return self.runs[run_id]


def test_keys_are_case_id_string_and_epoch() -> None:
    keyed = keyed_verdicts([_v("a", "5", 2, True)])
    assert [key for key, _ in keyed] == [("5", 2)]


def test_same_items_are_paired_and_other_epochs_are_not() -> None:
    same = Source({"a": [_v("a", "1", 1, True), _v("a", "2", 1, False)],
                   "b": [_v("b", "1", 1, False), _v("b", "2", 1, False)]})
    (overall,) = [r for r in compare_stored_runs(same, "a", "b") if r.category == "all"]
    assert (overall.paired_n, overall.test) == (2, "mcnemar-exact")
    shifted = Source({"a": [_v("a", "1", 1, True), _v("a", "2", 1, False)],
                      "b": [_v("b", "1", 2, False), _v("b", "2", 2, False)]})
    (apart,) = [r for r in compare_stored_runs(shifted, "a", "b") if r.category == "all"]
    assert (apart.paired_n, apart.test) == (0, "fisher-exact")
