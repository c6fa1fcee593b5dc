"""Benchmark incremental story clustering: docs/s, peak memory and F1 at growing corpus sizes.

Each size runs in its own subprocess so the peak RSS belongs to that size alone. Corpus generation is
not timed; clustering is timed document by document through Clusterer.add with an InMemoryIndex.

    python scripts/bench_dedupe.py                      # 2k, 20k and 100k documents
    python scripts/bench_dedupe.py --sizes 2000,20000
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dedupe_corpus import Generator, load_paragraphs
from eval_dedupe import score, to_docs

from dedupe.cluster import Clusterer
from dedupe.index import InMemoryIndex


def _rss_mib() -> float:
    """Return the current resident set size in MiB (Linux)."""
    for row in Path("/proc/self/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1]) / 1024
    return 0.0


def one(size: int, seed: int) -> dict[str, float]:
    """Cluster one corpus size and return its measurements."""
    articles = load_paragraphs()
    if articles is None:
        raise SystemExit("skipped: ../shared/data/fundus-eval/ground_truth.json is absent")
    records = Generator(articles, seed, 1500).generate(size)
    docs = to_docs(records)
    # The corpus (hundreds of MiB of records at 100k) is input, not clustering work: move it out of the
    # collector's reach so full GC passes over it are not billed to the clusterer.
    gc.collect()
    gc.freeze()
    before = _rss_mib()
    clusterer = Clusterer(InMemoryIndex())
    started = time.perf_counter()
    cpu = time.process_time()
    labels = [clusterer.add(doc).cluster for doc in docs]
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    s = score(records, labels)
    return {
        "docs": size,
        "seconds": seconds,
        "docs_per_s": size / seconds,
        "cpu_docs_per_s": size / cpu,
        "peak_rss_mib": peak,
        "rss_before_mib": before,
        "index_live": len(clusterer.index) if isinstance(clusterer.index, InMemoryIndex) else -1,
        "precision": s.precision,
        "recall": s.recall,
        "f1": s.f1,
        "template_merges": s.false_merges.get("template", 0),
    }


def main(argv: list[str] | None = None) -> int:
    """Run every size in a subprocess and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000,100000", help="comma-separated corpus sizes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one, args.seed)))
        return 0
    rows = []
    for size in (int(x) for x in args.sizes.split(",")):
        done = subprocess.run(
            [sys.executable, __file__, "--one", str(size), "--seed", str(args.seed)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            print(done.stderr.strip() or done.stdout.strip())
            return 0
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        r = rows[-1]
        print(
            f"{r['docs']:>7} docs  {r['docs_per_s']:>6.0f} docs/s ({r['cpu_docs_per_s']:.0f} per CPU second)  "
            f"peak RSS {r['peak_rss_mib']:>6.0f} MiB "
            f"(before clustering {r['rss_before_mib']:.0f})  live index {r['index_live']:>6}  "
            f"P={r['precision']:.4f} R={r['recall']:.4f} F1={r['f1']:.4f} "
            f"template merges={r['template_merges']}",
            flush=True,
        )
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        slower = first["docs_per_s"] / last["docs_per_s"]
        print(
            f"rate ratio {first['docs']}->{last['docs']}: {slower:.2f}x slower; "
            f"F1 change {last['f1'] - first['f1']:+.4f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
