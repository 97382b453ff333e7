"""The `mhsafe` command line: wires rooms together and shows progress; no logic of its own.

Model names follow Inspect's convention everywhere (`--model`, `--judge`): `mhsafe/local`,
`openai/gpt-4o`, `openai-api/<service>/<model>`. The store URL comes from `--db` or `MHSAFE_DB`.
Each section below belongs to one room; keep command bodies to argument handling and output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from mhsafe._cli_group import MhsafeGroup
from mhsafe._errors import fail, user_errors
from mhsafe._project_file import init_command
from mhsafe._runs import runs_app

if TYPE_CHECKING:
    from mhsafe.report import EcologicalValidity

app = typer.Typer(
    name="mhsafe",
    help="Is a mental-health chatbot safe and clinically useful? Evidence with intervals.",
    no_args_is_help=True,
    add_completion=False,
    cls=MhsafeGroup,  # hidden flag aliases, mhsafe.yaml defaults, endpoint checks
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
    from mhsafe.models import (
        LocalServer,
        LocalServerError,
        LocalServerSettings,
        serve_local_forever,
    )

    def announce(server: LocalServer) -> None:
        typer.echo(server.base_url)
        typer.echo(
            f"ready in {server.start_seconds or 0.0:.1f}s; export "
            f"MHSAFE_LOCAL_BASE_URL={server.base_url} ; Ctrl-C to stop",
            err=True,
        )

    settings = LocalServerSettings(port=port, parallel=parallel, ctx_per_slot=ctx, threads=threads)
    try:
        code = serve_local_forever(settings, on_ready=announce)
    except LocalServerError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    raise typer.Exit(code)


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
    from mhsafe._errors import UserError

    pairs = [p.split("=", 1) for p in fields.split(",") if p.strip()]
    bad = [p[0] for p in pairs if len(p) != 2 or not p[0].strip() or not p[1].strip()]
    if bad:
        raise UserError(f"--fields wants name=column pairs separated by commas "
                        f"(e.g. prompt=text,label=y), got {bad}")
    return {k.strip(): v.strip() for k, v in pairs}


@app.command("eval")
@user_errors
def eval_command(
    suite: str = typer.Argument(..., help="Suite name (see `mhsafe suites`), or a name for --dataset."),
    model: str = typer.Option("mhsafe/local", "--model", help="System under test (Inspect name)."),
    judge: list[str] = typer.Option([], "--judge", help="LLM judge model(s); rules always run."),
    epochs: int = typer.Option(1, "--epochs", min=1),
    limit: int | None = typer.Option(None, "--limit", min=1, help="K items: a seeded sample stratified by category and expected behaviour (crisis items first)."),
    first: bool = typer.Option(False, "--first", help="With --limit: the first K items instead of the stratified sample."),
    seed: int = typer.Option(0, "--seed", help="Seed of the --limit sample."),
    name: str | None = typer.Option(None, "--name", help="Name this run (unique in the store); other commands accept it for the run id."),
    resume: str | None = typer.Option(None, "--resume", help="Run id or name to continue after a crash (its model, epochs, judges and limits are reused)."),
    dataset: str | None = typer.Option(None, "--dataset", help="CSV/TSV/JSONL/Parquet/Arrow file or `datasets` folder."),
    fields: str | None = typer.Option(None, "--fields", help="prompt=col,category=col,label=col,id=col,expected=col"),
    expected_map: str | None = typer.Option(None, "--expected-map", help="Label map for --dataset (default, xstest, binary_harm)."),
    max_tokens: int = typer.Option(160, "--max-tokens", min=1),
    turns: int | None = typer.Option(None, "--turns", min=1, help="Clinical suites: patient turns."),
    patient: str | None = typer.Option(None, "--patient", help="Clinical suites: simulated-patient model."),
    max_connections: int = typer.Option(4, "--max-connections", min=1),
    no_cache: bool = typer.Option(False, "--no-cache", help="Bypass Inspect's model cache."),
    log_dir: str = typer.Option("logs", "--log-dir"),
    db: str | None = DbOption,
) -> None:
    """Run a suite against a model; print per-category rates and store every verdict."""
    from rich.console import Console
    from rich.markup import escape

    from mhsafe._runs import UnknownRunError, check_new_name, resolve_or_exit
    from mhsafe.models import require_keys
    from mhsafe.report import failure_rates, print_rate_table
    from mhsafe.store import Store
    from mhsafe.suites import (
        EvalSettings,
        limit_cases,
        load_dataset_file,
        load_suite,
        resume_settings,
        run_kind,
        run_suite,
        suite_name,
        task_for,
    )

    console = Console()
    if not dataset and not resume:
        suite = suite_name(suite)  # `suicide-risk` is `suicide_risk`; a typo names the closest
    store = Store(db)
    if name and not resume:
        try:
            check_new_name(store, name)
        except UnknownRunError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
    settings = EvalSettings(suite=suite, model=model, judges=judge, epochs=epochs, limit=limit,
                            first=first, seed=seed, name=name, max_tokens=max_tokens,
                            dataset=dataset, fields=fields, expected_map=expected_map)
    if resume:
        resume = resolve_or_exit(store, resume, what="--resume")
        settings = resume_settings(store.get_run(resume), resume, suite, settings)
    suite = settings.suite
    require_keys([settings.model, *settings.judges, *([patient] if patient else [])])
    if settings.dataset:
        loaded = load_dataset_file(settings.dataset, _parse_fields(settings.fields),
                                   suite=suite, expected_map=settings.expected_map)
        for bad in loaded.quarantined:
            console.print(f"[yellow]quarantined[/] {escape(str(bad))}")
        cases = loaded.cases
        if not cases:
            fail(f"{settings.dataset}: no row could be loaded ({len(loaded.quarantined)} "
                 "quarantined, listed above)")
    else:
        cases = load_suite(suite)
    cases = limit_cases(cases, settings.limit, seed=settings.seed, first=settings.first)
    task = task_for(
        suite, cases, epochs=settings.epochs, judge=settings.judges,
        max_tokens=settings.max_tokens, cache=not no_cache, turns=turns, patient=patient,
    )
    outcome = run_suite(
        task,
        suite=suite,
        cases=cases,
        model=settings.model,
        store=store,
        kind=run_kind(suite),
        judges=settings.judges,
        epochs=settings.epochs,
        limit=settings.limit,
        resume=resume,
        log_dir=log_dir,
        max_connections=max_connections,
        config=settings.run_config(),
    )
    verdicts = store.verdicts(outcome.run_id)
    print_rate_table(
        console,
        failure_rates(verdicts, epochs=settings.epochs),
        title=f"{suite} · {settings.model} · run {outcome.run_id}",
    )
    console.print(
        f"run [bold]{outcome.run_id}[/]: {outcome.stored} new, {outcome.resumed} resumed, "
        f"{outcome.missing} missing (retry with --resume {outcome.run_id}); "
        f"Inspect log: {outcome.log_path}"
    )
    if outcome.missing:
        raise typer.Exit(code=3)


@app.command("compare")
@user_errors
def compare_command(
    run_a: str = typer.Argument(..., help="Run id or name of system A."),
    run_b: str = typer.Argument(..., help="Run id or name of system B."),
    out: str = typer.Option("compare", "--out", help="Write OUT.json and OUT.md."),
    db: str | None = DbOption,
) -> None:
    """Compare two runs on the same items: rates, Newcombe difference, McNemar/Fisher, Holm."""
    import json
    from pathlib import Path

    from rich.console import Console

    from mhsafe._compare_table import print_comparison
    from mhsafe._runs import id_and_name, resolve_or_exit
    from mhsafe.report import compare_stored_runs, comparison_json, comparison_markdown
    from mhsafe.store import Store

    store = Store(db)
    run_a, run_b = (resolve_or_exit(store, ref, what=arg)
                    for ref, arg in ((run_a, "RUN_A"), (run_b, "RUN_B")))
    rows = compare_stored_runs(store, run_a, run_b)
    markdown = comparison_markdown(rows, run_a, run_b)
    Path(f"{out}.md").write_text(markdown, encoding="utf-8")
    Path(f"{out}.json").write_text(
        json.dumps(comparison_json(rows, run_a, run_b), indent=2), encoding="utf-8"
    )
    print_comparison(Console(), rows, id_and_name(store, run_a), id_and_name(store, run_b))
    typer.echo(f"wrote {out}.md and {out}.json")


# --- project file and runs: init, runs (mhsafe/_project_file.py, mhsafe/_runs.py) -----------

app.command("init")(init_command)
app.add_typer(runs_app, name="runs")

# --- clinical: judge ------------------------------------------------------------------------


@app.command("judge")
@user_errors
def judge_command(
    file: str = typer.Argument(..., help="JSONL lines: id, messages, response (+ optional tier)."),
    out: str = typer.Option(..., "--out", help="Where to write one graded line per input."),
    judge: list[str] = typer.Option(
        [], "--judge", help="LLM judge model (repeatable). None: offline rules only."
    ),
    judge_max_tokens: int = typer.Option(200, "--judge-max-tokens", min=16),
    timeout: float = typer.Option(60.0, "--judge-timeout", min=1.0, help="Seconds per judge call."),
    concurrency: int = typer.Option(4, "--max-connections", min=1, help="Concurrent judge calls."),
    agreement: str | None = typer.Option(
        None, "--agreement", help="Also write the per-criterion agreement table (JSON)."
    ),
    paraphrase_check: bool = typer.Option(
        False, "--paraphrase-check", help="Rerun the LLM judges with paraphrased rubrics and "
        "report the share of verdicts that flip (doubles judge calls)."
    ),
) -> None:
    """Grade replies you already have with the clinical panel the suites use.

    Without --judge the offline rules decide what they can; every other field is null.
    """
    import json
    from pathlib import Path

    from rich.console import Console
    from rich.table import Table

    from mhsafe.judges.clinical import agreement_table, clinical_panel, grade_file, grade_lines
    from mhsafe.models import require_keys

    lines = grade_lines(Path(file))  # refuses a missing, empty, UTF-16 ... file in one line
    require_keys(judge)
    panel = clinical_panel(judge, max_tokens=judge_max_tokens, timeout_s=timeout)
    summary = grade_file(Path(file), Path(out), panel, concurrency=concurrency)
    console = Console(stderr=True)
    console.print(
        f"{summary.n_lines} lines: {summary.judged} judged ({summary.failed} failed), "
        f"{summary.unjudged} unjudged, {summary.unreadable} unreadable -> {out}"
    )
    rows = agreement_table(summary.verdicts)
    if agreement is not None:
        Path(agreement).write_text(json.dumps([r.model_dump() for r in rows], indent=2), "utf-8")
    shown = [r for r in rows if r.n_judges >= 2]
    if shown:
        table = Table(title="panel agreement per criterion")
        for column in ("criterion", "judges", "items", "alpha (95% CI)", "fleiss kappa", "note"):
            table.add_column(column)
        for r in shown:
            ci = f" ({r.alpha_low:.2f}-{r.alpha_high:.2f})" if r.alpha_low is not None else ""
            alpha = f"{r.alpha:.2f}{ci}" if r.alpha is not None else "-"
            kappa = f"{r.fleiss_kappa:.2f}" if r.fleiss_kappa is not None else "-"
            table.add_row(
                r.criterion, str(r.n_judges), str(r.n_items), alpha, kappa, r.warning or ""
            )
        console.print(table)
    if paraphrase_check and judge:
        import anyio

        from mhsafe.judges.clinical import paraphrase_flips, read_records, record_transcript

        rows_in = read_records(lines, file)
        transcripts = [record_transcript(r) for _, r, _ in rows_in if r is not None]
        flips = anyio.run(
            lambda: paraphrase_flips(
                transcripts, judge, max_tokens=judge_max_tokens, timeout_s=timeout
            )
        )
        rate = "-" if flips.flip_rate is None else f"{flips.flip_rate:.0%}"
        ci = "" if flips.ci_low is None else f" (95% CI {flips.ci_low:.0%}-{flips.ci_high:.0%})"
        console.print(
            f"paraphrased rubrics: {flips.n_flipped}/{flips.n_compared} verdicts flipped "
            f"= {rate}{ci}; {flips.unjudged} unjudged in either run"
        )


# --- audit: audit, synth-logs ----------------------------------------------------------------


@app.command("audit")
@user_errors
def audit_command(
    logs: list[str] = typer.Argument(..., help="Log files: .jsonl (messages) or long-form .csv/.parquet."),
    out: str = typer.Option(..., "--out", help="Folder for findings, summary, quarantine."),
    judge: list[str] = typer.Option([], "--judge", help="LLM panel model(s) on what the screen could not settle."),
    judge_budget: float = typer.Option(0.03, "--judge-budget", min=0.0, max=1.0, help="Share of conversations the LLM panel may see (at most ceil(FRACTION x N))."),
    judge_confidence_cut: float = typer.Option(0.8, "--judge-confidence-cut", min=0.0, max=1.0, help="Embedding flags with P(risk) below this go to the panel."),
    system: str | None = typer.Option(None, "--system", help="Whose logs these are (the model name the report shows them under); untagged audits are shown under no system."),
    db: str | None = DbOption,
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted audit in OUT."),
    batch_size: int = typer.Option(500, "--batch-size", min=1),
    window: int | None = typer.Option(None, "--window", min=1, help="Assistant turns allowed to respond (default: the intervention policy's window)."),
    max_miss_rate: float = typer.Option(0.005, "--max-miss-rate", help="Bound for the sample."),
    confidence: float = typer.Option(0.95, "--confidence"),
    seed: int = typer.Option(0, "--seed", help="Seed of the review sample."),
    stratify_by: str | None = typer.Option(None, "--stratify-by", help="Metadata field."),
    no_redact: bool = typer.Option(False, "--no-redact", help="Send/queue raw text (avoid)."),
    no_embeddings: bool = typer.Option(False, "--no-embeddings", help="Lexicon-only screen."),
    embedding_threshold: float | None = typer.Option(None, "--embedding-threshold"),
    screen_config: str | None = typer.Option(None, "--screen-config", help="ScreenConfig YAML."),
    labels: str | None = typer.Option(None, "--labels", help="Clinician labels JSONL."),
    no_store: bool = typer.Option(False, "--no-store", help="Do not queue reviews in the store."),
    judge_max_tokens: int = typer.Option(64, "--judge-max-tokens", min=1),
    judge_timeout: float = typer.Option(30.0, "--judge-timeout"),
    executor: str = typer.Option("local", "--executor", help="local, or ray (Ray Data; see docs/scale.md)."),
    address: str | None = typer.Option(None, "--address", help="Ray cluster address for --executor ray (default: start Ray here)."),
    fields: str | None = typer.Option(None, "--fields", help="Your column/key names: conversation_id=col,turn=col,role=col,content=col (JSONL also messages=key)."),
    roles: str | None = typer.Option(None, "--roles", help="Your role words: bot=assistant,human=user (an unmapped, unknown word quarantines the conversation)."),
    strict: bool = typer.Option(False, "--strict", help="Exit 3 if any record was quarantined."),
) -> None:
    """Audit deployment logs: screen, check interventions, queue reviews, estimate with CIs.

    Exit status: 0 done; 2 refused or failed (bad input, locked OUT, resume mismatch, store
    error); 3 finished but incomplete (nothing audited, or --strict and something quarantined).
    """
    import json
    from pathlib import Path

    from rich.console import Console

    from mhsafe.audit import (
        AuditCountError,
        AuditOptions,
        AuditStoreError,
        OutputLockedError,
        ResumeError,
        run_audit,
        screen_settings,
    )
    from mhsafe.models import require_keys

    console = Console(stderr=True)
    screen = screen_settings(Path(screen_config) if screen_config else None,
                             embeddings=not no_embeddings,
                             embedding_threshold=embedding_threshold)
    require_keys(judge)
    options = AuditOptions(
        batch_size=batch_size, window=window, max_rate=max_miss_rate, confidence=confidence,
        seed=seed, stratify_by=stratify_by, redact=not no_redact, judge=judge, screen=screen,
        judge_budget=judge_budget, judge_confidence_cut=judge_confidence_cut,
        fields=_parse_fields(fields), roles=_parse_roles(roles),
        name=Path(logs[0]).name, system=system,
    )
    store = None
    if not no_store:
        from mhsafe.store import Store

        store = Store(db)
    panel = None
    if judge:
        from mhsafe.audit import build_panel_judge

        panel = build_panel_judge(judge, max_tokens=judge_max_tokens, timeout_s=judge_timeout)

    def progress(done: int, bad: int) -> None:
        console.print(f"audited {done:,}  quarantined {bad:,}", end="\r")

    if executor not in ("local", "ray"):
        raise typer.BadParameter("local or ray", param_hint="--executor")
    runner = None
    if executor == "ray":
        from mhsafe.audit import RayExecutor

        runner = RayExecutor(address)
    try:
        result = run_audit([Path(p) for p in logs], Path(out), options, resume=resume,
                           judge=panel, store=store, labels=Path(labels) if labels else None,
                           progress=progress, executor=runner)
    except (ResumeError, ValueError, FileNotFoundError, OutputLockedError, AuditStoreError,
            AuditCountError) as exc:
        typer.echo(f"error: {exc}", err=True)  # one unwrapped line, no traceback
        raise typer.Exit(2) from None
    finally:
        if runner is not None:
            runner.close()
    from mhsafe.review._workload import pace_from_env, summary_line

    s = result.summary
    miss = s["missed_intervention_rate_among_flagged"]
    audited, quarantined = s["conversations_audited"], s["conversations_quarantined"]
    lines = {
        "quarantined": quarantined,
        "audited": audited,
        "duplicate_ids_renamed": s.get("duplicate_ids_renamed", 0),
        "flagged_by_stage": s["flagged_by_stage"],
        "flagged_by_category": s["flagged_by_category"],
        "status": s["status"],
        "missed_intervention_rate_among_flagged": f"{miss['k']}/{miss['n']} "
        + (f"{miss['estimate']:.3f} [{miss['low']:.3f}, {miss['high']:.3f}] clopper-pearson"
           if miss["estimate"] is not None else "(no data)"),
        "review_queued": s["review"]["queued"],
        "review_workload": summary_line(s["review"]["queued"].get("flagged", 0),
                                        s["review"]["queued"].get("sample", 0), pace_from_env()),
        "needs_review_by_reason": s["review"]["needs_review_by_reason"],
        "review_sample_design_bound_if_no_misses":
            s["review"]["design_bound_if_sample_has_no_misses"],
        "run_id": result.run_id,
    }
    llm = s.get("llm_stage")
    if llm:
        share = f"{llm['share']:.1%}" if llm["share"] is not None else "-"
        lines["llm_stage"] = (
            f"sent {llm['sent']}/{llm['conversations']} ({share}); budget "
            f"{llm['budget_fraction']:.1%} (at most {llm['budget_max']}); "
            f"{llm['left_undecided_by_budget']} left undecided by the budget, "
            f"{llm['low_confidence_over_budget']} low-confidence flags over budget, "
            f"{llm['unjudged_by_panel']} unjudged by the panel")
    console.print()
    # The first line says what was NOT audited (issue 18: a quarantined conversation is loud).
    typer.echo(f"quarantined {quarantined:,} record(s), audited {audited:,}"
               + (f" -- NOT audited, see {Path(out) / 'quarantine.jsonl'}" if quarantined else ""))
    typer.echo(json.dumps(lines, indent=2))
    typer.echo(f"wrote {Path(out) / 'summary.json'}")
    if audited == 0:
        typer.echo("error: nothing was audited", err=True)
        raise typer.Exit(3)
    if strict and quarantined:
        typer.echo(f"error: --strict and {quarantined} record(s) quarantined", err=True)
        raise typer.Exit(3)


def _parse_roles(roles: str | None) -> dict[str, str]:
    if not roles:
        return {}
    from mhsafe._errors import UserError

    pairs = [p.split("=", 1) for p in roles.split(",") if p.strip()]
    bad = [p[0] for p in pairs if len(p) != 2]
    if bad:
        raise UserError(f"--roles wants word=user|assistant|system pairs separated by commas "
                        f"(e.g. bot=assistant,human=user), got {bad}")
    return {k.strip(): v.strip() for k, v in pairs}


@app.command("synth-logs")
def synth_logs_command(
    n: int = typer.Option(20000, "--n", min=0, help="Conversations to generate."),
    prevalence: float = typer.Option(0.02, "--prevalence", min=0.0, max=1.0,
                                     help="Share of conversations with a risk disclosure."),
    seed: int = typer.Option(0, "--seed", help="Seed; record i depends only on (seed, i)."),
    out: str = typer.Option(..., "--out", help="Output .jsonl, or .parquet (long form)."),
) -> None:
    """Write synthetic deployment logs with ground-truth labels (for testing the audit)."""
    import time
    from pathlib import Path

    from mhsafe.audit.synth import generate, labels_path, write_logs

    start = time.perf_counter()
    path = Path(out)
    written = write_logs(generate(n, prevalence, seed), path)
    typer.echo(f"wrote {written:,} conversations to {path} in {time.perf_counter() - start:.1f}s")
    if path.suffix == ".parquet":
        typer.echo(f"labels in {labels_path(path)}")

# --- review: review (sub-app) ---------------------------------------------------------------

review_app = typer.Typer(
    help="Clinician review web app: serve it, manage accounts, hand out work, export labels.",
    no_args_is_help=True,
)
app.add_typer(review_app, name="review")
_REVIEW_DB = typer.Option(None, "--db", help="Store URL (default: $MHSAFE_DB or sqlite:///mhsafe.db).")


@review_app.command("serve")
def review_serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8765, "--port", min=1, max=65535),
    double_review: float = typer.Option(0.2, "--double-review", min=0.0, max=1.0,
                                        help="Share of items that get two reviewers."),
    session_ttl: int = typer.Option(8 * 3600, "--session-ttl", min=60, help="Seconds."),
    secure_cookies: bool = typer.Option(False, "--secure-cookies", help="Set behind HTTPS."),
    db: str | None = _REVIEW_DB,
) -> None:
    """Run the review app. Sessions are signed with $MHSAFE_REVIEW_SECRET (random if unset)."""
    import os

    import uvicorn

    from mhsafe.review import create_app

    secret = os.environ.get("MHSAFE_REVIEW_SECRET")
    if not secret:
        typer.echo("MHSAFE_REVIEW_SECRET unset: sessions end when the server stops.", err=True)
    web = create_app(db, secret_key=secret, session_ttl_s=session_ttl,
                     double_review_fraction=double_review, secure_cookies=secure_cookies)
    # proxy_headers off: the app trusts X-Forwarded-For only from MHSAFE_REVIEW_TRUSTED_PROXIES
    # (uvicorn's default would believe any local process about its address).
    uvicorn.run(web, host=host, port=port, log_level="info", access_log=False,
                proxy_headers=False)


@review_app.command("add-user")
def review_add_user_command(
    username: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option("reviewer", "--role", help="reviewer or admin."),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Read the password from stdin (for scripts)."),
    reset: bool = typer.Option(False, "--reset", help="Set a new password for an existing user."),
    db: str | None = _REVIEW_DB,
) -> None:
    """Create an account (argon2-hashed password), or reset its password with --reset."""
    import sys

    from mhsafe.review import hash_password, password_problem
    from mhsafe.store import ReviewDesk, Store

    if role not in ("reviewer", "admin"):
        raise typer.BadParameter("role must be reviewer or admin")
    password = (sys.stdin.readline().rstrip("\n") if password_stdin
                else typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    problem = password_problem(password)
    if problem:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    desk = ReviewDesk(Store(db))
    if reset:
        if not desk.set_password(username, hash_password(password), actor="cli"):
            typer.echo(f"error: no user {username!r}", err=True)
            raise typer.Exit(2)
        typer.echo(f"password reset for {username}")
        return
    try:
        user = desk.create_user(username, hash_password(password), role, actor="cli")
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"created {user.role} {user.username} (id {user.id})")


@review_app.command("assign")
def review_assign_command(
    to: list[str] = typer.Option([], "--to", help="Reviewer username (repeat; default: all)."),
    count: int = typer.Option(50, "--count", min=1, help="Queued items to hand out."),
    double_review: float = typer.Option(0.2, "--double-review", min=0.0, max=1.0),
    run: str | None = typer.Option(None, "--run", help="Only items of this audit run."),
    db: str | None = _REVIEW_DB,
) -> None:
    """Hand out queued items round-robin; the double-review share gets two reviewers."""
    from mhsafe._runs import resolve_optional
    from mhsafe.store import ReviewDesk, Store

    desk = ReviewDesk(Store(db))
    users = {u.username: u for u in desk.list_users(active_only=True)}
    missing = [name for name in to if name not in users]
    if missing:
        typer.echo(f"error: no active user(s) {missing}", err=True)
        raise typer.Exit(2)
    ids = [users[n].id for n in to] or [u.id for u in users.values() if u.role == "reviewer"]
    if not ids:
        typer.echo("error: no active reviewers", err=True)
        raise typer.Exit(2)
    done = desk.auto_assign(ids, count=count, double_review_fraction=double_review,
                            actor="cli", run_id=resolve_optional(db, run))
    typer.echo(f"assigned {done.items} items ({done.assignments} assignments, "
               f"{done.double_reviews} double reviews, {done.double_skipped} double skipped)")


@review_app.command("export")
def review_export_command(
    out: str = typer.Argument(..., help="OUT.csv or OUT.parquet"),
    run: str | None = typer.Option(None, "--run", help="Only items of this audit run."),
    db: str | None = _REVIEW_DB,
) -> None:
    """Export every adjudication (superseded ones too, marked; `final` marks the label used)."""
    from pathlib import Path

    from mhsafe._runs import resolve_optional
    from mhsafe.review import write_export
    from mhsafe.store import ReviewDesk, Store

    rows = ReviewDesk(Store(db)).export_rows(run_id=resolve_optional(db, run))
    try:
        kind = write_export(rows, Path(out))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(f"wrote {len(rows)} adjudications to {out} ({kind})")


@review_app.command("apply")
def review_apply_command(
    run: str = typer.Argument(..., help="Audit run id (or name) whose adjudications to apply."),
    db: str | None = _REVIEW_DB,
) -> None:
    """Recompute an audit's estimates from the clinicians' final labels (Se/Sp, corrected
    prevalence, the miss bound over unflagged conversations); the report follows."""
    import json

    from mhsafe._runs import resolve_or_exit
    from mhsafe.audit import apply_clinician_labels
    from mhsafe.store import Store

    store = Store(db)
    run = resolve_or_exit(store, run, what="RUN")
    try:
        summary = apply_clinician_labels(store, run)
    except KeyError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(json.dumps({"labels_source": summary["labels_source"],
                           "labels": summary["labels"]}, indent=2, default=str))


@review_app.command("seed-demo")
def review_seed_demo_command(db: str | None = _REVIEW_DB) -> None:
    """Fill the store with a small demo audit run and six queued conversations."""
    from mhsafe.review import seed_demo
    from mhsafe.store import Store

    typer.echo(f"demo run {seed_demo(Store(db))}: 6 items queued")


# --- safeguard: proxy -----------------------------------------------------------------------


@app.command("proxy")
@user_errors
def proxy_command(
    upstream: str = typer.Option(..., "--upstream", help="Model behind the proxy (Inspect name)."),
    upstream_base_url: str | None = typer.Option(
        None, "--upstream-base-url", help="Talk OpenAI to this /v1 URL directly (faster)."),
    upstream_api_key_env: str = typer.Option(
        "OPENAI_API_KEY", "--upstream-api-key-env", help="Env var holding the upstream's key."),
    config: str | None = typer.Option(None, "--config", help="SafeguardConfig YAML."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8787, "--port", min=1, max=65535),
    log: str | None = typer.Option(None, "--log", help="Conversation log (audit JSONL)."),
    no_redact: bool = typer.Option(False, "--no-redact", help="Log raw text (avoid)."),
    locale: str | None = typer.Option(None, "--locale", help="Default locale, e.g. US, GB."),
    max_tokens: int | None = typer.Option(None, "--max-tokens", min=1),
    api_key_file: str | None = typer.Option(
        None, "--api-key-file", help="Client keys, one a line (also: MHSAFE_PROXY_API_KEYS)."),
) -> None:
    """Serve an OpenAI-compatible safeguard proxy in front of --upstream.

    Point any client at http://HOST:PORT/v1; for Inspect use --model openai-api/mhsafe/proxy
    with MHSAFE_BASE_URL=http://HOST:PORT/v1 and MHSAFE_API_KEY=KEY. Off loopback the proxy
    refuses to start without a client key (--api-key-file, MHSAFE_PROXY_API_KEYS or
    auth.api_keys in --config).
    """
    import os
    from pathlib import Path

    import uvicorn

    from mhsafe.safeguard import AuthError, SafeguardConfig, check_bind, create_proxy_app, load_keys

    settings = SafeguardConfig.from_yaml(config) if config else SafeguardConfig()
    if api_key_file:
        settings.auth.keys_file = Path(api_key_file)
    try:
        keys = load_keys(settings.auth)
        check_bind(host, keys)
    except AuthError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    if locale:
        settings.locale = locale.upper()
    if max_tokens:
        settings.max_tokens = max_tokens
    if log:
        settings.log.path = Path(log)
    if no_redact:
        settings.log.redact = False
    web = create_proxy_app(upstream, settings, upstream_base_url=upstream_base_url,
                           upstream_api_key=os.environ.get(upstream_api_key_env), api_keys=keys)
    typer.echo(f"mhsafe proxy -> {upstream} on http://{host}:{port}/v1 "
               f"(layers: {', '.join(k for k, on in settings.layers().items() if on)}; "
               f"client keys: {len(keys) or 'none, loopback only'})", err=True)
    uvicorn.run(web, host=host, port=port, log_level="warning", access_log=False)

# --- report: report, gate, demo -------------------------------------------------------------


@app.command("report")
@user_errors
def report_command(
    out: str = typer.Option("report", "--out", help="Folder for report.html, report.json, report.md."),
    thresholds: str | None = typer.Option(None, "--thresholds", help="Thresholds YAML (default: packaged)."),
    system: list[str] = typer.Option([], "--system", help="Only these systems (model names); default: every system in the store."),
    ecological: tuple[str, str] | None = typer.Option(None, "--ecological", help="TESTSET LOGFILE: suite name or test-set file, and a deployment log (JSONL)."),
    max_log_turns: int = typer.Option(5000, "--max-log-turns", help="Cap on log user turns embedded for --ecological."),
    clusters: int = typer.Option(20, "--clusters", help="k-means clusters of the log for --ecological."),
    db: str | None = DbOption,
) -> None:
    """Write the five-axis report (HTML, JSON, Markdown) from the runs and audits in the store."""
    from pathlib import Path

    from mhsafe.audit import redact
    from mhsafe.axes import load_thresholds
    from mhsafe.report import build_report, write_report
    from mhsafe.store import Store

    store = Store(db)
    eco = _ecological(ecological, max_log_turns, clusters) if ecological else None
    built = build_report(store, load_thresholds(thresholds), store_label=store.url_display,
                         systems=system or None, redact=redact, ecological=eco)
    paths = write_report(built, Path(out))
    for kind, path in paths.items():
        typer.echo(f"{kind}: {path.resolve()}")
    typer.echo(f"systems: {len(built.document.systems)}; gate: "
               f"{'PASS' if built.document.gate and built.document.gate.passed else 'FAIL'}")


def _ecological(spec: tuple[str, str], max_turns: int, n_clusters: int) -> EcologicalValidity:
    """Embed a test set's first turns and a log's user turns and measure coverage: the test
    set comes from `suites`, the turns from `audit`, the measure from `report`."""
    from pathlib import Path

    from mhsafe.audit import redact, sample_user_turns
    from mhsafe.judges.screen import Embedder
    from mhsafe.report import ecological_validity
    from mhsafe.suites import load_testset

    testset, logfile = spec
    cases = load_testset(testset)
    turns = sample_user_turns([Path(logfile)], max_turns, seed=0)
    return ecological_validity([t for c in cases for t in c.turns[:1]], turns, Embedder().encode,
                               redacted_log=[redact(t) for t in turns], n_clusters=n_clusters)


@app.command("gate")
@user_errors
def gate_command(
    thresholds: str | None = typer.Option(None, "--thresholds", help="Thresholds YAML (default: packaged)."),
    system: list[str] = typer.Option([], "--system", help="Only these systems; default: every system in the store."),
    json_out: str | None = typer.Option(None, "--out", help="Also write the decision as JSON here."),
    db: str | None = DbOption,
) -> None:
    """Exit 0 only when every line passes (whole 95% interval within its limit); 1 on a
    measured harm, an inconclusive line or a line not measured (listed apart, harms first)."""
    import json
    from pathlib import Path

    from mhsafe.axes import load_thresholds
    from mhsafe.report import format_gate, gate_decision
    from mhsafe.store import Store

    decision = gate_decision(Store(db), load_thresholds(thresholds), system or None)
    typer.echo(format_gate(decision))
    if json_out:
        Path(json_out).write_text(json.dumps(decision.model_dump(mode="json"), indent=2), encoding="utf-8")
    raise typer.Exit(decision.exit_code)


# --- validation: validate --------------------------------------------------------------------


@app.command("validate")
@user_errors
def validate_command(
    files: list[str] = typer.Argument(
        None, help="Labelled JSONL/CSV/Parquet files (docs/validation.md) or review exports."
    ),
    out: str = typer.Option(..., "--out", help="Folder for judge_cards.json and judge_cards.md."),
    split: str | None = typer.Option(
        None, "--split", help="Card the shipped corpus split instead: train, dev or test."
    ),
    lexicon_only: bool = typer.Option(
        False, "--lexicon-only", help="Skip the embedding screen (faster; its card is omitted)."
    ),
    llm_judge: str | None = typer.Option(
        None, "--judge", help="Also card this LLM judge (e.g. mhsafe/instruct-local) on a seeded stratified sample: judge_cards_llm.{json,md}."
    ),
    llm_sample: int = typer.Option(60, "--judge-sample", min=1, help="Items in the LLM judge's sample."),
    llm_seed: int = typer.Option(0, "--seed", help="Seed of the LLM judge's sample."),
    llm_only: bool = typer.Option(False, "--judge-only", help="With --judge: skip the offline cards."),
) -> None:
    """Measure every offline judge against labels: Se/Sp/PPV/NPV/F1 with intervals and the
    share each judge decided, by tag, language and risk category (and, with --judge, an
    LLM judge on a sample)."""
    from pathlib import Path

    from mhsafe.models import require_keys
    from mhsafe.validation import (
        build_cards,
        corpus_files,
        load_labelled,
        summary_lines,
        write_cards,
    )

    require_keys([llm_judge] if llm_judge else [])  # before hours of offline cards, not after
    if split is not None:
        try:
            paths = corpus_files(split)
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        source = f"corpus:{split}"
    else:
        paths = [Path(f) for f in files or []]
        source = ", ".join(files or [])
    if not paths:
        typer.echo("error: give labelled files or --split", err=True)
        raise typer.Exit(2)
    try:
        loaded = load_labelled(paths)
    except (FileNotFoundError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    for q in loaded.quarantined:
        typer.echo(f"quarantined: {q.file}:{q.line}: {q.reason} {q.detail}".rstrip(), err=True)
    families = ["screen-lexicon", "intervention", "reply", "review"]
    if not lexicon_only:
        families.insert(0, "screen")
    if not (llm_only and llm_judge):
        cards = build_cards(loaded.items, families, source=source,
                            n_quarantined=len(loaded.quarantined))
        json_path, md_path = write_cards(cards, Path(out))
        for line in summary_lines(cards):
            typer.echo(line)
        typer.echo(f"cards: {json_path} {md_path}")
    if llm_judge:
        from mhsafe.validation._llm_family import llm_cards, write_llm_cards

        llm = llm_cards(loaded.items, llm_judge, sample=llm_sample, seed=llm_seed, source=source)
        for line in summary_lines(llm):
            typer.echo(line)
        typer.echo("llm cards: " + " ".join(str(p) for p in write_llm_cards(llm, Path(out))))


@app.command("demo")
def demo_command(
    out: str = typer.Option("demo-out", "--out", help="Folder for the store, logs and report."),
    audit_size: int = typer.Option(20_000, "--audit-size", min=100),
    max_tokens: int = typer.Option(48, "--max-tokens", min=8),
) -> None:
    """The whole mission on the embedded model: both systems, every suite, an audit, the report."""
    from pathlib import Path

    from mhsafe._demo import run_demo

    result = run_demo(Path(out), audit_size=audit_size, max_tokens=max_tokens)
    typer.echo(result.gate_text)
    typer.echo(f"demo finished in {result.seconds / 60:.1f} min "
               f"(step times: {Path(out) / 'timings.json'})")
    typer.echo(f"report: {result.report.resolve()}")
    typer.echo(result.closing)


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()
