"""The hot queries of a PostgreSQL store at 1M and 10M synthetic articles: timings and EXPLAIN plans.

Creates its own database (DB, dropped at the end unless --keep), applies wirefeed's migrations, and fills
it with generated rows (INSERT ... SELECT over generate_series, no Python per row) as a store that has
ingested PER_DAY articles a day for SIZE / PER_DAY days: every table an article adds to (articles,
feed_items, raw_pages in archive mode, stories with two members each, story_members, lineage_keys),
and `lsh_bands` for the dedupe window alone (what the pipeline's hourly eviction and `wirefeed prune`
keep). The store grows by history at a fixed daily rate: what must stay flat is a query's cost as the
history grows, the window (and so the day's work) staying the same size.

Then it runs the statements the code runs, through the code (store.repo, store.index, store.retention):
each is timed (best of --repeat runs, each in a transaction rolled back) and its SQL, captured as
executed, is shown with `EXPLAIN (ANALYZE, BUFFERS)`. Sizes grow in one run: rows are added to reach
the next size, and the window's band rows are pruned and regenerated as time moves on.

With --compare REV, each size is measured at schema revision REV ("before"), then at head ("after",
the time the upgrade took shown): the effect of a migration's indexes on the same rows.

    python scripts/bench_pg_scale.py [--sizes 1000000,10000000] [--per-day 50000] [--compare 0009]
                                     [--repeat 5] [--keep] [--plans plans.txt]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pydantic import SecretStr
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from config.settings import DatabaseSettings, DedupeSettings, Settings, StoreSettings
from store import repo
from store.db import alembic_config, make_engine
from store.index import _CANDIDATES, SqlLineage
from store.models import Article, LshBand, Story, StoryMember
from store.retention import plan

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BANDS = 22  # LSH band keys an article adds (docs/scaling.md)
LINEAGE = 4  # lineage fingerprints an article adds (4 to 16 in production: MIN_FINGERPRINTS..MAX_FINGERPRINTS)
WINDOW_DAYS = 3
FEEDS = 20_000
SITES = 2_000
GROUP = 50  # pages a group stores at once (the pipeline's batch)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Shape:
    """The synthetic store: articles 1..size arrive at per_day a day from T0."""

    per_day: int

    def fetched(self, i: int) -> datetime:
        return T0 + timedelta(seconds=i * 86400 / self.per_day)


# Generation ---------------------------------------------------------------------------------------

# Every row of article i (1-based) is a function of i; article 2j-1 is story j's original, 2j its copy
# (same band and lineage keys: what dedupe would have matched). `:sec` = seconds between two articles.
FETCHED = "(timestamptz '2026-01-01 00:00:00+00' + (i * :sec) * interval '1 second')"
ARTICLES = f"""
INSERT INTO articles (id, canonical_url, url, feed_id, guid, site, title, text, content_hash, author,
    published, modified, fetched, language, site_name, description, status, attempts, error, removed,
    extractor, extractor_version, extractor_options, story_id)
SELECT i, 'https://site' || (i % {SITES}) || '.example/news/' || i, 'https://site' || (i % {SITES})
    || '.example/news/' || i || '?utm_source=rss', 1 + i % {FEEDS}, 'guid-' || i, 'site' || (i % {SITES})
    || '.example', 'Synthetic headline number ' || i, repeat(md5(i::text) || ' ', 12),
    md5(i::text) || md5((i + 1)::text), 'Reporter ' || (i % 500),
    CASE WHEN i % 10 = 0 THEN NULL ELSE {FETCHED} - interval '1 hour' END, NULL, {FETCHED}, 'en',
    'Site ' || (i % {SITES}), 'A description of article ' || i,
    CASE WHEN i % 100 = 0 THEN 'failed' ELSE 'ok' END, 1,
    CASE WHEN i % 100 = 0 THEN 'HTTP 503' ELSE NULL END, NULL, 'trafilatura', '2.0.0', '{{}}',
    's' || ((i + 1) / 2)
FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS i
"""
STORIES = """
INSERT INTO stories (id, title, original_article_id, agency, size, first_published, created_at, updated_at)
SELECT 's' || j, 'Synthetic headline number ' || (2 * j - 1), 2 * j - 1, NULL, 2,
    (timestamptz '2026-01-01 00:00:00+00' + ((2 * j - 1) * :sec) * interval '1 second') - interval '1 hour',
    timestamptz '2026-01-01 00:00:00+00' + ((2 * j - 1) * :sec) * interval '1 second',
    timestamptz '2026-01-01 00:00:00+00' + ((2 * j) * :sec) * interval '1 second'
FROM generate_series((CAST(:lo AS bigint) + 1) / 2, CAST(:hi AS bigint) / 2) AS j
"""
MEMBERS = """
INSERT INTO story_members (article_id, story_id, duplicate_of, score, relation, agency, seq, diff)
SELECT i, 's' || ((i + 1) / 2), CASE WHEN i % 2 = 0 THEN i - 1 END, CASE WHEN i % 2 = 0 THEN 0.9 ELSE 1 END,
    CASE WHEN i % 2 = 0 THEN 'copy' ELSE 'original' END, NULL, i, NULL
FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS i
"""
FEED_ITEMS = f"""
INSERT INTO feed_items (id, feed_id, guid, url, canonical_url, title, published, seen_at, article_id)
SELECT i, 1 + i % {FEEDS}, 'guid-' || i, 'https://site' || (i % {SITES}) || '.example/news/' || i,
    'https://site' || (i % {SITES}) || '.example/news/' || i, 'Synthetic headline number ' || i,
    {FETCHED} - interval '1 hour', {FETCHED}, i
FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS i
"""
RAW_PAGES = f"""
INSERT INTO raw_pages (article_id, url, status, headers, body, fetched, archive_file, archive_offset,
    archive_length)
SELECT i, 'https://site' || (i % {SITES}) || '.example/news/' || i, 200,
    '{{"content-type": "text/html; charset=utf-8", "server": "nginx"}}', NULL, {FETCHED},
    'wirefeed-' || to_char({FETCHED}, 'YYYYMMDD') || 'T000000Z-0123456789-bench-1-0001.warc.gz',
    (i % :per_day) * 70000, 69000
FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS i
"""
LINEAGE_KEYS = f"""
INSERT INTO lineage_keys (key, article_id, added)
SELECT hashtextextended('l' || ((i + 1) / 2) || ':' || k, 7) & 9223372036854775807, i, {FETCHED}
FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS i, generate_series(1, {LINEAGE}) AS k
"""
LSH_BANDS = f"""
INSERT INTO lsh_bands (key, article_id, added)
SELECT hashtextextended('b' || ((i + 1) / 2) || ':' || k, 11) & 9223372036854775807, i, {FETCHED}
FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS i, generate_series(1, {BANDS}) AS k
"""
# Tables whose secondary indexes are dropped while rows are loaded and rebuilt after (much faster than
# maintaining them row by row; the rebuilt indexes are compact, as after a REINDEX).
BULK_TABLES = ("articles", "feed_items", "raw_pages", "stories", "story_members", "lineage_keys", "lsh_bands")


def generate_feeds(engine: Engine, shape: Shape, now: datetime) -> None:
    """FEEDS feeds, polled every 15 minutes on average: their next polls spread over the next hour."""
    with engine.begin() as conn:
        conn.execute(text(f"""
            INSERT INTO feeds (id, url, title, error_count, next_fetch_at, disabled, created_at, items_waiting,
                               last_fetched_at)
            SELECT f, 'https://site' || (f % {SITES}) || '.example/feed/' || f || '.xml', 'Feed ' || f,
                   CASE WHEN f % 50 = 0 THEN 3 ELSE 0 END,
                   CAST(:now AS timestamptz) + ((f * 7919) % 3600 - 900) * interval '1 second',
                   f % 97 = 0, CAST(:now AS timestamptz) - interval '90 days', 0,
                   CAST(:now AS timestamptz) - interval '15 minutes'
            FROM generate_series(1, {FEEDS}) AS f"""), {"now": now})
        conn.execute(text("SELECT setval(pg_get_serial_sequence('feeds', 'id'), :n)"), {"n": FEEDS})


def secondary_indexes(engine: Engine, table: str) -> list[tuple[str, str]]:
    """(name, definition) of a table's indexes that back no constraint."""
    with engine.connect() as conn:
        rows = conn.execute(text("""
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.tablename = :t AND i.schemaname = 'public'
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"""), {"t": table})
        return [(str(name), str(definition)) for name, definition in rows]


def unique_constraints(engine: Engine, table: str) -> list[tuple[str, str]]:
    """(name, definition) of a table's unique constraints that no foreign key depends on."""
    with engine.connect() as conn:
        rows = conn.execute(text("""
            SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
            WHERE c.conrelid = CAST(:t AS regclass) AND c.contype = 'u'
              AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid)"""),
            {"t": table})
        return [(str(name), str(definition)) for name, definition in rows]


def grow(engine: Engine, shape: Shape, lo: int, hi: int) -> None:
    """Add articles lo..hi with every row they bring, then the window's band rows for the new now."""
    sec = 86400 / shape.per_day
    dropped: list[tuple[str, str]] = []
    for table in BULK_TABLES:
        for name, definition in secondary_indexes(engine, table):
            with engine.begin() as conn:
                conn.execute(text(f'DROP INDEX "{name}"'))
            dropped.append((name, definition))
        # Unique constraints too (a key inserted at a random place of a large index costs a page each):
        # built again at once, as a sort, after the load.
        for name, definition in unique_constraints(engine, table):
            with engine.begin() as conn:
                conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
            dropped.append((name, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
    chunk = 1_000_000
    for start in range(lo, hi + 1, chunk):
        end = min(hi, start + chunk - 1)
        began = time.perf_counter()
        with engine.begin() as conn:
            # Foreign keys are checked by triggers, one call a row: off for the load (superuser), the rows
            # being consistent by construction.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text("SET LOCAL synchronous_commit = off"))
            params = {"lo": start, "hi": end, "sec": sec, "per_day": shape.per_day}
            for statement in (STORIES, ARTICLES, MEMBERS, FEED_ITEMS, RAW_PAGES, LINEAGE_KEYS):
                conn.execute(text(statement), params)
        print(f"  rows for articles {start:,}..{end:,}: {time.perf_counter() - began:.0f} s", flush=True)
    now = shape.fetched(hi)
    window_start = now - timedelta(days=WINDOW_DAYS)
    first_in_window = max(1, int((window_start - T0).total_seconds() * shape.per_day / 86400) + 1)
    began = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        # What the hourly eviction (and `wirefeed prune`) did while time moved on: the old window's rows go.
        conn.execute(text("DELETE FROM lsh_bands WHERE added < :before"), {"before": window_start})
        have = conn.execute(text("SELECT coalesce(max(article_id), 0) FROM lsh_bands")).scalar() or 0
        conn.execute(text(LSH_BANDS), {"lo": max(first_in_window, int(have) + 1), "hi": hi, "sec": sec})
    print(f"  window band rows (articles {first_in_window:,}..{hi:,}): {time.perf_counter() - began:.0f} s",
          flush=True)
    for name, definition in dropped:
        began = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
            conn.execute(text(definition))
        print(f"  index {name}: {time.perf_counter() - began:.0f} s", flush=True)
    with engine.begin() as conn:
        for table in ("articles", "feed_items", "lineage_keys", "lsh_bands"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT coalesce(max(id), 1) FROM {table}))"))
    began = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE)"))
    print(f"  VACUUM (ANALYZE): {time.perf_counter() - began:.0f} s", flush=True)


# The hot queries ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Captured:
    """Statements a call executed, as the driver received them."""

    statements: list[tuple[str, Any]]


@contextmanager
def capture(engine: Engine) -> Iterator[Captured]:
    found = Captured([])

    def before(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, executemany: bool) -> None:
        if not executemany and not statement.lstrip().upper().startswith(("SET", "SAVEPOINT", "RELEASE")):
            found.statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", before)


def keys_of(engine: Engine, recent: list[int], new: list[int]) -> dict[str, list[int]]:
    """A group's band keys and lineage fingerprints: half those of stored window articles (copies arriving)."""
    with engine.connect() as conn:
        bands = conn.execute(text("SELECT key FROM lsh_bands WHERE article_id = ANY(:ids)"),
                             {"ids": recent[: GROUP // 2]}).scalars().all()
        lineage = conn.execute(text("SELECT key FROM lineage_keys WHERE article_id = ANY(:ids)"),
                               {"ids": recent[: GROUP // 2]}).scalars().all()
    fresh = random.Random(len(recent) + new[0])
    return {
        "bands": [int(k) for k in bands] + [fresh.getrandbits(63) for _ in range(GROUP // 2 * BANDS)],
        "lineage": [int(k) for k in lineage] + [fresh.getrandbits(63) for _ in range(GROUP // 2 * LINEAGE)],
    }


# The statements as they were before this bench changed them (store/repo.py), for before/after in one run.


def replay_before(since: datetime) -> Any:
    """placements_after(0, since=...) as one statement: the first seq of the window a scalar subquery."""
    first = (select(func.min(StoryMember.seq)).join(LshBand, LshBand.article_id == StoryMember.article_id)
             .where(StoryMember.seq > 0, LshBand.added >= since).scalar_subquery())
    return (select(StoryMember, Article.title, Article.text, Article.url, Article.published, Article.fetched,
                   repo._ARRIVED.label("arrived"))
            .join(Article, Article.id == StoryMember.article_id)
            .where(StoryMember.seq > 0, StoryMember.seq >= first).order_by(StoryMember.seq))


def stories_before(session: Session, stories: Any) -> int:
    """stories_since as it was: the stories, then each story's members with a statement of its own."""
    count = 0
    for story in session.scalars(stories):
        count += len(session.execute(select(StoryMember, Article).join(Article, Article.id == StoryMember.article_id)
                                     .where(StoryMember.story_id == story.id)
                                     .order_by(Article.published.nulls_last(), Article.id)).all())
    return count


def published_before(since: datetime) -> Any:
    """The stories with a member published (fetched when undated) since: the coalesce the index cannot serve."""
    members = (select(StoryMember.story_id).join(Article, Article.id == StoryMember.article_id)
               .where(func.coalesce(Article.published, Article.fetched) >= since))
    return (select(Story).where(Story.id.in_(members))
            .order_by(Story.first_published.desc().nulls_last(), Story.id))


def hot_queries(engine: Engine, shape: Shape, size: int) -> list[tuple[str, Callable[[Session], Any]]]:
    """(name, call) of what the code runs per group of pages, per pass, per day and per start-up."""
    now = shape.fetched(size)
    since = now - timedelta(days=WINDOW_DAYS)
    recent = list(range(size - 2 * GROUP + 1, size + 1, 2))  # GROUP recent article ids (originals)
    new = list(range(size + 1, size + GROUP + 1))  # ids of pages not stored yet

    def url(i: int) -> str:
        return f"https://site{i % SITES}.example/news/{i}"

    keys = keys_of(engine, recent, new)
    settings = Settings(database=DatabaseSettings(url=SecretStr("postgresql+psycopg://bench@127.0.0.1/none")),
                        store=StoreSettings(raw_retention_days=30, archive_dir=None),
                        dedupe=DedupeSettings(window_days=WINDOW_DAYS, lineage_days=365))
    hashes = [hashlib.md5(str(i).encode()).hexdigest() + hashlib.md5(str(i + 1).encode()).hexdigest()
              for i in recent[:25]] + [f"{i:064x}" for i in new[:25]]

    return [
        ("due feeds: repo.claim_feeds (50, FOR UPDATE SKIP LOCKED, then the UPDATE)",
         lambda s: repo.claim_feeds(s, "bench", now=now, lease=timedelta(minutes=10), limit=GROUP)),
        ("feed items seen: repo.seen_guids (50 GUIDs of one feed)",
         lambda s: repo.seen_guids(s, 1 + recent[0] % FEEDS, [f"guid-{i}" for i in recent[:25] + new[:25]])),
        ("stored by URL: repo.articles_by_canonical (50 URLs)",
         lambda s: repo.articles_by_canonical(s, [url(i) for i in recent[:25] + new[:25]])),
        ("stored by text hash: repo.articles_by_hashes (50 hashes)",
         lambda s: repo.articles_by_hashes(s, hashes)),
        ("band lookups in the window: repo.band_rows (a group's 1,100 keys, added >= window)",
         lambda s: repo.band_rows(s, keys["bands"], since)),
        ("candidates' texts: store.index _CANDIDATES (200 ids)",
         lambda s: s.execute(_CANDIDATES, {"ids": list(range(size - 399, size + 1, 2))}).all()),
        ("lineage lookups: SqlLineage.candidates (a group's 200 fingerprints, 32 latest per key)",
         lambda s: SqlLineage(s).candidates(keys["lineage"], 200)),
        ("clustering order: repo.latest_seq", repo.latest_seq),
        ("other workers' decisions: repo.placements_after (the last group's)",
         lambda s: repo.placements_after(s, size - GROUP)),
        ("start-up replay: repo.placements_after (decisions of the window)",
         lambda s: len(repo.placements_after(s, 0, since=since))),
        ("start-up replay as a new clusterer runs it: the window's latest 2 x max_entries (20,000) decisions",
         lambda s: len(repo.placements_after(s, 0, since=since, last=20_000))),
        ("start-up replay, before: one statement, the first seq as a subquery",
         lambda s: len(s.execute(replay_before(since)).all())),
        ("window eviction: repo.evict_bands (one hour)",
         lambda s: repo.evict_bands(s, since + timedelta(hours=1))),
        ("stories of the last day: repo.stories_since (by updated)",
         lambda s: len(repo.stories_since(s, now - timedelta(days=1)))),
        ("stories of the last day, before: a statement per story's members",
         lambda s: stories_before(s, select(Story).where(Story.updated_at >= now - timedelta(days=1))
                                  .order_by(Story.first_published.desc().nulls_last(), Story.id))),
        ("stories of the last day: repo.stories_since (by published)",
         lambda s: len(repo.stories_since(s, now - timedelta(days=1), by="published"))),
        ("stories of the last day by published, before: coalesce(published, fetched) >= since, then per story",
         lambda s: stories_before(s, published_before(now - timedelta(days=1)))),
        ("daemon health: repo.health_counts", lambda s: repo.health_counts(s, now)),
        ("daily prune plan: store.retention.plan (30 days of raw pages)", lambda s: plan(s, settings, now)),
        ("after each ingest: repo.stats", repo.stats),
        ("wirefeed feeds: repo.failed_pages_by_feed", repo.failed_pages_by_feed),
    ]


def measure(engine: Engine, shape: Shape, size: int, *, repeat: int, plans: list[str], label: str,
            before: bool = True) -> dict[str, float]:
    """Each hot query's best time of `repeat` runs, in ms; its statements' plans appended to `plans`.

    `before`: also the statements as they were before this bench changed them (they need no index of
    the migration compared, so they are run once a size)."""
    timings: dict[str, float] = {}
    for name, call in hot_queries(engine, shape, size):
        if not before and ", before" in name:
            continue
        best = float("inf")
        statements: list[tuple[str, Any]] = []
        spent = 0.0
        for attempt in range(repeat):
            if attempt and spent > 20:  # a slow one: fewer runs
                break
            with Session(engine) as session:
                with capture(engine) as seen:
                    began = time.perf_counter()
                    call(session)
                    elapsed = time.perf_counter() - began
                session.rollback()
            best = min(best, elapsed)
            spent += elapsed
            if attempt == 0:
                statements = seen.statements
        timings[name] = best * 1000
        print(f"  {best * 1000:10.1f} ms  {name}  ({len(statements)} statement(s))", flush=True)
        plans.append(f"\n### {size:,} articles, {label}: {name}\n")
        with engine.connect() as conn:
            for statement, params in statements[:3]:  # the first ones: a per-story loop repeats the third
                raw = conn.connection.driver_connection
                assert raw is not None
                with raw.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
                    plan_lines = [row[0] for row in cursor.fetchall()]
                plans.append("```\n" + _shorten(statement) + "\n" + "\n".join(plan_lines) + "\n```\n")
            if len(statements) > 3:
                plans.append(f"(and {len(statements) - 3} more statement(s) like the last one)\n")
            conn.rollback()
    return timings


def _shorten(statement: str) -> str:
    flat = " ".join(statement.split())
    return flat if len(flat) <= 400 else flat[:400] + " ..."


# The run ----------------------------------------------------------------------------------------------


def migrate(engine: Engine, revision: str, *, down: bool = False) -> float:
    from alembic import command

    began = time.perf_counter()
    config = alembic_config(engine)
    (command.downgrade if down else command.upgrade)(config, revision)
    return time.perf_counter() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--admin-url", default=ADMIN_URL, help="a PostgreSQL URL to create the database from")
    parser.add_argument("--db", default="wirefeed_pgscale", help="the database to create (dropped at the end)")
    parser.add_argument("--sizes", default="1000000,10000000", help="article counts, growing")
    parser.add_argument("--per-day", type=int, default=50_000, help="articles a day (the window's size)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each query; the best is kept")
    parser.add_argument("--compare", metavar="REV", help="measure at revision REV, then at head")
    parser.add_argument("--plans", type=Path, help="write the EXPLAIN plans to this file (markdown)")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    shape = Shape(args.per_day)

    admin = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{args.db}"'))
    url = make_url(args.admin_url).set(database=args.db).render_as_string(hide_password=False)
    engine = make_engine(url)
    plans: list[str] = []
    results: dict[str, dict[str, float]] = {}
    try:
        migrate(engine, args.compare or "head")
        generate_feeds(engine, shape, shape.fetched(sizes[-1]))
        stored = 0
        for size in sizes:
            print(f"\n## {size:,} articles ({size / shape.per_day:.0f} days at {shape.per_day:,} a day)", flush=True)
            began = time.perf_counter()
            # Feeds are due relative to this size's now.
            with engine.begin() as conn:
                conn.execute(text("UPDATE feeds SET next_fetch_at = CAST(:now AS timestamptz) "
                                  "+ ((id * 7919) % 3600 - 900) * interval '1 second'"), {"now": shape.fetched(size)})
            grow(engine, shape, stored + 1, size)
            stored = size
            print(f"  generated in {time.perf_counter() - began:.0f} s; database "
                  f"{database_size(engine)}", flush=True)
            label = f"at {args.compare}" if args.compare else "at head"
            results[f"{size}:{label}"] = measure(engine, shape, size, repeat=args.repeat, plans=plans, label=label)
            if args.compare:
                print(f"  upgrade to head: {migrate(engine, 'head'):.0f} s", flush=True)
                results[f"{size}:at head"] = measure(engine, shape, size, repeat=args.repeat, plans=plans,
                                                     label="at head", before=False)
                if size != sizes[-1]:
                    migrate(engine, args.compare, down=True)
            print(f"  table sizes: {table_sizes(engine)}", flush=True)
    finally:
        engine.dispose()
        if args.plans:
            args.plans.write_text("".join(plans))
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)'))
        admin.dispose()
    print("\n| query | " + " | ".join(results) + " |")
    print("|---|" + "---:|" * len(results))
    names = list(next(iter(results.values()))) if results else []
    for name in names:
        print(f"| {name} | " + " | ".join(f"{timings[name]:.1f} ms" if name in timings else "-"
                                          for timings in results.values()) + " |")
    return 0


def database_size(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar())


def table_sizes(engine: Engine) -> str:
    with engine.connect() as conn:
        rows = conn.execute(text("""
            SELECT relname, pg_size_pretty(pg_total_relation_size(relid)) FROM pg_stat_user_tables
            ORDER BY pg_total_relation_size(relid) DESC LIMIT 8"""))
        return ", ".join(f"{name} {size}" for name, size in rows)


if __name__ == "__main__":
    sys.exit(main())
