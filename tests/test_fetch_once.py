"""One fetch per page: a URL listed by many feeds, or wanted by several workers at once, is requested once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from config.settings import DatabaseSettings, ExtractSettings, FetchSettings, ScheduleSettings, Settings
from store import repo
from store.db import Store
from store.models import Article, FeedItem, PageClaim
from tests.world import World, page, rss, run_pass, slow

ROOT = Path(__file__).parents[1]
RSS = "application/rss+xml"
TOPICS = ["harbour", "tramway", "library", "orchestra", "bridge", "vineyard", "market", "stadium", "ferry",
          "museum"]


def article(topic: str) -> str:
    """A page of its own on one topic."""
    return page(f"The {topic} review", [
        f"The {topic} committee met on Monday to review the {topic} budget, which has grown by a third since "
        f"the last review, and heard from residents who use the {topic} every week.",
        f"Members said the {topic} plan would be published in full next month, with a public consultation on "
        f"the {topic} schedule and the cost of keeping the {topic} open in the evenings.",
        f"A spokesperson for the {topic} said the changes were overdue and that staff had asked for them for "
        f"several years, citing rising demand and an ageing {topic} building.",
    ])


def settings(url: str, *, batch_size: int) -> Settings:
    return Settings(
        database=DatabaseSettings(url=SecretStr(url)),
        fetch=FetchSettings(allowed_networks=["127.0.0.1/32"], per_host_delay=0, timeout=10, obey_robots=False),
        schedule=ScheduleSettings(batch_size=batch_size, batches_in_flight=2),
        extract=ExtractSettings(workers=1, timeout=30),
    )




def links(store: Store) -> dict[tuple[int, str], int | None]:
    """Every recorded (feed, GUID) and the article it links to."""
    with store.session() as session:
        rows = session.execute(select(FeedItem.feed_id, FeedItem.guid, FeedItem.article_id)).all()
    return {(feed_id, guid): article_id for feed_id, guid, article_id in rows}


@pytest.fixture
def world() -> Iterator[World]:
    with World("wire", "feeds") as w:
        yield w


class TestOnePass:
    """One pass over 20 feeds that all list one article URL."""

    @pytest.mark.parametrize("batch_size", [50, 3], ids=["one-batch", "concurrent-batches"])
    def test_shared_article_fetched_once(self, store: Store, world: World, batch_size: int) -> None:
        """The page is requested once; each of the 20 feeds records its GUID, linked to the one article."""
        wire, feeds = world["wire"], world["feeds"]
        wire.static("/story.html", article("harbour"))
        wire.routes["/story.html"] = slow(wire.routes["/story.html"], 0.3)  # the other feeds' jobs come meanwhile
        for n in range(20):
            # Each feed lists it under its own GUID, some with tracking parameters or a fragment.
            link = wire.url("/story.html") + ("?utm_source=rss" if n % 3 == 1 else "#top" if n % 3 == 2 else "")
            feeds.static(f"/{n}.xml", rss(f"Feed {n}", [{"title": "Harbour", "link": link, "guid": f"f{n}"}]), RSS)
        with store.session() as session:
            for n in range(20):
                repo.add_feed(session, feeds.url(f"/{n}.xml"))
        summary = run_pass(store, settings(store.url, batch_size=batch_size))
        assert len(wire.hits("/story.html")) == 1
        assert summary.stored == 1
        with store.session() as session:
            article_ids = list(session.scalars(select(Article.id)))
            claims = session.scalar(select(func.count()).select_from(PageClaim))
        assert len(article_ids) == 1
        recorded = links(store)
        assert len(recorded) == 20
        assert {guid for _, guid in recorded} == {f"f{n}" for n in range(20)}
        assert set(recorded.values()) == {article_ids[0]}
        assert claims == 0  # released after the pass


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "WIREFEED_FETCH__ALLOWED_NETWORKS": '["127.0.0.1/32"]',
        "WIREFEED_FETCH__PER_HOST_DELAY": "0",
        "WIREFEED_FETCH__PER_HOST_CONCURRENCY": "16",
        "WIREFEED_FETCH__OBEY_ROBOTS": "false",
        "WIREFEED_FETCH__TIMEOUT": "30",
        "WIREFEED_EXTRACT__WORKERS": "1",
        "WIREFEED_SCHEDULE__BATCH_SIZE": "1",
        "WIREFEED_SCHEDULE__BATCHES_IN_FLIGHT": "1",
        "WIREFEED_LOG__FORMAT": "json",
    })
    return env


def _ingest(db: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "ingest.cli", "--db", db, "ingest", "--all"], cwd=ROOT,
                            env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


class TestConcurrentWorkers:
    """Three `wirefeed ingest --all` processes on one database, over feeds that list the same pages."""

    def test_each_page_fetched_once_in_total(self, store: Store, world: World) -> None:
        """Across three concurrent workers every page is requested once; a later pass links every GUID."""
        wire, feeds = world["wire"], world["feeds"]
        for topic in TOPICS:
            wire.static(f"/{topic}.html", article(topic))
            wire.routes[f"/{topic}.html"] = slow(wire.routes[f"/{topic}.html"], 0.4)
        entries = [{"title": t, "link": wire.url(f"/{t}.html"), "guid": t} for t in TOPICS]
        for n in range(6):
            # Every feed lists every page, each in its own order, and answers slowly: the workers overlap.
            order = entries[n:] + entries[:n]
            feeds.static(f"/{n}.xml", rss(f"Feed {n}", order), RSS)
            feeds.routes[f"/{n}.xml"] = slow(feeds.routes[f"/{n}.xml"], 0.5)
        with store.session() as session:
            for n in range(6):
                repo.add_feed(session, feeds.url(f"/{n}.xml"))
        workers = [_ingest(store.url) for _ in range(3)]
        for worker in workers:
            _, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err.decode()[-2000:]
        hits = {t: len(wire.hits(f"/{t}.html")) for t in TOPICS}
        assert hits == dict.fromkeys(TOPICS, 1)
        feed_polls = sum(len(feeds.hits(f"/{n}.xml")) for n in range(6))
        assert feed_polls == 6  # each feed was polled by one worker (leases), so pages were the contended part
        run_pass(store, settings(store.url, batch_size=50))  # the deferred items come back and are linked
        assert {t: len(wire.hits(f"/{t}.html")) for t in TOPICS} == hits
        with store.session() as session:
            article_ids = {a.url: a.id for a in session.scalars(select(Article)) if a.status == "ok"}
        assert len(article_ids) == len(TOPICS)
        recorded = links(store)
        assert len(recorded) == 6 * len(TOPICS)
        by_guid = {guid: article_id for (_, guid), article_id in recorded.items()}
        assert by_guid == {t: article_ids[wire.url(f"/{t}.html")] for t in TOPICS}
