"""Benchmark a WARC backfill: wirefeed's whole pipeline on 2 cores against raw trafilatura in one process.

Usage: python scripts/bench_backfill.py [--real] [--pages N] [--workers N] [--chunk-size N] [--db URL]
                                         [--keep DIR] [--profile FILE] [--breakdown] [--stories FILE]

Makes a WARC file, then in the same run:
  1. raw `trafilatura.extract` over every HTML page, single process (before and after step 2, best kept);
  2. `wirefeed backfill --warc` into a fresh database: WARC reading, extraction in the process pool,
     cleaning, exact and near-duplicate dedupe, story assignment and storage of articles and raw pages.
Prints pages/s for both, the ratio (target >= 1.7 generated, 1.8 real), the serial cost a page (the
in-order writer's time on the database thread, and the main process's whole CPU time) and the ceiling
each implies (pages/s = 1 / serial cost), and the load average.

The WARC holds either
  * `--real`: the real article pages of ../shared/data/fundus-eval (80 pages, 16 publishers) and the
    first 101 web pages (http/https) of ../shared/data/trafilatura-eval (by key), 181 pages, each served by 8 mirror
    hosts of its publisher (`m0.` ... `m7.` before the host): 1,448 records, each page stored by 8 sites
    (so dedupe places 7 copies of every story); `--pages N` keeps the first N records; or
  * by default, N generated article pages from this script's own texts (stories republished by several
    outlets, trimmed or extended copies, tracking-parameter URL variants, listing pages and a few
    non-HTML records, so dedupe and the store have realistic work).

`--db URL` backfills into that database instead of a fresh SQLite file; a PostgreSQL database named by
the URL is dropped and created again before the run (give a scratch name, e.g. `.../wirefeed_bench13`)
and dropped after it unless `--keep` is given. `--stories FILE` writes the stories as sorted lists of
member URLs with their relation, to compare two versions of the code on the same WARC.

`--metrics off` backfills with `[metrics] enabled = false` (no metrics, no telemetry), to measure what they
cost against `on` (scripts/bench_ops_cost.py alternates them); `--ops-time` measures the CPU time spent
inside metrics and telemetry code (scripts/ops_cost.py) and prints its share of the backfill's.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gzip
import io
import json
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import trafilatura
from pydantic import SecretStr
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.settings import DatabaseSettings, ExtractSettings, MetricsSettings, Settings, StoreSettings
from ingest.backfill.run import Backfill, BackfillOptions, BackfillSummary
from ingest.backfill.warc import read_warc
from ingest.page_store import PageStore
from ingest.pipeline import Pipeline
from store import repo
from store.db import Store
from store.models import Article, StoryMember

sys.path.insert(0, str(Path(__file__).resolve().parent))  # scripts/ops_cost.py, beside this one
from ops_cost import OpsTimer

TARGET = 1.7
TARGET_REAL = 1.8
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
MIRRORS = 8
TRAFILATURA_PAGES = 101
OUTLETS = ["dailyherald.example", "lemonde-libre.example", "northtimes.example", "wirewatch.example",
           "citypost.example", "la-gazette.example", "morningstar.example", "coastnews.example"]
AGENCIES = ["(Reuters)", "(AP)", "(AFP)", ""]
PLACES = ["Geneva", "Nantes", "Oslo", "Lisbon", "Montreal", "Dakar", "Lyon", "Bergen", "Porto", "Quebec",
          "Toulouse", "Tromso", "Brest", "Seville", "Turin", "Ghent"]
SUBJECTS = ["the city council", "the regional government", "the port authority", "a group of residents",
            "the national railway", "the health ministry", "the university", "the fishermen's union",
            "the energy regulator", "a local charity", "the airport operator", "the water board"]
VERBS = ["announced", "approved", "rejected", "postponed", "criticised", "defended", "unveiled", "questioned"]
OBJECTS = ["a plan to expand the harbour", "new rules for short-term rentals", "a budget for school repairs",
           "the closure of a maternity ward", "a tram line to the northern suburbs", "higher parking fees",
           "a ban on night flights", "a programme to insulate social housing", "the sale of the old hospital",
           "a pilot scheme for free buses", "a new bridge over the river", "stricter fishing quotas"]
DETAILS = ["which would cost about {n} million euros over {m} years",
           "after {m} months of consultation with {n} local associations",
           "in a vote of {n} to {m} late on {day}",
           "despite a petition signed by {n} thousand people",
           "citing a report that found {n} percent of buildings below standard",
           "saying the first works could begin within {m} weeks"]
QUOTES = ["\"This is a decision for the next generation, not the next election,\" said {person}.",
          "\"We were not consulted, and we will take this to court if we must,\" said {person}.",
          "\"The figures speak for themselves,\" {person} told reporters outside the building.",
          "\"Nobody here wanted this, but nobody had a better idea either,\" said {person}."]
PEOPLE = ["Marie Dubois", "Anders Lie", "Joana Silva", "Moussa Diop", "Claire Martin", "Erik Solberg",
          "Ana Ferreira", "Luc Tremblay", "Ingrid Haugen", "Paulo Costa"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def sentence(rng: random.Random) -> str:
    """One news-like sentence from the templates."""
    detail = rng.choice(DETAILS).format(n=rng.randint(2, 900), m=rng.randint(2, 30), day=rng.choice(DAYS))
    return (f"In {rng.choice(PLACES)}, {rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}, "
            f"{detail}.")


def story(rng: random.Random) -> tuple[str, list[str]]:
    """A headline and 4-7 paragraphs."""
    place = rng.choice(PLACES)
    title = f"{place}: {rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}"
    paragraphs = []
    for i in range(rng.randint(4, 7)):
        parts = [sentence(rng) for _ in range(rng.randint(2, 3))]
        if i == 2:
            parts.append(rng.choice(QUOTES).format(person=rng.choice(PEOPLE)))
        paragraphs.append(" ".join(parts))
    agency = rng.choice(AGENCIES)
    paragraphs[0] = f"{place.upper()} {agency} - {paragraphs[0]}".replace("  ", " ")
    return title, paragraphs


def chrome(outlet: str, rng: random.Random, headlines: list[str]) -> tuple[str, str]:
    """Site header (mega-menu), and sidebar, teaser rails, comments and footer around the article.

    Real article pages weigh 100-400 KB of HTML (the fundus-eval pages average 370 KB), most of it site
    chrome; extraction cost grows with it, the store's does not, so page weight matters to the ratio.
    """
    sections = ["World", "Politics", "Business", "Sport", "Culture", "Science", "Opinion", "Regions", "Video",
                "Climate", "Tech", "Health", "Travel", "Food", "Books", "Music", "Cinema", "Education"]
    menu = "".join(
        f'<li class="menu-section"><a href="https://{outlet}/{s.lower()}/">{s}</a><ul class="sub">'
        + "".join(f'<li><a href="https://{outlet}/{s.lower()}/{p.lower()}/">{p}</a></li>' for p in PLACES)
        + "</ul></li>"
        for s in sections
    )
    icons = "".join(f'<svg class="icon" viewBox="0 0 24 24"><path d="M{i} {i}h{i + 4}v{i + 2}H{i}z"/></svg>'
                    for i in range(40))
    header = (f'<div class="cookie-banner"><p>We use cookies to improve your experience on {outlet}.</p>'
              '<button>Accept</button><button>Settings</button></div>'
              f'<header class="site"><a class="logo" href="https://{outlet}/">{outlet}</a>{icons}'
              f'<nav class="mega"><ul>{menu}</ul></nav><form action="/search"><input name="q"></form></header>')

    def rail(title: str, count: int, teaser: bool) -> str:
        items = []
        for h in rng.sample(headlines, min(count, len(headlines))):
            blurb = f"<p class=\"teaser\">{escape(sentence(rng))}</p>" if teaser else ""
            items.append(f'<li class="card"><div class="card-media"><img src="https://{outlet}/img/'
                         f'{rng.randint(1, 10**6)}.jpg" alt=""></div><div class="card-body"><h3><a href="'
                         f'https://{outlet}/a/{rng.randint(1, 10**6)}.html">{escape(h)}</a></h3>{blurb}</div></li>')
        return f'<section class="rail"><h2>{title}</h2><ul>{"".join(items)}</ul></section>'

    comments = "".join(
        f'<div class="comment"><span class="author">{rng.choice(PEOPLE)}</span><p>{escape(sentence(rng))}</p>'
        '<a href="#reply">Reply</a> <a href="#report">Report</a></div>'
        for _ in range(rng.randint(3, 12))
    )
    links = "".join(f'<li><a href="https://{outlet}/{s.lower()}/{p.lower()}/">{p} {s}</a></li>'
                    for s in sections for p in PLACES[:6])
    script = "var config=" + "{" + ",".join(f'"k{i}":"{rng.randint(0, 10**9)}"' for i in range(400)) + "};"
    footer = (rail("Most read", 10, False) + rail(f"More from {outlet}", 12, True)
              + f'<section class="comments"><h2>Comments</h2>{comments}</section>'
              + f'<footer><ul class="sitemap">{links}</ul><p>© {outlet} 2026. All rights reserved.</p>'
              + '<p><a href="/legal">Legal notice</a> · <a href="/privacy">Privacy</a> · '
              + f'<a href="/cookies">Cookies</a></p></footer><script>{script}</script>')
    return header, footer


def article_html(outlet: str, title: str, paragraphs: list[str], published: datetime, *, rng: random.Random,
                 headlines: list[str]) -> str:
    """A whole article page with metadata, chrome and a byline."""
    header, footer = chrome(outlet, rng, headlines)
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)} | {outlet}</title>'
        f'<meta property="og:title" content="{escape(title)}"><meta property="og:type" content="article">'
        '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle", '
        f'"headline": {json.dumps(title)}, "datePublished": "{published.isoformat()}"}}</script>'
        f'<meta property="article:published_time" content="{published.isoformat()}">'
        '<style>body{font-family:serif}.related{float:right}</style></head><body>'
        f'{header}<main><article><h1>{escape(title)}</h1><p class="byline">By {rng.choice(PEOPLE)}</p>'
        f"\n{body}\n</article></main>{footer}</body></html>"
    )


def listing_html(outlet: str, headlines: list[str], rng: random.Random) -> str:
    """A section page: many linked headlines, no article."""
    header, footer = chrome(outlet, rng, headlines)
    items = "".join(f'<li><h3><a href="https://{outlet}/a/{rng.randint(1, 10**6)}.html">{escape(h)}</a></h3></li>'
                    for h in rng.sample(headlines, min(20, len(headlines))))
    return (f"<!DOCTYPE html><html><head><title>Regions | {outlet}</title></head><body>{header}<ul>{items}</ul>"
            f"{footer}</body></html>")


def generate(pages: int, seed: int = 7) -> list[tuple[str, str, bytes, datetime]]:
    """(url, content type, body, fetch time) records: ~`pages` HTML pages plus a few images."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    records: list[tuple[str, str, bytes, datetime]] = []
    headlines: list[str] = []
    n = 0
    while len(records) < pages:
        title, paragraphs = story(rng)
        headlines.append(title)
        published = start + timedelta(minutes=37 * n)
        copies = rng.choices([1, 2, 3, 4], weights=[50, 25, 15, 10])[0]
        for copy, outlet in enumerate(rng.sample(OUTLETS, copies)):
            text = list(paragraphs)
            if copy and rng.random() < 0.5:
                text = text[:-1]  # a trimmed copy
            if copy and rng.random() < 0.3:
                text.append(f"Read more: {rng.choice(headlines)}")
            when = published + timedelta(minutes=20 * copy)
            url = f"https://{outlet}/{when:%Y/%m/%d}/story-{n}-{copy}.html"
            html = article_html(outlet, title if not copy else f"{title} ({outlet.split('.')[0]})", text, when,
                                rng=rng, headlines=headlines)
            records.append((url, "text/html; charset=utf-8", html.encode(), when + timedelta(minutes=5)))
            if rng.random() < 0.03:  # the same page again under a tracking-parameter URL
                records.append((url + "?utm_source=social", "text/html; charset=utf-8", html.encode(),
                                when + timedelta(hours=1)))
        if n % 97 == 0:
            outlet = rng.choice(OUTLETS)
            records.append((f"https://{outlet}/regions/", "text/html; charset=utf-8",
                            listing_html(outlet, headlines, rng).encode(), published))
        if n % 151 == 0:
            records.append((f"https://{rng.choice(OUTLETS)}/img/{n}.jpg", "image/jpeg", bytes(2048), published))
        n += 1
    return records


def real_pages(data: Path = DATA) -> list[tuple[str, bytes]]:
    """(url, html) of the real pages: fundus-eval's 80, then trafilatura-eval's first 101 by key."""
    pages: list[tuple[str, bytes]] = []
    fundus = data / "fundus-eval"
    truth = json.loads((fundus / "ground_truth.json").read_text(encoding="utf-8"))
    for name in sorted(truth):
        pages.append((str(truth[name]["url"]), gzip.decompress((fundus / "html" / name).read_bytes())))
    trafilatura_eval = data / "trafilatura-eval"
    if (trafilatura_eval / "ground_truth.json").exists():
        truth = json.loads((trafilatura_eval / "ground_truth.json").read_text(encoding="utf-8"))
        # Web pages only: two of the set's entries carry a made-up scheme (`hard://`).
        keys = [key for key in sorted(truth) if str(truth[key]["url"]).startswith(("http://", "https://"))]
        for key in keys[:TRAFILATURA_PAGES]:
            html = gzip.decompress((trafilatura_eval / "html" / f"{key}.html.gz").read_bytes())
            pages.append((str(truth[key]["url"]), html))
    return pages


def mirrored(pages: list[tuple[str, bytes]], limit: int | None) -> list[tuple[str, str, bytes, datetime]]:
    """Each page served by MIRRORS hosts of its publisher (`m0.host` ...), mirror by mirror, a minute apart."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    records: list[tuple[str, str, bytes, datetime]] = []
    for mirror in range(MIRRORS):
        for url, html in pages:
            parts = urlsplit(url)
            moved = parts._replace(netloc=f"m{mirror}.{parts.netloc}").geturl()
            records.append((moved, "text/html", html, start + timedelta(minutes=len(records))))
    return records[:limit] if limit else records


def write_warc(path: Path, records: list[tuple[str, str, bytes, datetime]]) -> None:
    """Write the records as gzipped WARC response records."""
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, content_type, body, when in records:
            headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body), http_headers=headers,
                warc_headers_dict={"WARC-Date": when.strftime("%Y-%m-%dT%H:%M:%SZ")},
            )
            writer.write_record(record)


RAW_CPU: list[float] = []  # CPU seconds of each raw round (load makes wall and CPU differ)


def run_raw(warc: Path) -> tuple[int, float]:
    """Raw trafilatura.extract over every HTML page of the WARC, one process; bodies read beforehand."""
    pages = [(p.response.body, p.response.url) for p in read_warc(warc)]
    start, cpu = time.perf_counter(), time.process_time()
    for body, url in pages:
        trafilatura.extract(body.decode("utf-8", errors="replace"), url=url, deduplicate=False)
    RAW_CPU.append(time.process_time() - cpu)
    return len(pages), time.perf_counter() - start


class Breakdown:
    """Wall time spent in the main process's per-page stages (wrapping pipeline methods, for this script only)."""

    STAGES = (
        ("PageStore._store_pages", PageStore, "_store_pages"),
        ("PageStore._cluster", PageStore, "_cluster"),
        ("PageStore._without_site_boilerplate", PageStore, "_without_site_boilerplate"),
        ("repo.upsert_article", repo, "upsert_article"),
    )

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        for name, owner, attr in self.STAGES:
            if hasattr(owner, attr):  # a stage the code no longer has is not timed
                setattr(owner, attr, self._timed(name, getattr(owner, attr)))

    def _timed(self, name: str, func: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
        return wrapper


class WorkerBreakdown:
    """CPU time of each extraction task and of its parts, measured inside the workers (`--breakdown`).

    `prepare_page` and its parts are wrapped before the pool forks its workers; each task appends one line
    (its thread CPU, then each part's) to a file of its worker in `folder`, read back by `report`.
    """

    PARTS = ("extract_page", "page_records", "describe")

    def __init__(self, folder: Path) -> None:
        from ingest import page_work

        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        spent: dict[str, float] = {}

        def timed(name: str, func: Any) -> Any:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                start = time.thread_time()
                try:
                    return func(*args, **kwargs)
                finally:
                    spent[name] = spent.get(name, 0.0) + time.thread_time() - start
            return wrapper

        for name in self.PARTS:
            setattr(page_work, name, timed(name, getattr(page_work, name)))
        real = page_work.prepare_page

        def prepare_page(*args: Any, **kwargs: Any) -> Any:
            spent.clear()
            start = time.thread_time()
            ready = real(*args, **kwargs)
            total = time.thread_time() - start
            with (folder / str(os.getpid())).open("a", encoding="utf-8") as handle:
                handle.write(" ".join([str(total), *(str(spent.get(name, 0.0)) for name in self.PARTS)]) + "\n")
            return ready

        # Pickled by reference into the workers, which inherit this module state when the pool forks them.
        prepare_page.__module__, prepare_page.__qualname__ = real.__module__, real.__qualname__
        page_work.prepare_page = prepare_page

    def report(self) -> list[tuple[str, float, int]]:
        """(part, CPU seconds summed over the tasks, tasks): the whole task first, then each part."""
        rows = [[float(x) for x in line.split()] for path in self.folder.iterdir()
                for line in path.read_text(encoding="utf-8").splitlines()]
        names = ("prepare_page (whole task)", *self.PARTS)
        return [(name, sum(row[i] for row in rows), len(rows)) for i, name in enumerate(names)]


class SerialCost:
    """Time of the in-order writer (`PageStore._store_ready`, on the database thread): wall and thread CPU."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0
        real = PageStore._store_ready

        def timed(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return real(*args, **kwargs)
            finally:
                self.wall += time.perf_counter() - wall
                self.cpu += time.thread_time() - cpu

        PageStore._store_ready = timed  # type: ignore[method-assign]


def fresh_database(url: str, *, drop_only: bool = False) -> None:
    """Drop (and unless drop_only create again) the PostgreSQL database the URL names."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        if not drop_only:
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def dump_stories(url: str, path: Path) -> int:
    """Write the stories as sorted lists of [member URL, relation]; return how many stories."""
    from sqlalchemy import select

    store = Store(url)
    stories: dict[str, list[tuple[str, str]]] = {}
    with store.session() as session:
        rows = session.execute(select(StoryMember.story_id, Article.url, StoryMember.relation)
                               .join(Article, Article.id == StoryMember.article_id))
        for story_id, member_url, relation in rows:
            stories.setdefault(story_id, []).append((member_url, relation))
    store.close()
    listed = sorted(sorted(members) for members in stories.values())
    path.write_text(json.dumps(listed, indent=0) + "\n", encoding="utf-8")
    return len(listed)


def run_backfill(
    warc: Path, url: str, workers: int, chunk_size: int, *, metrics: bool = True,
) -> tuple[BackfillSummary, float]:
    """The whole backfill into a fresh database, timed from pipeline start to the last commit."""
    # A server database has no directory beside it for the WARC files: give it one beside the input.
    archive = StoreSettings() if url.startswith("sqlite") else StoreSettings(archive_dir=str(warc.parent / "archive"))
    settings = Settings(database=DatabaseSettings(url=SecretStr(url)), extract=ExtractSettings(workers=workers),
                        metrics=MetricsSettings(enabled=metrics), store=archive)
    store = Store(settings.database.url)
    start = time.perf_counter()
    pipeline = Pipeline(store, settings)
    try:
        options = BackfillOptions(warcs=[str(warc)], chunk_size=chunk_size)
        summary = asyncio.run(Backfill(pipeline, options).run())
    finally:
        pipeline.close()
        store.close()
    return summary, time.perf_counter() - start


def run_processes(
    records: list[tuple[str, str, bytes, datetime]], folder: Path, url: str, args: argparse.Namespace
) -> tuple[int, float, float]:
    """`wirefeed backfill --warc` in `args.processes` processes at once on one database, each on its own
    contiguous share of the records (its own WARC file); returns (stored pages, wall seconds, CPU seconds)."""
    import subprocess

    count = args.processes
    share = -(-len(records) // count)
    parts = []
    for n in range(count):
        part = folder / f"part{n}.warc.gz"
        write_warc(part, records[n * share : (n + 1) * share])
        parts.append(part)
    Store(url).close()  # the schema, once, before the processes start
    env = dict(os.environ, WIREFEED_EXTRACT__WORKERS=str(args.workers), WIREFEED_LOG__FORMAT="json",
               WIREFEED_LOG__LEVEL="warning", WIREFEED_METRICS__ENABLED=str(args.metrics == "on").lower())
    root = Path(__file__).resolve().parents[1]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    runs = [subprocess.Popen([sys.executable, "-m", "ingest.cli", "--db", url, "backfill", "--no-progress",
                              "--chunk-size", str(args.chunk_size), "--warc", str(part)],
                             cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for part in parts]
    outputs = [run.communicate() for run in runs]
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    for run, (out, err) in zip(runs, outputs, strict=True):
        if run.returncode != 0:
            raise SystemExit(f"backfill process failed ({run.returncode}): {err[-2000:]}")
        print("  " + out.strip().splitlines()[0] if out.strip() else "  (no summary)")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return len(records), seconds, cpu


def multi_process_report(
    records: list[tuple[str, str, bytes, datetime]], folder: Path, url: str, args: argparse.Namespace,
    *, html_pages: int, raw_first: float,
) -> int:
    """Run the backfill in several processes, then the raw baseline again, and print the combined rate."""
    load_during = os.getloadavg()[0]
    pages, seconds, cpu = run_processes(records, folder, url, args)
    load_after = os.getloadavg()[0]
    if args.stories:
        print(f"stories: {dump_stories(url, args.stories)} written to {args.stories}")
    if url.startswith("postgres") and not args.keep:
        fresh_database(url, drop_only=True)
    _, raw_second = run_raw(folder / "bench.warc.gz")
    raw_seconds = min(raw_first, raw_second)
    raw_rate = html_pages / raw_seconds
    rate = html_pages / seconds
    print(f"raw trafilatura.extract, 1 process: {html_pages} pages in {raw_seconds:.1f}s = {raw_rate:.1f} pages/s "
          f"(rounds: {raw_first:.1f}s, {raw_second:.1f}s)")
    print(f"{args.processes} wirefeed backfill processes at once, {args.workers} extraction workers each: "
          f"{pages} records in {seconds:.1f}s = {rate:.1f} pages/s combined; CPU {cpu / html_pages * 1000:.2f} ms "
          f"a page in all processes; load average during/after: {load_during:.2f}/{load_after:.2f}")
    print(f"ratio: {rate / raw_rate:.2f}x raw trafilatura in one process; CPU-time ratio (2 cores): "
          f"2 x raw CPU / CPU of all processes = {2 * min(RAW_CPU) / cpu:.2f}x")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, help="records: 3000 generated by default, every real one with --real")
    parser.add_argument("--workers", type=int, default=2, help="extraction workers (the cores to compare)")
    parser.add_argument("--chunk-size", type=int, default=100)
    parser.add_argument("--keep", type=Path, help="write the WARC and database here instead of a temp dir")
    parser.add_argument("--profile", type=Path, help="cProfile the backfill's main process into this file")
    parser.add_argument("--breakdown", action="store_true",
                        help="time the main process's per-page stages and the CPU of each part of a worker's task")
    parser.add_argument("--real", action="store_true", help="real pages (fundus-eval, trafilatura-eval) on 8 mirrors")
    parser.add_argument("--db", help="database URL (PostgreSQL: a scratch database, dropped and created again)")
    parser.add_argument("--stories", type=Path, help="write the stories (member URLs, relations) to this file")
    parser.add_argument("--processes", type=int, default=1,
                        help="backfill processes at once on one database, each on its share of the records "
                             "(its own WARC file) with --workers extraction workers")
    parser.add_argument("--metrics", choices=("on", "off"), default="on",
                        help="count metrics and telemetry ([metrics] enabled)")
    parser.add_argument("--ops-time", action="store_true",
                        help="measure the CPU time spent inside metrics and telemetry code (scripts/ops_cost.py)")
    args = parser.parse_args()
    cores = args.workers * args.processes  # the cores the backfill may use (its processes inherit them)
    if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > cores:
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:cores]))
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))  # warnings and up only
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        warc, db = folder / "bench.warc.gz", folder / "bench.db"
        db.unlink(missing_ok=True)
        url = args.db or f"sqlite:///{db}"
        postgres = url.startswith("postgres")
        if args.real:
            if not (DATA / "fundus-eval" / "ground_truth.json").exists():
                print(f"skipped: no real pages at {DATA} (../shared/data/fundus-eval)")
                return 0
            records = mirrored(real_pages(), args.pages)
        else:
            records = generate(args.pages or 3000)
        write_warc(warc, records)
        html = [r for r in records if r[1].startswith("text/html")]
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        average = sum(len(r[2]) for r in html) / len(html) / 1e3
        kind = "real pages on 8 mirrors" if args.real else "generated pages"
        print(f"WARC ({kind}): {len(records)} records ({len(html)} HTML pages, {average:.0f} KB average), "
              f"{warc.stat().st_size / 1e6:.1f} MB gzipped; cores: {cores}; database: "
              f"{'PostgreSQL' if postgres else 'SQLite'}; load average before: "
              + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
        # Raw trafilatura runs before and after the backfill; its best round is kept, so a machine that is
        # busy during one of them favours the baseline, not wirefeed.
        html_pages, raw_first = run_raw(warc)
        breakdown = Breakdown() if args.breakdown else None
        tasks = WorkerBreakdown(folder / "tasks") if args.breakdown else None
        serial = SerialCost()
        ops = OpsTimer.install() if args.ops_time else None
        profiler = cProfile.Profile() if args.profile else None
        if postgres:
            fresh_database(url)
        if profiler:
            profiler.enable()
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        load_during = os.getloadavg()[0]
        if args.processes > 1:
            return multi_process_report(records, folder, url, args, html_pages=html_pages, raw_first=raw_first)
        summary, seconds = run_backfill(warc, url, args.workers, args.chunk_size, metrics=args.metrics == "on")
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        load_after = os.getloadavg()[0]
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
        if args.stories:
            print(f"stories: {dump_stories(url, args.stories)} written to {args.stories}")
        if postgres and not args.keep:
            fresh_database(url, drop_only=True)
        _, raw_second = run_raw(warc)
        raw_seconds = min(raw_first, raw_second)
        raw_rate = html_pages / raw_seconds
        print(f"raw trafilatura.extract, 1 process: {html_pages} pages in {raw_seconds:.1f}s = {raw_rate:.1f} pages/s "
              f"(rounds: {raw_first:.1f}s, {raw_second:.1f}s)")
        rate = html_pages / seconds
        print(f"wirefeed backfill --warc, {args.workers} extraction workers: {html_pages} pages in {seconds:.1f}s "
              f"= {rate:.1f} pages/s (stored {summary.stored}, duplicates {summary.duplicates}, "
              f"not articles {summary.not_article}, failed {summary.failed_total}, non-HTML {summary.not_html})")
        main_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
        workers_cpu = ((children_after.ru_utime + children_after.ru_stime)
                       - (children_before.ru_utime + children_before.ru_stime))
        per_page = 1000 / html_pages
        print(f"serial cost a page: writer (in-order store, database thread) {serial.wall * per_page:.2f} ms wall, "
              f"{serial.cpu * per_page:.2f} ms CPU -> ceiling {html_pages / serial.wall:.0f} pages/s; "
              f"main process CPU {main_cpu * per_page:.2f} ms -> ceiling {html_pages / main_cpu:.0f} pages/s")
        print(f"CPU a page: main process {main_cpu * per_page:.2f} ms, "
              f"extraction workers {workers_cpu * per_page:.2f} ms "
              f"(ended workers only), raw trafilatura {raw_seconds * per_page:.2f} ms wall, "
              f"{min(RAW_CPU) * per_page:.2f} ms CPU; load average during/after: {load_during:.2f}/{load_after:.2f}")
        total = main_cpu + workers_cpu
        print(f"CPU-time ratio (2 cores busy, no neighbours): 2 x raw CPU / wirefeed CPU = "
              f"{2 * min(RAW_CPU) / total:.2f}x")
        print(f"metrics and telemetry: {args.metrics}")
        if ops is not None:
            print(f"inside metrics/telemetry: {ops.cpu:.3f} s = {ops.cpu * per_page:.3f} ms a page, "
                  f"{ops.cpu / main_cpu:.2%} of the main process's CPU, {ops.cpu / total:.2%} of all CPU "
                  f"({ops.calls} calls)")
            for name, spent in sorted(ops.by_name.items(), key=lambda kv: -kv[1]):
                print(f"  inside metrics/telemetry, {name}: {spent * per_page:.3f} ms a page")
        if breakdown is not None:
            for name, spent in sorted(breakdown.seconds.items(), key=lambda kv: -kv[1]):
                print(f"  main process, {name}: {spent:.1f}s = {spent / html_pages * 1000:.1f} ms/page")
        if tasks is not None:
            for name, spent, count in tasks.report():
                print(f"  extraction workers, {name}: {spent * 1000 / max(count, 1):.2f} ms CPU a task ({count} tasks)")
        target = TARGET_REAL if args.real else TARGET
        ratio = rate / raw_rate
        print(f"ratio: {ratio:.2f}x (target >= {target}x): {'met' if ratio >= target else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
