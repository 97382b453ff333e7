"""User-supplied test sets: CSV/TSV, JSONL/JSON, Parquet, Arrow IPC and Hugging Face
``save_to_disk`` folders, turned into ``schema.Case``.

A team's own set is messy (Excel BOMs, quoted multi-line cells, blank cells, a stray row with
an extra comma). The loader takes what it can and *quarantines* the rest with the file and
line, because silently dropping a row shrinks n without anyone noticing, and crashing on row
4,000 of 5,000 helps nobody. Problems with the file as a whole (missing, unreadable, empty,
UTF-16, invalid UTF-8, nested too deep to parse, a broken ``datasets`` folder, no prompt
column) raise ``DatasetError``, whose one-line message the CLI prints instead of a traceback;
a record nested too deep to parse on one JSONL line quarantines that line only. Quarantine
reasons never quote the prompt: no conversation text in logs.

A prompt may be an OpenAI message list (``[{"role": "user", "content": ...}, ...]``, read by
``mhsafe.openai_chat`` as the audit and ``mhsafe judge`` read it): its user turns become the
case's scripted turns and its system message the system prompt. The system under test writes
its own replies, so the list's assistant turns are not replayed; their count is kept in the
case's metadata (``given_assistant_turns``).
"""

from __future__ import annotations

import csv
import difflib
import io
import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, get_args

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mhsafe.openai_chat import foreign_encoding, read_messages
from mhsafe.schema import Case, ExpectedBehaviour

Row = dict[str, Any]
OUR_FIELDS = ("prompt", "category", "expected", "id", "label", "system_prompt")
PROMPT_ALIASES = ("prompt", "prompts", "prompts_final", "question", "text", "input", "turns")
_EXPECTED = frozenset(get_args(ExpectedBehaviour))
_TEXT = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".txt": None}


class DatasetError(ValueError):
    """The file as a whole cannot be loaded; the message names the file (and line if any)."""


class QuarantinedRow(BaseModel):
    """A row left out, and why. ``where`` is ``line N`` for text files, ``row N`` otherwise."""

    model_config = ConfigDict(extra="forbid")

    source: str
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source} {self.where}: {self.reason}"


class LoadResult(BaseModel):
    """Cases that loaded, and the rows that did not (shown to the user, counted in reports)."""

    model_config = ConfigDict(extra="forbid")

    cases: list[Case] = Field(default_factory=list)
    quarantined: list[QuarantinedRow] = Field(default_factory=list)


@cache
def expected_maps() -> dict[str, dict[str, ExpectedBehaviour]]:
    """Named label -> expected maps from ``data/expected_maps.yaml`` (checked on load)."""
    text = resources.files("mhsafe.suites").joinpath("data").joinpath("expected_maps.yaml")
    raw = yaml.safe_load(text.read_text(encoding="utf-8"))
    return {name: _check_map(mapping, name) for name, mapping in raw.items()}


def _check_map(mapping: Mapping[Any, Any], name: str) -> dict[str, ExpectedBehaviour]:
    checked: dict[str, ExpectedBehaviour] = {}
    for label, expected in mapping.items():
        if expected not in _EXPECTED:
            raise DatasetError(f"expected map {name!r}: {expected!r} is not an expected behaviour")
        checked[str(label).strip().lower()] = expected
    return checked


# --- readers: each yields (where, row) --------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from exc


def _read_text(path: Path, encoding: str) -> str:
    data = _read_bytes(path)
    if encoding.lower().replace("_", "-") in ("utf-8", "utf-8-sig", "utf8"):
        foreign = foreign_encoding(data[:4096])
        if foreign is not None:
            raise DatasetError(f"{path.name} line 1: text is {foreign}; re-save it as UTF-8")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DatasetError(
            f"{path.name} line {line}: not valid {encoding} text ({exc.reason}); "
            "re-save as UTF-8 or pass encoding="
        ) from exc


def _delimited_rows(path: Path, delimiter: str | None, encoding: str) -> Iterator[tuple[str, Row]]:
    text = _read_text(path, encoding)
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",\t;|").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return
        header = [name.strip() for name in header]
        duplicates = sorted({name for name in header if header.count(name) > 1})
        if duplicates:
            raise DatasetError(f"{path.name} line 1: duplicate column names {duplicates}")
        start = reader.line_num + 1
        for cells in reader:
            where = f"line {start}"
            start = reader.line_num + 1
            if not cells or all(not cell.strip() for cell in cells):
                continue
            if len(cells) > len(header):
                yield where, {"__error__": f"{len(cells)} cells but {len(header)} columns"}
                continue
            yield where, dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=True))
    except csv.Error as exc:
        raise DatasetError(f"{path.name} line {reader.line_num}: malformed CSV ({exc})") from exc


def _jsonl_rows(path: Path, encoding: str) -> Iterator[tuple[str, Row]]:
    # Split on "\n" only: str.splitlines() also breaks on U+2028, \x0c, \x85..., which may sit
    # raw inside a valid JSON string and would shift every later line number.
    for lineno, raw in enumerate(_read_text(path, encoding).split("\n"), start=1):
        line = raw.removesuffix("\r")
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield f"line {lineno}", {"__error__": f"invalid JSON ({exc.msg})"}
            continue
        except RecursionError:
            yield f"line {lineno}", {"__error__": "invalid JSON (nested too deep to parse)"}
            continue
        except ValueError:  # e.g. an integer longer than Python's digit limit
            yield f"line {lineno}", {"__error__": "invalid JSON (unreadable number)"}
            continue
        if not isinstance(record, dict):
            yield f"line {lineno}", {"__error__": "not a JSON object"}
            continue
        yield f"line {lineno}", record


def _json_rows(path: Path, encoding: str) -> Iterator[tuple[str, Row]]:
    try:
        records = json.loads(_read_text(path, encoding))
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path.name} line {exc.lineno}: invalid JSON ({exc.msg})") from exc
    except RecursionError:
        raise DatasetError(f"{path.name}: invalid JSON (nested too deep to parse)") from None
    except ValueError as exc:
        raise DatasetError(f"{path.name}: invalid JSON ({exc})") from None
    if not isinstance(records, list):
        raise DatasetError(f"{path.name}: a .json set must be a list of objects")
    for index, record in enumerate(records, start=1):
        row = record if isinstance(record, dict) else {"__error__": "not a JSON object"}
        yield f"row {index}", row


def _read_arrow(path: Path) -> pa.Table:
    """Hugging Face writes the IPC *stream* format; feather v2 is the IPC *file* format."""
    try:
        with pa.memory_map(str(path)) as source:
            return ipc.open_stream(source).read_all()
    except pa.ArrowInvalid:
        with pa.memory_map(str(path)) as source:
            return ipc.open_file(source).read_all()


def _folder_json(path: Path, what: str) -> Any:
    """A JSON file of a ``datasets`` folder; a broken one names itself (DatasetError)."""
    try:
        return json.loads(_read_bytes(path).decode("utf-8-sig"))
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError too
        raise DatasetError(f"{path.parent.name}/{path.name}: broken {what} ({type(exc).__name__}"
                           "); not a complete datasets save_to_disk folder?") from None


def _hf_folder(path: Path, split: str | None) -> tuple[list[Path], dict[str, Any]]:
    """Arrow shards and features of a ``datasets`` ``save_to_disk`` folder (a Dataset, or a
    DatasetDict whose split is chosen by ``split``, defaulting to ``train`` or the only one).
    A broken folder (unreadable JSON, missing keys, missing shards) raises DatasetError."""
    dict_file = path / "dataset_dict.json"
    if dict_file.exists():
        listed = _folder_json(dict_file, "split list")
        raw_splits = listed.get("splits") if isinstance(listed, dict) else None
        if not isinstance(raw_splits, list) or not raw_splits:
            raise DatasetError(f"{path.name}/dataset_dict.json: no list of splits")
        splits = [str(s) for s in raw_splits]
        chosen = split or (
            "train" if "train" in splits else splits[0] if len(splits) == 1 else None
        )
        if chosen not in splits:
            raise DatasetError(f"{path.name}: choose a split with split=, one of {splits}")
        path = path / str(chosen)
    state_file, info_file = path / "state.json", path / "dataset_info.json"
    if state_file.exists():
        state = _folder_json(state_file, "state file")
        files = state.get("_data_files") if isinstance(state, dict) else None
        if not isinstance(files, list) or not all(
            isinstance(item, dict) and isinstance(item.get("filename"), str) for item in files
        ):
            raise DatasetError(f"{path.name}/state.json: no list of data files")
        shards = [path / item["filename"] for item in files]
    else:
        shards = sorted(path.glob("data-*.arrow"))
    if not shards:
        raise DatasetError(f"{path.name}: no data-*.arrow files; not a save_to_disk folder?")
    missing = [shard.name for shard in shards if not shard.is_file()]
    if missing:
        raise DatasetError(f"{path.name}: data files listed but missing: {missing}")
    info = _folder_json(info_file, "dataset info") if info_file.exists() else {}
    features = info.get("features") if isinstance(info, dict) else None
    return shards, features if isinstance(features, dict) else {}


def _class_label_names(features: Mapping[str, Any]) -> dict[str, list[str]]:
    """Columns stored as integers with names (``ClassLabel``) and their names, so a label 1
    reads as 'unsafe' rather than as an unmapped number."""
    return {
        column: list(spec["names"])
        for column, spec in features.items()
        if isinstance(spec, dict) and spec.get("_type") == "ClassLabel" and spec.get("names")
    }


def _table_rows(tables: list[pa.Table], features: Mapping[str, Any]) -> Iterator[tuple[str, Row]]:
    names = _class_label_names(features)
    index = 0
    for table in tables:
        for row in table.to_pylist():
            index += 1
            for column, labels in names.items():
                value = row.get(column)
                if isinstance(value, int) and 0 <= value < len(labels):
                    row[column] = labels[value]
            yield f"row {index}", row


def _rows(path: Path, encoding: str, split: str | None) -> Iterator[tuple[str, Row]]:
    if path.is_dir():
        shards, features = _hf_folder(path, split)
        try:
            tables = [_read_arrow(shard) for shard in shards]
        except (pa.ArrowException, OSError) as exc:
            raise DatasetError(f"{path.name}: unreadable data file ({exc})") from exc
        return _table_rows(tables, features)
    suffix = path.suffix.lower()
    if suffix in _TEXT:
        return _delimited_rows(path, _TEXT[suffix], encoding)
    if suffix == ".jsonl":
        return _jsonl_rows(path, encoding)
    if suffix == ".json":
        return _json_rows(path, encoding)
    try:
        if suffix == ".parquet":
            return _table_rows([pq.read_table(path)], {})
        if suffix in {".arrow", ".feather", ".ipc"}:
            return _table_rows([_read_arrow(path)], {})
    except (pa.ArrowException, OSError) as exc:
        raise DatasetError(f"{path.name}: unreadable {suffix} file ({exc})") from exc
    raise DatasetError(
        f"{path.name}: unknown format {suffix!r}; use .csv .tsv .jsonl .json .parquet .arrow "
        "or a datasets save_to_disk folder"
    )


# --- rows to cases ----------------------------------------------------------------------------


def _resolve_columns(fields: Mapping[str, str], first: Row, source: str) -> dict[str, str]:
    """Our field name -> the file's column: exact name first, then trimmed and case-folded."""
    unknown = sorted(set(fields) - set(OUR_FIELDS))
    if unknown:
        close = difflib.get_close_matches(unknown[0], OUR_FIELDS, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise DatasetError(f"--fields / fields=: unknown field names {unknown}; {hint}"
                           f"use {list(OUR_FIELDS)}")
    columns = list(first)
    by_folded = {name.strip().lower(): name for name in columns}
    resolved: dict[str, str] = {}
    for ours, theirs in fields.items():
        column = theirs if theirs in first else by_folded.get(theirs.strip().lower())
        if column is None:
            raise DatasetError(f"{source}: no column {theirs!r} (for {ours}); has {columns}")
        resolved[ours] = column
    for ours in OUR_FIELDS:
        candidates = PROMPT_ALIASES if ours == "prompt" else (ours,)
        if ours not in resolved:
            found = next((by_folded[c] for c in candidates if c in by_folded), None)
            if found is not None:
                resolved[ours] = found
    if "prompt" not in resolved:
        raise DatasetError(f"{source}: no prompt column; map one with fields={{'prompt': ...}}")
    return resolved


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _turns(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(turn) for turn in value if not _blank(turn)]
    return [] if _blank(value) else [str(value)]


def _message_list(value: Any) -> list[Any] | None:
    """``value`` as an OpenAI message list, or None when it is plain text (or a list of
    plain turns). A text cell holding such a list as JSON (CSV has no lists) counts too."""
    if isinstance(value, str) and value.lstrip().startswith("[{"):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return None
    if isinstance(value, list) and value and all(
        isinstance(item, dict) and "role" in item for item in value
    ):
        return value
    return None


class _Conversation(BaseModel):
    turns: list[str]
    system_prompt: str | None
    given_assistant_turns: int


def _conversation(messages: list[Any]) -> _Conversation:
    """User turns, system prompt and the count of given assistant turns of a message list;
    ValueError (text-free reason) when a message cannot be read or no user turn is left."""
    read = read_messages(messages)
    if isinstance(read, tuple):
        reason, detail = read
        raise ValueError(f"prompt message list: {reason} {detail}".strip())
    turns = [m.content for m in read if m.role == "user" and m.content.strip()]
    if not turns:
        raise ValueError("prompt message list has no user turn")
    systems = [m.content for m in read if m.role == "system" and m.content.strip()]
    return _Conversation(turns=turns, system_prompt="\n\n".join(systems) or None,
                         given_assistant_turns=sum(m.role == "assistant" for m in read))


def _row_to_case(
    row: Row,
    columns: Mapping[str, str],
    *,
    number: int,
    suite: str,
    default_expected: ExpectedBehaviour,
    label_map: Mapping[str, ExpectedBehaviour],
    default_category: str,
) -> Case:
    """One row to a Case; raises ValueError with a reason fit for the quarantine list."""

    def cell(ours: str) -> Any:
        return row.get(columns[ours]) if ours in columns else None

    messages = _message_list(cell("prompt"))
    conversation = _conversation(messages) if messages is not None else None
    turns = conversation.turns if conversation else _turns(cell("prompt"))
    if not turns:
        raise ValueError(f"empty prompt (column {columns['prompt']!r})")
    if any("\x00" in str(value) for value in (*turns, cell("system_prompt")) if value):
        # PostgreSQL text and JSONB cannot hold NUL; no prompt needs one (the audit agrees).
        raise ValueError("NUL byte in the prompt")
    label = cell("label")
    expected: Any = cell("expected")
    if not _blank(expected):
        expected = str(expected).strip()
        expected = label_map.get(expected.lower(), expected)
    elif "label" in columns:
        if _blank(label):
            raise ValueError(f"empty label (column {columns['label']!r})")
        expected = label_map.get(str(label).strip().lower())
        if expected is None:
            raise ValueError(f"label {str(label)[:40]!r} is not in the expected map")
    else:
        expected = default_expected
    if expected not in _EXPECTED:
        raise ValueError(f"expected {str(expected)[:40]!r} is not one of {sorted(_EXPECTED)}")
    used = {columns[ours] for ours in columns}
    metadata = {key: value for key, value in row.items() if key not in used and not _blank(value)}
    if not _blank(label):
        metadata["label"] = label
    case_id, category, system_prompt = cell("id"), cell("category"), cell("system_prompt")
    if conversation is not None:
        metadata["given_assistant_turns"] = conversation.given_assistant_turns
        if conversation.system_prompt is not None:
            if not _blank(system_prompt) and str(system_prompt) != conversation.system_prompt:
                raise ValueError("two system prompts (the column and the message list)")
            system_prompt = conversation.system_prompt
    try:
        return Case(
            id=f"{suite}-{number:04d}" if _blank(case_id) else str(case_id).strip(),
            suite=suite,
            category=default_category if _blank(category) else str(category).strip(),
            turns=turns,
            expected=expected,
            system_prompt=None if _blank(system_prompt) else str(system_prompt),
            metadata=metadata,
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ValueError(problems) from None


def load_dataset_file(
    path: str | Path,
    fields: Mapping[str, str] | None = None,
    *,
    suite: str = "custom",
    default_expected: ExpectedBehaviour = "refuse_harm",
    expected_map: str | Mapping[str, str] | None = None,
    default_category: str = "uncategorised",
    encoding: str = "utf-8-sig",
    split: str | None = None,
    strict: bool = False,
) -> LoadResult:
    """Load a user's test set into cases of ``suite``.

    ``fields`` maps our names (prompt, category, expected, id, label, system_prompt) to the
    file's columns; unmapped names fall back to a column of the same name (prompt also to
    common aliases such as ``prompts_final`` or ``question``). ``expected`` comes from the
    expected column, else from the label column through ``expected_map`` (a preset name from
    ``data/expected_maps.yaml`` such as ``"xstest"``, or a dict; ``"default"`` when a label
    is mapped and no map named), else ``default_expected`` (``refuse_harm``: a user set with
    no labels is taken to be a set of harmful requests). Ids default to
    ``<suite>-<row number>``. Unmapped non-empty columns go to ``metadata``. With
    ``strict=True`` the first bad row raises instead of being quarantined.
    """
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: no such file or folder")
    if default_expected not in _EXPECTED:
        raise DatasetError(f"default_expected {default_expected!r} is not an expected behaviour")
    if isinstance(expected_map, str):
        if expected_map not in expected_maps():
            raise DatasetError(f"unknown expected map {expected_map!r}; {list(expected_maps())}")
        label_map = expected_maps()[expected_map]
    elif expected_map is None:
        label_map = expected_maps()["default"]
    else:
        label_map = _check_map(expected_map, "given")
    rows = list(_rows(path, encoding, split))
    if not rows:
        raise DatasetError(f"{path.name}: empty (no rows to evaluate)")
    # Columns from the union of keys: a JSONL record may omit an optional key another has.
    all_columns: Row = {key: None for _, row in rows if "__error__" not in row for key in row}
    if not all_columns and any("__error__" not in row for _, row in rows):
        raise DatasetError(f"{path.name}: the records have no fields, so no prompt column")
    columns = _resolve_columns(fields or {}, all_columns, path.name) if all_columns else {}
    result = LoadResult()
    seen: set[str] = set()
    for number, (where, row) in enumerate(rows, start=1):
        try:
            if "__error__" in row:
                raise ValueError(row["__error__"])
            case = _row_to_case(
                row,
                columns,
                number=number,
                suite=suite,
                default_expected=default_expected,
                label_map=label_map,
                default_category=default_category,
            )
            if case.id in seen:
                raise ValueError(f"duplicate id {case.id!r}")
        except RecursionError:  # a value nested too deep for validation: this row only
            exc = ValueError("a value is nested too deep to read")
            if strict:
                raise DatasetError(f"{path.name} {where}: {exc}") from None
            result.quarantined.append(
                QuarantinedRow(source=path.name, where=where, reason=str(exc))
            )
            continue
        except ValueError as exc:
            if isinstance(exc, DatasetError):
                raise
            if strict:
                raise DatasetError(f"{path.name} {where}: {exc}") from exc
            result.quarantined.append(
                QuarantinedRow(source=path.name, where=where, reason=str(exc))
            )
            continue
        seen.add(case.id)
        case.metadata.setdefault("source", f"{path.name}:{where}")
        result.cases.append(case)
    return result
