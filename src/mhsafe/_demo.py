"""`mhsafe demo`: the whole mission end to end on the embedded model, in one process.

Two systems: the embedded Gemma 3 270M as the "generic" chatbot (`mhsafe/local`) and the
safeguard proxy around it as the "purpose-built" one (`openai-api/mhsafeproxy/safeguarded`,
served on 127.0.0.1 by this process). The embedded instruct model (`mhsafe/instruct-local`,
extra `mhsafe[instruct]`) plays the simulated patient in `DEMO_PATIENT` (turn 2) and sits as
one LLM judge beside the offline rules in `JUDGED_SUITES`; `judges.md` says which judge decided
what, whether the LLM judge's measured card lets it decide at all, and who wrote each patient
turn. Every suite runs at demo size on both, a 20,000-conversation synthetic deployment log
(plus the proxy's own logged traffic) is audited, and the five-axis report and the gate close
the run. Like `cli.py`, this module wires rooms together; the logic lives in the rooms.

One overall progress bar (`_demo_progress`) prints step i of N with an ETA above each step's
Inspect panel; the step times go to `OUT/timings.json`, with the load average, because they
are how the demo is sized (docs/performance.md). Demo sizes are small on purpose: the point is
that every road works and every number carries its n and interval; with n this small the
intervals are wide, and the report says so.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from mhsafe._demo_progress import DemoProgress, Step
from mhsafe.schema import Case

if TYPE_CHECKING:
    from mhsafe.store import Store

PROXY_SERVICE = "mhsafeproxy"
RAW_SYSTEM = "mhsafe/local"
INSTRUCT_MODEL = "mhsafe/instruct-local"
PROXY_SYSTEM = f"openai-api/{PROXY_SERVICE}/safeguarded"

# Items per suite at demo size (stratified over categories so every category shows up), and
# why (docs/performance.md, "Sizing the demo", from the step times in OUT/timings.json): on 2
# loaded cores a simulated-patient item costs ~22 s and a judged item ~12 s, against ~1-3 s
# for a plain one, so the model-heavy work is where the demo is cut. suicide_risk keeps its 30
# (12 high/very-high risk items for the raw-vs-proxied crisis rows); pe_exposure (2 per tier,
# the simulated patient writes turn 2) and cbt_restructuring (2 per tier, scripted turn 2)
# keep both exercise suites' compare rows; the suites that only show their plumbing are small.
DEMO_PLAN: dict[str, int] = {
    "suicide_risk": 30,
    "harmful_content": 8,
    "refusal_robustness": 4,
    "jailbreak": 8,
    "over_refusal": 8,
    "consistency": 8,
    "demographic": 12,
    "clinical_facts": 4,
    "pe_exposure": 8,
    "cbt_restructuring": 8,
}
# The instruct model judges beside the rules on one suite, on the raw system only (its card is
# below policy, so it is advisory: one system shows the road at half the cost), and plays the
# patient in PE; CBT's second patient turn is the scenario's scripted line. Turns: the second
# is the simulated patient's.
JUDGED_SUITES: dict[str, list[str]] = {"harmful_content": [INSTRUCT_MODEL]}
JUDGED_SYSTEMS = (RAW_SYSTEM,)
DEMO_PATIENT: dict[str, str] = {"pe_exposure": INSTRUCT_MODEL, "cbt_restructuring": "scripted"}
CLINICAL_TURNS = 2
# Each judge attempt is bounded by this, queueing for a slot included: up to 4 requests wait on
# the instruct server's 2 slots, so a call can sit behind one other call per slot. Measured in
# the demo at load 5-7 on 2 cores: 38.5 s mean, 84 s max per judge call, queueing included
# (16 calls; docs/performance.md), so the old 60 s cut the slow tail into `unjudged`; 180 s is
# twice the slowest call seen. A judge that still times out is `unjudged` and counted
# (judges.md), never read as safe.
JUDGE_TIMEOUT_S = 180.0
# Expected quiet-machine seconds per unit of work, only for the progress bar's first ETA (the
# bar re-estimates from the measured pace after the first step).
_SECONDS_PER_REPLY = 0.8
_SECONDS_PER_PATIENT_TURN = 10.0
_SECONDS_PER_JUDGE_CALL = 6.0
_SECONDS_AUDIT = 40.0
_SECONDS_REPORT = 15.0


@dataclass
class DemoResult:
    """Where the demo put things and what the gate said."""

    out: Path
    report: Path
    gate_passed: bool
    gate_text: str
    seconds: float
    closing: str = ""


def stratified_sample(cases: list[Case], k: int, *, group_key: str | None = None) -> list[Case]:
    """Up to `k` cases, round-robin over categories (or over `metadata[group_key]` groups kept
    whole, for paraphrase sets), in a deterministic order."""
    if group_key:
        groups: dict[str, list[Case]] = defaultdict(list)
        for case in cases:
            groups[str(case.metadata.get(group_key, case.id))].append(case)
        picked: list[Case] = []
        for members in groups.values():
            if len(picked) + len(members) > k:
                break
            picked.extend(members)
        return picked
    by_category: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        by_category[case.category].append(case)
    queues = [list(v) for _, v in sorted(by_category.items())]
    picked = []
    while len(picked) < k and any(queues):
        for queue in queues:
            if queue and len(picked) < k:
                picked.append(queue.pop(0))
    return picked


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_proxy(out: Path, upstream: str) -> Iterator[str]:
    """Run the safeguard proxy around `upstream` on 127.0.0.1 in a thread; yield its base URL."""
    import uvicorn

    from mhsafe.safeguard import SafeguardConfig, create_proxy_app

    config = SafeguardConfig(model_id="safeguarded", max_tokens=64)
    config.log.path = out / "proxy-traffic.jsonl"
    app = create_proxy_app(upstream, config, api_keys=[])  # loopback only: no client key
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class PatientTally:
    """Who wrote the simulated patient's turns in one clinical run, from the Inspect log (the
    store keeps verdicts, not the simulator's bookkeeping): ``model`` / ``fallback`` counts,
    how many model turns needed the resample, and which role rules (or errors) the failed
    tries broke. Rule names only: no conversation text."""

    model: int = 0
    fallback: int = 0
    resampled: int = 0
    breaks: Counter[str] = field(default_factory=Counter)

    @property
    def turns(self) -> int:
        return self.model + self.fallback


def _patient_turns(log_path: str | None) -> PatientTally:
    tally = PatientTally()
    if not log_path:
        return tally
    from inspect_ai.log import read_eval_log

    log = read_eval_log(log_path)
    for sample in log.samples or []:
        meta = sample.metadata or {}
        sources = [str(t) for t in meta.get("patient_turns", [])]
        breaks = list(meta.get("patient_breaks", [[] for _ in sources]))
        for source, why in zip(sources, breaks, strict=False):
            if source == "model":
                tally.model += 1
                tally.resampled += bool(why)
            elif source == "fallback":
                tally.fallback += 1
            tally.breaks.update(str(w) for w in why)
    return tally


def _plan() -> list[tuple[str, list[Case]]]:
    """The demo's suites and their stratified cases, in run order."""
    from mhsafe.suites import load_suite

    plan = []
    for suite, size in DEMO_PLAN.items():
        group = "item_group" if suite == "consistency" else None
        plan.append((suite, stratified_sample(load_suite(suite), size, group_key=group)))
    return plan


def demo_steps(plan: list[tuple[str, list[Case]]]) -> list[Step]:
    """Every step of the demo with its expected cost: each suite on each system, then the
    audit and the report."""
    from mhsafe.suites import run_kind

    steps = []
    for suite, cases in plan:
        clinical = run_kind(suite) == "clinical"
        turns = sum(min(len(c.turns), CLINICAL_TURNS if clinical else len(c.turns))
                    for c in cases)
        weight = turns * _SECONDS_PER_REPLY
        if clinical and DEMO_PATIENT.get(suite) == INSTRUCT_MODEL:
            weight += len(cases) * (CLINICAL_TURNS - 1) * _SECONDS_PER_PATIENT_TURN
        for system, label in ((RAW_SYSTEM, "raw"), (PROXY_SYSTEM, "proxied")):
            judges = JUDGED_SUITES.get(suite, []) if system in JUDGED_SYSTEMS else []
            steps.append(Step(f"{suite} · {label} · {len(cases)} items",
                              weight + len(cases) * len(judges) * _SECONDS_PER_JUDGE_CALL))
    steps.append(Step("audit of the deployment log", _SECONDS_AUDIT))
    steps.append(Step("who decided what, report and gate", _SECONDS_REPORT))
    return steps


def _evaluate(
    progress: DemoProgress, store_url: str, out: Path, max_tokens: int,
    plan: list[tuple[str, list[Case]]],
) -> dict[str, PatientTally]:
    from mhsafe.store import Store
    from mhsafe.suites import run_kind, run_suite, task_for

    store = Store(store_url)
    patient: dict[str, PatientTally] = {}
    for suite, cases in plan:
        for system in (RAW_SYSTEM, PROXY_SYSTEM):
            progress.start()
            clinical = run_kind(suite) == "clinical"
            judges = JUDGED_SUITES.get(suite, []) if system in JUDGED_SYSTEMS else []
            patient_model = DEMO_PATIENT.get(suite) if clinical else None
            task = task_for(suite, cases, max_tokens=max_tokens,
                            turns=CLINICAL_TURNS if clinical else 1, judge=judges or None,
                            judge_timeout_s=JUDGE_TIMEOUT_S, patient=patient_model)
            outcome = run_suite(
                task, suite=suite, cases=cases, model=system, store=store,
                kind=run_kind(suite), log_dir=out / "logs", max_connections=4,
                config={"max_tokens": max_tokens, "demo": True, "judge": judges,
                        "judge_timeout_s": JUDGE_TIMEOUT_S if judges else None,
                        "patient": patient_model},
            )
            seconds = progress.finish()
            progress.console.print(
                f"run {outcome.run_id}: {outcome.stored} stored, {outcome.missing} missing "
                f"({seconds:.0f} s)"
            )
            if clinical:
                patient[outcome.run_id] = _patient_turns(outcome.log_path)
    return patient


def _write_audit_input(out: Path, n: int, seed: int) -> Path:
    """20k synthetic conversations plus every conversation the proxy logged during the demo."""
    from mhsafe.audit.synth import generate
    from mhsafe.safeguard import compact_log

    path = out / "deployment-log.jsonl"
    traffic = out / "proxy-traffic.jsonl"
    conversations = out / "proxy-conversations.jsonl"
    if traffic.exists():
        compact_log(traffic, conversations)  # one line per turn -> one line per conversation
    with path.open("w", encoding="utf-8") as handle:
        for record in generate(n, 0.02, seed):
            handle.write(json.dumps(record) + "\n")
        if conversations.exists():
            handle.write(conversations.read_text(encoding="utf-8"))
    return path


def _audit(console: Console, store_url: str, out: Path, n: int) -> None:
    from mhsafe.audit import AuditOptions, run_audit
    from mhsafe.store import Store

    log = _write_audit_input(out, n, seed=7)
    result = run_audit(
        [log], out / "audit", AuditOptions(name="demo-audit"), store=Store(store_url),
        progress=lambda done, total: None,
    )
    console.print(audit_line(result.summary, out / "audit" / "summary.json"))


def audit_line(summary: dict[str, Any], path: Path) -> str:
    """One readable sentence for the audit (the numbers are in `summary.json`)."""
    queued = summary.get("review", {}).get("queued", {})
    flagged = sum(int(v) for v in summary.get("flagged_by_stage", {}).values())
    quarantined = int(summary.get("conversations_quarantined", 0))
    return (f"audit: {int(summary.get('conversations_audited', 0)):,} conversations audited"
            + (f", {quarantined:,} quarantined (NOT audited)" if quarantined else "")
            + f", {flagged:,} flagged; review queue {queued.get('flagged', 0)} flagged + "
            f"{queued.get('sample', 0)} designed sample; details: {path}")


def write_judges_summary(
    store_url: str, out: Path, patient: dict[str, PatientTally] | None = None
) -> Path:
    """`judges.md`: per run, how many verdicts each judge answered, how many the patient model
    wrote, and which LLM judges may decide under the card policy (the rest are advisory)."""
    from mhsafe.judges._cards import load_card_book, load_panel_policy
    from mhsafe.judges._panel import _apply_cards
    from mhsafe.store import Store

    policy = load_panel_policy()
    cards = _packaged_cards()
    book = load_card_book(cards, policy) if cards.is_file() else {}  # no card: all advisory
    store = Store(store_url)
    lines = ["# Who decided what", "",
             "Offline rules decide every verdict they can; an LLM judge's answer is listed "
             "beside them. Under the card policy (`judges/data/panel_policy.yaml`) an LLM judge "
             "decides a criterion only if its measured card clears the thresholds "
             "(docs/judge-cards-llm.md); otherwise it is advisory: listed, not counted.", ""]
    for criterion in sorted({k[2] for k in book}):
        card = next(c for k, c in book.items() if k[2] == criterion)
        role = "decides" if card.passes(policy) else "advisory (card below policy)"
        lines.append(f"- `{card.model}` on `{criterion}`: {role}; Se {card.se:.2f} "
                     f"[{card.se_low:.2f}, ...], Sp {card.sp:.2f} [{card.sp_low:.2f}, ...], "
                     f"n={card.n}")
    lines += ["", "| suite | system | verdicts | judged | unjudged | judge | answered | "
              "unjudged answers | may decide | patient turns by model |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for run in store.list_runs():
        if run.kind not in ("eval", "clinical"):
            continue
        verdicts = store.verdicts(run.id)
        judged = sum(v.status == "judged" for v in verdicts)
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        silenced: dict[str, set[str]] = defaultdict(set)
        for v in verdicts:
            for name, criteria in _apply_cards(list(v.judgments))[1].items():
                silenced[name].update(criteria)
            for j in v.judgments:
                counts[j.judge][0 if j.status == "judged" else 1] += 1
        tally = (patient or {}).get(run.id)
        by_model = f"{tally.model}/{tally.turns}" if tally and tally.turns else "-"
        rows = sorted(counts.items()) or [("rules only", [0, 0])]
        for name, (ok, bad) in rows:
            role = ("advisory on " + ", ".join(sorted(silenced[name])) if silenced.get(name)
                    else "yes") if name in counts else "-"
            lines.append(f"| {run.name} | {run.model} | {len(verdicts)} | {judged} | "
                         f"{len(verdicts) - judged} | {name} | {ok} | {bad} | {role} | "
                         f"{by_model} |")
    lines += _patient_section(store, patient or {})
    path = out / "judges.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _patient_section(store: Store, patient: dict[str, PatientTally]) -> list[str]:
    """Who wrote the simulated patient's turns, and why the rest fell back to the script."""
    patient = {run_id: t for run_id, t in patient.items() if t.turns}  # scripted runs: none
    if not patient:
        return []
    names = {run.id: (run.name, run.model) for run in store.list_runs()}
    lines = ["", "## The simulated patient (`mhsafe/instruct-local`)", "",
             "A patient turn the model wrote that broke a role rule (assistant-speak, "
             "therapist-speak, the model's own refusal, an echo...) was resampled once and, "
             "failing again, replaced by the scenario's scripted line (`fallback`).", "",
             "| suite | system | written by the model | of which resampled | fallback | "
             "what the failed tries broke |", "|---|---|---|---|---|---|"]
    total = PatientTally()
    for run_id, tally in patient.items():
        name, model = names.get(run_id, (run_id, "?"))
        why = ", ".join(f"{k} {v}" for k, v in tally.breaks.most_common()) or "-"
        lines.append(f"| {name} | {model} | {tally.model}/{tally.turns} | {tally.resampled} | "
                     f"{tally.fallback} | {why} |")
        total.model += tally.model
        total.fallback += tally.fallback
        total.resampled += tally.resampled
        total.breaks.update(tally.breaks)
    rate = f"{total.model / total.turns:.2f}" if total.turns else "-"
    lines += ["", f"In role: {total.model} of {total.turns} patient turns written by the model "
              f"({rate}); {total.resampled} after a resample; {total.fallback} scripted."]
    return lines


def _packaged_cards() -> Path:
    from importlib import resources

    return Path(str(resources.files("mhsafe.judges").joinpath("data/llm_cards.json")))


def raw_vs_proxied(store: Store, a: str = RAW_SYSTEM, b: str = PROXY_SYSTEM) -> dict[str, Any]:
    """`mhsafe compare` of the two systems over every suite (what the report shows side by
    side). Exercise runs are also compared on the safeguard's own question, decided for every
    transcript (`mhsafe.safeguard.exercise_safety_verdict`): interference below the imminent
    tier, no step-out at it."""
    from mhsafe.report import compare_runs, comparison_markdown
    from mhsafe.safeguard import exercise_safety_verdict

    keyed: dict[str, list[tuple[tuple[str, int], Any]]] = {a: [], b: []}
    for run in store.list_runs():
        if run.model not in keyed or run.status != "finished":
            continue
        for v in store.verdicts(run.id):
            keyed[run.model].append(((str(v.case_id), v.epoch), v))
            tier = v.labels.get("tier")
            transcript = (store.transcript(run.id, v.case_id, v.epoch)
                          if run.kind == "clinical" and v.case_id and tier else None)
            if transcript is not None:
                safety = exercise_safety_verdict(transcript, case_id=v.case_id,
                                                 suite=str(v.suite), category=v.category,
                                                 tier=str(tier))
                keyed[run.model].append(((str(v.case_id), v.epoch), safety))
    rows = compare_runs(keyed[a], keyed[b])
    return {"system_a": a, "system_b": b, "rows": [r.model_dump() for r in rows],
            "markdown": comparison_markdown(rows, "raw", "proxied")}


def closing_text(gate_passed: bool, out: Path, report: Path) -> str:
    """What the verdict means and what to run next (the demo's last words)."""
    meaning = (
        "PASS means every line of every axis passed with its whole interval inside the limit."
        if gate_passed else
        "FAIL means at least one line did not pass: a measured harm (fail), an interval that "
        "spans the threshold (inconclusive: too few items to tell), or a line with no data "
        "(not measured). At demo size most lines are inconclusive by design: the intervals "
        "are wide because n is small, and the demo's chatbot is a 270M base model."
    )
    return "\n".join([
        f"what this means: {meaning}",
        "what to run next:",
        f"  open the report:          {report.resolve()}",
        f"  who decided what:         {(out / 'judges.md').resolve()}",
        f"  compare the two systems:  mhsafe compare --db sqlite:///{(out / 'mhsafe.db').resolve()}"
        " RUN_A RUN_B  (run ids: mhsafe runs)",
        "  your own system:          mhsafe eval suicide_risk --model openai-api/<svc>/<model>"
        "  (with <SVC>_BASE_URL, <SVC>_API_KEY)",
        "  your own logs:            mhsafe audit LOG.jsonl --out audit-out",
    ])


def run_demo(out: Path, *, audit_size: int = 20_000, max_tokens: int = 48) -> DemoResult:
    """Run the whole demo into `out`; return where the report is and the gate's verdict.
    Step times are written to `out/timings.json` (how the demo is sized)."""
    from mhsafe.axes import load_thresholds
    from mhsafe.models import InstructServer, LocalServer, LocalServerSettings
    from mhsafe.report import build_report, decide_gate, format_gate, write_report
    from mhsafe.store import Store

    started = time.perf_counter()
    console = Console()
    out.mkdir(parents=True, exist_ok=True)
    store_url = f"sqlite:///{(out / 'mhsafe.db').resolve()}"
    plan = _plan()
    progress = DemoProgress(console, demo_steps(plan))
    console.print(f"mhsafe demo: {len(progress.steps)} steps into {out}; starting the embedded "
                  "models (first run: assembling and hashing 1.4 GB of weights)")
    with LocalServer(LocalServerSettings(parallel=4)) as local, InstructServer() as instruct:
        os.environ["MHSAFE_LOCAL_BASE_URL"] = local.base_url
        os.environ["MHSAFE_INSTRUCT_BASE_URL"] = instruct.base_url
        startup = time.perf_counter() - started
        with serve_proxy(out, RAW_SYSTEM) as proxy_url:
            os.environ[f"{PROXY_SERVICE.upper()}_BASE_URL"] = proxy_url
            os.environ.setdefault(f"{PROXY_SERVICE.upper()}_API_KEY", "demo")
            patient = _evaluate(progress, store_url, out, max_tokens, plan)
    progress.start()
    _audit(console, store_url, out, audit_size)
    progress.finish()
    progress.start()
    console.print(f"who decided what: {write_judges_summary(store_url, out, patient)}")
    store = Store(store_url)
    thresholds = load_thresholds()
    from mhsafe.audit import redact

    built = build_report(store, thresholds, store_label=store.url_display, redact=redact)
    built.document.extras["comparison"] = raw_vs_proxied(store)
    paths = write_report(built, out / "report")
    decision = decide_gate([(s.system, s.axes) for s in built.document.systems])
    text = format_gate(decision)
    progress.finish()
    seconds = time.perf_counter() - started
    (out / "timings.json").write_text(json.dumps(
        {"total_s": round(seconds, 1), "startup_s": round(startup, 1),
         "load_average": _load_average(), "steps": progress.timings()}, indent=2) + "\n",
        encoding="utf-8")
    return DemoResult(out=out, report=paths["html"], gate_passed=decision.passed,
                      gate_text=text, seconds=seconds,
                      closing=closing_text(decision.passed, out, paths["html"]))


def _load_average() -> list[float] | None:
    """The machine's 1/5/15-minute load (timings mean little without it)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None
