"""Benchmark `wirefeed dedupe` on real-length articles: the command end to end, in-process, and in the live shape.

The corpus is `dedupe_corpus.py`'s (stories from the Fundus gold articles, then a word chain trained on
them, republished with edits, templates, briefs, follow-ups) with stories of real length: about 500 words
on average, about 3.6 KB of JSON a line. Then, in one run:

1. `wirefeed dedupe IN.jsonl -o OUT.jsonl --jobs N` as a subprocess (`python -m ingest.cli`), for each N
   asked and each round: wall time, documents/s, peak RSS of the largest process (RUSAGE_CHILDREN) and
   the peak memory of all its processes together (their PSS, sampled from /proc, so pages shared after
   fork count once), and whether the output is the same every time;
2. the sequential in-process baseline, `cluster_docs` over the same file, in its own process: time, peak
   RSS, and whether its decisions equal the command's;
3. where the time goes, in-process on the first `--breakdown` documents: parsing a line, `Clusterer.prepare`
   (features and keys, what the workers do) and `Clusterer.add` with the prepared features (what the
   main process does), per document, and the command's pipeline with a clusterer that decides nothing
   (what reading, the workers and writing allow);
4. the live pipeline's shape (`--live-groups`), the figure of "per-article clustering cost in the live
   pipeline": articles placed in groups as `PageStore._place_group` places a writer's group of pages
   (`ingest.page_store.GATHER_PAGES`), on a fresh SQLite store (or PostgreSQL, `--db`): buffered
   `SqlIndex` and `SqlLineage`, one `prefetch` per group, `Clusterer.add` per article with the features
   and keys the page workers prepared, `flush`; per article, its `add` plus its share of the group's
   `prefetch` and `flush` (`live_groups`);
5. one article at a time (`--live`): `Clusterer.add` with unbuffered SQL indexes, features computed inside
   `add`, as a re-extracted article is placed (`PageStore._cluster`); the slow path, not the live one.

Per-article figures are CPU time of this process (mean, median, 95th percentile).

    python scripts/bench_dedupe.py                                  # 100,000 documents
    python scripts/bench_dedupe.py --docs 20000 --jobs 2,1 --rounds 2
    python scripts/bench_dedupe.py --corpus /tmp/bench-100k.jsonl   # keep the corpus for the next run
    python scripts/bench_dedupe.py --corpus /tmp/wire-20k.jsonl --live-only --live-groups 3000 --live 1000
    python scripts/bench_dedupe.py --corpus /tmp/wire-20k.jsonl --live-only --live 0 \
        --db postgresql+psycopg://postgres@127.0.0.1:5432/postgres   # the group shape on PostgreSQL

Run it under `nice` on a shared machine and compare only figures of one run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dedupe_corpus import FRENCH_STORIES, GROUND_TRUTH, START, Generator, Record, load_paragraphs

ROOT = Path(__file__).resolve().parents[1]
PARAGRAPHS = (10, 30)  # paragraphs of a generated story: about 500 words on average, as real articles
SAMPLE_SECONDS = 0.2  # how often the process tree's memory is read


class RealLength(Generator):
    """The evaluation corpus generator with stories of real length (the word chain writes more paragraphs)."""

    def generate(self, n_docs: int) -> list[Record]:
        """Return about `n_docs` documents sorted by publication time (Generator.generate, longer stories)."""
        out: list[Record] = []
        moment = START
        sources = iter([*self.articles, *FRENCH_STORIES])
        while len(out) < n_docs:
            roll = self.rng.random()
            moment += self.step * (len(out) and 1) * 4
            if roll < 0.55:
                paragraphs = next(sources, None)
                if paragraphs is None:
                    paragraphs = [self.markov.paragraph() for _ in range(self.rng.randint(*PARAGRAPHS))]
                self.news(paragraphs, moment, out)
            elif roll < 0.75:
                self.template(moment, out)
            elif roll < 0.87:
                self.brief(moment, out)
            else:
                self.followup(moment, out)
        out.sort(key=lambda r: (r.published, r.id))
        return out[:n_docs]


def write_corpus(path: Path, docs: int, seed: int) -> None:
    """Generate the corpus into `path` unless it already holds `docs` lines."""
    if path.exists():
        with path.open("rb") as handle:
            if sum(1 for _ in handle) == docs:
                return
    articles = load_paragraphs()
    assert articles is not None
    records = RealLength(articles, seed, 1500).generate(docs)
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")


def describe_corpus(path: Path) -> str:
    """Documents, mean words and size of the corpus file."""
    words = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            words.append(len(json.loads(line)["text"].split()))
    size = path.stat().st_size
    return (f"{len(words):,} documents, {statistics.mean(words):.0f} words on average (median "
            f"{statistics.median(words):.0f}), {size / 1e6:.0f} MB of JSONL ({size / len(words):,.0f} bytes a line)")


# Measuring a command -------------------------------------------------------------------------------


def tree_memory_kib(root: int) -> tuple[int, int]:
    """Memory of a process and all its descendants in KiB (Linux /proc), two ways: the sum of their RSS
    (pages the workers share with the parent after fork counted in each) and the sum of their proportional
    set sizes (such pages counted once; their RSS where the kernel has no smaps_rollup)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    sizes = [_memory_kib(pid) for pid in tree]
    return sum(rss for rss, _ in sizes), sum(pss for _, pss in sizes)


def _memory_kib(pid: int) -> tuple[int, int]:
    """One process's RSS and PSS (its RSS where the kernel has no smaps_rollup), in KiB; 0 once it is gone."""
    found: dict[str, int] = {}
    for name, field in ((f"/proc/{pid}/status", "VmRSS:"), (f"/proc/{pid}/smaps_rollup", "Pss:")):
        try:
            rows = Path(name).read_text().splitlines()
        except OSError:
            continue
        values = [int(row.split()[1]) for row in rows if row.startswith(field)]
        if values:
            found[field] = values[0]
    rss = found.get("VmRSS:", 0)
    return rss, found.get("Pss:", rss)


def measure(command: list[str]) -> dict[str, Any]:
    """Run a command; its wall time, exit status, peak RSS of its largest process and of its process tree."""
    peak = [0, 0]  # summed RSS, summed PSS
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(SAMPLE_SECONDS):
            rss, pss = tree_memory_kib(child.pid)
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = child.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"seconds": seconds, "code": child.returncode, "out": out.decode(), "err": err.decode(),
            "max_rss_mib": usage.ru_maxrss / 1024, "tree_rss_mib": peak[0] / 1024, "tree_mib": peak[1] / 1024,
            "cpu_seconds": usage.ru_utime + usage.ru_stime}


def measured(command: list[str]) -> dict[str, Any]:
    """`measure` in a process of its own, so RUSAGE_CHILDREN covers this command alone."""
    done = subprocess.run([sys.executable, __file__, "--measure", "--", *command], capture_output=True, text=True,
                          check=True)
    return dict(json.loads(done.stdout))


def digest(path: Path) -> str:
    """A short hash of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


# In process ----------------------------------------------------------------------------------------


def lines_of(path: Path) -> Iterator[bytes]:
    """The file's lines, read lazily."""
    with path.open("rb") as handle:
        yield from handle


def docs_of(path: Path, limit: int | None = None) -> Iterator[Any]:
    """The file's documents, parsed as `wirefeed dedupe` parses them, read lazily."""
    from ingest.cli.dedupe import _parse

    for number, raw in enumerate(lines_of(path)):
        if limit is not None and number >= limit:
            return
        found = _parse(raw.rstrip(b"\n"))
        assert isinstance(found, tuple)
        yield found[0]


def baseline(path: Path, out: Path) -> dict[str, Any]:
    """`cluster_docs` over the file (sequential, in this process), its decisions written like the command's."""
    from dedupe.cluster import cluster_docs
    from ingest.cli.context import dump_json

    started = time.perf_counter()
    decisions = cluster_docs(docs_of(path), threshold=0.6, window_days=3)
    seconds = time.perf_counter() - started
    with out.open("w", encoding="utf-8") as handle:
        for d in decisions:
            record = {"id": d.id, "cluster": d.cluster, "duplicate_of": d.duplicate_of, "score": round(d.score, 4),
                      "relation": d.relation, "diff": d.diff.as_dict() if d.diff is not None else None}
            handle.write(dump_json(record) + "\n")
    return {"seconds": seconds, "docs": len(decisions),
            "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def ceiling(path: Path, jobs: int) -> dict[str, Any]:
    """The command's pipeline (reading, workers preparing, decisions written) with a clusterer deciding nothing."""
    from datetime import date

    from dedupe.model import Decision
    from ingest.cli.dedupe import _Corpus, _pool, _prepared_chunks, _Run

    class Idle:
        """Starts a story per document, at once."""

        def add(self, doc: Any, arrived: datetime, prepared: Any) -> Decision:
            return Decision(doc.id, "s", None, 0.0, "original")

    corpus = _Corpus(path, os.open(path, os.O_RDONLY))
    started = time.perf_counter()
    cpu = time.process_time()
    pool = _pool(corpus, jobs, (date(1990, 1, 1), 2.0))
    with open(os.devnull, "w", encoding="utf-8") as out:
        run = _Run(corpus, Idle(), out)  # type: ignore[arg-type]
        run.cluster(_prepared_chunks(corpus, pool, jobs))
    if pool is not None:
        pool.shutdown()
    return {"seconds": time.perf_counter() - started, "docs": run.count, "main_cpu": time.process_time() - cpu}


def breakdown(path: Path, docs: int) -> dict[str, float]:
    """Microseconds per document of parsing, preparing (features, keys) and clustering prepared documents."""
    from dedupe.cluster import Clusterer
    from dedupe.index import InMemoryIndex
    from dedupe.lineage import InMemoryLineage
    from ingest.cli import dedupe  # imported before the clock starts

    assert dedupe.cmd_dedupe
    started = time.perf_counter()
    parsed = list(docs_of(path, docs))
    parse = time.perf_counter() - started
    clusterer = Clusterer(InMemoryIndex(), lineage=InMemoryLineage())
    started = time.perf_counter()
    prepared = [clusterer.prepare(doc) for doc in parsed]
    prepare = time.perf_counter() - started
    arrived = datetime.now(UTC)
    started = time.perf_counter()
    for doc, ready in zip(parsed, prepared, strict=True):
        clusterer.add(doc, arrived, ready)
    add = time.perf_counter() - started
    n = len(parsed)
    return {"docs": n, "parse_us": parse / n * 1e6, "prepare_us": prepare / n * 1e6, "add_us": add / n * 1e6}


def live(path: Path, docs: int) -> dict[str, float]:
    """Per-article `Clusterer.add` on SQLite, one article at a time: unbuffered `SqlIndex` and `SqlLineage`,
    features computed inside `add` (as `PageStore._cluster` places a re-extracted article); CPU time."""
    from dedupe.agency import agency_of
    from dedupe.cluster import Clusterer
    from dedupe.model import Doc
    from dedupe.text import text_hash
    from store import repo
    from store.db import Store
    from store.index import SqlIndex, SqlLineage

    times = []
    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{folder}/live.db")
        clusterer: Clusterer | None = None
        for seq, doc in enumerate(docs_of(path, docs), 1):
            with store.session() as session:
                now = datetime.now(UTC)
                values = {"canonical_url": f"https://bench.example/{doc.id}", "url": f"https://bench.example/{doc.id}",
                          "title": doc.title, "text": doc.text, "content_hash": text_hash(doc.text),
                          "published": doc.published, "fetched": now, "status": "ok"}
                article_id = repo.insert_article(session, values)
                assert article_id is not None
                if clusterer is None:
                    clusterer = Clusterer(SqlIndex(session), lineage=SqlLineage(session))
                clusterer.index, clusterer.lineage = SqlIndex(session), SqlLineage(session)
                stored = Doc(str(article_id), doc.title, doc.text, doc.url, doc.published)
                started = time.process_time()
                d = clusterer.add(stored, arrived=now)
                times.append(time.process_time() - started)
                repo.join_story(session, story_id=d.cluster, article_id=article_id, title=doc.title or None,
                                relation=d.relation, duplicate_of=int(d.duplicate_of) if d.duplicate_of else None,
                                score=d.score, agency=agency_of(doc.text), seq=seq,
                                new_story_dated=doc.published if d.relation == "original" else None,
                                diff=d.diff.as_dict() if d.diff is not None else None)
        store.close()
    return _spread(times)


def live_groups(path: Path, docs: int, url: str | None = None, group: int | None = None) -> dict[str, float]:
    """Per-article clustering cost as the live pipeline places pages (`PageStore._place_group`); CPU time.

    Each group of `GATHER_PAGES` articles (the writer's group) is inserted first, then placed in one
    transaction with buffered `SqlIndex` and `SqlLineage`: one `prefetch` of the group's query keys
    (`Clusterer.query_keys`) and text hashes, `Clusterer.add` per article with the features and keys a
    page worker prepared (`Clusterer.prepare`, done beforehand, outside the clock), then `flush`. An
    article's clustering cost is its `add` plus its share of the group's `prefetch` and `flush`;
    `join_stories` (writing the placements, timed apart) is not clustering but is part of what the
    pipeline's `cluster_seconds` metric observes. On PostgreSQL (`url`) the server's work is not in this
    process's CPU time: wall time is given beside it.
    """
    from dedupe.agency import agency_of
    from dedupe.cluster import Clusterer
    from dedupe.index import InMemoryIndex
    from dedupe.model import Doc
    from dedupe.text import text_hash
    from ingest.page_store import GATHER_PAGES
    from store import repo
    from store.index import SqlIndex, SqlLineage
    from store.models import utcnow

    size = group or GATHER_PAGES
    parsed = list(docs_of(path, docs))
    workers = Clusterer(InMemoryIndex())  # only prepares, as a page worker's (`ingest.page_work`)
    prepared = [workers.prepare(Doc(id="", title=doc.title, text=doc.text)) for doc in parsed]
    agencies = [agency_of(doc.text) for doc in parsed]  # the workers' too
    cpu: list[float] = []
    wall = joins = 0.0
    with tempfile.TemporaryDirectory() as folder, _database(url, folder) as store:
        clusterer: Clusterer | None = None
        seq = 0
        for start in range(0, len(parsed), size):
            members = range(start, min(start + size, len(parsed)))
            with store.session() as session:
                repo.lock_for_dedupe(session)
                now = utcnow()
                inserted = repo.insert_articles(session, [
                    {"canonical_url": f"https://bench.example/{parsed[i].id}", "url": f"https://bench.example/{parsed[i].id}",
                     "title": parsed[i].title, "text": parsed[i].text, "content_hash": text_hash(parsed[i].text),
                     "published": parsed[i].published, "fetched": now, "status": "ok"} for i in members])
                ids = [inserted[f"https://bench.example/{parsed[i].id}"] for i in members]
                clock, started = time.process_time(), time.perf_counter()
                if clusterer is None:
                    clusterer = Clusterer(SqlIndex(session), lineage=SqlLineage(session))
                clusterer.index = index = SqlIndex(session, buffered=True)
                clusterer.lineage = lineage = SqlLineage(session, buffered=True)
                since = clusterer.horizon(utcnow()) if clusterer.clock is not None else None
                known = [prepared[i] for i in members]
                keys = [key for p in known for key in clusterer.query_keys(p)]
                index.prefetch(keys, [p.features.text_hash for p in known], since)
                shared = time.process_time() - clock
                adds, joined = [], []
                for i, article_id in zip(members, ids, strict=True):
                    doc = Doc(str(article_id), parsed[i].title, parsed[i].text, parsed[i].url, parsed[i].published)
                    clock = time.process_time()
                    decision = clusterer.add(doc, arrived=utcnow(), prepared=prepared[i])
                    adds.append(time.process_time() - clock)
                    seq += 1
                    joined.append(repo.Joined(
                        story_id=decision.cluster, article_id=article_id, title=doc.title or None,
                        relation=decision.relation,
                        duplicate_of=int(decision.duplicate_of) if decision.duplicate_of else None,
                        score=decision.score, agency=agencies[i], seq=seq,
                        new_story_dated=doc.published if decision.relation == "original" else None,
                        diff=decision.diff.as_dict() if decision.diff is not None else None))
                clock, paused = time.process_time(), time.perf_counter()
                repo.join_stories(session, joined)
                joins += time.process_time() - clock
                wall -= time.perf_counter() - paused
                clock = time.process_time()
                index.flush()
                lineage.flush()
                shared += time.process_time() - clock
                wall += time.perf_counter() - started
                cpu.extend(spent + shared / len(adds) for spent in adds)
    return {**_spread(cpu), "wall_ms": wall / len(cpu) * 1e3, "join_ms": joins / len(cpu) * 1e3, "group": size}


@contextmanager
def _database(url: str | None, folder: str) -> Iterator[Any]:
    """A fresh store: a SQLite file in `folder`, or a new database on the PostgreSQL server of `url`, dropped after."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from store.db import Store

    if url is None:
        store = Store(f"sqlite:///{folder}/live.db")
        try:
            yield store
        finally:
            store.close()
        return
    name = f"wirefeed_bench_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    store = Store(make_url(url).set(database=name).render_as_string(hide_password=False))
    try:
        yield store
    finally:
        store.close()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _spread(times: list[float]) -> dict[str, float]:
    """Mean, median and 95th percentile of per-article times, in milliseconds."""
    ordered = sorted(times)
    return {"docs": len(times), "mean_ms": statistics.mean(times) * 1e3, "median_ms": ordered[len(ordered) // 2] * 1e3,
            "p95_ms": ordered[int(len(ordered) * 0.95)] * 1e3}


# The run -------------------------------------------------------------------------------------------


def command_runs(corpus: Path, folder: Path, jobs: list[int], rounds: int, docs: int) -> set[str]:
    """Time the command for each number of workers and round; return the digests of its outputs."""
    digests = set()
    for round_number in range(1, rounds + 1):
        for n in jobs:
            out = folder / f"out-{n}.jsonl"
            r = measured([sys.executable, "-m", "ingest.cli", "dedupe", str(corpus), "-o", str(out), "--jobs", str(n)])
            if r["code"] != 0:
                raise SystemExit(f"wirefeed dedupe failed: {r['err'].strip()}")
            digests.add(digest(out))
            print(f"  wirefeed dedupe --jobs {n} (round {round_number}): {r['seconds']:.1f} s = "
                  f"{docs / r['seconds']:,.0f} docs/s; peak RSS {r['max_rss_mib']:,.0f} MiB (largest process), "
                  f"{r['tree_rss_mib']:,.0f} MiB (all processes, RSS summed), {r['tree_mib']:,.0f} MiB (PSS summed; "
                  f"both sampled); CPU {r['cpu_seconds']:.0f} s; "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
    return digests


def main(argv: list[str] | None = None) -> int:
    """Generate or reuse the corpus, then measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--corpus", type=Path, help="corpus file to reuse or create (default: a temporary one)")
    parser.add_argument("--jobs", default=f"{os.cpu_count() or 1},1", help="comma-separated --jobs values to time")
    parser.add_argument("--rounds", type=int, default=1, help="times each command is run")
    parser.add_argument("--breakdown", type=int, default=20_000, help="documents timed stage by stage (0: none)")
    parser.add_argument("--live", type=int, default=2_000,
                        help="articles placed one at a time through SQLite, the slow path (0: none)")
    parser.add_argument("--live-groups", type=int, default=3_000,
                        help="articles placed in the live pipeline's groups (0: none)")
    parser.add_argument("--group", type=int, help="articles per group (default: ingest's GATHER_PAGES)")
    parser.add_argument("--db", help="PostgreSQL server URL: place the groups in a new database there, not SQLite")
    parser.add_argument("--live-only", action="store_true",
                        help="measure only the live shapes (the corpus file is used as it is when it exists)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the in-process cluster_docs run")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--baseline-of", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ceiling-of", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--no-ceiling", action="store_true", help="skip the pipeline run without clustering")
    parser.add_argument("command", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.command)))
        return 0
    if args.baseline_of:
        print(json.dumps(baseline(*args.baseline_of)))
        return 0
    if args.ceiling_of:
        print(json.dumps(ceiling(Path(args.ceiling_of[0]), int(args.ceiling_of[1]))))
        return 0
    if not GROUND_TRUTH.exists():
        print(f"skipped: {GROUND_TRUTH} is absent (the corpus is built from ../shared/data)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        corpus = args.corpus or folder / "corpus.jsonl"
        if not (args.live_only and corpus.exists()):
            write_corpus(corpus, args.docs, args.seed)
        print(f"corpus {corpus}: {describe_corpus(corpus)}; cores {os.cpu_count()}; load {os.getloadavg()[0]:.1f}")
        if args.live_only:
            live_figures(corpus, args)
            return 0
        digests = command_runs(corpus, folder, [int(n) for n in args.jobs.split(",")], args.rounds, args.docs)
        print(f"  outputs identical across runs: {'yes' if len(digests) == 1 else 'NO'}")
        if not args.no_baseline:
            expected = folder / "baseline.jsonl"
            done = measured([sys.executable, __file__, "--baseline-of", str(corpus), str(expected)])
            inner = json.loads(done["out"])
            print(f"  in-process cluster_docs (sequential): {inner['seconds']:.1f} s = "
                  f"{inner['docs'] / inner['seconds']:,.0f} docs/s; peak RSS {inner['max_rss_mib']:,.0f} MiB; "
                  f"decisions equal the command's: {'yes' if digests == {digest(expected)} else 'NO'}", flush=True)
        if not args.no_ceiling:
            jobs = max(int(n) for n in args.jobs.split(","))
            done = measured([sys.executable, __file__, "--ceiling-of", str(corpus), str(jobs)])
            inner = json.loads(done["out"])
            print(f"  the command's pipeline without clustering (--jobs {jobs}: read, parse, prepare in workers, "
                  f"write): {inner['docs'] / inner['seconds']:,.0f} docs/s, main process "
                  f"{inner['main_cpu'] / inner['docs'] * 1e6:.0f} us CPU per document; peak RSS "
                  f"{done['tree_mib']:,.0f} MiB (all processes, PSS)", flush=True)
        if args.breakdown:
            b = breakdown(corpus, args.breakdown)
            print(f"  per document, in-process, first {b['docs']:,}: parse {b['parse_us']:.0f} us, "
                  f"prepare (features, keys) {b['prepare_us']:.0f} us, add (prepared) {b['add_us']:.0f} us", flush=True)
        live_figures(corpus, args)
    return 0


def live_figures(corpus: Path, args: argparse.Namespace) -> None:
    """Print the live pipeline's per-article clustering cost, then the one-at-a-time figure."""
    if args.live_groups:
        r = live_groups(corpus, args.live_groups, args.db, args.group)
        where = "PostgreSQL" if args.db else "SQLite"
        print(f"  live pipeline shape ({where}, groups of {r['group']} as PageStore._place_group: prefetch, add "
              f"prepared, flush), {r['docs']:,} articles: clustering {r['mean_ms']:.2f} ms mean, "
              f"{r['median_ms']:.2f} ms median, {r['p95_ms']:.2f} ms p95 CPU per article ({r['wall_ms']:.2f} ms "
              f"wall); join_stories {r['join_ms']:.2f} ms CPU more", flush=True)
    if args.live:
        r = live(corpus, args.live)
        print(f"  one article at a time (SQLite, unbuffered indexes, features inside add; not the live shape), "
              f"{r['docs']:,} articles: Clusterer.add {r['mean_ms']:.2f} ms mean, {r['median_ms']:.2f} ms median, "
              f"{r['p95_ms']:.2f} ms p95 CPU per article", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
