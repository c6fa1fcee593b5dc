"""Hostile backfill sources served from 127.0.0.97: robots.txt, sitemap indexes and bodies, URL lists."""

from __future__ import annotations

import asyncio
import json
import tracemalloc
from collections.abc import Iterator
from urllib.robotparser import RobotFileParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.settings import FetchSettings
from ingest.backfill.sitemaps import CrawlStats, crawl_sitemaps, parse_sitemap
from ingest.backfill.urllist import parse_url_list
from ingest.errors import RobotsDisallowed
from ingest.fetch.client import Fetcher
from ingest.fetch.robots import RobotsCache, robots_lines
from tests.world import HostedWorld

HOST = "127.0.0.97"
NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def fetch_settings(**overrides: object) -> FetchSettings:
    """Loopback allowed (an index's children pass the SSRF guard), no politeness delay, short timeouts."""
    return FetchSettings(allowed_networks=["127.0.0.0/8"], per_host_delay=0, timeout=5,
                         **overrides)  # type: ignore[arg-type]


@pytest.fixture
def world() -> Iterator[HostedWorld]:
    """One hostile site on its own loopback address."""
    with HostedWorld(site=HOST) as w:
        yield w


def robots_verdicts(base: str, paths: list[str], **overrides: object) -> dict[str, bool]:
    """For each path of the site: whether RobotsCache lets us fetch it."""

    async def check() -> dict[str, bool]:
        async with Fetcher(fetch_settings(**overrides)) as fetcher:
            robots = RobotsCache(fetcher)
            verdicts = {}
            for path in paths:
                try:
                    await robots.check(base + path)
                    verdicts[path] = True
                except RobotsDisallowed:
                    verdicts[path] = False
            return verdicts

    return asyncio.run(check())


class TestHostileRobots:
    """robots.txt bodies a broken or hostile site sends."""

    def test_unparseable_rule_costs_itself_alone(self, world: HostedWorld) -> None:
        """`Disallow: //[x` is dropped; the other rules still hold (its ValueError escaped the robots check)."""
        site = world["site"]
        site.static("/robots.txt", "User-agent: *\nDisallow: //[x\nDisallow: /private/\n", "text/plain")
        assert robots_verdicts(site.base, ["/private/a.html", "/news/a.html"]) == {
            "/private/a.html": False, "/news/a.html": True}

    def test_robots_over_the_size_cap_forbids_everything(self, world: HostedWorld) -> None:
        """A robots.txt over `[fetch] max_bytes` whose rules cannot be read allows nothing (it allowed all)."""
        site = world["site"]
        site.static("/robots.txt", "User-agent: *\nDisallow: /\n" + "# padding\n" * 2000, "text/plain")
        assert robots_verdicts(site.base, ["/news/a.html"], max_bytes=4096) == {"/news/a.html": False}

    @settings(max_examples=150, deadline=None)
    @given(st.lists(st.tuples(
        st.sampled_from(["Allow", "Disallow", "allow", " DISALLOW ", "User-agent", "Crawl-delay", "Sitemap"]),
        st.lists(st.sampled_from([*"/[]:%5Bb#*? \t", "%5B", "//", "http:"]), max_size=8).map("".join)),
        max_size=6))
    def test_any_rule_lines_parse(self, rules: list[tuple[str, str]]) -> None:
        """Whatever the Allow/Disallow values, the lines robots_lines keeps never make RobotFileParser raise."""
        text = "User-agent: *\n" + "".join(f"{key}: {value}\n" for key, value in rules)
        parser = RobotFileParser()
        parser.parse(robots_lines(text))
        assert isinstance(parser.can_fetch("wirefeed", "http://127.0.0.97/a"), bool)


def crawl(urls: list[str], stats: CrawlStats, max_sitemaps: int = 1000) -> list[str]:
    """The URLs a sitemap crawl yields."""

    async def run() -> list[str]:
        async with Fetcher(fetch_settings()) as fetcher:
            crawler = crawl_sitemaps(fetcher, urls, stats=stats, max_sitemaps=max_sitemaps)
            return [entry.url async for entry in crawler]

    return asyncio.run(run())


def index(children: list[str]) -> str:
    return f"<sitemapindex {NS}>" + "".join(f"<sitemap><loc>{c}</loc></sitemap>" for c in children) + "</sitemapindex>"


def urlset(locs: list[str]) -> str:
    return f"<urlset {NS}>" + "".join(f"<url><loc>{loc}</loc></url>" for loc in locs) + "</urlset>"


class TestHostileSitemapIndexes:
    """Sitemap indexes that loop or list far too many children."""

    def test_index_of_100000_children_is_one_error(self, world: HostedWorld) -> None:
        """Past the sitemap cap the rest are one counted error (it was one error line per skipped child)."""
        site = world["site"]
        site.static("/child.xml", urlset([site.url("/a.html")]), "application/xml")
        site.static("/index.xml", index([site.url(f"/child.xml?n={n}") for n in range(100_000)]), "application/xml")
        stats = CrawlStats()
        found = crawl([site.url("/index.xml")], stats, max_sitemaps=3)
        assert found == [site.url("/a.html")] * 2  # two children read; the page is deduplicated later
        assert [str(e) for e in stats.errors] == [
            f"{site.url('/child.xml?n=2')}: more than 3 sitemaps; skipped (and 99997 more)"]
        assert len(site.hits("/child.xml")) == 2

    def test_cycles_are_read_once(self, world: HostedWorld) -> None:
        """A -> B -> A and an index listing itself: each sitemap is fetched once and nothing is an error."""
        site = world["site"]
        site.static("/a.xml", index([site.url("/a.xml"), site.url("/b.xml")]), "application/xml")
        site.static("/b.xml", index([site.url("/a.xml"), site.url("/c.xml")]), "application/xml")
        site.static("/c.xml", urlset([site.url("/c.html")]), "application/xml")
        stats = CrawlStats()
        assert crawl([site.url("/a.xml")], stats) == [site.url("/c.html")]
        assert stats.errors == []
        assert [len(site.hits(p)) for p in ("/a.xml", "/b.xml", "/c.xml")] == [1, 1, 1]


DOC = f'<?xml version="1.0" encoding="UTF-8"?><urlset {NS}><url><loc>http://127.0.0.97/a</loc></url></urlset>'


class TestHostileSitemapBodies:
    """Sitemap bodies with bytes around the document."""

    @settings(max_examples=60, deadline=None)
    @given(bom=st.booleans(), space=st.text(alphabet=" \t\r\n", min_size=1, max_size=8))
    def test_whitespace_before_the_declaration(self, bom: bool, space: str) -> None:
        """Blank lines (after a BOM or not) before `<?xml` are ignored (the sitemap was not well-formed XML)."""
        body = (b"\xef\xbb\xbf" if bom else b"") + space.encode() + DOC.encode()
        assert [e.url for e in parse_sitemap("http://127.0.0.97/s.xml", body).entries] == ["http://127.0.0.97/a"]

    def test_utf16_is_left_alone(self) -> None:
        """A UTF-16 sitemap (its own BOM) is read as before."""
        body = DOC.replace("UTF-8", "UTF-16").encode("utf-16")
        assert [e.url for e in parse_sitemap("http://127.0.0.97/s.xml", body).entries] == ["http://127.0.0.97/a"]


class TestHostileUrlLists:
    """URL list lines with bytes no client can request."""

    @settings(max_examples=80, deadline=None)
    @given(control=st.sampled_from([chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]]),
           at=st.integers(min_value=7, max_value=22), jsonl=st.booleans())
    def test_control_character_makes_a_junk_line(self, control: str, at: int, jsonl: bool) -> None:
        """A NUL, ESC or DEL inside a URL makes its line junk, the next line is read (it was a page to fetch)."""
        url = "http://127.0.0.97/news/a.html"
        bad = url[:at] + control + url[at:]
        line = json.dumps({"url": bad}) if jsonl else bad
        parsed = parse_url_list([line + "\n", "http://127.0.0.97/b.html\n"])
        assert [e.url for e in parsed.entries] == ["http://127.0.0.97/b.html"]
        assert [j.line for j in parsed.junk_lines] == [1]


class TestLargeSitemap:
    """A URL set of many entries is read without its whole tree in memory."""

    def test_entries_are_streamed(self) -> None:
        """Parsing 20,000 entries peaks near what the entries hold (the whole tree was held: 3x)."""
        body = (f"<urlset {NS}>" + "".join(f"<url><loc>http://127.0.0.97/p/{n}</loc><lastmod>2024-05-01</lastmod>"
                                            "</url>" for n in range(20_000)) + "</urlset>").encode()
        tracemalloc.start()
        try:
            sitemap = parse_sitemap("http://127.0.0.97/s.xml", body)
            held, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert len(sitemap.entries) == 20_000
        assert peak < 1.5 * held


class TestSitemapLocs:
    """<loc> values wrapped or padded by a CMS."""

    @settings(max_examples=80, deadline=None)
    @given(st.lists(st.tuples(st.integers(min_value=0, max_value=31), st.sampled_from(["\t", "\n", "\r\n", "&#9;"])),
                    min_size=1, max_size=4))
    def test_tabs_and_line_breaks_inside_a_loc_are_dropped(self, breaks: list[tuple[int, str]]) -> None:
        """Tabs and line breaks inside a <loc> are dropped, as browsers drop them (a client refuses them)."""
        url = "http://127.0.0.97/news/a.html?x=1"
        wrapped = url
        for at, brk in sorted(breaks, reverse=True):
            wrapped = wrapped[:at] + brk + wrapped[at:]
        body = urlset([wrapped]).encode()
        sitemap = parse_sitemap("http://127.0.0.97/s.xml", body)
        assert ([e.url for e in sitemap.entries], sitemap.invalid) == ([url], 0)
