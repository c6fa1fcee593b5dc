"""Polling benchmark: a local world of feeds on 127.0.0.x, a first poll, a 304 re-poll, and bare feedparser.

    python scripts/bench_poll.py                     # 5,000 feeds x 20 items, SQLite in a temp dir
    python scripts/bench_poll.py --feeds 1000 --db postgresql+psycopg://postgres@127.0.0.1/bench

Prints figures; asserts nothing. The world is served by a separate process (a minimal asyncio HTTP/1.1
server precomputing every body and ETag) on `--hosts` loopback addresses, so per-host politeness applies
as it would to real publishers. Article fetching is off (`[fetch] fetch_articles = false`): the first poll
measures fetch + parse + store of feed items.

`--metrics off` runs the ingest processes with `[metrics] enabled = false` (no metrics, no telemetry) to
measure what they cost against a run with `on` (scripts/bench_ops_cost.py alternates them); `--ops-time`
runs them instrumented (scripts/ops_cost.py) and prints the CPU share spent inside metrics and telemetry.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import multiprocessing
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORDS = [
    "the", "government", "said", "on", "tuesday", "minister", "council", "report", "river", "city", "police",
    "market", "energy", "price", "talks", "election", "court", "budget", "union", "strike", "weather", "storm",
    "flood", "school", "hospital", "company", "shares", "profit", "plan", "village", "bridge", "harbour",
    "museum", "festival", "team", "match", "season", "coach", "players", "fans", "record", "a", "of", "in",
    "and", "to", "for",
]


def sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def feed_body(index: int, items: int, host: str, port: int) -> bytes:
    """A realistic RSS 2.0 feed: ~80-char titles, 300-900-char HTML descriptions, authors, categories."""
    rng = random.Random(index)
    base = f"http://{host}:{port}"
    start = datetime(2026, 11, 27, 12, tzinfo=UTC) - timedelta(minutes=rng.randrange(0, 600))
    parts = []
    for i in range(items):
        published = format_datetime(start - timedelta(minutes=37 * i))
        paragraphs = (sentence(rng, rng.randrange(15, 40)) for _ in range(rng.randrange(2, 5)))
        description = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
        parts.append(
            f"<item><title>{escape(sentence(rng, rng.randrange(8, 14)))}</title>"
            f"<link>{base}/news/{index}/{i}-{rng.randrange(10**6)}.html</link>"
            f'<guid isPermaLink="false">feed{index}-item{i}</guid>'
            f"<pubDate>{published}</pubDate><author>desk{index}@example.org (News Desk)</author>"
            f"<category>{rng.choice(WORDS)}</category><description>{escape(description)}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>Outlet {index}</title><link>{base}/</link><description>News from outlet {index}</description>"
        f"<language>en</language>{''.join(parts)}</channel></rss>"
    ).encode()


def host_of(index: int, hosts: int) -> str:
    return f"127.0.0.{2 + index % hosts}"


def world_bodies(feeds: int, items: int, hosts: int, port: int) -> list[bytes]:
    return [feed_body(i, items, host_of(i, hosts), port) for i in range(feeds)]


# The world server ------------------------------------------------------------------------------------


def serve(feeds: int, items: int, hosts: int, port: int, ready: Any) -> None:
    """Serve /f/<i>.xml on every host address; 304 when If-None-Match matches."""
    bodies = world_bodies(feeds, items, hosts, port)
    full = []
    for body in bodies:
        etag = hashlib.sha1(body).hexdigest()[:20].encode()
        head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\nETag: \"" + etag
                + b"\"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        full.append((etag, head + body))
    not_found = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1]
                try:
                    etag, response = full[int(path[3:-4])]
                except (ValueError, IndexError):
                    writer.write(not_found)
                    continue
                if b'"' + etag + b'"' in head:
                    writer.write(b"HTTP/1.1 304 Not Modified\r\nETag: \"" + etag + b"\"\r\n\r\n")
                else:
                    writer.write(response)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        servers = [await asyncio.start_server(handle, f"127.0.0.{2 + h}", port, backlog=1024) for h in range(hosts)]
        ready.set()
        await asyncio.gather(*(s.serve_forever() for s in servers))

    asyncio.run(main())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.2", 0))
        return int(sock.getsockname()[1])


# The measurements ------------------------------------------------------------------------------------


def settings_env(args: argparse.Namespace) -> dict[str, str]:
    return {
        "WIREFEED_FETCH__FETCH_ARTICLES": "false",
        "WIREFEED_FETCH__PER_HOST_DELAY": str(args.per_host_delay),
        "WIREFEED_FETCH__CONCURRENCY": str(args.concurrency),
        "WIREFEED_FETCH__TIMEOUT": "30",
        "WIREFEED_EXTRACT__WORKERS": "1",
        "WIREFEED_LOG__LEVEL": "warning",
        "WIREFEED_LOG__FORMAT": "json",
        "WIREFEED_METRICS__ENABLED": "true" if args.metrics == "on" else "false",
    }


def subscribe(db: str, urls: list[str]) -> None:
    from store import repo
    from store.db import Store
    from store.models import Feed, utcnow

    store = Store(db)
    with store.session() as session:
        now = utcnow()
        rows = [{"url": u, "next_fetch_at": now, "error_count": 0, "disabled": False, "created_at": now} for u in urls]
        for start in range(0, len(rows), 1000):
            repo.insert_ignore(session, Feed, rows[start : start + 1000], ["url"])
    store.close()


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def poll(db: str, processes: int, env: dict[str, str]) -> tuple[float, int]:
    """Run `wirefeed ingest --all` in N processes sharing the database; seconds and peak child RSS (KB)."""
    started = time.perf_counter()
    # Instrumented (scripts/ops_cost.py) when WIREFEED_OPS_COST_OUT names the file its figures go to.
    command = [str(ROOT / "scripts" / "ops_cost.py")] if "WIREFEED_OPS_COST_OUT" in env else ["-m", "ingest.cli"]
    procs = [
        subprocess.Popen([sys.executable, *command, "--db", db, "ingest", "--all"], cwd=ROOT,
                         env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(processes)
    ]
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode != 0:
            sys.exit(f"ingest failed: {err.decode()[-3000:]}")
    elapsed = time.perf_counter() - started
    return elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def ops_env(env: dict[str, str], tmp: str, name: str, on: bool) -> dict[str, str]:
    """The ingest processes' environment: instrumented (figures to <tmp>/ops-<name>.jsonl) with --ops-time."""
    return {**env, "WIREFEED_OPS_COST_OUT": f"{tmp}/ops-{name}.jsonl"} if on else env


def read_ops(tmp: str, name: str) -> list[dict[str, Any]]:
    """What each instrumented process of one poll reported (scripts/ops_cost.py)."""
    import json

    return [json.loads(line) for line in Path(f"{tmp}/ops-{name}.jsonl").read_text().splitlines()]


def count(db: str) -> tuple[int, int, int]:
    from sqlalchemy import func, select

    from store.db import Store
    from store.models import Feed, FeedItem

    store = Store(db)
    with store.session() as session:
        items = int(session.scalar(select(func.count()).select_from(FeedItem)) or 0)
        ok = int(session.scalar(select(func.count()).select_from(Feed).where(Feed.last_error_kind.is_(None))) or 0)
        modified = int(session.scalar(select(func.count()).select_from(Feed).where(Feed.etag.is_not(None))) or 0)
    store.close()
    return items, ok, modified


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=5000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--hosts", type=int, default=250, help="loopback addresses 127.0.0.2... serving the feeds")
    parser.add_argument("--processes", type=int, default=2, help="ingest processes sharing the database")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--per-host-delay", type=float, default=0.0)
    parser.add_argument("--bare-sample", type=int, default=0, metavar="N",
                        help="time bare feedparser on the first N feeds only (a 50,000-feed run)")
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary directory)")
    parser.add_argument("--metrics", choices=("on", "off"), default="on",
                        help="count metrics and telemetry in the ingest processes ([metrics] enabled)")
    parser.add_argument("--ops-time", action="store_true",
                        help="measure the CPU time spent inside metrics and telemetry code (scripts/ops_cost.py)")
    args = parser.parse_args()

    port = free_port()
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(args.feeds, args.items, args.hosts, port, ready), daemon=True)
    server.start()
    bodies = world_bodies(args.feeds, args.items, args.hosts, port)
    ready.wait(120)
    urls = [f"http://{host_of(i, args.hosts)}:{port}/f/{i}.xml" for i in range(args.feeds)]
    total_bytes = sum(len(b) for b in bodies)

    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or f"sqlite:///{tmp}/bench.db"
        subscribe(db, urls)
        env = settings_env(args)
        load_before = os.getloadavg()[0]
        cpu0 = children_cpu()
        first, _ = poll(db, args.processes, ops_env(env, tmp, "first", args.ops_time))
        cpu1 = children_cpu()
        items, ok, _ = count(db)
        second, rss_second = poll(db, args.processes, ops_env(env, tmp, "second", args.ops_time))
        cpu2 = children_cpu()
        ops_figures = [read_ops(tmp, name) for name in ("first", "second")] if args.ops_time else []

    server.terminate()
    import feedparser  # imported late: the baseline runs after the pipeline, in this process

    sample = bodies[: args.bare_sample] if args.bare_sample else bodies  # a sample stands for all: same generator
    started, cpu_started = time.perf_counter(), time.process_time()
    for body in sample:
        feedparser.parse(body)
    scale = len(bodies) / len(sample)
    bare, bare_cpu = (time.perf_counter() - started) * scale, (time.process_time() - cpu_started) * scale
    load_after = os.getloadavg()[0]

    n = args.feeds
    print(f"world: {n} feeds x {args.items} items on {args.hosts} hosts, {total_bytes / n / 1024:.1f} KB per feed "
          f"on average; {args.processes} ingest processes, concurrency {args.concurrency}, "
          f"per-host delay {args.per_host_delay:g}s; cpus {os.cpu_count()}; db {db.split(':')[0]}")
    print(f"first poll:    {n / first:8.0f} feeds/s  ({first:.1f} s, {items} items stored, {ok} feeds ok)")
    print(f"re-poll (304): {n / second:8.0f} feeds/s  ({second:.1f} s)")
    print(f"bare feedparser.parse: {n / bare:8.0f} feeds/s  ({bare:.1f} s, one loop, one process"
          + (f", timed on {len(sample)} feeds)" if len(sample) < n else ")"))
    print(f"first poll / bare feedparser: {bare / first:.2f}x (wall clock, same run)")
    # On a machine shared with other work, wall clock says more about the neighbours than about us;
    # CPU seconds per feed give the rate each would reach on otherwise idle cores.
    cores = min(args.processes, os.cpu_count() or 1)
    first_cpu, second_cpu = (cpu1 - cpu0) / n, (cpu2 - cpu1) / n
    print(f"CPU per feed: first poll {first_cpu * 1000:.2f} ms, re-poll {second_cpu * 1000:.2f} ms, "
          f"bare feedparser {bare_cpu / n * 1000:.2f} ms (ingest processes' CPU, start-up included)")
    print(f"CPU-bound rates: first poll {cores / first_cpu:.0f} feeds/s on {cores} cores "
          f"({bare_cpu / n * cores / first_cpu:.2f}x bare feedparser on 1), re-poll {cores / second_cpu:.0f} feeds/s")
    print(f"metrics and telemetry: {args.metrics}")
    for name, lines in zip(("first poll", "re-poll"), ops_figures, strict=False):  # none without --ops-time
        spent, total_cpu = sum(x["ops_cpu"] for x in lines), sum(x["process_cpu"] for x in lines)
        print(f"inside metrics/telemetry, {name}: {spent:.3f} s of {total_cpu:.1f} s CPU = {spent / total_cpu:.2%} "
              f"({sum(x['calls'] for x in lines)} calls, {spent / n * 1e6:.1f} us a feed)")
    print(f"load average: {load_before:.1f} before, {load_after:.1f} after")
    print(f"peak memory: ingest process {rss_second / 1024:.0f} MB (largest child), "
          f"bench process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
