"""Start-up time of the `wirefeed` command: `--help`, `stats` and `extract`, best and median of N runs.

Usage: python scripts/bench_startup.py [--runs 20] [--src DIR ...] [--data DIR]

Each command runs as a fresh process (`python -m ingest.cli`, as the console script does) with the source
tree of each `--src` on PYTHONPATH (default: this checkout), so two checkouts (say `git worktree add
/tmp/base <commit>`) are timed back to back, alternating run by run, in the same load. `stats` runs on a
SQLite file that has the schema and the bundled demo's articles; `extract` on one real page of
../shared/data/fundus-eval (a fixture page of tests/ when that is absent). Targets: `--help` under 150 ms,
`stats` under 300 ms (wall clock). The load average is printed: on a busy machine every figure grows, the
CPU time (user + system of the process) much less.
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "fundus-eval" / "html"
FIXTURE = ROOT / "tests" / "fixtures" / "pages" / "en_teaser_start.html"
TARGETS = {"--help": 0.150, "stats": 0.300}


def page(data: Path, scratch: Path) -> Path:
    """One real page as a plain HTML file (the first of fundus-eval), or a fixture page."""
    pages = sorted(data.glob("*.html.gz")) if data.is_dir() else []
    if not pages:
        print(f"note: {data} not found, extract runs on {FIXTURE.name}")
        return FIXTURE
    target = scratch / pages[0].name.removesuffix(".gz")
    target.write_bytes(gzip.decompress(pages[0].read_bytes()))
    return target


def run(src: Path, args: list[str], cwd: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system) of one `wirefeed ARGS` process; a failure stops the benchmark.

    CPU time moves less than wall time when other processes share the cores.
    """
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("WIREFEED_")}
    env["PYTHONPATH"] = str(src)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "ingest.cli", *args], cwd=cwd, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{src}: wirefeed {' '.join(args)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="runs per command and source tree (default 20)")
    parser.add_argument("--src", type=Path, action="append", help="source tree(s) to time (default: this one)")
    parser.add_argument("--data", type=Path, default=DATA, help="folder of *.html.gz pages for extract")
    args = parser.parse_args()
    sources: list[Path] = [s.resolve() for s in args.src or [ROOT]]
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        html = page(args.data, scratch)
        commands: dict[str, list[list[str]]] = {}
        for index, src in enumerate(sources):
            db = f"sqlite:///{scratch}/stats{index}.db"
            # The schema and some articles, written by the tree itself (its own migrations).
            run(src, ["--db", db, "init"], scratch)
            commands[str(src)] = [["--help"], ["--db", db, "stats"], ["extract", str(html)]]
        times: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for _ in range(args.runs):
            for src in sources:
                for command in commands[str(src)]:
                    name = command[0] if command[0] != "--db" else command[2]
                    times.setdefault((str(src), name), []).append(run(src, command, scratch))
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}; {args.runs} runs each; "
          f"python {sys.version.split()[0]}")
    header = f"{'best ms':>8} {'median ms':>10} {'CPU best':>9} {'CPU median':>11} {'target':>7}"
    print(f"{'source':32} {'command':9} {header}")
    for (src, name), values in times.items():
        target = TARGETS.get(name)
        shown = f"{target * 1000:.0f}" if target else "-"
        wall = [w for w, _ in values]
        cpu = [c for _, c in values]
        print(f"{src[-32:]:32} {name:9} {min(wall) * 1000:8.0f} {statistics.median(wall) * 1000:10.0f} "
              f"{min(cpu) * 1000:9.0f} {statistics.median(cpu) * 1000:11.0f} {shown:>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
