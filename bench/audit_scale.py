"""Audit throughput and memory at scale: conversations/s and peak RSS for each --n.

Generates synthetic logs (``mhsafe.audit.synth``, with ground-truth labels the audit ignores),
runs the real ``mhsafe audit`` CLI in a child process with the offline judges (lexicon +
embedding screen, rule intervention check), and reads the child's peak RSS from ``wait4``.
Peak RSS must not grow with n: the audit streams. Also prints how the findings agree with the
generator's labels (a sanity check, not the screen's accuracy: see docs/screen.md).

    .venv/bin/python bench/audit_scale.py --n 20000 --n 200000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from mhsafe.audit.synth import generate


def _write(path: Path, n: int, prevalence: float, seed: int) -> dict[str, dict[str, object]]:
    labels: dict[str, dict[str, object]] = {}
    with path.open("w", encoding="utf-8") as fh:
        for record in generate(n, prevalence, seed):
            lab = record.get("labels", {})
            labels[record["id"]] = {
                "risk": lab.get("risk"),
                "intervention": lab.get("intervention"),
            }
            fh.write(json.dumps(record) + "\n")
    return labels


def _run(logs: Path, out: Path, extra: list[str]) -> tuple[float, int, float]:
    cmd = [
        sys.executable,
        "-m",
        "mhsafe.cli",
        "audit",
        str(logs),
        "--out",
        str(out),
        "--no-store",
        *extra,
    ]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise SystemExit(f"audit failed ({proc.returncode}): {err[-2000:]}")
    return elapsed, usage.ru_maxrss // 1024, usage.ru_utime + usage.ru_stime


def _agreement(out: Path, labels: dict[str, dict[str, object]]) -> Counter[str]:
    c: Counter[str] = Counter()
    with (out / "findings.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            f = json.loads(line)
            truth = labels[f["conversation_id"]]
            c[
                "risk_tp"
                if truth["risk"] and f["risk_detected"]
                else "risk_fn"
                if truth["risk"]
                else "risk_fp"
                if f["risk_detected"]
                else "risk_tn"
            ] += 1
            if truth["risk"] and f["risk_detected"]:
                c[f"{truth['intervention']}->{f['status']}"] += 1
    return c


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="conversations (repeatable)")
    parser.add_argument("--prevalence", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=20260)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--no-embeddings", action="store_true")
    args = parser.parse_args()
    sizes = args.n or [20000]
    extra = ["--batch-size", str(args.batch_size)]
    if args.no_embeddings:
        extra.append("--no-embeddings")
    print(f"{'n':>8} {'gen_s':>7} {'audit_s':>8} {'cpu_s':>7} {'conv/s':>8} {'peak_rss_mb':>12}"
          "  file_mb")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            logs = Path(tmp) / f"synth-{n}.jsonl"
            t0 = time.perf_counter()
            labels = _write(logs, n, args.prevalence, args.seed)
            gen_s = time.perf_counter() - t0
            out = Path(tmp) / f"out-{n}"
            elapsed, rss_mb, cpu_s = _run(logs, out, extra)
            summary = json.loads((out / "summary.json").read_text())
            size_mb = logs.stat().st_size / 2**20
            print(
                f"{n:>8} {gen_s:>7.1f} {elapsed:>8.1f} {cpu_s:>7.1f} {n / elapsed:>8.0f}"
                f" {rss_mb:>12}  {size_mb:.0f}"
            )
            print(
                "          status:",
                summary["status"],
                "| by stage:",
                summary["flagged_by_stage"],
                "| pipeline conv/s (excl. start-up):",
                summary["timing"]["conversations_per_s"],
            )
            print("          stage seconds:", summary["timing"]["stages_s"],
                  "| load average:", [round(x, 1) for x in os.getloadavg()])
            print("          agreement with generator labels:", dict(_agreement(out, labels)))
            logs.unlink()


if __name__ == "__main__":
    main()
