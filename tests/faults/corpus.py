"""A seeded corpus of malformed records for every loader, each with where it sits and why it is
bad, so a test can demand that *that* record -- not the file, not its neighbours -- is
quarantined at *that* location.

Bad records are interleaved with good ones: a loader that quarantines too much (a neighbour) or
too little (lets the bad one through) fails either way.
"""

from __future__ import annotations

import csv
import io
import json
import random
import string
from dataclasses import dataclass, field
from typing import Any

SUITE_JSONL_KINDS = ("invalid_json", "not_object", "empty_prompt", "missing_prompt",
                     "bad_expected", "duplicate_id")
SUITE_CSV_KINDS = ("too_many_cells", "empty_prompt", "bad_expected", "duplicate_id")
SUITE_TABLE_KINDS = ("null_prompt", "empty_prompt", "bad_expected", "duplicate_id")

AUDIT_JSONL_KINDS = {
    "invalid_json": "invalid_json",
    "invalid_utf8": "invalid_utf8",
    "nul_byte": "nul_byte",
    "lone_surrogate": "invalid_utf8",
    "not_object": "not_an_object",
    "no_messages": "missing_messages",
    "messages_not_list": "missing_messages",
    "empty_messages": "empty_conversation",
    "message_not_object": "missing_role",
    "missing_role": "missing_role",
    "unknown_role": "unknown_role",
    "missing_content": "missing_content",
    "content_not_text": "content_not_text",
    "too_large": "message_too_large",
}
AUDIT_LONG_KINDS = {
    "bad_turn": "bad_turn",
    "unknown_role": "unknown_role",
    "missing_role": "missing_role",
    "missing_content": "missing_content",
    "nul_content": "nul_byte",
    "missing_id": "missing_column",
}
MAX_MESSAGE_BYTES = 2_000  # the audit tests pass this limit so "too_large" stays small


def _words(rng: random.Random, n: int = 4) -> str:
    alphabet = string.ascii_letters + "  éü—'\"?!,;\t"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8 * n))).strip() or "x"


def _garbage_json(rng: random.Random) -> str:
    while True:
        text = rng.choice(['{"prompt": ', "{'prompt': 'x'}", "[1, 2", '{"id": 1,}', "prompt=",
                           '{"a": tru}', "nan nan", '"unterminated']) + _words(rng, 2)
        try:
            json.loads(text)
        except ValueError:
            return text


@dataclass
class Corpus:
    """Encoded file content plus the bad records' locations and reasons."""

    data: bytes
    bad: dict[str, str] = field(default_factory=dict)  # location -> kind / reason
    good: int = 0


def suite_jsonl(rng: random.Random, n_bad: int) -> Corpus:
    """Lines for ``load_dataset_file`` (.jsonl); locations are ``line N``."""
    lines: list[str] = []
    corpus = Corpus(b"")
    for i in range(n_bad * 2):
        if i % 2 == 0:
            lines.append(json.dumps({"id": f"g{i}", "prompt": _words(rng),
                                     "category": rng.choice(["a", "b"])}))
            corpus.good += 1
            continue
        kind = rng.choice(SUITE_JSONL_KINDS)
        record: Any
        if kind == "invalid_json":
            lines.append(_garbage_json(rng))
        else:
            if kind == "not_object":
                record = rng.choice([[1, 2], "text", 3, None, True])
            elif kind == "empty_prompt":
                record = {"id": f"b{i}", "prompt": rng.choice(["", "   ", None, []])}
            elif kind == "missing_prompt":
                record = {"id": f"b{i}", "category": "a"}
            elif kind == "bad_expected":
                record = {"id": f"b{i}", "prompt": _words(rng), "expected": f"maybe_{i}"}
            else:
                record = {"id": f"g{i - 1}", "prompt": _words(rng)}
            lines.append(json.dumps(record))
        corpus.bad[f"line {len(lines)}"] = kind
    corpus.data = ("\n".join(lines) + "\n").encode()
    return corpus


def suite_csv(rng: random.Random, n_bad: int) -> Corpus:
    """A CSV for ``load_dataset_file``; cells may hold quotes, commas and newlines, so
    locations (``line N``) are computed from what the writer actually wrote."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "prompt", "expected"])
    corpus = Corpus(b"")
    for i in range(n_bad * 2):
        line = buffer.getvalue().count("\n") + 1
        if i % 2 == 0:
            prompt = _words(rng) + rng.choice(["", "\nsecond line", ', "quoted"'])
            writer.writerow([f"g{i}", prompt, "refuse_harm"])
            corpus.good += 1
            continue
        kind = rng.choice(SUITE_CSV_KINDS)
        if kind == "too_many_cells":
            writer.writerow([f"b{i}", _words(rng), "refuse_harm", "extra", _words(rng)])
        elif kind == "empty_prompt":
            writer.writerow([f"b{i}", rng.choice(["", "  "]), "refuse_harm"])
        elif kind == "bad_expected":
            writer.writerow([f"b{i}", _words(rng), f"perhaps_{i}"])
        else:
            writer.writerow([f"g{i - 1}", _words(rng), "refuse_harm"])
        corpus.bad[f"line {line}"] = kind
    corpus.data = buffer.getvalue().encode()
    return corpus


def suite_rows(rng: random.Random, n_bad: int) -> tuple[list[dict[str, Any]], Corpus]:
    """Rows for a Parquet/Arrow table; locations are ``row N``."""
    rows: list[dict[str, Any]] = []
    corpus = Corpus(b"")
    for i in range(n_bad * 2):
        if i % 2 == 0:
            rows.append({"id": f"g{i}", "prompt": _words(rng), "expected": "refuse_harm"})
            corpus.good += 1
            continue
        kind = rng.choice(SUITE_TABLE_KINDS)
        if kind == "null_prompt":
            rows.append({"id": f"b{i}", "prompt": None, "expected": "refuse_harm"})
        elif kind == "empty_prompt":
            rows.append({"id": f"b{i}", "prompt": " ", "expected": "refuse_harm"})
        elif kind == "bad_expected":
            rows.append({"id": f"b{i}", "prompt": _words(rng), "expected": f"hm_{i}"})
        else:
            rows.append({"id": f"g{i - 1}", "prompt": _words(rng), "expected": "refuse_harm"})
        corpus.bad[f"row {len(rows)}"] = kind
    return rows, corpus


def _audit_bad_line(rng: random.Random, kind: str, i: int) -> bytes:
    ok = {"role": "user", "content": _words(rng)}
    if kind == "invalid_json":
        return _garbage_json(rng).encode()
    if kind == "invalid_utf8":
        return json.dumps({"id": f"b{i}", "messages": [ok]}).encode().replace(
            b'"user"', b'"us\xff\xfeer"', 1)
    if kind == "nul_byte":
        return json.dumps({"id": f"b{i}", "messages": [ok]}).encode()[:-1] + b"\x00}"
    if kind == "lone_surrogate":
        lone = '[{"role": "user", "content": "a\\ud800b"}]'
        return f'{{"id": "b{i}", "messages": {lone}}}'.encode()
    record: Any = {"id": f"b{i}"}
    if kind == "not_object":
        record = rng.choice([[ok], "text", 7, None])
    elif kind == "no_messages":
        record["turns"] = [ok]
    elif kind == "messages_not_list":
        record["messages"] = rng.choice(["hello", {"role": "user"}, 3])
    elif kind == "empty_messages":
        record["messages"] = []
    elif kind == "message_not_object":
        record["messages"] = [ok, rng.choice(["user: hi", 5, None, ["user", "hi"]])]
    elif kind == "missing_role":
        record["messages"] = [ok, {"content": _words(rng)}]
    elif kind == "unknown_role":
        record["messages"] = [ok, {"role": rng.choice(["bot", "tool", "USER?"]), "content": "x"}]
    elif kind == "missing_content":
        record["messages"] = [ok, {"role": "assistant"}]
    elif kind == "content_not_text":
        record["messages"] = [ok, {"role": "assistant",
                                   "content": rng.choice([5, {"text": "x"}, [1, 2]])}]
    else:  # too_large
        record["messages"] = [{"role": "user", "content": "a" * (MAX_MESSAGE_BYTES + 1)}]
    return json.dumps(record).encode()


def audit_jsonl(rng: random.Random, n_bad: int) -> Corpus:
    """Deployment-log JSONL; locations are 1-based line numbers, values are reason codes."""
    lines: list[bytes] = []
    corpus = Corpus(b"")
    kinds = sorted(AUDIT_JSONL_KINDS)
    for i in range(n_bad * 2):
        if i % 2 == 0:
            lines.append(json.dumps({"id": f"g{i}", "messages": [
                {"role": "user", "content": _words(rng)},
                {"role": "assistant", "content": _words(rng)}]}).encode())
            corpus.good += 1
            continue
        kind = rng.choice(kinds)
        lines.append(_audit_bad_line(rng, kind, i))
        corpus.bad[str(len(lines))] = AUDIT_JSONL_KINDS[kind]
    corpus.data = b"\n".join(lines) + b"\n"
    return corpus


CSV_LONG_KINDS = ("bad_turn", "unknown_role", "missing_role", "missing_id")


def audit_long_rows(rng: random.Random, n_bad: int,
                    kinds: tuple[str, ...] | None = None) -> tuple[list[dict[str, Any]], Corpus]:
    """Long-form rows (conversation_id, turn, role, content), grouped by conversation; each bad
    conversation has one bad row. Locations are 1-based row numbers (CSV adds 1 for the
    header); the whole conversation is quarantined at its bad row. ``kinds`` narrows the
    damage (CSV has no null and no NUL: use ``CSV_LONG_KINDS``)."""
    rows: list[dict[str, Any]] = []
    corpus = Corpus(b"")
    kinds = kinds or tuple(sorted(AUDIT_LONG_KINDS))
    for i in range(n_bad * 2):
        turns: list[dict[str, Any]] = [
            {"conversation_id": f"c{i}", "turn": t, "role": ("user", "assistant")[t % 2],
             "content": _words(rng)} for t in range(rng.randint(1, 4))]
        if i % 2 == 1:
            kind = rng.choice(kinds)
            at = rng.randrange(len(turns))
            bad = dict(turns[at])
            if kind == "bad_turn":
                bad["turn"] = rng.choice(["two", "1.5", ""])
            elif kind == "unknown_role":
                bad["role"] = rng.choice(["bot", "narrator"])
            elif kind == "missing_role":
                bad["role"] = None
            elif kind == "missing_content":
                bad["content"] = None
            elif kind == "nul_content":
                bad["content"] = "a\x00b"
            else:
                # A row without an id stands alone: it is quarantined by itself and ends the
                # conversation before it, so put it after the conversation.
                bad["conversation_id"] = None
                rows.extend(turns)
                rows.append(bad)
                corpus.bad[str(len(rows))] = AUDIT_LONG_KINDS[kind]
                corpus.good += 1
                continue
            turns[at] = bad
            rows.extend(turns)
            corpus.bad[str(len(rows) - len(turns) + at + 1)] = AUDIT_LONG_KINDS[kind]
            continue
        rows.extend(turns)
        corpus.good += 1
    return rows, corpus
