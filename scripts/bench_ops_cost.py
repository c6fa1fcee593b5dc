"""What metrics and telemetry cost: the polling and backfill benchmarks with them off and on, interleaved.

    python scripts/bench_ops_cost.py --pairs 3                       # both benchmarks
    python scripts/bench_ops_cost.py --pairs 4 --only poll --poll-args "--feeds 2000"
    python scripts/bench_ops_cost.py --pairs 3 --only backfill --backfill-args="--real --pages 600"

Each pair runs the benchmark with `--metrics off` and `--metrics on` one after the other, the order
swapped from pair to pair (off-on, on-off, ...), so a load that rises or falls during the runs favours
neither. The figures compared are CPU times (of every process the benchmark starts: the ingest processes,
or the backfill's main process and its extraction workers), not wall-clock rates, which on a shared
machine move with the neighbours; the minimum and the median of each setting are printed. Then one run
with `--ops-time` measures directly the CPU time spent inside metrics and telemetry code (an upper bound:
scripts/ops_cost.py). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# (label, pattern) of the figures each benchmark prints; the first group is the value.
FIGURES = {
    "poll": (
        ("CPU ms a feed, first poll", r"CPU per feed: first poll ([\d.]+) ms"),
        ("CPU ms a feed, 304 re-poll", r"CPU per feed: first poll [\d.]+ ms, re-poll ([\d.]+) ms"),
        ("first poll, feeds/s (wall)", r"first poll:\s+([\d.]+) feeds/s"),
    ),
    "backfill": (
        ("CPU ms a page, all processes", None),
        ("CPU ms a page, main process", r"CPU a page: main process ([\d.]+) ms"),
        ("CPU ms a page, extraction workers", r"extraction workers ([\d.]+) ms"),
        ("CPU ms a page, writer thread", r"writer \(in-order store, database thread\) [\d.]+ ms wall, ([\d.]+) ms CPU"),
        ("pages/s (wall)", r"extraction workers: \d+ pages in [\d.]+s = ([\d.]+) pages/s"),
    ),
}
SCRIPTS = {"poll": "bench_poll.py", "backfill": "bench_backfill.py"}


def run(bench: str, args: list[str]) -> tuple[dict[str, float], str]:
    """One benchmark run: its figures and its whole output."""
    command = [sys.executable, str(ROOT / "scripts" / SCRIPTS[bench]), *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed: {done.stderr[-3000:]}")
    figures: dict[str, float] = {}
    for label, pattern in FIGURES[bench]:
        if pattern is None:
            continue
        found = re.search(pattern, done.stdout)
        if found is None:
            sys.exit(f"no '{label}' in the output of {' '.join(command)}:\n{done.stdout}")
        figures[label] = float(found.group(1))
    if bench == "backfill":
        figures["CPU ms a page, all processes"] = (figures["CPU ms a page, main process"]
                                                   + figures["CPU ms a page, extraction workers"])
    return figures, done.stdout


def compare(bench: str, runs: dict[str, list[dict[str, float]]]) -> None:
    """Min and median of each figure, off against on."""
    print(f"\n{bench}: {len(runs['off'])} runs off, {len(runs['on'])} on")
    print(f"  {'figure':36} {'off min':>9} {'on min':>9} {'delta':>7}   {'off med':>9} {'on med':>9} {'delta':>7}")
    for label, _ in FIGURES[bench]:
        off = [r[label] for r in runs["off"]]
        on = [r[label] for r in runs["on"]]
        best = max if "/s" in label else min  # a rate is best at its highest, a cost at its lowest
        off_best, on_best = best(off), best(on)
        off_median, on_median = statistics.median(off), statistics.median(on)
        print(f"  {label:36} {off_best:9.2f} {on_best:9.2f} {(on_best / off_best - 1):+7.1%}   "
              f"{off_median:9.2f} {on_median:9.2f} {(on_median / off_median - 1):+7.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=3, help="off/on pairs of runs of each benchmark")
    parser.add_argument("--only", choices=("poll", "backfill"), help="one benchmark only")
    parser.add_argument("--poll-args", default="--feeds 2000", help="arguments of scripts/bench_poll.py")
    parser.add_argument("--backfill-args", default="--real",
                        help="arguments of scripts/bench_backfill.py (--backfill-args=--real: with =)")
    parser.add_argument("--no-ops-time", action="store_true", help="skip the instrumented run")
    args = parser.parse_args()
    benches = [args.only] if args.only else ["poll", "backfill"]
    extra = {"poll": shlex.split(args.poll_args), "backfill": shlex.split(args.backfill_args)}
    for bench in benches:
        print(f"{bench}: scripts/{SCRIPTS[bench]} {' '.join(extra[bench])}, {args.pairs} pairs", flush=True)
        runs: dict[str, list[dict[str, float]]] = {"off": [], "on": []}
        for pair in range(args.pairs):
            for setting in (("off", "on") if pair % 2 == 0 else ("on", "off")):
                load = os.getloadavg()[0]
                figures, _ = run(bench, [*extra[bench], "--metrics", setting])
                runs[setting].append(figures)
                print(f"  pair {pair + 1} {setting:3} (load {load:.1f}): "
                      + ", ".join(f"{k} {v:.2f}" for k, v in figures.items()), flush=True)
        compare(bench, runs)
        if not args.no_ops_time:
            _, output = run(bench, [*extra[bench], "--metrics", "on", "--ops-time"])
            print("  instrumented run (--ops-time):")
            for line in output.splitlines():
                if line.startswith(("inside metrics/telemetry", "CPU per feed", "CPU a page", "load average")):
                    print("    " + line)
        print(flush=True)


if __name__ == "__main__":
    main()
