"""Benchmark extraction throughput: wirefeed vs raw trafilatura in one process, and a process pool.

Usage: python scripts/bench_extract.py [--rounds N] [--workers N] [--data DIR]

Uses the fundus-eval pages (../shared/data/fundus-eval), or this repository's fixtures when absent.
Each round runs raw trafilatura and wirefeed over all pages, alternating, and the best round of each is
kept, so a busy machine penalises both alike.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.extract import extract_page

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "fundus-eval"
FIXTURES = ROOT / "tests" / "fixtures" / "pages"
MAX_CLEANING_OVERHEAD = 0.15
MIN_POOL_SPEEDUP = 1.7

Page = tuple[bytes, str]


def load_pages(data: Path) -> tuple[list[Page], str]:
    """Return (html bytes, url) pairs from the gold set, or from the fixtures when it is absent."""
    truth_file = data / "ground_truth.json"
    if truth_file.exists():
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        pages = [(gzip.decompress((data / "html" / name).read_bytes()), str(truth[name]["url"]))
                 for name in sorted(truth)]
        return pages, f"{len(pages)} fundus-eval pages"
    print(f"note: no gold data at {data}; using the test fixtures instead")
    pages = [(path.read_bytes(), f"https://news.example/{path.stem}") for path in sorted(FIXTURES.glob("*.html"))]
    return pages, f"{len(pages)} fixture pages"


def run_raw(pages: Sequence[Page]) -> float:
    """Time raw trafilatura.extract (default options, no dedup cache) over the pages."""
    start = time.perf_counter()
    for html, url in pages:
        trafilatura.extract(html.decode("utf-8", errors="replace"), url=url, deduplicate=False)
    return time.perf_counter() - start


def run_wirefeed(pages: Sequence[Page]) -> float:
    """Time wirefeed's extract_page (decoding, trafilatura, metadata, cleaning) over the pages."""
    start = time.perf_counter()
    for html, url in pages:
        extract_page(html, url=url)
    return time.perf_counter() - start


def _extract_one(page: Page) -> int:
    """Extract one page in a worker and return its text length (results stay small to pickle)."""
    html, url = page
    return len(extract_page(html, url=url).text)


def run_pool(pages: Sequence[Page], workers: int) -> float:
    """Time wirefeed over the pages in a process pool (started before the clock)."""
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_extract_one, pages[:workers]))  # warm the workers: imports are not throughput
        start = time.perf_counter()
        list(pool.map(_extract_one, pages, chunksize=2))
        return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print pages per second."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    pages, what = load_pages(args.data)
    run_raw(pages[:5])
    run_wirefeed(pages[:5])
    raw_times, ours_times, pool_times = [], [], []
    for _ in range(args.rounds):
        raw_times.append(run_raw(pages))
        ours_times.append(run_wirefeed(pages))
        pool_times.append(run_pool(pages, args.workers))
    raw_rate, ours_rate = len(pages) / min(raw_times), len(pages) / min(ours_times)
    pool_rate = len(pages) / min(pool_times)
    overhead = ours_rate and raw_rate / ours_rate - 1
    print(f"{what}, best of {args.rounds} rounds, {os.cpu_count()} CPUs")
    print(f"raw trafilatura.extract, 1 process : {raw_rate:7.1f} pages/s")
    print(f"wirefeed extract_page, 1 process   : {ours_rate:7.1f} pages/s  (cost vs raw {overhead * 100:+.1f}%,"
          f" limit +{MAX_CLEANING_OVERHEAD * 100:.0f}%)")
    print(f"wirefeed, pool of {args.workers} processes       : {pool_rate:7.1f} pages/s  "
          f"({pool_rate / raw_rate:.2f}x raw single-process, target {MIN_POOL_SPEEDUP}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
