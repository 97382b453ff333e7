"""mhsafe._errors: which exceptions are user errors and how they read (one paragraph)."""

from __future__ import annotations

import pytest
import typer

from mhsafe._errors import UserError, describe, one_paragraph, user_errors
from mhsafe.suites import DatasetError


def test_one_paragraph_drops_markup_and_newlines() -> None:
    inspect_text = ("ERROR: Unable to initialise openai client\n\nNo [bold][blue]OPENAI_API_KEY"
                    "[/blue][/bold] defined in the environment.")
    assert one_paragraph(inspect_text) == (
        "Unable to initialise openai client No OPENAI_API_KEY defined in the environment.")


def test_describe_user_errors_and_not_bugs() -> None:
    assert describe(DatasetError("set.csv: empty")) == "set.csv: empty"
    assert describe(UserError("--fields wants\npairs")) == "--fields wants pairs"
    assert describe(FileNotFoundError(2, "No such file or directory", "t.yaml")) == (
        "t.yaml: no such file or directory")
    assert describe(ValueError("a bug")) is None
    assert describe(KeyError("a bug")) is None


def test_the_decorator_exits_2_for_user_errors_only(capsys: pytest.CaptureFixture[str]) -> None:
    @user_errors
    def command(kind: str) -> str:
        if kind == "user":
            raise DatasetError("x.csv: empty")
        if kind == "bug":
            raise ValueError("bug")
        return "ok"

    assert command("fine") == "ok"
    with pytest.raises(typer.Exit) as caught:
        command("user")
    assert caught.value.exit_code == 2
    assert capsys.readouterr().err == "error: x.csv: empty\n"
    with pytest.raises(ValueError, match="bug"):
        command("bug")
