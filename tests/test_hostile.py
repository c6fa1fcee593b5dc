"""Whole passes against local feeds that misbehave: every failure lands on its feed's row, the run goes on."""

from __future__ import annotations

import asyncio
import gzip
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from config.settings import DatabaseSettings, ExtractSettings, FetchSettings, ScheduleSettings, Settings
from ingest.cli.app import main as cli_main
from ingest.pipeline import PassSummary, Pipeline
from store import repo
from store.db import Store
from store.models import Article, Feed, FeedItem, FetchLog, utcnow
from tests.world import Request, World, page, rss, slow

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
RSS = "application/rss+xml"


def settings(url: str, **fetch: Any) -> Settings:
    values: dict[str, Any] = {"allowed_networks": ["127.0.0.1/32"], "per_host_delay": 0, "timeout": 1,
                              "max_bytes": 200_000, "fetch_articles": False}
    values.update(fetch)
    return Settings(database=DatabaseSettings(url=url), fetch=FetchSettings(**values),
                    schedule=ScheduleSettings(batch_size=50),
                    extract=ExtractSettings(workers=1, timeout=30))


def run(store: Store, cfg: Settings, *, all_feeds: bool = True) -> PassSummary:
    pipeline = Pipeline(store, cfg)
    try:
        return asyncio.run(pipeline.run_pass(all_feeds=all_feeds))
    finally:
        pipeline.close()


def subscribe(store: Store, *urls: str) -> None:
    with store.session() as session:
        for url in urls:
            repo.add_feed(session, url)


def feeds(store: Store) -> dict[str, Feed]:
    with store.session() as session:
        return {f.url: f for f in session.scalars(select(Feed))}


def items(n: int, base: str, prefix: str = "i") -> list[dict[str, str]]:
    return [{"title": f"Item {i}", "link": f"{base}/{prefix}{i}.html", "guid": f"{prefix}{i}"} for i in range(n)]


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    """A SQLite store (these tests are about HTTP, not the database)."""
    opened = Store(sqlite_url)
    yield opened
    opened.close()


@pytest.fixture
def world() -> Iterator[World]:
    with World("one", "two") as w:
        yield w


class TestBrokenFeeds:
    """One pass over a world where most feeds misbehave in a different way."""

    def test_every_failure_is_classified_on_its_row(self, store: Store, world: World) -> None:
        """Each bad feed gets its kind, status and time; the good feed is ingested in the same pass."""
        one = world["one"]
        one.static("/good.xml", rss("Good", items(3, one.base)), RSS)
        one.routes["/500"] = lambda r: (500, {}, b"oops")
        one.static("/html", (FIXTURES / "home.html").read_bytes())
        one.routes["/empty"] = lambda r: (200, {"Content-Type": RSS}, b"")
        one.static("/malformed.xml", (FIXTURES / "malformed.xml").read_bytes(), RSS)
        one.static("/xxe.xml", (FIXTURES / "xxe.xml").read_bytes(), RSS)
        one.routes["/slow"] = slow(lambda r: (200, {"Content-Type": RSS}, rss("Slow", []).encode()), 3)
        one.routes["/huge"] = lambda r: (200, {"Content-Type": RSS}, b"<rss>" + b" " * 300_000 + b"</rss>")
        bomb = gzip.compress(b"<rss>" + b" " * 50_000_000)
        one.routes["/bomb"] = lambda r: (200, {"Content-Type": RSS, "Content-Encoding": "gzip"}, bomb)
        one.routes["/loop"] = lambda r: (302, {"Location": "/loop2"}, b"")
        one.routes["/loop2"] = lambda r: (302, {"Location": "/loop"}, b"")
        one.routes["/gone"] = lambda r: (410, {}, b"")
        one.routes["/koi8"] = lambda r: (200, {"Content-Type": "text/xml"}, (FIXTURES / "koi8-r.xml").read_bytes())
        names = ["/good.xml", "/500", "/html", "/empty", "/malformed.xml", "/xxe.xml", "/slow", "/huge", "/bomb",
                 "/loop", "/gone", "/koi8"]
        subscribe(store, *(one.url(n) for n in names))
        summary = run(store, settings(store.url))
        rows = {url.removeprefix(one.base): f for url, f in feeds(store).items()}
        kinds = {name: rows[name].last_error_kind for name in names}
        assert kinds == {
            "/good.xml": None, "/500": "http_5xx", "/html": "not_a_feed", "/empty": "not_a_feed",
            "/malformed.xml": "malformed", "/xxe.xml": "malformed", "/slow": "timeout", "/huge": "too_large",
            "/bomb": "too_large", "/loop": "redirects", "/gone": "http_4xx", "/koi8": None,
        }
        assert rows["/500"].last_status == 500
        assert rows["/gone"].disabled
        assert rows["/gone"].disabled_reason == "HTTP 410 Gone"
        assert not rows["/500"].disabled
        assert rows["/500"].error_count == 1
        assert rows["/500"].failing_since is not None
        assert rows["/500"].last_fetched_at is not None
        assert summary.feeds == len(names)
        with store.session() as session:
            guids = set(session.scalars(select(FeedItem.guid)))
            titles = set(session.scalars(select(FeedItem.title)))
        assert {"i0", "i1", "i2", "m1", "m2", "x2"} <= guids
        assert "Москва: погода и пробки" in titles
        assert not any("root:" in (t or "") for t in titles)

    def test_feeds_list_shows_health(self, store: Store, world: World, capsys: pytest.CaptureFixture[str]) -> None:
        """`wirefeed feeds list` shows the failing state, kind and error of a feed."""
        one = world["one"]
        one.routes["/500"] = lambda r: (503, {}, b"")
        subscribe(store, one.url("/500"))
        run(store, settings(store.url))
        assert cli_main(["--db", store.url, "feeds", "list"]) == 0
        out = capsys.readouterr().out
        assert "failing" in out
        assert "[http_5xx] HTTP 503" in out
        assert "http_5xx: HTTP" not in out  # the kind is said once


class TestHealth:
    """Failing feeds back off, are disabled only after long failure, and outages do not count."""

    def test_disabled_after_fourteen_days_then_enabled(self, store: Store, world: World) -> None:
        """A feed failing since 15 days is disabled with its reason; `feeds enable` brings it back at once."""
        one = world["one"]
        one.routes["/down"] = lambda r: (500, {}, b"")
        subscribe(store, one.url("/down"))
        with store.session() as session:
            session.execute(update(Feed).values(failing_since=utcnow() - timedelta(days=15),
                                                           error_count=40))
        run(store, settings(store.url))
        row = feeds(store)[one.url("/down")]
        assert row.disabled
        assert row.disabled_reason is not None
        assert "failing for 14 days" in row.disabled_reason
        assert cli_main(["--db", store.url, "feeds", "enable", one.url("/down")]) == 0
        row = feeds(store)[one.url("/down")]
        assert not row.disabled
        assert row.error_count == 0
        assert row.next_fetch_at <= utcnow()

    def test_outage_on_our_side_does_not_count(self, store: Store) -> None:
        """Feeds on three hosts all refusing connections at once keep their error count and history."""
        ports = []
        for host in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
            with socket.socket() as sock:
                sock.bind((host, 0))
                ports.append(f"http://{host}:{sock.getsockname()[1]}/feed")
        subscribe(store, *ports)
        run(store, settings(store.url))
        for row in feeds(store).values():
            assert row.last_error_kind == "refused"
            assert row.error_count == 0
            assert row.failing_since is None

    def test_retry_after_defers_the_whole_host(self, store: Store, world: World) -> None:
        """A 429 with Retry-After holds every feed of that host (not counted against them); other hosts go on."""
        one, two = world["one"], world["two"]
        one.routes["/limited"] = lambda r: (429, {"Retry-After": "3600"}, b"")
        one.static("/other.xml", rss("Other", items(1, one.base)), RSS)
        two.static("/feed.xml", rss("Two", items(1, two.base, "t")), RSS)
        elsewhere = two.url("/feed.xml").replace("127.0.0.1", "localhost")  # another host name, same machine
        subscribe(store, one.url("/limited"), one.url("/other.xml"), elsewhere)
        run(store, settings(store.url, per_host_concurrency=1))
        rows = feeds(store)
        limited, other = rows[one.url("/limited")], rows[one.url("/other.xml")]
        assert limited.last_status == 429
        assert limited.error_count == 1
        assert not one.hits("/other.xml")
        assert other.last_error_kind == "deferred"
        assert other.error_count == 0
        for row in (limited, other):
            assert row.retry_after is not None
            assert row.retry_after - utcnow() > timedelta(minutes=50)
        assert rows[elsewhere].last_error_kind is None
        run(store, settings(store.url))  # --all still honours Retry-After
        assert len(one.hits("/limited")) == 1
        assert not one.hits("/other.xml")
        assert len(two.hits("/feed.xml")) == 2


class TestPolling:
    """Conditional GET, body hash, unconditional refetch, permanent redirects."""

    def test_body_hash_spares_an_unchanged_body(self, store: Store, world: World) -> None:
        """A server without validators resending the same body: recorded as unchanged, nothing new."""
        one = world["one"]
        body = rss("Plain", items(2, one.base)).encode()
        one.routes["/plain.xml"] = lambda r: (200, {"Content-Type": RSS}, body)
        subscribe(store, one.url("/plain.xml"))
        run(store, settings(store.url))
        second = run(store, settings(store.url))
        assert second.not_modified == 1
        assert second.items_new == 0
        with store.session() as session:
            outcomes = list(session.scalars(select(FetchLog.outcome).order_by(FetchLog.id)))
        assert outcomes == ["ok", "unchanged"]

    def test_unconditional_refetch_catches_a_lying_304(self, store: Store, world: World) -> None:
        """A server answering 304 to any If-None-Match is caught by the daily fetch without validators."""
        one = world["one"]
        state = {"items": 1}

        def liar(request: Request) -> tuple[int, dict[str, str], bytes]:
            if "if-none-match" in request.headers:
                return 304, {"ETag": '"same"'}, b""
            return 200, {"Content-Type": RSS, "ETag": '"same"'}, rss("Liar", items(state["items"], one.base)).encode()

        one.routes["/liar.xml"] = liar
        subscribe(store, one.url("/liar.xml"))
        run(store, settings(store.url))
        state["items"] = 3
        assert run(store, settings(store.url)).items_new == 0  # the lie is believed within the day
        with store.session() as session:
            session.execute(update(Feed).values(last_fetched_at=utcnow() - timedelta(days=1, hours=1)))
        assert run(store, settings(store.url)).items_new == 2
        assert "if-none-match" not in one.hits("/liar.xml")[-1].headers

    def test_304_to_a_request_without_validators_is_an_error(self, store: Store, world: World) -> None:
        """A server answering 304 when nothing was asked conditionally never sends the feed: the feed fails with
        the reason (it was recorded as not modified, poll after poll, with nothing ever read)."""
        one = world["one"]
        one.routes["/never.xml"] = lambda r: (304, {}, b"")
        subscribe(store, one.url("/never.xml"))
        summary = run(store, settings(store.url))
        assert summary.not_modified == 0
        (row,) = feeds(store).values()
        assert (row.last_status, row.last_error_kind) == (304, "http_4xx")
        assert "304 Not Modified to a request without validators" in (row.last_error or "")

    def test_permanent_redirect_moves_the_subscription(self, store: Store, world: World) -> None:
        """A 301 updates the stored feed URL and keeps the old one; the next poll goes to the new URL."""
        one = world["one"]
        one.routes["/old.xml"] = lambda r: (301, {"Location": "/new.xml"}, b"")
        one.static("/new.xml", rss("Moved", items(1, one.base)), RSS)
        subscribe(store, one.url("/old.xml"))
        run(store, settings(store.url))
        (row,) = feeds(store).values()
        assert row.url == one.url("/new.xml")
        assert row.old_urls == [one.url("/old.xml")]
        run(store, settings(store.url))
        assert len(one.hits("/old.xml")) == 1
        assert len(one.hits("/new.xml")) == 2

    def test_two_feeds_moving_to_one_url_cost_nothing(self, store: Store, world: World) -> None:
        """Two feeds that 301 to one new URL: the first moves, the second keeps its URL; every feed row is written."""
        one = world["one"]
        for old in ("/a.xml", "/b.xml"):
            one.routes[old] = lambda r: (301, {"Location": "/moved.xml"}, b"")
        one.static("/moved.xml", rss("Moved", items(1, one.base)), RSS)
        one.static("/good.xml", rss("Good", items(1, one.base, "g")), RSS)
        subscribe(store, one.url("/a.xml"), one.url("/b.xml"), one.url("/good.xml"))
        for _ in range(2):
            summary = run(store, settings(store.url))
            assert summary.feeds == 3
        rows = feeds(store)
        assert sorted(rows) == sorted([one.url("/moved.xml"), one.url("/b.xml"), one.url("/good.xml")])
        health = {url: (row.last_status, row.last_error_kind) for url, row in rows.items()}
        assert health == dict.fromkeys(rows, (304, None))  # the second poll: written, unchanged


class TestArticles:
    """Article links: fetch_articles, robots.txt and the SSRF guard."""

    def test_fetch_articles_off_records_items_only(self, store: Store, world: World) -> None:
        """With fetch_articles = false the items are recorded and no page is requested."""
        one = world["one"]
        one.static("/feed.xml", rss("Items", items(4, one.base)), RSS)
        subscribe(store, one.url("/feed.xml"))
        summary = run(store, settings(store.url))
        assert summary.items_new == 4
        with store.session() as session:
            assert session.scalar(select(func.count()).select_from(FeedItem)) == 4
            assert session.scalar(select(func.count()).select_from(Article)) == 0
        assert not one.hits("/i0.html")
        assert run(store, settings(store.url)).items_new == 0

    def test_robots_and_ssrf_guard_article_links(self, store: Store, world: World) -> None:
        """A page robots.txt disallows and links to link-local or other private hosts are never fetched."""
        one = world["one"]
        one.static("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
        text = ["A long enough paragraph about the harbour and its many boats, written for a test. " * 3] * 3
        one.static("/public.html", page("Public", text))
        one.static("/private/secret.html", page("Secret", text))
        links = [one.url("/public.html"), one.url("/private/secret.html"), "http://169.254.169.254/latest/meta-data/",
                 one.url("/x.html").replace("127.0.0.1", "127.0.0.2")]
        one.static("/feed.xml", rss("Mixed", [{"title": f"t{i}", "link": link, "guid": f"g{i}"}
                                               for i, link in enumerate(links)]), RSS)
        subscribe(store, one.url("/feed.xml"))
        run(store, settings(store.url, fetch_articles=True, timeout=5))
        with store.session() as session:
            errors = dict(session.execute(select(Article.url, Article.error)).all())
        assert not one.hits("/private/secret.html")
        assert one.hits("/public.html")
        assert (errors[links[1]] or "").startswith("robots")
        assert (errors[links[2]] or "").startswith("blocked")
        assert (errors[links[3]] or "").startswith("blocked")
