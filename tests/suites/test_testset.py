"""`report --ecological TESTSET LOG`: TESTSET is a file when the path exists, else a suite
(an evidence suite included, `-`/`_` alike); a name that is neither is an unknown suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from mhsafe.suites import UnknownSuiteError, load_suite, load_testset


def test_a_file_a_suite_and_an_evidence_suite(tmp_path: Path) -> None:
    path = tmp_path / "set.csv"
    path.write_text("prompt\nhello\nworld\n", encoding="utf-8")
    assert [c.turns for c in load_testset(str(path))] == [["hello"], ["world"]]
    assert [c.id for c in load_testset("over-refusal")] == [c.id for c in
                                                           load_suite("over_refusal")]
    assert [c.id for c in load_testset("clinical_facts")] == [c.id for c in
                                                             load_suite("clinical_facts")]


def test_neither_a_file_nor_a_suite(tmp_path: Path) -> None:
    with pytest.raises(UnknownSuiteError, match=r"unknown suite 'nope\.csv'"):
        load_testset("nope.csv")
