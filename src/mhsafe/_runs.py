"""Runs as people refer to them: by id, by the name given with `mhsafe eval --name`, or by a
unique id prefix; and `mhsafe runs` / `mhsafe runs show` to see what the store holds.

Beside the rooms (like `cli.py`): it reads the store and prints. A name is kept in the run's
``config["run_name"]`` (no schema change) and must be unique in a store, so a name always means
one run; a reference that matches nothing, or more than one run, is refused with the candidates
named -- never silently resolved to "some run".
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, get_args

import typer

if TYPE_CHECKING:  # the store and rich load when a command runs, not when `mhsafe` starts
    from rich.console import Console
    from rich.table import Table

    from mhsafe.store import RunInfo, Store

#: Where `mhsafe eval --name` keeps the name inside a run's config.
NAME_KEY = "run_name"
#: The shortest id prefix accepted as a reference (the date part alone is not unique).
MIN_PREFIX = 8


class UnknownRunError(LookupError):
    """A run reference that names no run, or more than one; the message says which."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown run"


def run_name(run: RunInfo) -> str | None:
    """The name a run was given with `--name`, if any."""
    value = (run.config or {}).get(NAME_KEY)
    return str(value) if value else None


def find_run(store: Store, ref: str) -> RunInfo:
    """The run `ref` refers to: an exact id, else an exact name, else a unique id prefix.

    Raises UnknownRunError when nothing matches (with the closest ids and names) or when a name
    or prefix matches several runs (with their ids).
    """
    exact = store.get_run(ref)
    if exact is not None:
        return exact
    runs = store.list_runs()
    named = [r for r in runs if run_name(r) == ref]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:  # only possible in a store written before names were checked
        ids = ", ".join(r.id for r in named)
        raise UnknownRunError(f"run name {ref!r} is ambiguous: runs {ids}; use an id")
    prefixed = [r for r in runs if len(ref) >= MIN_PREFIX and r.id.startswith(ref)]
    if len(prefixed) == 1:
        return prefixed[0]
    if prefixed:
        ids = ", ".join(r.id for r in prefixed[:5])
        raise UnknownRunError(f"run id prefix {ref!r} matches {len(prefixed)} runs ({ids}, ...)")
    known = [r.id for r in runs] + [n for r in runs if (n := run_name(r))]
    close = difflib.get_close_matches(ref, known, n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    where = store.url_display
    raise UnknownRunError(
        f"no run {ref!r} in {where} (neither an id nor a name).{hint} "
        "`mhsafe runs` lists the runs it holds."
    )


def id_and_name(store: Store, run_id: str) -> tuple[str, str | None]:
    """A run id with its `--name` (None when unnamed or unknown), for headings."""
    run = store.get_run(run_id)
    return run_id, (run_name(run) if run is not None else None)


def check_new_name(store: Store, name: str) -> None:
    """Refuse a `--name` that another run already has (a name must mean one run)."""
    if not name.strip():
        raise UnknownRunError("--name must not be empty")
    if store.get_run(name) is not None:
        raise UnknownRunError(f"{name!r} is already a run id; choose another --name")
    taken = [r.id for r in store.list_runs() if run_name(r) == name]
    if taken:
        raise UnknownRunError(
            f"a run named {name!r} exists ({taken[0]}); choose another --name, or continue "
            f"that run with --resume {name}"
        )


def resolve_or_exit(store: Store, ref: str, *, what: str = "run") -> str:
    """`find_run(...).id`, or a one-line error and exit status 2 (for the CLI)."""
    try:
        return find_run(store, ref).id
    except UnknownRunError as exc:
        typer.echo(f"error: {what}: {exc}", err=True)
        raise typer.Exit(2) from None


def resolve_optional(db: str | None, ref: str | None, *, what: str = "--run") -> str | None:
    """For `--run` options that may be absent: None stays None, a name becomes its id."""
    from mhsafe.store import Store

    if ref is None:
        return None
    return resolve_or_exit(Store(db), ref, what=what)


def verdict_counts(store: Store, run_ids: Sequence[str]) -> dict[str, int]:
    """Stored verdicts per run id, in one query (runs with none are absent)."""
    from sqlalchemy import func, select

    from mhsafe.store import VerdictRow

    if not run_ids:
        return {}
    query = (
        select(VerdictRow.run_id, func.count())
        .where(VerdictRow.run_id.in_(list(run_ids)))
        .group_by(VerdictRow.run_id)
    )
    with store.session() as s:
        return {str(run_id): int(n) for run_id, n in s.execute(query)}


def run_size(run: RunInfo, counts: dict[str, int]) -> int | None:
    """How many items a run holds: verdicts stored, or an audit's conversations audited."""
    if run.kind == "audit":
        audited = (run.summary or {}).get("conversations_audited")
        return int(audited) if isinstance(audited, int) else None
    return counts.get(run.id, 0)


def _share(width: int, wanted: Sequence[int]) -> list[int]:
    """Split `width` characters among columns wanting `wanted`: narrow columns keep what they
    want, the rest share what is left equally (at least 4 each, room for "ab…")."""
    widths = [0] * len(wanted)
    left, open_ = width, sorted(range(len(wanted)), key=lambda i: wanted[i])
    while open_:
        fair = left // len(open_)
        i = open_.pop(0)
        widths[i] = max(4, min(wanted[i], fair))
        left -= widths[i]
    return widths


def runs_table(runs: Sequence[RunInfo], counts: dict[str, int], *, width: int = 80) -> Table:
    """The `mhsafe runs` table in `width` columns: ids, dates, sizes and statuses are never
    cut; the free-text columns (name, suite, model) share the rest and end in an ellipsis
    when they must give way."""
    from rich.table import Table

    rows = []
    for r in runs:
        size = run_size(r, counts)
        rows.append((
            r.id,
            run_name(r) or "-",
            r.name if r.kind != "audit" else f"audit:{r.name}",
            r.model or str((r.config or {}).get("system") or "-"),  # an audit's --system
            f"{r.created_at:%Y-%m-%d}",
            "-" if size is None else str(size),
            r.status,
        ))
    headers = ("id", "name", "suite", "model", "date", "n", "status")
    wanted = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(headers)]
    fixed = wanted[0] + wanted[4] + wanted[5] + wanted[6]
    gaps = len(headers) - 1
    flexible = _share(max(width - fixed - gaps, 12), wanted[1:4])
    table = Table(box=None, pad_edge=False, padding=(0, 1, 0, 0), header_style="bold",
                  expand=False)
    for i, header in enumerate(headers):
        limit = flexible[i - 1] if 1 <= i <= 3 else wanted[i]
        table.add_column(header, no_wrap=True, overflow="ellipsis", min_width=limit,
                         max_width=limit, justify="right" if header == "n" else "left")
    for row in rows:
        model, room = row[3], flexible[2]
        if len(model) > room:  # keep the model's own name: the provider prefix gives way
            model = "…" + model[len(model) - room + 1:]
        table.add_row(*row[:3], model, *row[4:])
    return table


def print_runs(store: Store, console: Console, *, kind: str | None = None,
               limit: int | None = None) -> int:
    """Print the runs (newest first); returns how many were shown."""
    runs = store.list_runs(kind=kind)
    if limit is not None:
        runs = runs[:limit]
    if not runs:
        console.print(f"no runs in {store.url_display}")
        return 0
    counts = verdict_counts(store, [r.id for r in runs])
    console.print(runs_table(runs, counts, width=console.width))
    return len(runs)


def run_details(store: Store, run: RunInfo) -> dict[str, object]:
    """What `mhsafe runs show` prints: the stored run with its name and verdict tally."""
    verdicts = store.verdicts(run.id) if run.kind != "audit" else []
    failed = sum(1 for v in verdicts if v.failed is True)
    unjudged = sum(1 for v in verdicts if v.failed is None)
    detail: dict[str, object] = {
        "id": run.id,
        "name": run_name(run),
        "kind": run.kind,
        "suite": run.name,
        "model": run.model or (run.config or {}).get("system"),
        "judge": run.judge,
        "status": run.status,
        "created_at": run.created_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "n": run_size(run, {run.id: len(verdicts)}),
        "config": run.config,
        "summary": run.summary,
        "inspect_log": run.inspect_log,
    }
    if run.kind != "audit":
        detail["verdicts"] = {"total": len(verdicts), "failed": failed, "unjudged": unjudged,
                              "passed": len(verdicts) - failed - unjudged}
    return detail


# --- the `mhsafe runs` commands --------------------------------------------------------------

runs_app = typer.Typer(
    help="List the runs in the store, or show one (by id, name or unique id prefix).",
    invoke_without_command=True,
)
_DB = typer.Option(None, "--db", help="Store URL (default: $MHSAFE_DB or sqlite:///mhsafe.db).")


@runs_app.callback()
def runs_command(
    ctx: typer.Context,
    kind: str | None = typer.Option(None, "--kind", help="Only runs of this kind: eval, "
                                    "clinical, audit or judge."),
    last: int | None = typer.Option(None, "--last", min=1, help="Only the newest N runs."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list instead of a table."),
    db: str | None = _DB,
) -> None:
    """List runs, newest first: id, name, suite, model, date, n (items), status."""
    from rich.console import Console

    from mhsafe.store import RunKind, Store

    if ctx.invoked_subcommand is not None:
        return
    kinds = get_args(RunKind)
    if kind is not None and kind not in kinds:
        typer.echo(f"error: --kind must be one of {', '.join(kinds)}, got {kind!r}", err=True)
        raise typer.Exit(2)
    store = Store(db)
    if as_json:
        runs = store.list_runs(kind=kind)[:last]
        counts = verdict_counts(store, [r.id for r in runs])
        typer.echo(json.dumps([
            {"id": r.id, "name": run_name(r), "kind": r.kind, "suite": r.name,
             "model": r.model or (r.config or {}).get("system"),
             "created_at": r.created_at.isoformat(), "n": run_size(r, counts),
             "status": r.status} for r in runs], indent=2))
        return
    print_runs(store, Console(), kind=kind, limit=last)


@runs_app.command("show")
def runs_show_command(
    ref: str = typer.Argument(..., help="Run id, name (`eval --name`) or unique id prefix."),
    db: str | None = _DB,
) -> None:
    """Show one run: its settings, summary and verdict tally, as JSON."""
    from mhsafe.store import Store

    store = Store(db)
    try:
        run = find_run(store, ref)
    except UnknownRunError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(run_details(store, run), indent=2, default=str))
