"""A bug met on one unit (feed, page) costs that unit alone: recorded with kind `internal`, logged once, pass goes on.

No real input reaches these paths any more (each one found was fixed where it arose), so the bug is made
where the outside world begins: an httpx transport whose handler raises an exception that is not an
httpx error, for one feed or one page, as a broken proxy library or TLS stack would. Everything after the
transport is the real pipeline on a real store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import select
from structlog.testing import capture_logs

from config.settings import ExtractSettings, FetchSettings, Settings
from ingest.pipeline import PassSummary, Pipeline
from store import repo
from store.db import Store
from store.models import Article, Feed
from tests.world import page, rss

FEED_OK = "http://127.0.0.5/ok.xml"
FEED_BUGGY = "http://127.0.0.6/buggy.xml"
PAGE_OK = "http://127.0.0.5/harbour.html"
PAGE_BUGGY = "http://127.0.0.5/bridge.html"
BODY = [
    "The harbour authority said on Tuesday that the new quay would open to cargo ships next spring, after two "
    "years of works that cost more than planned and closed the old ferry terminal for most of last summer.",
    "Dock workers welcomed the news but asked for clearer shifts, saying the night crews had been stretched "
    "thin since the works began and that the new cranes needed more people to run safely at full speed.",
    "The city council will vote next month on the last part of the budget, which covers the access road and "
    "a cycle lane along the water that residents of the old town have asked for since the plan was shown.",
]


def _streamed(content_type: str, text: str) -> httpx.Response:
    """A response whose body is streamed, as from a network transport (the fetcher reads the raw stream)."""
    return httpx.Response(200, headers={"content-type": content_type}, stream=httpx.ByteStream(text.encode()))


def _handler(buggy: set[str]) -> Callable[[httpx.Request], httpx.Response]:
    feeds = {
        FEED_OK: rss("Harbour news", [{"title": "Quay to open", "link": PAGE_OK, "guid": "q1"},
                                      {"title": "Bridge closed", "link": PAGE_BUGGY, "guid": "b1"}]),
        FEED_BUGGY: rss("Ferry news", [{"title": "Ferry late", "link": "http://127.0.0.6/ferry.html", "guid": "f1"}]),
    }

    def handle(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url in buggy:
            raise RuntimeError("proxy library bug: unexpected state")
        if url in feeds:
            return _streamed("application/rss+xml", feeds[url])
        if url.endswith("robots.txt"):
            return httpx.Response(404, stream=httpx.ByteStream(b""))
        name = url.rsplit("/", 1)[-1].removesuffix(".html")
        # Each page its own text (the same text on one site would be one article).
        body = [f"{paragraph} The {name} report was filed on the same day." for paragraph in BODY]
        return _streamed("text/html; charset=utf-8", page(name.title(), body))

    return handle


def _pass(store: Store, buggy: set[str]) -> tuple[PassSummary, list[dict[str, object]]]:
    settings = Settings(
        database={"url": store.url},
        fetch=FetchSettings(allowed_networks=["127.0.0.0/8"], per_host_delay=0, timeout=5),
        extract=ExtractSettings(workers=1, timeout=30),
    )
    pipeline = Pipeline(store, settings, transport=httpx.MockTransport(_handler(buggy)))
    try:
        with capture_logs() as logs:
            summary = asyncio.run(pipeline.run_pass(all_feeds=True))
    finally:
        pipeline.close()
    return summary, logs


@pytest.fixture
def subscribed(store: Store) -> Store:
    with store.session() as session:
        repo.add_feed(session, FEED_OK)
        repo.add_feed(session, FEED_BUGGY)
    return store


class TestFaultIsolation:
    """One poisoned unit never costs another unit anything."""

    def test_feed_bug_costs_that_feed_alone(self, subscribed: Store) -> None:
        """A feed whose fetch meets a bug is recorded as `internal`; the other feed and its pages are stored."""
        summary, logs = _pass(subscribed, {FEED_BUGGY})
        assert summary.feeds == 2
        assert summary.feeds_failed == 1
        with subscribed.session() as session:
            feeds = {f.url: f for f in session.scalars(select(Feed))}
            stored = {a.url: a.status for a in session.scalars(select(Article))}
        assert feeds[FEED_BUGGY].last_error_kind == "internal"
        assert feeds[FEED_BUGGY].last_error == "RuntimeError: proxy library bug: unexpected state"
        assert feeds[FEED_OK].last_error_kind is None
        assert stored == {PAGE_OK: "ok", PAGE_BUGGY: "ok"}  # the buggy feed's page was never listed
        internal = [e for e in logs if e["event"] == "internal_error"]
        assert len(internal) == 1  # logged once, with the exception for the traceback field
        assert internal[0]["unit"] == "feed"
        assert internal[0]["error_type"] == "RuntimeError"
        assert isinstance(internal[0]["exc_info"], RuntimeError)

    def test_page_bug_costs_that_page_alone(self, subscribed: Store) -> None:
        """A page whose fetch meets a bug gets a failed row saying so; the page beside it is stored."""
        summary, logs = _pass(subscribed, {PAGE_BUGGY})
        assert summary.feeds_failed == 0
        assert summary.stored == 2  # the other feed's page too
        assert summary.failures == {"internal": 1}
        with subscribed.session() as session:
            rows = {a.url: (a.status, a.error, a.attempts) for a in session.scalars(select(Article))}
        assert rows[PAGE_OK][0] == rows["http://127.0.0.6/ferry.html"][0] == "ok"
        assert rows[PAGE_BUGGY] == ("failed", "internal: RuntimeError: proxy library bug: unexpected state", 1)
        assert [e["unit"] for e in logs if e["event"] == "internal_error"] == ["page"]

    def test_failed_page_is_retried_then_kept_visible(self, subscribed: Store) -> None:
        """The page that met a bug is tried again by the next passes (its GUID unrecorded), three attempts in all."""
        for _ in range(4):
            _pass(subscribed, {PAGE_BUGGY})
        with subscribed.session() as session:
            failed = session.scalars(select(Article).where(Article.url == PAGE_BUGGY)).one()
        assert failed.status == "failed"
        assert failed.attempts == 3
