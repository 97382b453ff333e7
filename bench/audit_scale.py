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
    .venv/bin/python bench/audit_scale.py --n 20000 --long 500

``--long N`` also writes N long conversations (one user post of 2,000-30,000 characters, built
from self-written sentences; a tenth end with a disclosure, a fifth carry risk-adjacent words
throughout) and audits them twice, lexicon only and with the full cascade, printing the time
ratio (target: full <= 2x lexicon) and both peak RSS (target <= 1 GB). The 20k run prints its
time against the 60 s target.
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


_DAY = (
    "In the morning I walked the dog along the canal and watched the herons on the far bank.",
    "Work was the usual run of meetings, a spreadsheet that refused to add up, and cold tea.",
    "My sister rang about the holiday plans and we argued about whose turn it was to host.",
    "The bus was late again so I read a few chapters of the library book on the bench.",
    "We tried a new recipe with lentils and lemon, which the kids pretended not to like.",
    "In the evening I fixed the wobbly shelf and sorted the recycling into the right bins.",
    "The allotment needs weeding before the beans go in, and the shed door is stuck.",
    "I finally booked the dentist and paid the gas bill, two jobs off the list.",
)
_ADJACENT = (
    "Some days I feel tired and low, and the weekends are lonely since the move.",
    "I have been sleeping badly and skipping breakfast more than I should.",
    "Honestly it has been a hard year and I cry more than I used to.",
)
_ENDINGS = (
    "I have decided that tonight is the night I end my life, the tablets are ready.",
    "Lately I keep wishing I could just disappear forever and nobody would notice.",
)


def _write_long(path: Path, n: int, seed: int) -> float:
    """N long single-post conversations; returns the mean length in characters."""
    import random

    rng = random.Random(seed)
    total = 0
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            target = rng.randint(2_000, 30_000)
            parts: list[str] = []
            size = 0
            adjacent = rng.random() < 0.2
            while size < target:
                pool = _ADJACENT if adjacent and rng.random() < 0.15 else _DAY
                parts.append(rng.choice(pool))
                size += len(parts[-1]) + 1
            if rng.random() < 0.1:
                parts.append(rng.choice(_ENDINGS))
            text = " ".join(parts)
            total += len(text)
            record = {"id": f"long-{i}", "messages": [
                {"role": "user", "content": text},
                {"role": "assistant", "content": "Thank you for sharing all of that."}]}
            fh.write(json.dumps(record) + "\n")
    return total / max(n, 1)


def _long_bench(tmp: Path, n: int, seed: int, batch_size: int) -> None:
    logs = tmp / "long.jsonl"
    mean_chars = _write_long(logs, n, seed)
    print(f"\nlong texts: {n} conversations, mean {mean_chars:,.0f} characters")
    runs: dict[str, tuple[float, int]] = {}
    for name, flags in (("lexicon", ["--no-embeddings"]), ("cascade", [])):
        out = tmp / f"out-long-{name}"
        elapsed, rss_mb, _ = _run(logs, out, ["--batch-size", str(batch_size), *flags])
        summary = json.loads((out / "summary.json").read_text())
        runs[name] = (elapsed, rss_mb)
        print(f"  {name:>8}: {elapsed:7.1f} s  peak RSS {rss_mb} MB  flagged "
              f"{summary['flagged_by_stage']}  turns {summary['user_turns_settled_by_stage']}")
    ratio = runs["cascade"][0] / runs["lexicon"][0]
    print(f"  ratio cascade/lexicon time: {ratio:.2f} (target <= 2.00: "
          f"{'met' if ratio <= 2.0 else 'NOT met'}); peak RSS "
          f"{max(r[1] for r in runs.values())} MB (target <= 1024: "
          f"{'met' if max(r[1] for r in runs.values()) <= 1024 else 'NOT met'})")


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
    parser.add_argument("--long", type=int, default=0,
                        help="also bench N long (2-30k character) conversations")
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
                if n == 20000 and not args.no_embeddings:
                    print(f"          20k target <= 60 s: {'met' if elapsed <= 60 else 'NOT met'}"
                          f" ({elapsed:.1f} s); peak RSS <= 1024 MB: "
                          f"{'met' if rss_mb <= 1024 else 'NOT met'}")
            if len(outs) > 1:
                same = all((o / "findings.jsonl").read_bytes()
                           == (outs[0] / "findings.jsonl").read_bytes() for o in outs[1:])
                print(f"          findings identical across executors: {same}")
            logs.unlink()
        if args.long:
            _long_bench(Path(tmp), args.long, args.seed, args.batch_size)


if __name__ == "__main__":
    main()
