"""Numbers and URLs written by the outside world: ASCII digits only, bounded, never an exception."""

from __future__ import annotations

import asyncio
import json

import pytest

from config.settings import FetchSettings
from ingest.backfill.sitemaps import parse_sitemap
from ingest.backfill.urllist import parse_url_list
from ingest.cli.app import main
from ingest.errors import FeedEncodingError, FeedParseError, NotAFeed, RobotsDisallowed
from ingest.feeds.parse import parse_feed
from ingest.fetch.client import Fetcher
from ingest.fetch.robots import RobotsCache
from tests.world import World

# trafilatura probes urllib3's optional SOCKS support on import, which warns when PySocks is absent.
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.DependencyWarning")

FEED_URL = "http://news.test/feed.xml"
SY = 'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"'


def rss_with(channel_extra: str, *, malformed: bool = False) -> bytes:
    """An RSS 2.0 feed with one item and extra channel elements; `malformed` sends it through feedparser."""
    broken = "<x:unbound>bad prefix</x:unbound>" if malformed else ""
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {SY}><channel><title>News</title>'
        f"<link>http://news.test/</link>{channel_extra}{broken}"
        "<item><title>One</title><link>http://news.test/1</link><guid>http://news.test/1</guid></item>"
        "</channel></rss>"
    ).encode()


class TestFeedPollingHints:
    """`<ttl>` and `sy:updateFrequency` read as ASCII digits, in the fast path and through feedparser."""

    @pytest.mark.parametrize("malformed", [False, True], ids=["fast path", "feedparser"])
    @pytest.mark.parametrize("ttl", ["\u00b2", "\u2460", "\u0663", "1" * 5000, "-5", "1.5", ""])
    def test_ttl_not_ascii_digits_ignored(self, ttl: str, malformed: bool) -> None:
        """A superscript, a circled or Arabic-Indic digit, a 5,000-digit or signed number: no TTL, no error."""
        parsed = parse_feed(FEED_URL, rss_with(f"<ttl>{ttl}</ttl>", malformed=malformed))
        assert parsed.ttl_seconds is None
        assert len(parsed.items) == 1

    @pytest.mark.parametrize("malformed", [False, True], ids=["fast path", "feedparser"])
    def test_ascii_ttl_kept(self, malformed: bool) -> None:
        """`<ttl> 30 </ttl>` is 30 minutes."""
        assert parse_feed(FEED_URL, rss_with("<ttl> 30 </ttl>", malformed=malformed)).ttl_seconds == 1800

    @pytest.mark.parametrize("malformed", [False, True], ids=["fast path", "feedparser"])
    def test_update_frequency_not_ascii(self, malformed: bool) -> None:
        """`sy:updateFrequency` of `²` counts as once per period; `4` as four times."""
        odd = rss_with("<sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>\u00b2</sy:updateFrequency>",
                       malformed=malformed)
        four = rss_with("<sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>",
                        malformed=malformed)
        assert parse_feed(FEED_URL, odd).ttl_seconds == 86400
        assert parse_feed(FEED_URL, four).ttl_seconds == 21600


class TestFeedErrorMessage:
    """A FeedError's message is its detail, not a tuple of its arguments."""

    @pytest.mark.parametrize("error", [NotAFeed, FeedParseError, FeedEncodingError])
    def test_str_is_the_detail(self, error: type[NotAFeed]) -> None:
        """str(exc) is the detail; exc.url keeps the URL as given, a password in the detail is masked."""
        url = "http://reader:pw@news.test/feed.xml"
        exc = error(url, f"cannot read {url}")
        assert str(exc) == "cannot read http://reader:***@news.test/feed.xml"
        assert exc.url == url

    def test_parse_feed_html_page(self) -> None:
        """parse_feed of an HTML page raises NotAFeed whose message reads as a sentence."""
        with pytest.raises(NotAFeed) as info:
            parse_feed(FEED_URL, b"<!doctype html><html><body>home</body></html>")
        assert str(info.value) == "the URL returns an HTML page, not a feed"

    def test_feeds_list_shows_the_detail(
        self, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`feeds list` after polling an HTML page: `[not_a_feed] the URL returns an HTML page, not a feed`."""
        monkeypatch.setenv("WIREFEED_FETCH__ALLOWED_NETWORKS", '["127.0.0.1/32"]')
        monkeypatch.setenv("WIREFEED_FETCH__PER_HOST_DELAY", "0")
        with World("site") as w:
            w["site"].static("/html.xml", "<!doctype html><html><body>home</body></html>")
            url = w["site"].url("/html.xml")
            assert main(["--db", sqlite_url, "feeds", "add", "--no-discover", url]) == 0
            assert main(["--db", sqlite_url, "--log-format", "json", "ingest", "--all"]) == 0
            capsys.readouterr()
            assert main(["--db", sqlite_url, "feeds", "list"]) == 0
            listed = capsys.readouterr().out
            assert main(["--db", sqlite_url, "feeds", "list", "--json"]) == 0
            rows = json.loads(capsys.readouterr().out)
        assert "[not_a_feed] the URL returns an HTML page, not a feed" in listed
        assert "('http" not in listed
        assert rows[0]["last_error"] == "the URL returns an HTML page, not a feed"


class TestRobotsNumbers:
    """robots.txt numbers that str.isdigit() accepts and int() refuses."""

    def test_superscript_crawl_delay(self) -> None:
        """`Crawl-delay: ²` and `Request-rate: ①/5` are dropped; the rules around them still hold."""
        robots = "User-agent: *\nCrawl-delay: \u00b2\nRequest-rate: \u2460/5\nDisallow: /private\n"
        with World("site") as w:
            site = w["site"]
            site.static("/robots.txt", robots, "text/plain")

            async def check(path: str) -> str:
                settings = FetchSettings(allowed_networks=["127.0.0.1/32"], per_host_delay=0, timeout=5)
                async with Fetcher(settings) as fetcher:
                    try:
                        await RobotsCache(fetcher).check(site.url(path))
                    except RobotsDisallowed:
                        return "disallowed"
                    return "allowed"

            assert asyncio.run(check("/private/a.html")) == "disallowed"
            assert asyncio.run(check("/news/a.html")) == "allowed"


class TestSitemapLinks:
    """A sitemap `<loc>` that no URL parser accepts."""

    def test_unbalanced_bracket_counted_invalid(self) -> None:
        """`http://example.c[o.test/x` is an invalid entry (counted), the other entries are kept."""
        body = (
            b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            b"<url><loc>http://example.c[o.test/x</loc></url><url><loc>http://news.test/a</loc></url></urlset>"
        )
        sitemap = parse_sitemap("http://news.test/sitemap.xml", body)
        assert [entry.url for entry in sitemap.entries] == ["http://news.test/a"]
        assert sitemap.invalid == 1

    def test_unbalanced_bracket_in_index(self) -> None:
        """The same in a sitemap index's child `<loc>`."""
        body = (
            b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            b"<sitemap><loc>http://[::1/s.xml</loc></sitemap></sitemapindex>"
        )
        sitemap = parse_sitemap("http://news.test/sitemap.xml", body)
        assert (sitemap.children, sitemap.invalid) == ([], 1)


class TestUrlListRecords:
    """JSONL records of a backfill URL list."""

    def test_deeply_nested_line_is_junk(self) -> None:
        """A line nested 100,000 deep is junk with its line number; the lines around it are read."""
        result = parse_url_list(["http://news.test/a", '{"url": ' + "[" * 100_000 + "}", "http://news.test/b"])
        assert [entry.url for entry in result.entries] == ["http://news.test/a", "http://news.test/b"]
        assert [(junk.line, junk.reason) for junk in result.junk_lines] == [(2, "not JSON: nested too deeply")]
