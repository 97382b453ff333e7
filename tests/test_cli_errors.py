"""Issue 18: user errors through the real command line exit 2 with one paragraph that names
what to fix -- never a traceback. Each case runs the Typer app as a user would (CliRunner),
in an empty folder with no API keys set, and nothing reaches a model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mhsafe.cli import app

KEYS = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "AZUREAI_OPENAI_API_KEY", "ANTHROPIC_API_KEY",
        "AZURE_ANTHROPIC_API_KEY", "AZUREAI_ANTHROPIC_API_KEY", "ACME_API_KEY", "ACME_BASE_URL",
        "INSPECT_EVAL_MODEL_BASE_URL", "MHSAFE_PROJECT")


@pytest.fixture(autouse=True)
def _bare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty working folder (no mhsafe.yaml, no .env) and no keys in the environment."""
    monkeypatch.chdir(tmp_path)
    for key in KEYS:
        monkeypatch.delenv(key, raising=False)


def user_error(*args: str) -> str:
    """Run ``mhsafe ARGS``; assert exit 2 with one ``error:`` paragraph; return it."""
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    message = result.output.strip()
    assert "Traceback" not in result.output
    assert message.startswith("error: ")
    assert "\n" not in message, message  # one paragraph, on one line
    return message


def test_unknown_suite_names_the_closest_one(tmp_path: Path) -> None:
    message = user_error("eval", "suicde_risk", "--db", f"sqlite:///{tmp_path / 'm.db'}")
    assert "unknown suite 'suicde_risk'; did you mean 'suicide_risk'?" in message
    assert "mhsafe suites" in message
    assert not (tmp_path / "m.db").exists()  # refused before the store was opened
    far = user_error("eval", "zzzz", "--db", f"sqlite:///{tmp_path / 'm.db'}")
    assert "did you mean" not in far and "known suites: cbt_restructuring," in far


def test_dash_and_underscore_are_the_same_suite(tmp_path: Path) -> None:
    # `suicide-risk` resolves (no unknown-suite error); the run stops at the missing key.
    message = user_error("eval", "Suicide-Risk", "--model", "openai/gpt-4o",
                         "--db", f"sqlite:///{tmp_path / 'm.db'}")
    assert "unknown suite" not in message
    assert message.startswith("error: openai/gpt-4o needs OPENAI_API_KEY")


def test_missing_api_key_names_the_variable(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'm.db'}"
    message = user_error("eval", "suicide_risk", "--model", "openai/gpt-4o", "--db", db)
    assert message == (
        "error: openai/gpt-4o needs OPENAI_API_KEY (or AZURE_OPENAI_API_KEY, "
        "AZUREAI_OPENAI_API_KEY), which is not set. Set it in the environment (export "
        "OPENAI_API_KEY=...) or in a .env file, or use mhsafe/local, the embedded model, which "
        "needs no key.")
    own = user_error("eval", "suicide_risk", "--model", "openai-api/acme/m1", "--db", db)
    assert "openai-api/acme/m1 needs ACME_API_KEY" in own
    assert "openai-api/acme/m1 needs ACME_BASE_URL" in own
    judge = user_error("eval", "suicide_risk", "--judge", "anthropic/claude-x", "--db", db)
    assert "anthropic/claude-x needs ANTHROPIC_API_KEY" in judge


def test_a_key_in_dotenv_counts_as_set(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("OPENAI_API_KEY=sk-test\n", encoding="utf-8")
    message = user_error("eval", "nosuch_suite_at_all", "--model", "openai/gpt-4o",
                         "--db", f"sqlite:///{tmp_path / 'm.db'}")
    assert "unknown suite" in message and "OPENAI_API_KEY" not in message
    assert "OPENAI_API_KEY" not in os.environ


def test_missing_api_key_for_judge_and_audit_panels(tmp_path: Path) -> None:
    lines = tmp_path / "r.jsonl"
    lines.write_text('{"id": "a", "messages": [{"role": "user", "content": "hi"}], '
                     '"response": "hello"}\n', encoding="utf-8")
    message = user_error("judge", str(lines), "--out", str(tmp_path / "o.jsonl"),
                         "--judge", "openai/gpt-4o")
    assert "openai/gpt-4o needs OPENAI_API_KEY" in message
    assert not (tmp_path / "o.jsonl").exists()
    logs = tmp_path / "logs.jsonl"
    logs.write_text('{"id": "a", "messages": [{"role": "user", "content": "hi"}]}\n',
                    encoding="utf-8")
    message = user_error("audit", str(logs), "--out", str(tmp_path / "out"), "--no-store",
                         "--no-embeddings", "--judge", "openai/gpt-4o")
    assert "openai/gpt-4o needs OPENAI_API_KEY" in message


@pytest.mark.parametrize(("args", "expected"), [
    (["eval", "custom", "--dataset", "nope.csv", "--db", "sqlite:///m.db"],
     "error: nope.csv: no such file or folder"),
    (["judge", "nope.jsonl", "--out", "o.jsonl"], "error: nope.jsonl: no such file"),
    (["judge", ".", "--out", "o.jsonl"],
     "error: .: not a regular file (a directory?); give the JSONL file"),
    (["audit", "nope.jsonl", "--out", "out", "--no-store"], "error: nope.jsonl: no such file"),
    (["gate", "--thresholds", "nope.yaml", "--db", "sqlite:///m.db"],
     "error: nope.yaml: no such file or directory"),
    (["report", "--thresholds", "nope.yaml", "--db", "sqlite:///m.db"],
     "error: nope.yaml: no such file or directory"),
])
def test_missing_files_are_named(args: list[str], expected: str) -> None:
    assert user_error(*args) == expected


def test_missing_or_bad_screen_config(tmp_path: Path) -> None:
    logs = tmp_path / "logs.jsonl"
    logs.write_text('{"id": "a", "messages": [{"role": "user", "content": "hi"}]}\n',
                    encoding="utf-8")
    base = ["audit", str(logs), "--out", str(tmp_path / "out"), "--no-store"]
    assert user_error(*base, "--screen-config", "nope.yaml") == (
        "error: --screen-config nope.yaml: cannot read (No such file or directory)")
    typo = tmp_path / "screen.yaml"
    typo.write_text("embeding_threshold: 0.5\n", encoding="utf-8")
    message = user_error(*base, "--screen-config", str(typo))
    assert "embeding_threshold: Extra inputs are not permitted" in message
    assert not (tmp_path / "out").exists()


def test_unreadable_files_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As root a chmod 000 file is still readable, so the refusal is the OS's, simulated.
    locked = tmp_path / "set.csv"
    locked.write_text("prompt\nhello\n", encoding="utf-8")
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    message = user_error("eval", "custom", "--dataset", str(locked),
                         "--db", f"sqlite:///{tmp_path / 'm.db'}")
    assert message == f"error: {locked}: cannot read (Permission denied)"
    graded = user_error("judge", str(locked), "--out", str(tmp_path / "o.jsonl"))
    assert graded == f"error: {locked}: cannot read (Permission denied)"


@pytest.mark.parametrize(("value", "bad"), [("prompt", "['prompt']"),
                                              ("prompt=text,label", "['label']"),
                                              ("=text", "['']")])
def test_bad_fields_values(tmp_path: Path, value: str, bad: str) -> None:
    data = tmp_path / "set.csv"
    data.write_text("text,y\nhello,safe\n", encoding="utf-8")
    message = user_error("eval", "custom", "--dataset", str(data), "--fields", value,
                         "--db", f"sqlite:///{tmp_path / 'm.db'}")
    assert message == ("error: --fields wants name=column pairs separated by commas "
                       f"(e.g. prompt=text,label=y), got {bad}")


def test_unknown_field_name_suggests_one(tmp_path: Path) -> None:
    data = tmp_path / "set.csv"
    data.write_text("text,y\nhello,safe\n", encoding="utf-8")
    message = user_error("eval", "custom", "--dataset", str(data), "--fields", "promt=text",
                         "--db", f"sqlite:///{tmp_path / 'm.db'}")
    assert "unknown field names ['promt']; did you mean 'prompt'?" in message
    logs = tmp_path / "logs.csv"
    logs.write_text("a,b,c,d\n", encoding="utf-8")
    audited = user_error("audit", str(logs), "--out", str(tmp_path / "out"), "--no-store",
                         "--no-embeddings", "--fields", "speaker=c")
    assert audited.startswith("error: --fields: unknown field(s) ['speaker']")
    roles = user_error("audit", str(logs), "--out", str(tmp_path / "out"), "--no-store",
                       "--no-embeddings", "--roles", "bot")
    assert roles == ("error: --roles wants word=user|assistant|system pairs separated by "
                     "commas (e.g. bot=assistant,human=user), got ['bot']")


def test_resume_of_an_unknown_run_or_another_suite(tmp_path: Path) -> None:
    from mhsafe.store import Store

    db = f"sqlite:///{tmp_path / 'm.db'}"
    run = Store(db).create_run("eval", "over_refusal", model="mhsafe/local", config={})
    message = user_error("eval", "suicide_risk", "--resume", run, "--db", db)
    assert message == f"error: --resume: run {run} is a over_refusal run, not suicide_risk"


def test_a_bug_still_shows_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only user errors are softened: a programming error keeps its exception (exit 1)."""
    import mhsafe.suites

    def broken(*_: object) -> list[object]:
        raise TypeError("a bug")

    monkeypatch.setattr(mhsafe.suites, "list_suites", broken)
    result = CliRunner().invoke(app, ["suites"])
    assert result.exit_code == 1 and isinstance(result.exception, TypeError)


def test_report_ecological_with_an_unknown_test_set_or_a_missing_log(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'm.db'}"
    message = user_error("report", "--out", str(tmp_path / "rep"), "--db", db,
                         "--ecological", "suicde-risk", "logs.jsonl")
    assert "unknown suite 'suicde-risk'; did you mean 'suicide_risk'?" in message
    missing = user_error("report", "--out", str(tmp_path / "rep"), "--db", db,
                         "--ecological", "suicide-risk", "logs.jsonl")
    assert missing == "error: logs.jsonl: no such file"


def test_validate_checks_the_llm_judges_key_before_any_card(tmp_path: Path) -> None:
    message = user_error("validate", "labels.jsonl", "--out", str(tmp_path / "cards"),
                         "--judge", "openai/gpt-4o")
    assert message.startswith("error: openai/gpt-4o needs OPENAI_API_KEY")
    assert not (tmp_path / "cards").exists()
