"""Which verdicts of two stored runs are the same item, for `mhsafe compare`.

A verdict is the same item in both runs when its case id and its epoch agree: pairing on the
case alone would compare epoch 1 of one run with epoch 3 of the other, and a paired test on
mismatched pairs is not paired. Case ids are compared as strings (a dataset's ``5`` and
``"5"`` are one item), as everywhere else in mhsafe.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from mhsafe.report._compare import ComparisonRow, Key, compare_runs
from mhsafe.schema import Verdict


class VerdictSource(Protocol):
    """What pairing needs from a store: a run's verdicts, each with its ``epoch``."""

    def verdicts(self, run_id: str) -> Sequence[Any]: ...


def keyed_verdicts(verdicts: Sequence[Any]) -> list[tuple[Key, Verdict]]:
    """Each stored verdict (a ``Verdict`` with its ``epoch``) under its (case id as a
    string, epoch) key."""
    return [((str(v.case_id), int(v.epoch)), v) for v in verdicts]


def compare_stored_runs(source: VerdictSource, run_a: str, run_b: str) -> list[ComparisonRow]:
    """Compare two stored runs item by item (see ``compare_runs``)."""
    return compare_runs(keyed_verdicts(source.verdicts(run_a)),
                        keyed_verdicts(source.verdicts(run_b)))
