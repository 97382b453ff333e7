"""1,000 malformed records through every loader: no crash, every bad record quarantined with its
location (and nothing else quarantined).

Two kinds of evidence: a seeded corpus (``corpus.py``) of exactly 1,000 bad records per loader,
interleaved with as many good ones, where each bad record's location and reason are known; and
hypothesis properties that throw arbitrary bytes and text at the readers.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mhsafe.audit import IngestLimits, iter_items
from mhsafe.schema import Transcript
from mhsafe.suites import load_dataset_file
from mhsafe.suites._loaders import DatasetError
from tests.faults import corpus as cp

N_BAD = 1000
LIMITS = IngestLimits(max_message_bytes=cp.MAX_MESSAGE_BYTES)


def _check_suite(path: Path, corpus: cp.Corpus) -> None:
    result = load_dataset_file(path, suite="fuzz")
    where = [q.where for q in result.quarantined]
    assert len(where) == len(set(where)) == N_BAD
    assert set(where) == set(corpus.bad)
    assert all(q.source == path.name and q.reason for q in result.quarantined)
    assert len(result.cases) == corpus.good


def test_suite_jsonl_quarantines_each_of_1000_bad_lines(tmp_path: Path) -> None:
    corpus = cp.suite_jsonl(random.Random(1), N_BAD)
    path = tmp_path / "set.jsonl"
    path.write_bytes(corpus.data)
    _check_suite(path, corpus)


def test_suite_csv_quarantines_each_of_1000_bad_rows(tmp_path: Path) -> None:
    corpus = cp.suite_csv(random.Random(2), N_BAD)
    path = tmp_path / "set.csv"
    path.write_bytes(corpus.data)
    _check_suite(path, corpus)


@pytest.mark.parametrize("suffix", [".parquet", ".arrow"])
def test_suite_tables_quarantine_each_of_1000_bad_rows(tmp_path: Path, suffix: str) -> None:
    rows, corpus = cp.suite_rows(random.Random(3), N_BAD)
    path = tmp_path / f"set{suffix}"
    table = pa.Table.from_pylist(rows)
    if suffix == ".parquet":
        pq.write_table(table, path)
    else:
        import pyarrow.feather as feather

        feather.write_feather(table, path)
    _check_suite(path, corpus)


def test_whole_file_problems_are_named_errors_with_a_location(tmp_path: Path) -> None:
    """Some damage is to the file, not a record: text that is not UTF-8, broken CSV quoting, a
    truncated Parquet. These raise DatasetError naming the file (and line where there is one)
    -- never an unnamed exception, never a silent partial load."""
    bad_utf8 = tmp_path / "bad.jsonl"
    bad_utf8.write_bytes(b'{"prompt": "a"}\n{"prompt": "\xff\xfe"}\n')
    with pytest.raises(DatasetError, match=re.escape("bad.jsonl line 2")):
        load_dataset_file(bad_utf8)
    quoting = tmp_path / "quoting.csv"
    quoting.write_text('id,prompt\n1,fine\n2,"broken"quote\n', encoding="utf-8")
    with pytest.raises(DatasetError, match=re.escape("quoting.csv line 3")):
        load_dataset_file(quoting)


def test_a_truncated_parquet_set_is_a_named_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.parquet"
    pq.write_table(pa.Table.from_pylist([{"prompt": f"p{i}"} for i in range(50)]), path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DatasetError, match=re.escape("cut.parquet")):
        load_dataset_file(path)


def _quarantine_by_line(path: Path) -> tuple[dict[str, str], int]:
    found: dict[str, str] = {}
    good = 0
    for item, _cursor in iter_items([path], limits=LIMITS):
        if isinstance(item, Transcript):
            good += 1
        else:
            assert item.file == str(path)
            assert str(item.line) not in found, f"line {item.line} quarantined twice"
            found[str(item.line)] = item.reason
    return found, good


def test_audit_jsonl_quarantines_each_of_1000_bad_records(tmp_path: Path) -> None:
    corpus = cp.audit_jsonl(random.Random(4), N_BAD)
    path = tmp_path / "logs.jsonl"
    path.write_bytes(corpus.data)
    found, good = _quarantine_by_line(path)
    assert found == corpus.bad
    assert good == corpus.good


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_audit_long_form_quarantines_each_of_1000_bad_conversations(
    tmp_path: Path, suffix: str
) -> None:
    # CSV has no null (an empty cell is an empty string: a valid, empty reply) and no NUL
    # bytes, so its corpus uses the other kinds of damage.
    kinds = cp.CSV_LONG_KINDS if suffix == ".csv" else None
    rows, corpus = cp.audit_long_rows(random.Random(5), N_BAD, kinds)
    assert len(corpus.bad) == N_BAD
    path = tmp_path / f"logs{suffix}"
    if suffix == ".csv":
        corpus.bad = {str(int(k) + 1): v for k, v in corpus.bad.items()}  # the header line
        table = pa.Table.from_pylist([{k: None if v is None else str(v) for k, v in r.items()}
                                      for r in rows])
        pacsv.write_csv(table, path)
    else:
        pq.write_table(pa.Table.from_pylist([dict(r, turn=str(r["turn"])) for r in rows]), path)
    found, good = _quarantine_by_line(path)
    assert found == corpus.bad
    assert good == corpus.good


def test_suite_jsonl_keeps_records_with_raw_unicode_line_separators(tmp_path: Path) -> None:
    path = tmp_path / "sep.jsonl"
    path.write_text(json.dumps({"prompt": "one\u2028two"}, ensure_ascii=False) + "\n"
                    + json.dumps({"prompt": "x"}) + "\n{bad\n", encoding="utf-8")
    result = load_dataset_file(path)
    assert len(result.cases) == 2
    assert [q.where for q in result.quarantined] == ["line 3"]


def test_suite_jsonl_of_empty_objects_is_a_named_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("{}\n{}\n", encoding="utf-8")
    with pytest.raises(DatasetError):
        load_dataset_file(path)


# --- hypothesis: arbitrary input, the invariant only -------------------------------------------

_lines = st.lists(st.binary(max_size=80).map(lambda b: b.replace(b"\n", b" ")), max_size=12)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=_lines)
def test_audit_jsonl_never_crashes_and_accounts_for_every_line(tmp_path: Path,
                                                                lines: list[bytes]) -> None:
    path = tmp_path / "any.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    seen: list[int] = []
    for item, _cursor in iter_items([path], limits=LIMITS):
        line = int(item.source.rsplit(":", 1)[1]) if isinstance(item, Transcript) else item.line
        seen.append(line)
    records = [i for i, raw in enumerate(lines, start=1) if raw.strip()]
    assert seen == records  # every non-blank line: audited or quarantined, once, in order


# Raw line/paragraph separators other than \n are left out of this property; the JSONL case is
# pinned by test_suite_jsonl_keeps_records_with_raw_unicode_line_separators above.
_SEPARATORS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\r"
_cells = st.text(alphabet=st.characters(blacklist_categories=["Cs"],
                                        blacklist_characters=_SEPARATORS), max_size=30)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(st.one_of(
    st.dictionaries(st.sampled_from(["id", "prompt", "expected", "category", "x"]),
                    st.one_of(_cells, st.integers(), st.none(), st.lists(_cells, max_size=3)),
                    min_size=1, max_size=5),
    _cells, st.integers()), max_size=10))
def test_suite_jsonl_never_crashes(tmp_path: Path, records: list[object]) -> None:
    path = tmp_path / "any.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) if not isinstance(r, str)
             else r.replace("\n", " ") for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        result = load_dataset_file(path)
    except DatasetError as exc:
        assert "any.jsonl" in str(exc)
        return
    non_blank = sum(1 for line in lines if line.strip())
    assert len(result.cases) + len(result.quarantined) == non_blank


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from([*'ab,"\n\t; ', "é"]), max_size=120))
def test_suite_csv_never_crashes(tmp_path: Path, text: str) -> None:
    path = tmp_path / "any.csv"
    path.write_text("id,prompt\n" + text, encoding="utf-8")
    try:
        result = load_dataset_file(path)
    except DatasetError as exc:
        assert "any.csv" in str(exc)
        return
    assert all(q.where.startswith("line ") for q in result.quarantined)
