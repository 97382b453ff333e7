"""User errors at the command line: one paragraph on stderr and exit status 2, never a
traceback.

A traceback tells a clinician or an ML engineer that mhsafe broke when what went wrong was a
typo in a suite name, an unset API key or a file saved as UTF-16. Each room raises its own
error type for what a user can fix (``suites.DatasetError``, ``audit.InputError``, ...); this
module is the one place that knows which types those are and how they are shown. Anything
else is a bug and keeps its traceback, so bugs stay visible.

``user_errors`` wraps a Typer command; ``fail`` is for a check the command makes itself.
Messages name files, flags and variables, never conversation text.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from typing import NoReturn, ParamSpec, TypeVar

import typer
from typer import _click as click

P = ParamSpec("P")
R = TypeVar("R")

#: Exit status for "refused: the input or the environment is wrong" (click uses 2 for usage).
USER_ERROR_EXIT = 2


class UserError(ValueError):
    """A problem the user can fix, raised by the command line itself (a bad flag value)."""


def one_paragraph(message: str) -> str:
    """``message`` on one line: newlines and runs of spaces become one space, Rich markup
    from Inspect (``[bold][blue]X[/blue][/bold]``) is dropped, a leading ``ERROR:`` too."""
    text = re.sub(r"\[/?(?:bold|blue|red|yellow|green|italic)\]", "", message)
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"^(?:error|ERROR):\s*", "", text)


def fail(message: str) -> NoReturn:
    """Print ``error: message`` (one paragraph) on stderr and exit with status 2."""
    typer.echo(f"error: {one_paragraph(message)}", err=True)
    raise typer.Exit(USER_ERROR_EXIT)


def _describe_os_error(exc: OSError) -> str:
    """`[Errno 2] No such file or directory: 'x'` -> `x: no such file or directory`."""
    why = (exc.strerror or type(exc).__name__).lower()
    return f"{exc.filename}: {why}" if exc.filename else why


#: Where each user-facing error type lives: (module, class names).
USER_ERROR_HOMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("mhsafe.suites", ("DatasetError", "UnknownSuiteError", "EvalResumeError")),
    ("mhsafe.models._keys", ("MissingApiKeyError",)),
    ("mhsafe.audit", ("InputError", "ResumeError", "OutputLockedError", "AuditStoreError",
                      "AuditCountError")),
    ("mhsafe.audit._screen_config", ("ScreenConfigError",)),
    ("mhsafe.judges.clinical._grade_input", ("GradeInputError",)),
    ("inspect_ai._util.error", ("PrerequisiteError",)),  # Inspect's own "set X" errors
    ("yaml", ("YAMLError",)),
)


def user_error_types() -> tuple[type[BaseException], ...]:
    """The exception types that mean "the user can fix this", from the modules already
    loaded: an error can only have been raised by a module that is, so nothing is imported
    while an error is being shown (and `mhsafe --help` never loads every room)."""
    found: list[type[BaseException]] = [UserError]
    for module_name, names in USER_ERROR_HOMES:
        module = sys.modules.get(module_name)
        for name in names:
            kind = getattr(module, name, None) if module is not None else None
            if isinstance(kind, type) and issubclass(kind, BaseException):
                found.append(kind)
    return tuple(found)


def describe(exc: BaseException) -> str | None:
    """The one-paragraph message for a user error, or None when ``exc`` is a bug."""
    if isinstance(exc, (FileNotFoundError, IsADirectoryError, NotADirectoryError,
                        PermissionError)):
        return one_paragraph(_describe_os_error(exc))
    if isinstance(exc, UnicodeDecodeError):
        return one_paragraph(f"a file is not UTF-8 text ({exc.reason} at byte {exc.start}); "
                             "re-save it as UTF-8")
    if isinstance(exc, user_error_types()):
        return one_paragraph(str(exc))
    return None


def user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Decorate a Typer command (below ``@app.command``) so user errors exit 2 with one
    paragraph; the signature Typer reads is the command's own (``functools.wraps``)."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (click.ClickException, typer.Exit, typer.Abort, KeyboardInterrupt):
            raise  # click's own usage errors and exits already print and exit properly
        except Exception as exc:
            message = describe(exc)
            if message is None:
                raise
            fail(message)

    return wrapper
