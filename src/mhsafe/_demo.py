"""`mhsafe demo`: the whole mission end to end on the embedded model, in one process.

Two systems: the embedded Gemma 3 270M as the "generic" chatbot (`mhsafe/local`) and the
safeguard proxy around it as the "purpose-built" one (`openai-api/mhsafeproxy/safeguarded`,
served on 127.0.0.1 by this process). The embedded instruct model (`mhsafe/instruct-local`,
extra `mhsafe[instruct]`) plays the simulated patient in the clinical suites (two turns) and
sits as one LLM judge beside the offline rules in `JUDGED_SUITES`; `judges.md` says which
judge decided what, and whether the LLM judge's measured card lets it decide at all.
Every suite runs at demo size on both, a 20,000-conversation
synthetic deployment log (plus the proxy's own logged traffic) is audited, and the five-axis
report and the gate close the run. Like `cli.py`, this module wires rooms together; the logic
lives in the rooms.

Demo sizes are small on purpose (2 cores, ~33 tokens/s): the point is that every road works and
every number carries its n and interval — with n this small the intervals are wide, and the
report says so.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from mhsafe.schema import Case

if TYPE_CHECKING:
    from mhsafe.store import Store

PROXY_SERVICE = "mhsafeproxy"
RAW_SYSTEM = "mhsafe/local"
INSTRUCT_MODEL = "mhsafe/instruct-local"
PROXY_SYSTEM = f"openai-api/{PROXY_SERVICE}/safeguarded"

# Items per suite at demo size (stratified over categories so every category shows up).
# suicide_risk, the exercise suites and refusal_robustness are sized for the raw-vs-proxied
# comparison (12 high/very-high risk items; 3 per PE tier, 2 per CBT tier).
DEMO_PLAN: dict[str, int] = {
    "suicide_risk": 30,
    "harmful_content": 12,
    "refusal_robustness": 6,
    "jailbreak": 16,
    "over_refusal": 12,
    "consistency": 12,
    "demographic": 24,
    "clinical_facts": 8,
    "pe_exposure": 12,
    "cbt_restructuring": 8,
}
# Suites where the instruct model judges beside the rules (~5 s a call on a quiet 2-core
# machine, 30-60 s on a loaded one: one 12-item suite x 2 systems keeps the demo within 15
# minutes), and the clinical suites' turns (the second is the simulated patient's).
JUDGED_SUITES: dict[str, list[str]] = {"harmful_content": [INSTRUCT_MODEL]}
CLINICAL_TURNS = 2


@dataclass
class DemoResult:
    """Where the demo put things and what the gate said."""

    out: Path
    report: Path
    gate_passed: bool
    gate_text: str
    seconds: float


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


def _patient_turns(log_path: str | None) -> list[str]:
    """Who wrote each patient turn of a clinical run (`scripted`, `model`, `fallback`), from
    the Inspect log (the store keeps verdicts, not the simulator's bookkeeping)."""
    if not log_path:
        return []
    from inspect_ai.log import read_eval_log

    log = read_eval_log(log_path)
    return [str(t) for s in log.samples or [] for t in (s.metadata or {}).get("patient_turns", [])]


def _evaluate(
    console: Console, store_url: str, out: Path, max_tokens: int
) -> dict[str, list[str]]:
    from mhsafe.store import Store
    from mhsafe.suites import load_suite, run_kind, run_suite, task_for

    store = Store(store_url)
    patient: dict[str, list[str]] = {}
    for suite, size in DEMO_PLAN.items():
        group = "item_group" if suite == "consistency" else None
        cases = stratified_sample(load_suite(suite), size, group_key=group)
        for system in (RAW_SYSTEM, PROXY_SYSTEM):
            console.rule(f"[bold]{suite}[/] · {system} · {len(cases)} items")
            clinical = run_kind(suite) == "clinical"
            task = task_for(suite, cases, max_tokens=max_tokens,
                            turns=CLINICAL_TURNS if clinical else 1,
                            judge=JUDGED_SUITES.get(suite))
            outcome = run_suite(
                task, suite=suite, cases=cases, model=system, store=store,
                kind=run_kind(suite), log_dir=out / "logs", max_connections=4,
                config={"max_tokens": max_tokens, "demo": True,
                        "judge": JUDGED_SUITES.get(suite, []),
                        "patient": INSTRUCT_MODEL if clinical else None},
            )
            console.print(
                f"run {outcome.run_id}: {outcome.stored} stored, {outcome.missing} missing"
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
    console.rule(f"[bold]audit[/] · {log.name}")
    result = run_audit(
        [log], out / "audit", AuditOptions(name="demo-audit"), store=Store(store_url),
        progress=lambda done, total: None,
    )
    console.print(f"audit: {json.dumps(result.model_dump(mode='json'), default=str)[:400]}")


def write_judges_summary(
    store_url: str, out: Path, patient: dict[str, list[str]] | None = None
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
        turns = [t for t in (patient or {}).get(run.id, []) if t != "scripted"]
        by_model = f"{sum(t == 'model' for t in turns)}/{len(turns)}" if turns else "-"
        rows = sorted(counts.items()) or [("rules only", [0, 0])]
        for name, (ok, bad) in rows:
            role = ("advisory on " + ", ".join(sorted(silenced[name])) if silenced.get(name)
                    else "yes") if name in counts else "-"
            lines.append(f"| {run.name} | {run.model} | {len(verdicts)} | {judged} | "
                         f"{len(verdicts) - judged} | {name} | {ok} | {bad} | {role} | "
                         f"{by_model} |")
    path = out / "judges.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


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


def run_demo(out: Path, *, audit_size: int = 20_000, max_tokens: int = 48) -> DemoResult:
    """Run the whole demo into `out`; return where the report is and the gate's verdict."""
    from mhsafe.axes import load_thresholds
    from mhsafe.models import InstructServer, LocalServer, LocalServerSettings
    from mhsafe.report import build_report, decide_gate, format_gate, write_report
    from mhsafe.store import Store

    started = time.perf_counter()
    console = Console()
    out.mkdir(parents=True, exist_ok=True)
    store_url = f"sqlite:///{(out / 'mhsafe.db').resolve()}"
    with LocalServer(LocalServerSettings(parallel=4)) as local, InstructServer() as instruct:
        os.environ["MHSAFE_LOCAL_BASE_URL"] = local.base_url
        os.environ["MHSAFE_INSTRUCT_BASE_URL"] = instruct.base_url
        with serve_proxy(out, RAW_SYSTEM) as proxy_url:
            os.environ[f"{PROXY_SERVICE.upper()}_BASE_URL"] = proxy_url
            os.environ.setdefault(f"{PROXY_SERVICE.upper()}_API_KEY", "demo")
            patient = _evaluate(console, store_url, out, max_tokens)
    _audit(console, store_url, out, audit_size)
    console.print(f"who decided what: {write_judges_summary(store_url, out, patient)}")
    store = Store(store_url)
    thresholds = load_thresholds()
    from mhsafe.audit import redact

    built = build_report(store, thresholds, store_label=store.url_display, redact=redact)
    built.document.extras["comparison"] = raw_vs_proxied(store)
    paths = write_report(built, out / "report")
    decision = decide_gate([(s.system, s.axes) for s in built.document.systems])
    text = format_gate(decision)
    return DemoResult(out=out, report=paths["html"], gate_passed=decision.passed,
                      gate_text=text, seconds=time.perf_counter() - started)
