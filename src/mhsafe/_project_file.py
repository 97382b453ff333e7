"""`mhsafe.yaml`: a project's models, judges, suites, limits, thresholds and store, read by every
command so a team types them once.

Precedence, highest first: a flag on the command line, then an environment variable that
mhsafe reads (``MHSAFE_DB`` for the store), then ``mhsafe.yaml``, then the built-in default.
The file is found at ``$MHSAFE_PROJECT`` or ``./mhsafe.yaml``; relative paths in it are read
relative to the file's own folder. It becomes click's ``default_map`` (one dictionary per
command), so a flag always overrides it and `--help` is unchanged. Fail closed: an unknown key,
a wrong type or a key in ``commands:`` that is not an option of that command stops every
command with exit status 2 -- a typo never silently falls back to a default.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from typer import _click as click
from typer.core import TyperGroup

FILE_NAME = "mhsafe.yaml"
PROJECT_ENV = "MHSAFE_PROJECT"
STORE_ENV = "MHSAFE_DB"


class ProjectFileError(ValueError):
    """The project file cannot be read or does not fit its schema; the message says where."""


class ProjectFile(BaseModel):
    """What `mhsafe.yaml` may say. Every key is optional."""

    model_config = ConfigDict(extra="forbid")

    store: str | None = None
    models: list[str] = Field(default_factory=list)
    judges: list[str] = Field(default_factory=list)
    suites: list[str] = Field(default_factory=list)
    limit: int | None = Field(default=None, ge=1)
    seed: int | None = None
    thresholds: str | None = None
    max_connections: int | None = Field(default=None, ge=1)
    log_dir: str | None = None
    commands: dict[str, dict[str, Any]] = Field(default_factory=dict)


def project_path(cwd: Path | None = None) -> Path | None:
    """The project file in use: ``$MHSAFE_PROJECT`` (which must exist), else ``./mhsafe.yaml``
    when present, else None."""
    configured = os.environ.get(PROJECT_ENV)
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise ProjectFileError(f"{PROJECT_ENV}={configured}: no such file")
        return path
    path = (cwd or Path.cwd()) / FILE_NAME
    return path if path.is_file() else None


def load_project(path: Path) -> ProjectFile:
    """Parse and validate one project file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectFileError(f"{path}: cannot read it ({exc})") from None
    except yaml.YAMLError as exc:
        raise ProjectFileError(f"{path}: not valid YAML ({exc})") from None
    if raw is None:
        return ProjectFile()
    if not isinstance(raw, dict):
        raise ProjectFileError(f"{path}: the top level must be a mapping of keys to values")
    try:
        project = ProjectFile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ProjectFileError(f"{path}: {problems}") from None
    if project.thresholds and not Path(project.thresholds).is_absolute():
        project.thresholds = str(path.parent / project.thresholds)
    if project.log_dir and not Path(project.log_dir).is_absolute():
        project.log_dir = str(path.parent / project.log_dir)
    return project


def walk_commands(group: TyperGroup) -> Iterator[tuple[list[str], click.Command]]:
    """Every command under `group` with its path of names (`["review", "assign"]`)."""
    for name, command in group.commands.items():
        yield [name], command
        if isinstance(command, TyperGroup):
            for path, sub in walk_commands(command):
                yield [name, *path], sub


def _flags(param: click.Parameter) -> set[str]:
    return set(param.opts) | set(param.secondary_opts)


def _project_values(project: ProjectFile, param: click.Parameter, path: list[str]) -> Any:
    """The project-wide value for one parameter of one command, or None (not set here)."""
    flags = _flags(param)
    multiple = bool(getattr(param, "multiple", False))
    command = " ".join(path)
    if "--db" in flags and project.store and not os.environ.get(STORE_ENV):
        return project.store  # the environment variable outranks the file
    if "--model" in flags and project.models and command == "eval":
        return project.models[0]
    if "--system" in flags and project.models and multiple:
        return list(project.models)
    if "--judge" in flags and project.judges and multiple:
        return list(project.judges)
    if param.param_type_name == "argument" and param.name == "suite" and project.suites:
        return project.suites[0]
    if "--limit" in flags and project.limit is not None and command == "eval":
        return project.limit
    if "--seed" in flags and project.seed is not None and command == "eval":
        return project.seed
    if "--thresholds" in flags and project.thresholds:
        return project.thresholds
    if "--max-connections" in flags and project.max_connections is not None:
        return project.max_connections
    if "--log-dir" in flags and project.log_dir:
        return project.log_dir
    return None


def _command_overrides(
    project: ProjectFile, command: click.Command, path: list[str], aliases: dict[str, str]
) -> dict[str, Any]:
    """`commands: {eval: {max-tokens: 200}}` as {param name: value}; unknown keys refused."""
    section = project.commands.get(" ".join(path))
    if not section:
        return {}
    by_key: dict[str, str] = {}
    for param in command.params:
        if param.name is None:
            continue
        by_key[param.name] = param.name
        for flag in _flags(param):
            by_key[flag.lstrip("-")] = param.name
    for old, new in aliases.items():
        if new.lstrip("-") in by_key:
            by_key[old.lstrip("-")] = by_key[new.lstrip("-")]
    out: dict[str, Any] = {}
    for key, value in section.items():
        name = by_key.get(str(key).lstrip("-"))
        if name is None:
            raise ProjectFileError(
                f"commands.{' '.join(path)}.{key}: `mhsafe {' '.join(path)}` has no such option"
            )
        out[name] = value
    return out


def default_map(
    project: ProjectFile, root: TyperGroup, aliases: dict[str, dict[str, str]] | None = None
) -> dict[str, Any]:
    """click's nested ``default_map`` for the whole command tree under `root`; `aliases` are
    the old flag spellings per command (accepted as keys of ``commands:`` too)."""
    known = {" ".join(p) for p, _ in walk_commands(root)}
    unknown = sorted(set(project.commands) - known)
    if unknown:
        raise ProjectFileError(f"commands: no such command(s) {unknown}; see `mhsafe --help`")
    tree: dict[str, Any] = {}
    for path, command in walk_commands(root):
        values: dict[str, Any] = {}
        for param in command.params:
            value = _project_values(project, param, path)
            if value is not None and param.name is not None:
                values[param.name] = value
        own = (aliases or {}).get(" ".join(path), {})
        values.update(_command_overrides(project, command, path, own))
        node = tree
        for name in path[:-1]:
            node = node.setdefault(name, {})
        node.setdefault(path[-1], {}).update(values)
    return tree


TEMPLATE = """\
# mhsafe.yaml -- read by every mhsafe command run in this folder (or named by $MHSAFE_PROJECT).
# Precedence, highest first: a flag on the command line > an environment variable
# (MHSAFE_DB) > this file > mhsafe's built-in defaults. Delete what you do not need; an unknown
# key is an error, never ignored. Relative paths are relative to this file.

# Where runs, verdicts and reviews are kept (--db of every command).
store: sqlite:///mhsafe.db

# Systems under test, in Inspect's naming. `mhsafe eval` without --model evaluates each in
# turn; `mhsafe report` / `mhsafe gate` without --system judge these.
# Your own OpenAI-compatible endpoint: openai-api/<service>/<model> with
# <SERVICE>_BASE_URL and <SERVICE>_API_KEY set in the environment (never here).
models:
  - mhsafe/local

# LLM judges added to the offline rules (--judge of eval, judge and audit). None: rules only.
judges: []

# `mhsafe eval` without a SUITE runs each of these (see `mhsafe suites`).
suites:
  - suicide_risk

# --limit K: a seeded stratified sample of K items per suite (add --first for the first K).
# limit: 20
# seed: 0

# Pass/fail thresholds for `mhsafe report` and `mhsafe gate` (default: the packaged ones).
# thresholds: thresholds.yaml

# Concurrent model calls (--max-connections) and where Inspect writes its logs (--log-dir).
# max_connections: 4
# log_dir: logs

# Any other option, per command, by its flag name without dashes.
# commands:
#   eval:
#     max-tokens: 200
#   audit:
#     judge-budget: 0.05
#   review serve:
#     port: 8765
"""


def write_template(path: Path, *, force: bool = False) -> Path:
    """Write the commented project file; refuse to overwrite one unless `force`."""
    if path.exists() and not force:
        raise ProjectFileError(f"{path} exists; use --force to overwrite it")
    path.write_text(TEMPLATE, encoding="utf-8")
    return path


def init_command(
    path: str = typer.Argument(FILE_NAME, help="Where to write the project file."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Write a commented mhsafe.yaml that every command run in this folder reads.

    It holds models, judges, suites, limits, thresholds and the store; flags override it.
    """
    try:
        written = write_template(Path(path), force=force)
    except ProjectFileError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"wrote {written}; edit it, then run e.g. `mhsafe eval` (flags override it)")
