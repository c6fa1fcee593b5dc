"""A feed with more new items than `[fetch] max_articles_per_feed`: the rest wait for the next polls, visibly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from structlog.testing import capture_logs

from config.settings import DatabaseSettings, ExtractSettings, FetchSettings, ScheduleSettings, Settings
from store import repo
from store.db import Store
from store.models import Article, Feed, FeedItem, utcnow
from tests.world import World, page, rss, run_pass

RSS = "application/rss+xml"


def settings(url: str, cap: int, *, fetch_articles: bool = False) -> Settings:
    """Local servers allowed, no politeness delay, at most `cap` items a poll."""
    return Settings(
        database=DatabaseSettings(url=SecretStr(url)),
        fetch=FetchSettings(allowed_networks=["127.0.0.1/32"], per_host_delay=0, timeout=10, obey_robots=False,
                            fetch_articles=fetch_articles, max_articles_per_feed=cap),
        schedule=ScheduleSettings(min_interval=60),
        extract=ExtractSettings(workers=1, timeout=30),
    )




def items(n: int, base: str) -> list[dict[str, str]]:
    return [{"title": f"Item {i}", "link": f"{base}/story/{i}.html", "guid": f"g{i}"} for i in range(n)]


def feed_row(store: Store) -> Feed:
    with store.session() as session:
        return session.scalars(select(Feed)).one()


def guids(store: Store) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(FeedItem)) or 0)


@pytest.fixture
def world() -> Iterator[World]:
    with World("big") as w:
        yield w


class TestLargeFeed:
    """A feed listing far more new items than one poll takes."""

    def test_ten_thousand_items_first_poll(self, store: Store, world: World) -> None:
        """10,000 items, cap 100: 100 taken, 9,900 waiting on the row and in a warning, no validators saved."""
        big = world["big"]
        big.static("/feed.xml", rss("Big", items(10_000, big.base)), RSS)
        with store.session() as session:
            repo.add_feed(session, big.url("/feed.xml"))
        with capture_logs() as logs:
            summary = run_pass(store, settings(store.url, 100))
        feed = feed_row(store)
        assert guids(store) == 100
        assert summary.items_new == 100
        assert summary.items_waiting == 9_900
        assert feed.items_waiting == 9_900
        assert (feed.body_hash, feed.etag) == (None, None)
        warnings = [e for e in logs if e["event"] == "feed_items_waiting"]
        assert [(w["waiting"], w["taken"], w["cap"]) for w in warnings] == [(9_900, 100, 100)]
        assert warnings[0]["log_level"] == "warning"
        next_fetch = feed.next_fetch_at
        next_fetch = next_fetch if next_fetch.tzinfo else next_fetch.replace(tzinfo=UTC)  # SQLite: naive UTC
        assert next_fetch <= utcnow() + timedelta(seconds=60)  # within min_interval, not a whole interval

    def test_following_polls_take_the_rest(self, store: Store, world: World) -> None:
        """250 items, cap 100: the polls take 100, 100 and 50, then nothing waits and validators are saved."""
        big = world["big"]
        big.static("/feed.xml", rss("Big", items(250, big.base)), RSS)
        with store.session() as session:
            repo.add_feed(session, big.url("/feed.xml"))
        cfg = settings(store.url, 100)
        seen: list[tuple[int, int, bool]] = []
        for _ in range(4):
            run_pass(store, cfg)
            feed = feed_row(store)
            seen.append((guids(store), feed.items_waiting, feed.etag is not None and feed.body_hash is not None))
        assert seen == [(100, 150, False), (200, 50, False), (250, 0, True), (250, 0, True)]
        requests = [r.headers.get("if-none-match") for r in big.hits("/feed.xml")]
        assert requests[:3] == [None, None, None]  # polls 2 and 3 were not conditional
        assert requests[3] is not None  # the fourth one was: the feed is complete

    def test_waiting_pages_are_fetched_on_later_polls(self, store: Store, world: World) -> None:
        """With article fetching, each poll fetches and stores at most the cap; every page is stored in the end."""
        big = world["big"]
        entries = items(5, big.base)
        for n, entry in enumerate(entries):
            words = [f"Paragraph {p} of report number {n} on the harbour works, the tramway budget, the "
                     f"library hours and the orchestra season, as the council heard on day {n}." for p in range(4)]
            big.static(entry["link"].removeprefix(big.base), page(f"Report {n}", words))
        big.static("/feed.xml", rss("Big", entries), RSS)
        with store.session() as session:
            repo.add_feed(session, big.url("/feed.xml"))
        cfg = settings(store.url, 2, fetch_articles=True)
        counts: list[tuple[int, int]] = []
        for _ in range(3):
            run_pass(store, cfg)
            with store.session() as session:
                linked = session.scalar(select(func.count()).select_from(FeedItem)
                                        .where(FeedItem.article_id.is_not(None)))
            counts.append((int(linked or 0), feed_row(store).items_waiting))
        assert counts == [(2, 3), (4, 1), (5, 0)]
        with store.session() as session:
            articles: list[Any] = list(session.scalars(select(Article.url)))
        assert sorted(articles) == sorted(e["link"] for e in entries)
        assert all(len(big.hits(e["link"].removeprefix(big.base))) == 1 for e in entries)
