"""Measure the storage the dedupe lineage index (`lineage_keys`) takes per article and per 1M articles.

1. How many fingerprints real articles leave: `fingerprints(tokens(text).shingle_set)` over the gold bodies of
   ../shared/data/fundus-eval and, when another script has cached them, the texts trafilatura extracts from
   ../shared/data/trafilatura-eval (.cache/wire_corpus/). A body under the clusterer's MIN_WORDS leaves none.
2. A fresh database (a SQLite file in a temporary directory, or the PostgreSQL database
   `wirefeed_bench_lineage`, dropped at the end) opened with `Store` at schema head: N placeholder articles
   (no text), then each article's fingerprints, as many as an article drawn from step 1 has, arriving over
   a year (`[dedupe] lineage_days`). Keys are uniform 63-bit integers, shared by no two articles: real copies
   share theirs, which PostgreSQL's B-tree deduplication stores more compactly, so this is the upper bound.
3. `store.index.table_bytes` of `lineage_keys` (table and indexes) and of `articles`, per article and per 1M
   articles; with `--time-candidates`, the median time of one `SqlLineage.candidates(keys, 12)` call for the
   keys of a random article.

    nice python scripts/bench_lineage.py --articles 1000000 --backend postgresql --time-candidates
    nice python scripts/bench_lineage.py --articles 200000 --backend sqlite
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dedupe.cluster import MIN_WORDS
from dedupe.lineage import fingerprints
from dedupe.text import tokens
from store.db import Store
from store.index import SqlLineage, table_bytes
from store.models import Article, LineageKey, Story

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
GROUND_TRUTH = DATA / "fundus-eval" / "ground_truth.json"
CACHE = ROOT / ".cache" / "wire_corpus"
PG_ADMIN_URL = os.environ.get("WIREFEED_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BENCH_DB = "wirefeed_bench_lineage"
BATCH = 10_000  # articles per transaction
LINEAGE_SPAN = timedelta(days=365)  # arrivals spread over the default [dedupe] lineage_days
START = datetime(2026, 1, 1, tzinfo=UTC)
STORY = "sbenchlineage"  # one story for every placeholder article: candidates are read only when clustered
LIMIT = 12  # the clusterer's max_candidates
MIB = 1024 * 1024


def real_texts() -> dict[str, list[str]] | None:
    """Article bodies by source, or None without ../shared/data."""
    if not GROUND_TRUTH.is_file():
        return None
    gold = json.loads(GROUND_TRUTH.read_text(encoding="utf-8"))
    sources = {"fundus-eval gold": ["\n\n".join(page["body"]) for page in gold.values() if page.get("body")]}
    for cache in sorted(CACHE.glob("trafilatura-eval-*.json")):
        pages = json.loads(cache.read_text(encoding="utf-8"))
        sources[f"trafilatura-eval ({cache.name})"] = [page["text"] for page in pages.values() if page.get("text")]
    if len(sources) == 1:
        print(f"note: no cached trafilatura-eval texts under {CACHE} (scripts/wire_corpus.py makes them)")
    return sources


def fingerprint_count(body: str) -> int:
    """How many lineage fingerprints the clusterer files for this body (none under MIN_WORDS words)."""
    found = tokens(body)
    return len(fingerprints(found.shingle_set)) if found.n_words >= MIN_WORDS else 0


def describe(name: str, counts: list[int], words: list[int]) -> None:
    """Print the distribution of fingerprints per article."""
    p95 = float(np.percentile(counts, 95))
    print(f"{name}: {len(counts)} articles, {statistics.mean(words):.0f} words on average; fingerprints per "
          f"article mean {statistics.mean(counts):.2f}, median {statistics.median(counts):g}, p95 {p95:g}, "
          f"min {min(counts)}, max {max(counts)}; none: {counts.count(0)}, the cap of 16: {counts.count(16)}")


def distribution(sources: dict[str, list[str]]) -> tuple[npt.NDArray[np.int64], float]:
    """Fingerprints per article over every source (printed per source), and the mean body size in bytes."""
    counts: list[int] = []
    words: list[int] = []
    sizes: list[int] = []
    for name, bodies in sources.items():
        mine = [fingerprint_count(body) for body in bodies]
        mine_words = [tokens(body).n_words for body in bodies]
        describe(name, mine, mine_words)
        counts += mine
        words += mine_words
        sizes += [len(body.encode("utf-8")) for body in bodies]
    describe("all", counts, words)
    return np.array(counts, dtype=np.int64), statistics.mean(sizes)


@contextmanager
def database(backend: str) -> Iterator[str]:
    """The URL of a fresh database of that backend, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench_lineage_") as tmp:
            yield f"sqlite:///{tmp}/wirefeed.db"
        return
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=BENCH_DB).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        admin.dispose()


def arrival(article_id: int, n: int) -> datetime:
    """When the placeholder article arrived: ids spread evenly over a year."""
    return START + LINEAGE_SPAN * (article_id / n)


def fill_articles(store: Store, n: int) -> None:
    """Insert articles 1..n with only their required columns, all in one story."""
    with store.session() as session:
        session.execute(insert(Story), [{"id": STORY, "title": "bench"}])
    for first in range(1, n + 1, BATCH):
        rows = [
            {"id": i, "canonical_url": f"https://bench.example/{i}", "url": f"https://bench.example/{i}",
             "status": "ok", "fetched": arrival(i, n), "story_id": STORY}
            for i in range(first, min(first + BATCH, n + 1))
        ]
        with store.session() as session:
            session.execute(insert(Article), rows)


def fill_keys(
    store: Store, n: int, counts: npt.NDArray[np.int64], sample: set[int]
) -> tuple[int, dict[int, list[int]]]:
    """File each article's fingerprints (how many: drawn from `counts`); return the rows and `sample`'s keys."""
    rng = np.random.default_rng(7)
    rows_in_all = 0
    kept: dict[int, list[int]] = {}
    for first in range(1, n + 1, BATCH):
        ids = range(first, min(first + BATCH, n + 1))
        per_article = rng.choice(counts, size=len(ids))
        keys = rng.integers(0, 2**63, size=int(per_article.sum()), dtype=np.int64).tolist()
        rows = []
        at = 0
        for article_id, count in zip(ids, per_article.tolist(), strict=True):
            mine = keys[at : at + count]
            at += count
            added = arrival(article_id, n)
            rows += [{"key": key, "article_id": article_id, "added": added} for key in mine]
            if article_id in sample:
                kept[article_id] = mine
        with store.session() as session:
            session.execute(insert(LineageKey), rows)
        rows_in_all += len(rows)
    return rows_in_all, kept


def settle(store: Store) -> None:
    """On PostgreSQL, VACUUM ANALYZE the two tables, as autovacuum would after a load."""
    if store.dialect != "postgresql":
        return
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE articles"))
        conn.execute(text("VACUUM ANALYZE lineage_keys"))


def time_candidates(store: Store, kept: dict[int, list[int]]) -> float:
    """Median seconds of one `SqlLineage.candidates(keys, 12)` call over the sampled articles' keys."""
    times = []
    with store.session() as session:
        lineage = SqlLineage(session)
        for keys in kept.values():
            started = time.perf_counter()
            found = lineage.candidates(keys, LIMIT)
            times.append(time.perf_counter() - started)
            assert found, "an article's own fingerprints find it"
    return statistics.median(times)


def run(backend: str, n: int, counts: npt.NDArray[np.int64], samples: int) -> dict[str, float | int | str]:
    """Fill a fresh database of `backend` with n articles and their fingerprints; return its figures."""
    rng = np.random.default_rng(11)
    sample = {int(i) for i in rng.choice(np.arange(1, n + 1), size=min(samples, n), replace=False)}
    with database(backend) as url:
        store = Store(url)
        try:
            started = time.perf_counter()
            fill_articles(store, n)
            loaded = time.perf_counter()
            rows, kept = fill_keys(store, n, counts, sample)
            filed = time.perf_counter()
            settle(store)
            with store.session() as session:
                lineage_bytes = table_bytes(session, "lineage_keys")
                article_bytes = table_bytes(session, "articles")
            if lineage_bytes is None or article_bytes is None:
                raise SystemExit(f"{backend}: table_bytes cannot measure this database (no dbstat?)")
            figures: dict[str, float | int | str] = {
                "backend": backend, "articles": n, "rows": rows, "lineage_bytes": lineage_bytes,
                "article_bytes": article_bytes, "articles_s": loaded - started, "keys_s": filed - loaded,
            }
            if kept:
                figures["candidates_ms"] = time_candidates(store, kept) * 1000
        finally:
            store.close()
    return figures


def report(figures: dict[str, float | int | str]) -> None:
    """Print one backend's figures."""
    n = int(figures["articles"])
    rows = int(figures["rows"])
    lineage = int(figures["lineage_bytes"])
    articles = int(figures["article_bytes"])
    print(f"{figures['backend']}: {n:,} articles, {rows:,} lineage_keys rows ({rows / n:.2f} per article), "
          f"filled in {figures['articles_s']:.0f} s (articles) + {figures['keys_s']:.0f} s (fingerprints)")
    print(f"  lineage_keys with its indexes: {lineage / MIB:,.1f} MiB = {lineage / n:.0f} bytes per article, "
          f"{lineage / rows:.1f} bytes per row -> {lineage / n * 1e6 / MIB:,.0f} MiB per 1M articles")
    print(f"  articles (placeholder rows, no text) with its indexes: {articles / MIB:,.1f} MiB = "
          f"{articles / n:.0f} bytes per article")
    if "candidates_ms" in figures:
        print(f"  SqlLineage.candidates(keys, {LIMIT}): median {float(figures['candidates_ms']):.2f} ms "
              f"over {min(200, n)} random articles' keys")
    print("  json: " + json.dumps(figures))


def main(argv: list[str] | None = None) -> int:
    """Print the real fingerprint distribution, then the storage of n articles' fingerprints per backend."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000, help="placeholder articles to file")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--time-candidates", type=int, nargs="?", const=200, default=0, metavar="CALLS",
                        help="also time SqlLineage.candidates for the keys of CALLS random articles (200)")
    args = parser.parse_args(argv)
    sources = real_texts()
    if sources is None:
        print(f"skipped: {GROUND_TRUTH} is absent (the distribution needs ../shared/data)", file=sys.stderr)
        return 0
    counts, body_bytes = distribution(sources)
    print(f"real article bodies: {body_bytes:,.0f} bytes of UTF-8 on average (the text column, before TOAST)")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    for backend in backends:
        report(run(backend, args.articles, counts, args.time_candidates))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
