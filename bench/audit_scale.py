"""Audit throughput and memory at scale: conversations/s and peak RSS for each --n.

Generates synthetic logs (``mhsafe.audit.synth``, with ground-truth labels the audit ignores),
runs the real ``mhsafe audit`` CLI in a child process with the offline judges (lexicon +
embedding screen, rule intervention check), and reads the child's peak RSS from ``wait4``.
Peak RSS must not grow with n: the audit streams. Also prints how the findings agree with the
generator's labels (a sanity check, not the screen's accuracy: see docs/screen.md).

``--executor local --executor ray`` runs each n on both executors (Ray Data started by the CLI
on this machine's CPUs) and checks that their findings are equal.
For Ray, peak RSS is the driver's only (workers are children of the raylet, not of the CLI);
``ray_workers_rss_mb`` adds the Ray processes' RSS sampled at the end of the run.

    .venv/bin/python bench/audit_scale.py --n 20000 --n 200000
    .venv/bin/python bench/audit_scale.py --n 20000 --executor local --executor ray
See docs/scale.md for the measured figures and the scaling model.
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


def _run(logs: Path, out: Path, extra: list[str],
         env: dict[str, str] | None = None) -> tuple[float, int, float]:
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
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
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


class _RaySampler:
    """Samples the summed RSS of Ray's processes (raylet, workers, GCS) every half second;
    the CLI's own peak comes from wait4. Only used with --executor ray."""

    def __init__(self) -> None:
        import threading

        self.peak_mb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            total = 0
            for status in Path("/proc").glob("[0-9]*/status"):
                try:
                    text = status.read_text()
                except OSError:
                    continue
                name = text.split("\n", 1)[0]
                if "ray" not in name.lower() and "gcs_server" not in name:
                    continue
                for line in text.splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) // 1024
            self.peak_mb = max(self.peak_mb, total)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> int:
        self._stop.set()
        self._thread.join(timeout=5)
        return self.peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="conversations (repeatable)")
    parser.add_argument("--prevalence", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=20260)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--no-embeddings", action="store_true")
    parser.add_argument("--executor", action="append", choices=["local", "ray"],
                        help="executor(s) to measure (repeatable; default local)")
    args = parser.parse_args()
    sizes = args.n or [20000]
    executors = args.executor or ["local"]
    extra = ["--batch-size", str(args.batch_size)]
    if args.no_embeddings:
        extra.append("--no-embeddings")
    print(f"{'n':>8} {'executor':>8} {'gen_s':>7} {'audit_s':>8} {'cpu_s':>7} {'conv/s':>8} "
          f"{'peak_rss_mb':>12}  file_mb")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            logs = Path(tmp) / f"synth-{n}.jsonl"
            t0 = time.perf_counter()
            labels = _write(logs, n, args.prevalence, args.seed)
            gen_s = time.perf_counter() - t0
            outs: list[Path] = []
            for executor in executors:
                out = Path(tmp) / f"out-{n}-{executor}"
                outs.append(out)
                env = dict(os.environ)
                run_extra = [*extra, "--executor", executor]
                sampler = None
                if executor == "ray":
                    sampler = _RaySampler()
                    sampler.start()
                elapsed, rss_mb, cpu_s = _run(logs, out, run_extra, env)
                workers_mb = sampler.stop() if sampler is not None else None
                summary = json.loads((out / "summary.json").read_text())
                size_mb = logs.stat().st_size / 2**20
                print(
                    f"{n:>8} {executor:>8} {gen_s:>7.1f} {elapsed:>8.1f} {cpu_s:>7.1f} "
                    f"{n / elapsed:>8.0f} {rss_mb:>12}  {size_mb:.0f}"
                    + (f"  ray_workers_rss_mb(max sampled)={workers_mb}" if workers_mb else "")
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
                print("          agreement with generator labels:",
                      dict(_agreement(out, labels)))
            if len(outs) > 1:
                same = all((o / "findings.jsonl").read_bytes()
                           == (outs[0] / "findings.jsonl").read_bytes() for o in outs[1:])
                print(f"          findings identical across executors: {same}")
            logs.unlink()


if __name__ == "__main__":
    main()
