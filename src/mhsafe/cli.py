"""The `mhsafe` command line: wires rooms together and shows progress; no logic of its own.

Model names follow Inspect's convention everywhere (`--model`, `--judge`): `mhsafe/local`,
`openai/gpt-4o`, `openai-api/<service>/<model>`. The store URL comes from `--db` or `MHSAFE_DB`.
Each section below belongs to one room; keep command bodies to argument handling and output.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="mhsafe",
    help="Is a mental-health chatbot safe and clinically useful? Evidence with intervals.",
    no_args_is_help=True,
    add_completion=False,
)

# --- models: serve-local -------------------------------------------------------------------


@app.command("serve-local")
def serve_local_command(
    port: int = typer.Option(0, "--port", help="TCP port on 127.0.0.1 (0: any free port)."),
    parallel: int = typer.Option(4, "--parallel", min=1, help="Concurrent request slots."),
    ctx: int = typer.Option(2048, "--ctx", min=256, help="Context tokens per slot."),
    threads: int | None = typer.Option(None, "--threads", help="CPU threads (default: cores)."),
) -> None:
    """Serve the embedded Gemma 3 270M (llama.cpp, OpenAI-compatible) until Ctrl-C/SIGTERM.

    Point other commands at it with MHSAFE_LOCAL_BASE_URL=<printed URL>.
    """
    from mhsafe.models import LocalServer, LocalServerSettings, serve_local_forever

    def announce(server: LocalServer) -> None:
        typer.echo(server.base_url)
        typer.echo(
            f"ready in {server.start_seconds or 0.0:.1f}s; export "
            f"MHSAFE_LOCAL_BASE_URL={server.base_url} ; Ctrl-C to stop",
            err=True,
        )

    settings = LocalServerSettings(port=port, parallel=parallel, ctx_per_slot=ctx, threads=threads)
    raise typer.Exit(serve_local_forever(settings, on_ready=announce))


# --- suites: suites, eval, compare ----------------------------------------------------------

DbOption = typer.Option(None, "--db", help="Store URL (default: $MHSAFE_DB or sqlite:///mhsafe.db).")


@app.command("suites")
def suites_command(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list instead of a table."),
) -> None:
    """List every suite with its item count, categories and what it measures."""
    import json

    from rich.console import Console
    from rich.table import Table

    from mhsafe.suites import list_suites

    infos = list_suites()
    if as_json:
        typer.echo(json.dumps([info.model_dump() for info in infos], indent=2))
        return
    table = Table(title="mhsafe suites")
    for column in ("suite", "items", "categories", "measures"):
        table.add_column(column)
    for info in infos:
        table.add_row(info.name, str(info.items), ", ".join(info.categories), info.description)
    Console().print(table)


def _parse_fields(fields: str | None) -> dict[str, str]:
    if not fields:
        return {}
    pairs = [p.split("=", 1) for p in fields.split(",") if p.strip()]
    bad = [p[0] for p in pairs if len(p) != 2]
    if bad:
        raise typer.BadParameter(f"--fields wants name=column pairs, got {bad}")
    return {k.strip(): v.strip() for k, v in pairs}


@app.command("eval")
def eval_command(
    suite: str = typer.Argument(..., help="Suite name (see `mhsafe suites`), or a name for --dataset."),
    model: str = typer.Option("mhsafe/local", "--model", help="System under test (Inspect name)."),
    judge: list[str] = typer.Option([], "--judge", help="LLM judge model(s); rules always run."),
    epochs: int = typer.Option(1, "--epochs", min=1),
    limit: int | None = typer.Option(None, "--limit", min=1, help="First K items only."),
    resume: str | None = typer.Option(None, "--resume", help="Run id to continue after a crash."),
    dataset: str | None = typer.Option(None, "--dataset", help="CSV/TSV/JSONL/Parquet/Arrow file."),
    fields: str | None = typer.Option(None, "--fields", help="prompt=col,category=col,..."),
    max_tokens: int = typer.Option(160, "--max-tokens", min=1),
    max_connections: int = typer.Option(4, "--max-connections", min=1),
    log_dir: str = typer.Option("logs", "--log-dir"),
    db: str | None = DbOption,
) -> None:
    """Run a suite against a model; print per-category rates and store every verdict."""
    from rich.console import Console

    from mhsafe.report import failure_rates, print_rate_table
    from mhsafe.store import Store
    from mhsafe.suites import load_suite, run_suite, safety_task
    from mhsafe.suites._loaders import load_dataset_file

    console = Console()
    store = Store(db)
    if dataset:
        loaded = load_dataset_file(dataset, _parse_fields(fields), suite=suite)
        for bad in loaded.quarantined:
            console.print(f"[yellow]quarantined[/] {bad}")
        cases = loaded.cases
    else:
        cases = load_suite(suite)
    task = safety_task(suite, epochs=epochs, judge=judge, max_tokens=max_tokens, cases=cases)
    outcome = run_suite(
        task,
        suite=suite,
        cases=cases,
        model=model,
        store=store,
        judges=judge,
        epochs=epochs,
        limit=limit,
        resume=resume,
        log_dir=log_dir,
        max_connections=max_connections,
        config={"max_tokens": max_tokens, "dataset": dataset},
    )
    verdicts = store.verdicts(outcome.run_id)
    print_rate_table(
        console,
        failure_rates(verdicts, epochs=epochs),
        title=f"{suite} · {model} · run {outcome.run_id}",
    )
    console.print(
        f"run [bold]{outcome.run_id}[/]: {outcome.stored} new, {outcome.resumed} resumed, "
        f"{outcome.missing} missing (retry with --resume {outcome.run_id}); "
        f"Inspect log: {outcome.log_path}"
    )
    if outcome.missing:
        raise typer.Exit(code=3)


@app.command("compare")
def compare_command(
    run_a: str = typer.Argument(..., help="Run id of system A."),
    run_b: str = typer.Argument(..., help="Run id of system B."),
    out: str = typer.Option("compare", "--out", help="Write OUT.json and OUT.md."),
    db: str | None = DbOption,
) -> None:
    """Compare two runs on the same items: rates, Newcombe difference, McNemar/Fisher, Holm."""
    import json
    from pathlib import Path

    from rich.console import Console
    from rich.markdown import Markdown

    from mhsafe.report import compare_runs, comparison_json, comparison_markdown
    from mhsafe.store import Store

    store = Store(db)
    keyed = [
        [((str(v.case_id), v.epoch), v) for v in store.verdicts(run_id)] for run_id in (run_a, run_b)
    ]
    rows = compare_runs(keyed[0], keyed[1])
    markdown = comparison_markdown(rows, run_a, run_b)
    Path(f"{out}.md").write_text(markdown, encoding="utf-8")
    Path(f"{out}.json").write_text(
        json.dumps(comparison_json(rows, run_a, run_b), indent=2), encoding="utf-8"
    )
    Console().print(Markdown(markdown))
    typer.echo(f"wrote {out}.md and {out}.json")

# --- clinical: judge ------------------------------------------------------------------------

# --- audit: audit, synth-logs ----------------------------------------------------------------

# --- review: review (sub-app) ---------------------------------------------------------------

# --- safeguard: proxy -----------------------------------------------------------------------

# --- report: report, gate, demo -------------------------------------------------------------


@app.command("report")
def report_command(
    out: str = typer.Option("report", "--out", help="Folder for report.html."),
    run: list[str] = typer.Option([], "--run", help="Run ids (default: latest run per suite)."),
    db: str | None = DbOption,
) -> None:
    """Write a self-contained HTML report of evaluation runs in the store."""
    from pathlib import Path

    from mhsafe.report import RunSection, failure_rates, render_html
    from mhsafe.store import Store

    store = Store(db)
    runs = [store.get_run(r) for r in run] if run else _latest_runs(store)
    sections = []
    for info in runs:
        if info is None:
            raise typer.BadParameter("unknown run id")
        epochs = int((info.config or {}).get("epochs", 1))
        sections.append(
            RunSection(
                anchor=f"run-{info.id}",
                title=f"{info.name} · {info.model} · run {info.id}",
                note=f"status {info.status}; judges: {info.judge or 'offline rules'}; "
                f"epochs {epochs}",
                metrics=failure_rates(store.verdicts(info.id), epochs=epochs),
            )
        )
    path = render_html(
        sections, title="mhsafe report", store_url=store.url_display, path=Path(out) / "report.html"
    )
    typer.echo(f"report: {path.resolve()}")


def _latest_runs(store: object) -> list[object]:
    from mhsafe.store import Store

    assert isinstance(store, Store)
    latest: dict[str, object] = {}
    for info in sorted(store.list_runs(kind="eval"), key=lambda r: r.created_at):
        latest[info.name] = info
    return list(latest.values())


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()
