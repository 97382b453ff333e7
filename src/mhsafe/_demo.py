"""`mhsafe demo`: the whole mission end to end on the embedded model, in one process.

Two systems: the embedded Gemma 3 270M as the "generic" chatbot (`mhsafe/local`) and the
safeguard proxy around it as the "purpose-built" one (`openai-api/mhsafeproxy/safeguarded`,
served on 127.0.0.1 by this process). Every suite runs at demo size on both, a 20,000-conversation
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

from rich.console import Console

from mhsafe.schema import Case

PROXY_SERVICE = "mhsafeproxy"
RAW_SYSTEM = "mhsafe/local"
PROXY_SYSTEM = f"openai-api/{PROXY_SERVICE}/safeguarded"

# Items per suite at demo size (stratified over categories so every category shows up).
DEMO_PLAN: dict[str, int] = {
    "suicide_risk": 15,
    "harmful_content": 12,
    "refusal_robustness": 4,
    "jailbreak": 16,
    "over_refusal": 12,
    "consistency": 12,
    "demographic": 24,
    "clinical_facts": 8,
    "pe_exposure": 4,
    "cbt_restructuring": 4,
}


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
    app = create_proxy_app(upstream, config)
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


def _evaluate(console: Console, store_url: str, out: Path, max_tokens: int) -> None:
    from mhsafe.store import Store
    from mhsafe.suites import load_suite, run_kind, run_suite, task_for

    store = Store(store_url)
    for suite, size in DEMO_PLAN.items():
        group = "item_group" if suite == "consistency" else None
        cases = stratified_sample(load_suite(suite), size, group_key=group)
        for system in (RAW_SYSTEM, PROXY_SYSTEM):
            console.rule(f"[bold]{suite}[/] · {system} · {len(cases)} items")
            task = task_for(suite, cases, max_tokens=max_tokens, turns=1)
            outcome = run_suite(
                task, suite=suite, cases=cases, model=system, store=store,
                kind=run_kind(suite), log_dir=out / "logs", max_connections=4,
                config={"max_tokens": max_tokens, "demo": True},
            )
            console.print(
                f"run {outcome.run_id}: {outcome.stored} stored, {outcome.missing} missing"
            )


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


def run_demo(out: Path, *, audit_size: int = 20_000, max_tokens: int = 48) -> DemoResult:
    """Run the whole demo into `out`; return where the report is and the gate's verdict."""
    from mhsafe.axes import load_thresholds
    from mhsafe.models import LocalServer, LocalServerSettings
    from mhsafe.report import build_report, decide_gate, format_gate, write_report
    from mhsafe.store import Store

    started = time.perf_counter()
    console = Console()
    out.mkdir(parents=True, exist_ok=True)
    store_url = f"sqlite:///{(out / 'mhsafe.db').resolve()}"
    with LocalServer(LocalServerSettings(parallel=4)) as local:
        os.environ["MHSAFE_LOCAL_BASE_URL"] = local.base_url
        with serve_proxy(out, RAW_SYSTEM) as proxy_url:
            os.environ[f"{PROXY_SERVICE.upper()}_BASE_URL"] = proxy_url
            os.environ.setdefault(f"{PROXY_SERVICE.upper()}_API_KEY", "demo")
            _evaluate(console, store_url, out, max_tokens)
    _audit(console, store_url, out, audit_size)
    store = Store(store_url)
    thresholds = load_thresholds()
    from mhsafe.audit import redact

    built = build_report(store, thresholds, store_label=store.url_display, redact=redact)
    paths = write_report(built, out / "report")
    decision = decide_gate([(s.system, s.axes) for s in built.document.systems])
    text = format_gate(decision)
    return DemoResult(out=out, report=paths["html"], gate_passed=decision.passed,
                      gate_text=text, seconds=time.perf_counter() - started)
