"""The `mhsafe` root command group: what every command shares before its own body runs.

Three things, all decided here so no command body repeats them:

- **One spelling per flag.** Old spellings keep working as hidden aliases (``ALIASES``): they
  are rewritten to the current flag before parsing, so `--help` shows one name and scripts
  written against the old one do not break.
- **The project file.** ``mhsafe.yaml`` (see `mhsafe._project_file`) becomes click's
  ``default_map``; a flag overrides it. `mhsafe eval` with no SUITE and no --model evaluates
  every suite x model the file lists, one run each, and exits with the worst status.
- **Reachability first.** Every model or URL a command was given whose base URL is configured
  is connected to once, within a connect timeout (`mhsafe._reach`); an unreachable one stops
  the command with exit status 2 and the URL named, instead of a silent retry loop.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import typer
from typer import _click as click
from typer.core import TyperGroup

from mhsafe._project_file import ProjectFile, ProjectFileError, default_map, load_project
from mhsafe._project_file import project_path as find_project
from mhsafe._reach import connect_timeout, probe, unreachable

#: Old flag spellings per command -> the one spelling kept (docs: README, "Flags").
ALIASES: dict[str, dict[str, str]] = {
    "judge": {"--timeout": "--judge-timeout", "--concurrency": "--max-connections"},
    "gate": {"--json": "--out"},
    "validate": {
        "--llm-judge": "--judge",
        "--llm-sample": "--judge-sample",
        "--llm-seed": "--seed",
        "--llm-only": "--judge-only",
    },
}

#: Parameters (by Python name) that hold Inspect model names a command will call.
MODEL_PARAMS = ("model", "judge", "patient", "upstream", "llm_judge")
#: Parameters that hold a base URL the command will call directly.
URL_PARAMS = ("upstream_base_url",)

_PROJECT_KEY = "mhsafe.project"
_PROJECT_ERROR_KEY = "mhsafe.project_error"


def rewrite_aliases(args: Sequence[str], aliases: dict[str, str]) -> list[str]:
    """`args` with old flag spellings replaced (`--timeout 5`, `--timeout=5`); nothing after a
    bare `--` is touched."""
    out: list[str] = []
    tokens = list(args)
    for i, token in enumerate(tokens):
        if token == "--":
            return out + tokens[i:]
        flag, eq, value = token.partition("=")
        out.append(aliases[flag] + eq + value if flag in aliases else token)
    return out


def _model_names(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [v for v in value if isinstance(v, str)]
    return []


def check_endpoints(params: dict[str, Any]) -> list[str]:
    """Problems reaching what a parsed command will call (empty: all reachable or unknown)."""
    if params.get("resume"):
        return []  # the resumed run's own model is read from the store later
    models = [name for key in MODEL_PARAMS for name in _model_names(params.get(key))]
    problems = unreachable(models)
    timeout = connect_timeout()
    for key in URL_PARAMS:
        url = params.get(key)
        if isinstance(url, str) and url:
            why = probe(url, timeout)
            if why is not None:
                flag = "--" + key.replace("_", "-")
                problems.append(f"cannot reach {url} ({flag}): {why}")
    return problems


class MhsafeGroup(TyperGroup):
    """`typer.Typer(cls=MhsafeGroup)`: aliases, project defaults and reachability checks."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        project: ProjectFile | None = None
        problem: str | None = None
        if parent is None and "default_map" not in extra:
            try:
                path = find_project()
                if path is not None:
                    project = load_project(path)
                    extra["default_map"] = default_map(project, self, ALIASES)
            except ProjectFileError as exc:
                problem = str(exc)
        ctx = super().make_context(info_name, args, parent=parent, **extra)
        ctx.meta[_PROJECT_KEY] = project
        ctx.meta[_PROJECT_ERROR_KEY] = problem
        return ctx

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name is not None and ctx.parent is None:
            rest = rewrite_aliases(rest, ALIASES.get(name, {}))
        return name, command, rest

    def invoke(self, ctx: click.Context) -> Any:
        args = [*ctx._protected_args, *ctx.args]
        problem = ctx.meta.get(_PROJECT_ERROR_KEY)
        if not args:
            if problem:
                _fail(f"project file: {problem}")
            return super().invoke(ctx)
        name, command, rest = self.resolve_command(ctx, args)
        assert command is not None and name is not None
        if problem and name != "init":  # `mhsafe init --force` repairs a broken file
            _fail(f"project file: {problem}")
        ctx.args = []
        ctx._protected_args = []
        with ctx:
            ctx.invoked_subcommand = name
            click.Command.invoke(self, ctx)
            plans = self._plans(ctx, name, command, rest)
            worst = 0
            for i, plan in enumerate(plans, start=1):
                if len(plans) > 1:
                    typer.echo(f"== {name} {' '.join(plan)} ({i} of {len(plans)})", err=True)
                try:
                    self._invoke_one(ctx, name, command, plan)
                except typer.Exit as exc:
                    if len(plans) == 1:
                        raise
                    worst = max(worst, exc.exit_code)
            if worst:
                raise typer.Exit(worst)
            return None

    def _invoke_one(
        self, ctx: click.Context, name: str, command: click.Command, args: list[str]
    ) -> Any:
        sub_ctx = command.make_context(name, list(args), parent=ctx)
        with sub_ctx:
            problems = check_endpoints(sub_ctx.params)
            if problems:
                _fail("\n".join(problems))
            return sub_ctx.command.invoke(sub_ctx)

    def _plans(
        self, ctx: click.Context, name: str, command: click.Command, rest: list[str]
    ) -> list[list[str]]:
        """The argument lists to run: one, or -- for `eval` resting on the project file for
        both its suite and its model -- one per suite x model the file lists."""
        project: ProjectFile | None = ctx.meta.get(_PROJECT_KEY)
        if name != "eval" or project is None or "--help" in rest:
            return [rest]
        probe_ctx = command.make_context(name, list(rest), parent=ctx, resilient_parsing=True)
        source = click.core.ParameterSource.DEFAULT_MAP
        suites = project.suites if probe_ctx.get_parameter_source("suite") == source else []
        models = project.models if probe_ctx.get_parameter_source("model") == source else []
        if probe_ctx.params.get("resume") or (len(suites) <= 1 and len(models) <= 1):
            return [rest]
        plans: list[list[str]] = []
        for suite in suites or [""]:
            for model in models or [""]:
                plan = ([suite] if suite else []) + list(rest)
                plans.append(plan + (["--model", model] if model else []))
        return plans


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)
