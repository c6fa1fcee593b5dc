"""The in-order writer at scale: groups written in bulk, site counts in memory, several processes on one store."""

from __future__ import annotations

import os
import random
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from config.settings import DatabaseSettings, ExtractSettings, Settings
from ingest.extract.boilerplate import MIN_DOCS
from ingest.fetch.client import Response
from ingest.page_work import DedupeShape, ReadyPage, prepare_page
from ingest.pipeline import PageJob, PageOutcome, Pipeline
from store.db import Store
from store.models import Article, SiteBlock, SiteStat, StoryMember
from tests.test_backfill import wirefeed_command, write_warc
from tests.world import page

WORDS = ["harbour", "council", "budget", "river", "bridge", "railway", "school", "hospital", "museum", "ferry",
         "market", "library", "union", "tram", "energy", "water", "airport", "festival", "vineyard", "glacier",
         "forest", "mayor", "minister", "court", "strike", "village", "island", "bakery", "tunnel", "stadium",
         "harvest", "storm", "coast", "winter", "summer", "report", "plan", "vote", "petition", "workers"]
FOOTER = "The Harbour Gazette is published by the Coastal Media Group, twelve Quay Street, Brest, since 1921."


def paragraphs(seed: int, count: int = 5) -> list[str]:
    """A story's paragraphs: sentences drawn from a word list (seeded, so each story is its own)."""
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(45)).capitalize() + "." for _ in range(count)]


def corpus(stories: int, sites: int, *, seed: int) -> list[tuple[str, str]]:
    """(url, html) pages: each story on 1-4 sites, some copies trimmed or with a site footer, interleaved."""
    rng = random.Random(seed)
    pages = []
    for n in range(stories):
        body = paragraphs(seed * 1000 + n)
        for copy, site in enumerate(rng.sample(range(sites), rng.randint(1, min(4, sites)))):
            text = body[:-1] if copy and rng.random() < 0.4 else list(body)
            if site % 2 == 0:
                text = [*text, FOOTER]  # recurring on the even sites: their boilerplate model learns it
            pages.append((f"https://site{site}.example/{seed}/story-{n}-{copy}.html", page(f"Story {n}", text)))
    rng.shuffle(pages)
    return pages


def ready(url: str, html: str) -> tuple[PageJob, Response, ReadyPage]:
    """A page as the writer receives it (prepared as an extraction worker prepares it)."""
    body = html.encode()
    response = Response(url, 200, {"content-type": "text/html; charset=utf-8"}, body)
    job = PageJob(url=url, response=response, fetched=datetime(2026, 11, 27, 12, tzinfo=UTC))
    return job, response, prepare_page(body, url=url, headers=response.headers, title=None, shape=DedupeShape())


def settings_for(url: str) -> Settings:
    return Settings(database=DatabaseSettings(url=url), extract=ExtractSettings(workers=1, timeout=60))


def store_groups(url: str, pages: Sequence[tuple[PageJob, Response, ReadyPage]], size: int) -> list[PageOutcome]:
    """Store the pages in order through the pipeline's writer, `size` pages a transaction."""
    store = Store(url)
    pipeline = Pipeline(store, settings_for(url))
    try:
        outcomes: list[PageOutcome] = []
        for start in range(0, len(pages), size):
            outcomes.extend(pipeline.pages._store_pages(pages[start : start + size], {}))
        return outcomes
    finally:
        pipeline.close()
        store.close()


def stored(url: str) -> dict[str, Any]:
    """What a run leaves: articles (id, url, text, removed), memberships and the site counts."""
    store = Store(url)
    try:
        with store.session() as s:
            return {
                "articles": sorted(s.execute(select(Article.id, Article.url, Article.text, Article.content_hash,
                                                    Article.story_id)).all()),
                "removed": sorted((a.url, str(a.removed)) for a in s.scalars(select(Article))),
                "members": sorted(s.execute(select(StoryMember.article_id, StoryMember.story_id,
                                                   StoryMember.relation, StoryMember.duplicate_of,
                                                   StoryMember.seq)).all()),
                "sites": sorted(s.execute(select(SiteStat.site, SiteStat.articles)).all()),
                "blocks": sorted(s.execute(select(SiteBlock.site, SiteBlock.block, SiteBlock.count)).all()),
            }
    finally:
        store.close()


def memberships(url: str) -> set[frozenset[str]]:
    """The stories as sets of member URLs (ids and which copy came first depend on the arrival order)."""
    store = Store(url)
    try:
        with store.session() as s:
            stories: dict[str, set[str]] = {}
            rows = s.execute(select(StoryMember.story_id, Article.url)
                             .join(Article, Article.id == StoryMember.article_id))
            for story_id, member in rows:
                stories.setdefault(story_id, set()).add(member)
        return {frozenset(members) for members in stories.values()}
    finally:
        store.close()


class TestGroupWriter:
    """A group written in bulk leaves the store a page-by-page writer leaves."""

    def test_groups_store_what_single_pages_store(self, db_url: str, tmp_path: Path) -> None:
        """Groups of 50 and groups of 1: same articles, texts, site boilerplate, stories, relations, counts."""
        pages = [ready(url, html) for url, html in corpus(40, 3, seed=1)]
        assert len(pages) > 3 * MIN_DOCS  # the even sites' footer becomes boilerplate within a group
        grouped = store_groups(db_url, pages, 50)
        single_url = f"sqlite:///{tmp_path}/single.db"
        single = store_groups(single_url, pages, 1)
        assert [(o.status, o.relation, o.article_id, o.story_id) for o in grouped] == \
            [(o.status, o.relation, o.article_id, o.story_id) for o in single]
        assert stored(db_url) == stored(single_url)
        removed = [r for _, r in stored(db_url)["removed"] if "site_boilerplate" in r]
        assert removed  # the model did remove the footer somewhere

    def test_same_text_and_same_url_within_a_group(self, db_url: str) -> None:
        """A page repeated in a group (same site and text; same URL) is a duplicate of the first, linked to it."""
        first = ready("https://a.example/x.html", page("X", paragraphs(7)))
        again = ready("https://a.example/x-copy.html", page("X", paragraphs(7)))
        outcomes = store_groups(db_url, [first, again, first], 50)
        assert [o.status for o in outcomes] == ["stored", "duplicate_text", "duplicate_text"]
        assert outcomes[1].article_id == outcomes[2].article_id == outcomes[0].article_id
        assert outcomes[1].story_id == outcomes[0].story_id is not None

    def test_site_counts_match_the_stored_articles(self, db_url: str) -> None:
        """The counts kept in memory are written with their group: each site's count equals its articles."""
        pages = [ready(url, html) for url, html in corpus(30, 2, seed=3)]
        store_groups(db_url, pages, 7)
        state = stored(db_url)
        per_site: dict[str, int] = {}
        for _, url, text, _, _ in state["articles"]:
            if text is not None:
                site = url.split("/")[2]
                per_site[site] = per_site.get(site, 0) + 1
        assert dict(state["sites"]) == per_site


def backfill_command(db: str, *warcs: Path) -> list[str]:
    return [*wirefeed_command(), "--db", db, "backfill", "--no-progress", "--chunk-size", "10",
            "--warc", *[str(warc) for warc in warcs]]


class TestProcessesOnOneDatabase:
    """Several backfill processes on one PostgreSQL database make the stories one process makes."""

    def test_two_processes_make_the_stories_of_one(self, pg_url: str, tmp_path: Path) -> None:
        """Two processes on two WARC files (stories spread over both) = one process over both files."""
        pages = corpus(60, 6, seed=5)
        first = write_warc(tmp_path / "a.warc.gz", pages[::2])
        second = write_warc(tmp_path / "b.warc.gz", pages[1::2])
        env = dict(os.environ, WIREFEED_EXTRACT__WORKERS="1", WIREFEED_LOG__FORMAT="json")
        one = pg_url.replace("/wirefeed_test_", "/wirefeed_one_")
        Store(pg_url).close()  # the schema, created once before the two processes start
        runs = [subprocess.Popen(backfill_command(pg_url, warc), env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for warc in (first, second)]
        for run in runs:
            _, err = run.communicate(timeout=300)
            assert run.returncode == 0, err[-2000:]
        together = memberships(pg_url)
        _create_database(one)
        try:
            done = subprocess.run(backfill_command(one, first, second), env=env, capture_output=True, text=True,
                                  timeout=300, check=False)
            assert done.returncode == 0, done.stderr[-2000:]
            assert together == memberships(one)
            assert len([m for m in together if len(m) > 1]) > 10  # the test has stories with copies
        finally:
            _create_database(one, drop_only=True)


def _create_database(url: str, *, drop_only: bool = False) -> None:
    """Create (or drop) a PostgreSQL database beside the test's own."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        if not drop_only:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
