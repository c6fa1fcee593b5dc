"""Politeness by origin (scheme, host, port): a Retry-After defers its own origin only, at once, at no cost."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from config.settings import DatabaseSettings, ExtractSettings, FetchSettings, Settings
from store import repo
from store.db import Store
from store.models import Article, Feed, FeedItem, utcnow
from tests.world import HostedWorld, Outlet, Request, Route, page, rss, run_pass

RSS = "application/rss+xml"
TOPICS = ["harbour", "tramway", "library", "orchestra", "bridge", "vineyard", "market", "stadium"]


def settings(url: str, *, delay: float = 0.5) -> Settings:
    """Every loopback address allowed; the default per-origin delay; a 1 s budget per request, no redirects."""
    return Settings(
        database=DatabaseSettings(url=SecretStr(url)),
        fetch=FetchSettings(allowed_networks=["127.0.0.0/8"], per_host_delay=delay, timeout=1, max_redirects=0,
                            obey_robots=False),
        extract=ExtractSettings(workers=1, timeout=30),
    )




def article(topic: str, site: str) -> str:
    """An article page of its own on one topic (distinct texts: no two pages are one story)."""
    return page(f"The {topic} review at {site}", [
        f"The {topic} committee of {site} met on Monday to review the {topic} budget, which has grown by a "
        f"third since the last review, and heard from residents who use the {topic} every week.",
        f"Members said the {topic} plan would be published in full next month, with a consultation on the "
        f"{topic} schedule and the cost of keeping the {topic} open in the evenings at {site}.",
        f"A spokesperson for the {topic} said the changes were overdue and that staff had asked for them for "
        f"several years, citing rising demand and an ageing {topic} building in {site}.",
    ])


def too_many_requests(route: Route, retry_after: str, times: int = 1) -> Route:
    """The origin's first `times` requests (any path) get 429 with this Retry-After, then the route answers."""
    state = {"left": times}

    def wrapped(request: Request) -> tuple[int, dict[str, str], bytes]:
        if state["left"] > 0:
            state["left"] -= 1
            return 429, {"Retry-After": retry_after}, b"slow down"
        return route(request)

    return wrapped


def serve_articles(outlet: Outlet, count: int) -> list[str]:
    """`count` article pages on the outlet; their URLs."""
    urls = []
    for topic in TOPICS[:count]:
        outlet.static(f"/{topic}.html", article(topic, outlet.name))
        urls.append(outlet.url(f"/{topic}.html"))
    return urls


def page_hits(outlet: Outlet) -> int:
    return sum(1 for r in outlet.requests if r.path.endswith(".html"))


def articles(store: Store) -> dict[str, Article]:
    with store.session() as session:
        return {a.url: a for a in session.scalars(select(Article))}


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite gives naive UTC


@pytest.fixture
def world() -> Iterator[HostedWorld]:
    """Origins A and B on one host (127.0.0.2, two ports), C on another host, and the feeds' own host."""
    with HostedWorld(a="127.0.0.2", b="127.0.0.2", c="127.0.0.3", feeds="127.0.0.4") as w:
        yield w


class TestPageDeferral:
    """Article pages of an origin that answered 429 with Retry-After."""

    def test_other_origins_go_on_and_deferred_pages_wait_at_no_cost(self, store: Store, world: HostedWorld) -> None:
        """A's 8 pages: one 429, all 8 deferred without an attempt (7 without a request); B (same host) and C stored."""
        a, b, c, feeds = world["a"], world["b"], world["c"], world["feeds"]
        urls = {name: serve_articles(world[name], 8 if name == "a" else 3) for name in ("a", "b", "c")}
        first = "/harbour.html"
        a.routes[first] = too_many_requests(a.routes[first], "2")
        # A's first page is the oldest item, so its 429 comes before any other request to A.
        ordered = [urls["a"][0], *urls["b"], *urls["c"], *urls["a"][1:]]
        now = utcnow()
        entries = [{"title": f"Item {n}", "link": link, "guid": f"g{n}",
                    "published": (now - timedelta(hours=20) + timedelta(minutes=n)).isoformat()}
                   for n, link in enumerate(ordered)]
        feeds.static("/rss.xml", rss("Mixed", entries), RSS)
        with store.session() as session:
            repo.add_feed(session, feeds.url("/rss.xml"))
        cfg = settings(store.url)
        asked = time.monotonic()
        summary = run_pass(store, cfg)
        stored = articles(store)
        assert page_hits(a) == 1  # the 429; the others were deferred without a request
        assert sorted(u for u, art in stored.items() if art.status == "ok") == sorted(urls["b"] + urls["c"])
        assert page_hits(b) == 3
        assert page_hits(c) == 3
        assert summary.pages_deferred == 8  # the 429 itself told us to wait: no attempt either
        assert not any(u in stored for u in urls["a"])  # no failed row, no attempt charged
        assert not any(art.status == "failed" for art in stored.values())
        with store.session() as session:
            feed = session.scalars(select(Feed)).one()
            linked = set(session.scalars(select(FeedItem.url)))
        assert feed.etag is None  # the deferred items come back at the next poll
        assert not linked & set(urls["a"])
        time.sleep(max(0.0, 2.2 - (time.monotonic() - asked)))  # the origin's Retry-After has passed
        run_pass(store, cfg)
        stored = articles(store)
        assert {u for u, art in stored.items() if art.status == "ok"} == {*urls["a"], *urls["b"], *urls["c"]}
        assert page_hits(a) == 1 + 8
        assert page_hits(b) == 3
        assert all(art.attempts == 1 for art in stored.values())


    def test_wait_is_honoured_by_the_next_process(self, store: Store, world: HostedWorld) -> None:
        """A page's Retry-After of an hour, from one run, holds the next run (a new process, as cron starts) too."""
        a, feeds = world["a"], world["feeds"]
        urls = serve_articles(a, 2)
        a.routes["/harbour.html"] = too_many_requests(a.routes["/harbour.html"], "3600")
        entries = [{"title": f"Item {n}", "link": link, "guid": f"g{n}"} for n, link in enumerate(urls)]
        feeds.static("/rss.xml", rss("A", entries), RSS)
        with store.session() as session:
            repo.add_feed(session, feeds.url("/rss.xml"))
        cfg = settings(store.url)  # the per-origin delay: the 429 comes before the second page's turn
        first = run_pass(store, cfg)
        assert first.pages_deferred == 2
        assert page_hits(a) == 1
        with store.session() as session:
            waits = repo.origin_waits(session, utcnow())
        (origin, until), = waits.items()
        assert origin == f"http://127.0.0.2:{a.base.rsplit(':', 1)[1]}"
        assert timedelta(minutes=59) < aware(until) - utcnow() <= timedelta(hours=1)
        second = run_pass(store, cfg)  # a fresh Pipeline: nothing of the first run in memory
        assert second.pages_deferred == 2
        assert page_hits(a) == 1  # not asked again while the wait holds
        assert not articles(store)  # and no attempt was charged


class TestFeedDeferral:
    """A feed answering 429 with Retry-After holds back its origin's feeds, and only them."""

    def test_retry_after_defers_only_its_origin(self, store: Store, world: HostedWorld) -> None:
        """A 429 from 127.0.0.2:PORT_A defers A's other feed, not B's on 127.0.0.2:PORT_B nor C's host."""
        a, b, c = world["a"], world["b"], world["c"]
        empty = rss("Empty", [])
        a.routes["/one.xml"] = lambda r: (429, {"Retry-After": "3600"}, b"")
        a.static("/two.xml", empty, RSS)
        b.static("/feed.xml", empty, RSS)
        c.static("/feed.xml", empty, RSS)
        order = [a.url("/one.xml"), b.url("/feed.xml"), c.url("/feed.xml"), a.url("/two.xml")]
        with store.session() as session:
            for url in order:
                repo.add_feed(session, url)
        cfg = settings(store.url, delay=0)
        cfg.schedule.batch_size = 1  # A's 429 is recorded before the other feeds are claimed
        cfg.schedule.batches_in_flight = 1
        run_pass(store, cfg)
        with store.session() as session:
            rows = {url: repo.feed_by_url(session, url) for url in order}
        held = {url for url, row in rows.items() if row is not None and row.retry_after is not None}
        assert held == {a.url("/one.xml"), a.url("/two.xml")}
        assert len(a.hits("/two.xml")) == 0  # held by the origin's Retry-After, not requested
        assert len(b.hits("/feed.xml")) == 1
        assert len(c.hits("/feed.xml")) == 1

    @pytest.mark.parametrize("retry_after", ["Fri, 31 Dec 9999 23:59:59 GMT", "9" * 40])
    def test_absurd_retry_after_defers_a_day_at_most(
        self, store: Store, world: HostedWorld, retry_after: str
    ) -> None:
        """A Retry-After in the year 9999 or of 40 digits does not crash; the feed is held a day at most."""
        a, b = world["a"], world["b"]
        a.routes["/rss.xml"] = lambda r: (429, {"Retry-After": retry_after}, b"")
        urls = serve_articles(b, 2)
        b.static("/rss.xml", rss("B", [{"title": "x", "link": u, "guid": u} for u in urls]), RSS)
        with store.session() as session:
            repo.add_feed(session, a.url("/rss.xml"))
            repo.add_feed(session, b.url("/rss.xml"))
        summary = run_pass(store, settings(store.url, delay=0))
        assert summary.feeds == 2
        assert summary.stored == 2
        with store.session() as session:
            held = repo.feed_by_url(session, a.url("/rss.xml"))
            other = repo.feed_by_url(session, b.url("/rss.xml"))
            assert held is not None
            assert other is not None
            assert held.retry_after is not None
            assert held.last_error_kind == "http_4xx"
            assert aware(held.retry_after) <= utcnow() + timedelta(days=1)
            assert aware(held.next_fetch_at) <= utcnow() + timedelta(days=1, minutes=1)
            assert other.retry_after is None
