"""Backfill: each source against local servers and generated WARC files, resumed after a real kill -9."""

from __future__ import annotations

import asyncio
import gzip as gzip_module
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from structlog.testing import capture_logs
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from config.settings import DatabaseSettings, ExtractSettings, FetchSettings, Settings
from ingest.backfill.run import Backfill, BackfillError, BackfillOptions, BackfillSummary
from ingest.backfill.sitemaps import CrawlStats, SitemapError, crawl_sitemaps, parse_sitemap, robots_sitemaps
from ingest.backfill.urllist import parse_url_list
from ingest.backfill.warc import WarcDamaged, WarcStats, read_warc
from ingest.fetch.client import Fetcher
from ingest.pipeline import Pipeline
from store import repo
from store.db import Store
from store.models import Article, BackfillItem, BackfillRun, RawPage, Story, StoryMember
from tests.world import Outlet, Request, World, page, rss

# Our own sample texts: one wire story (copied by several outlets) and local stories.
WIRE = [
    "OSLO (AP) - Norway's wealth fund, the largest in the world, reported a record first-half profit on "
    "Wednesday as technology shares rallied, lifting its value above twenty trillion crowns for the first time.",
    "The fund, which invests the country's oil and gas revenues, said returns on its equity holdings reached "
    "twelve percent, while its bonds and unlisted property gained far less over the same six months.",
    "\"Technology stocks accounted for most of the gain, which shows how concentrated the market has become,\" "
    "the fund's chief executive told reporters in Oslo, warning that such returns could not be expected every year.",
    "The fund owns on average about one and a half percent of every listed company in the world and holds "
    "stakes in roughly nine thousand firms across seventy countries, according to its latest report.",
]
FERRY = [
    "The island ferry will run an extra evening crossing from next month, the harbour authority said on Monday, "
    "after residents complained that the last boat left the mainland too early for commuters.",
    "The new crossing leaves the mainland pier at half past nine and reaches the island forty minutes later, "
    "with room for twelve cars and about two hundred foot passengers on each trip.",
    "The authority said the trial would last six months and that it would count passengers every week before "
    "deciding whether to keep the late boat on the timetable through next winter.",
]
LIBRARY = [
    "La bibliothèque municipale de Quimper rouvre ses portes mardi après dix-huit mois de travaux, avec une "
    "salle de lecture agrandie, un espace pour les adolescents et des horaires élargis le dimanche.",
    "Le chantier, financé en partie par la région, a permis de remplacer la toiture et d'isoler le bâtiment, "
    "qui datait des années soixante-dix et dont la facture de chauffage avait triplé en deux hivers.",
    "Les abonnés retrouveront leurs comptes à l'identique, précise la mairie, qui promet une navette gratuite "
    "depuis la gare le samedi matin pendant tout le premier trimestre de réouverture.",
]
STORIES = {"wire": WIRE, "ferry": FERRY, "library": LIBRARY}


def settings_for(url: str) -> Settings:
    """Settings that let page links reach 127.0.0.1, without politeness delay, with one extraction worker."""
    return Settings(
        database=DatabaseSettings(url=url),
        fetch=FetchSettings(allowed_networks=["127.0.0.1/32"], per_host_delay=0, timeout=10),
        extract=ExtractSettings(workers=1, timeout=30),
    )


def warc_record_bytes(
    pages: Sequence[tuple[str, str | bytes]],
    *,
    gzip: bool = True,
    content_type: str = "text/html; charset=utf-8",
    date: str = "2024-03-01T10:00:00Z",
    status: str = "200 OK",
) -> bytes:
    """A WARC file's bytes holding one response record per (url, html)."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gzip)
    for url, html in pages:
        body = html.encode() if isinstance(html, str) else html
        headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
        # With the length given, warcio digests the payload in place instead of spooling it to a temp file.
        record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                           http_headers=headers, warc_headers_dict={"WARC-Date": date})
        writer.write_record(record)
    return buffer.getvalue()


def write_warc(path: Path, pages: Sequence[tuple[str, str | bytes]], **options: object) -> Path:
    """Write a WARC file and return its path."""
    path.write_bytes(warc_record_bytes(pages, **options))  # type: ignore[arg-type]
    return path


def backfill(store: Store, options: BackfillOptions, *, transport: httpx.AsyncBaseTransport | None = None,
             progress_every: float = 10.0) -> BackfillSummary:
    """Run one backfill in-process through a fresh pipeline."""
    pipeline = Pipeline(store, settings_for(store.url), transport=transport)
    try:
        return asyncio.run(Backfill(pipeline, options, progress_every=progress_every).run())
    finally:
        pipeline.close()


def article_count(store: Store) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(Article).where(Article.status == "ok")) or 0)


def urlset(entries: Sequence[dict[str, str]], *, news: bool = False) -> str:
    """A <urlset>; entries have loc and optional lastmod, published, title (news sitemap)."""
    parts = []
    for e in entries:
        extra = f"<lastmod>{e['lastmod']}</lastmod>" if "lastmod" in e else ""
        if news and "published" in e:
            extra += ("<news:news><news:publication><news:name>X</news:name><news:language>en</news:language>"
                      f"</news:publication><news:publication_date>{e['published']}</news:publication_date>"
                      f"<news:title>{e['title']}</news:title></news:news>")
        parts.append(f"<url><loc>{e['loc']}</loc>{extra}</url>")
    return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' + "".join(parts) + "</urlset>")


def sitemap_index(children: Sequence[tuple[str, str | None]]) -> str:
    parts = "".join(f"<sitemap><loc>{loc}</loc>" + (f"<lastmod>{mod}</lastmod>" if mod else "") + "</sitemap>"
                    for loc, mod in children)
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{parts}</sitemapindex>')


class TestUrlList:
    """Parsing URL lists: plain lines and JSONL records, junk counted."""

    def test_plain_and_jsonl_with_junk(self) -> None:
        """Good lines become entries; junk is skipped and counted with its line number; comments are not junk."""
        parsed = parse_url_list([
            "# partner list\n",
            "https://example.org/a\n",
            "\n",
            "not a url\n",
            '{"url": "https://example.org/b", "title": "B", "published": "2024-05-01T08:00:00Z", '
            '"feed": "https://example.org/rss"}\n',
            '{"url": "ftp://example.org/c"}\n',
            '{"url": "https://example.org/d", "published": "yesterday-ish"}\n',
            '{"broken json\n',
            "https://exa mple.org/e\n",
            "http://example.org:99999/f\n",
        ])
        assert [e.url for e in parsed.entries] == ["https://example.org/a", "https://example.org/b"]
        b = parsed.entries[1]
        assert b.title == "B"
        assert b.published == datetime(2024, 5, 1, 8, tzinfo=UTC)
        assert b.feed == "https://example.org/rss"
        assert parsed.junk == 6
        assert [j.line for j in parsed.junk_lines] == [4, 6, 7, 8, 9, 10]


class TestSitemapParsing:
    """Pure sitemap parsing: indexes, news sitemaps, gzip by magic bytes, unsafe and invalid XML."""

    def test_news_sitemap(self) -> None:
        """news:publication_date and news:title are read; relative and non-http locs are counted invalid."""
        body = urlset([{"loc": "https://example.org/a", "published": "2024-05-01T08:00:00+02:00", "title": "A"},
                       {"loc": "mailto:x@example.org", "published": "2024-05-01", "title": "x"}], news=True)
        sitemap = parse_sitemap("https://example.org/news.xml", body.encode())
        assert sitemap.kind == "urlset"
        assert len(sitemap.entries) == 1
        assert sitemap.entries[0].title == "A"
        assert sitemap.entries[0].date == datetime(2024, 5, 1, 6, tzinfo=UTC)
        assert sitemap.invalid == 1

    def test_gzipped_index_by_magic_bytes(self) -> None:
        """A gzipped index is recognised by its bytes, whatever its name."""
        body = gzip_module.compress(sitemap_index([("https://example.org/s1.xml", "2024-01-01")]).encode())
        sitemap = parse_sitemap("https://example.org/sitemap.xml", body)
        assert sitemap.kind == "index"
        assert sitemap.children[0].url == "https://example.org/s1.xml"

    def test_entities_are_refused(self) -> None:
        """An XML bomb is refused without expanding anything."""
        bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
                '<urlset><url><loc>&lol2;</loc></url></urlset>')
        with pytest.raises(SitemapError, match="unsafe XML"):
            parse_sitemap("https://example.org/s.xml", bomb.encode())

    @pytest.mark.parametrize(("body", "reason"), [
        (b"<html><body>Not found</body></html>", "not a sitemap"),
        (b"<urlset><url><loc>https://example.org/a</loc>", "not well-formed"),
        (b"\x1f\x8b\x08\x00garbage", "damaged gzip"),
    ])
    def test_invalid(self, body: bytes, reason: str) -> None:
        """An HTML page, broken XML or a damaged gzip file is a clear SitemapError."""
        with pytest.raises(SitemapError, match=reason):
            parse_sitemap("https://example.org/s.xml", body)

    def test_robots_lines(self) -> None:
        """`Sitemap:` lines of robots.txt, any case, relative ones resolved, no repeats."""
        text = "User-agent: *\nDisallow: /private\nSitemap: https://example.org/a.xml\nsitemap: /b.xml # x\n" \
               "Sitemap: https://example.org/a.xml\n"
        assert robots_sitemaps(text, "https://example.org/robots.txt") == [
            "https://example.org/a.xml", "https://example.org/b.xml"]


class TestWarcReading:
    """Reading WARC files with warcio: HTML responses only, damage located."""

    @pytest.mark.parametrize("gz", [True, False])
    def test_html_responses_with_fetch_time(self, tmp_path: Path, gz: bool) -> None:
        """200 text/html responses come out with their WARC-Date and headers; other records are skipped."""
        data = warc_record_bytes([("http://a.example/1", page("One", FERRY))], gzip=gz)
        data += warc_record_bytes([("http://a.example/img.png", b"\x89PNG")], gzip=gz, content_type="image/png")
        data += warc_record_bytes([("http://a.example/gone", "gone")], gzip=gz, status="404 Not Found")
        path = tmp_path / ("a.warc.gz" if gz else "a.warc")
        path.write_bytes(data)
        stats = WarcStats()
        pages = list(read_warc(path, stats))
        assert len(pages) == 1
        assert pages[0].response.url == "http://a.example/1"
        assert pages[0].response.headers["content-type"] == "text/html; charset=utf-8"
        assert pages[0].fetched == datetime(2024, 3, 1, 10, tzinfo=UTC)
        assert b"island ferry" in pages[0].response.body
        assert (stats.records, stats.pages, stats.not_html) == (3, 1, 2)

    @pytest.mark.parametrize("gz", [True, False])
    def test_truncated_file_keeps_what_came_before(self, tmp_path: Path, gz: bool) -> None:
        """A file cut in its third record yields the first two, then says where the damage is."""
        pages = [(f"http://a.example/{i}", page(f"P{i}", FERRY)) for i in range(4)]
        whole = tmp_path / "whole.warc"
        whole.write_bytes(warc_record_bytes(pages, gzip=gz))
        third = [p.offset for p in read_warc(whole)][2]
        path = tmp_path / "cut.warc"
        path.write_bytes(whole.read_bytes()[: third + 200])
        got: list[str] = []
        with pytest.raises(WarcDamaged) as info:
            got.extend(p.response.url for p in read_warc(path))
        assert got == ["http://a.example/0", "http://a.example/1"]
        assert info.value.record == 3
        assert info.value.offset == third
        assert str(path) in str(info.value)

    def test_garbage_between_records(self, tmp_path: Path) -> None:
        """Bytes that are not a WARC record stop the reading at that record."""
        first = warc_record_bytes([("http://a.example/0", page("P0", FERRY))], gzip=False)
        path = tmp_path / "bad.warc"
        path.write_bytes(first + b"this is not a warc record\r\n\r\n" + first)
        got: list[str] = []
        with pytest.raises(WarcDamaged, match="record 2"):
            got.extend(p.response.url for p in read_warc(path))
        assert got == ["http://a.example/0"]


@pytest.fixture
def world() -> Iterator[World]:
    """Two outlets: alpha lists its pages in sitemaps behind robots.txt, beta carries a copy of the wire story."""
    with World("alpha", "beta") as w:
        alpha, beta = w["alpha"], w["beta"]
        alpha.static("/2024/05/wealth-fund.html", page("Norway's wealth fund posts record profit", WIRE))
        alpha.static("/2024/05/ferry.html", page("Island ferry adds a late crossing", FERRY))
        alpha.static("/2023/01/old.html", page("An old story", LIBRARY))
        beta.static("/eco/fonds-norvege.html", page("Wealth fund: record half-year", [*WIRE[:3]]))
        beta.static("/culture/bibliotheque.html", page("Quimper: la bibliothèque rouvre", LIBRARY, lang="fr"))
        news = urlset([
            {"loc": alpha.url("/2024/05/wealth-fund.html"), "published": "2024-05-02T06:00:00Z",
             "title": "Wealth fund record"},
            {"loc": alpha.url("/2024/05/ferry.html"), "published": "2024-05-03T06:00:00Z", "title": "Ferry"},
            {"loc": alpha.url("/2023/01/old.html"), "published": "2023-01-05T06:00:00Z", "title": "Old"},
        ], news=True)
        alpha.static("/sitemaps/news.xml.gz", gzip_module.compress(news.encode()), "application/octet-stream")
        alpha.static("/sitemaps/2020.xml", urlset([{"loc": alpha.url("/2020/x.html"), "lastmod": "2020-01-01"}]),
                     "application/xml")
        alpha.static("/sitemaps/broken.xml", "<urlset><url><loc>oops", "application/xml")
        alpha.static("/sitemap_index.xml", sitemap_index([
            (alpha.url("/sitemaps/2020.xml"), "2020-01-02"),
            (alpha.url("/sitemaps/news.xml.gz"), "2024-05-03"),
            (alpha.url("/sitemaps/broken.xml"), None),
        ]), "application/xml")
        alpha.static("/robots.txt", f"User-agent: *\nDisallow: /private/\nSitemap: {alpha.url('/sitemap_index.xml')}\n",
                     "text/plain")
        beta.static("/sitemap.xml", urlset([
            {"loc": beta.url("/eco/fonds-norvege.html"), "published": "2024-05-02T09:00:00Z", "title": "Fonds"},
            {"loc": beta.url("/culture/bibliotheque.html")},
        ], news=True), "application/xml")
        yield w


def story_of(store: Store, url_part: str) -> str | None:
    with store.session() as s:
        return s.scalars(select(Article.story_id).where(Article.url.like(f"%{url_part}%"))).one()


class TestSitemapBackfill:
    """Backfilling from sitemaps served on 127.0.0.1."""

    def test_site_root_index_news_gzip_and_date_filter(self, store: Store, world: World) -> None:
        """robots.txt -> index -> gzipped news sitemap; --since drops old entries and old child sitemaps;
        the broken sitemap is reported while the others are backfilled; copies join one story."""
        alpha, beta = world["alpha"], world["beta"]
        options = BackfillOptions(sitemaps=[alpha.base + "/", beta.url("/sitemap.xml")],
                                  since=datetime(2024, 5, 1, tzinfo=UTC), since_text="2024-05-01")
        summary = backfill(store, options)
        assert summary.stored == 4
        assert summary.out_of_range == 1  # the 2023 news entry; beta's undated entry is kept
        assert not alpha.hits("/sitemaps/2020.xml")  # last modified before --since: not even fetched
        assert not alpha.hits("/2023/01/old.html")
        assert len(summary.source_errors) == 1
        assert "broken.xml" in summary.source_errors[0]
        assert "not well-formed" in summary.source_errors[0]
        assert story_of(store, "wealth-fund") == story_of(store, "fonds-norvege")
        with store.session() as s:
            title = s.scalars(select(Article.title).where(Article.url.like("%ferry%"))).one()
        assert title == "Island ferry adds a late crossing"

    def test_robots_listed_sitemap_on_another_host_passes_the_ssrf_guard(self, world: World) -> None:
        """The user trusts the site they name, not a host its robots.txt points at (here loopback by name)."""
        alpha = world["alpha"]
        elsewhere = alpha.url("/sitemaps/news.xml.gz").replace("127.0.0.1", "localhost")
        alpha.static("/robots.txt", f"User-agent: *\nSitemap: {elsewhere}\n", "text/plain")
        stats = CrawlStats()

        async def crawl() -> list[Any]:
            async with Fetcher(FetchSettings(timeout=5, per_host_delay=0)) as fetcher:
                return [entry async for entry in crawl_sitemaps(fetcher, [alpha.base + "/"], stats=stats)]

        assert asyncio.run(crawl()) == []
        assert alpha.hits("/robots.txt")  # the named site itself is trusted, on loopback too
        assert not alpha.hits("/sitemaps/news.xml.gz")
        assert len(stats.errors) == 1
        assert "blocked" in str(stats.errors[0])

    def test_robots_disallow_is_obeyed(self, sqlite_url: str, world: World) -> None:
        """A page robots.txt disallows is not fetched; it is counted as failed for reason robots."""
        alpha = world["alpha"]
        alpha.static("/private/secret.html", page("Secret", FERRY))
        alpha.static("/private.xml", urlset([{"loc": alpha.url("/private/secret.html")}]), "application/xml")
        store = Store(sqlite_url)
        summary = backfill(store, BackfillOptions(sitemaps=[alpha.url("/private.xml")]))
        store.close()
        assert summary.failed == {"robots": 1}
        assert not alpha.hits("/private/secret.html")


class TestUrlListBackfill:
    """Backfilling from a URL list file."""

    def test_joins_live_stories_and_counts_junk(self, sqlite_url: str, world: World, tmp_path: Path) -> None:
        """A live pass stores alpha's copy; the backfilled beta copy joins its story; junk and 404s are counted."""
        alpha, beta = world["alpha"], world["beta"]
        alpha.static("/rss.xml", rss("Alpha", [{"title": "Fund", "link": alpha.url("/2024/05/wealth-fund.html"),
                                                "guid": "a1", "published": "2024-05-02T06:00:00+00:00"}]),
                      "application/rss+xml")
        store = Store(sqlite_url)
        with store.session() as s:
            repo.add_feed(s, alpha.url("/rss.xml"))
        pipeline = Pipeline(store, settings_for(store.url))
        try:
            asyncio.run(pipeline.run_pass(all_feeds=True))
        finally:
            pipeline.close()
        listing = tmp_path / "urls.txt"
        listing.write_text("\n".join([
            json.dumps({"url": beta.url("/eco/fonds-norvege.html"), "published": "2024-05-02T09:00:00Z"}),
            "junk line",
            json.dumps({"url": beta.url("/culture/bibliotheque.html"), "title": "Bibliothèque",
                        "published": "2024-05-04T09:00:00+02:00", "feed": alpha.url("/rss.xml")}),
            beta.url("/missing.html"),
            alpha.url("/2024/05/wealth-fund.html?utm_source=partner"),  # stored by the live pass
            "{not json",
        ]), encoding="utf-8")
        summary = backfill(store, BackfillOptions(urls=str(listing)))
        assert (summary.stored, summary.duplicates, summary.junk_lines) == (2, 1, 2)
        assert summary.items == summary.stored + summary.duplicates + summary.not_article + summary.failed_total
        assert summary.failed == {"http_4xx": 1}
        assert story_of(store, "fonds-norvege") == story_of(store, "wealth-fund")
        with store.session() as s:
            library = s.scalars(select(Article).where(Article.url.like("%bibliotheque%"))).one()
            feed = repo.feed_by_url(s, alpha.url("/rss.xml"))
        assert feed is not None
        assert library.feed_id == feed.id
        assert library.published == datetime(2024, 5, 4, 7, tzinfo=UTC)
        store.close()


class NoNetwork(httpx.AsyncBaseTransport):
    """A transport that records and refuses every request."""

    def __init__(self) -> None:
        self.requests: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        raise httpx.ConnectError("network access during a WARC backfill")


def warc_pages() -> list[tuple[str, str]]:
    return [
        ("http://alpha.example/fund.html", page("Wealth fund record profit", WIRE)),
        ("http://beta.example/fonds.html", page("Fonds: record", WIRE[:3])),
        ("http://alpha.example/ferry.html", page("Ferry", FERRY)),
        ("http://beta.example/bibliotheque.html", page("Bibliothèque", LIBRARY, lang="fr")),
        ("http://alpha.example/fund.html?utm_source=x", page("Wealth fund record profit", WIRE)),
    ]


class TestWarcBackfill:
    """Backfilling from WARC files, without any network access."""

    def test_pages_with_original_fetch_time_no_network(self, sqlite_url: str, tmp_path: Path) -> None:
        """HTML responses become articles fetched at their WARC-Date, headers kept, nothing requested."""
        path = write_warc(tmp_path / "a.warc.gz", warc_pages())
        store = Store(sqlite_url)
        transport = NoNetwork()
        summary = backfill(store, BackfillOptions(warcs=[str(path)]), transport=transport)
        assert transport.requests == []
        assert (summary.stored, summary.duplicates, summary.failed_total) == (4, 1, 0)
        assert summary.items == summary.stored + summary.duplicates + summary.not_article + summary.failed_total
        with store.session() as s:
            articles = list(s.scalars(select(Article)))
            raw = s.scalars(select(RawPage)).first()
        assert {a.fetched for a in articles} == {datetime(2024, 3, 1, 10, tzinfo=UTC)}
        assert raw is not None
        assert raw.headers["content-type"] == "text/html; charset=utf-8"
        assert story_of(store, "alpha.example/fund") == story_of(store, "beta.example/fonds")
        store.close()

    def test_damaged_warc_keeps_what_came_before(self, sqlite_url: str, tmp_path: Path) -> None:
        """A WARC cut in its fourth record: three pages stored, the damage reported with file and record."""
        whole = write_warc(tmp_path / "whole.warc", warc_pages(), gzip=False)
        fourth = [p.offset for p in read_warc(whole)][3]
        cut = tmp_path / "cut.warc"
        cut.write_bytes(whole.read_bytes()[: fourth + 300])
        store = Store(sqlite_url)
        summary = backfill(store, BackfillOptions(warcs=[str(cut)]), transport=NoNetwork())
        assert summary.stored == 3
        assert len(summary.source_errors) == 1
        assert f"{cut}: damaged at record 4 (byte offset {fourth})" in summary.source_errors[0]
        store.close()

    def test_missing_file_is_a_usage_error(self, sqlite_url: str, tmp_path: Path) -> None:
        """A missing WARC file stops the command before anything runs, with one line and exit status 1."""
        with pytest.raises(BackfillError, match="no such file"):
            BackfillOptions(warcs=[str(tmp_path / "nope.warc.gz")]).validate()
        result = subprocess.run(
            [sys.executable, "-m", "ingest.cli", "--db", sqlite_url, "backfill", "--warc", str(tmp_path / "nope.warc")],
            capture_output=True, text=True, check=False, timeout=60,
        )
        assert result.returncode == 1  # a missing input file, as for every command (issue 15)
        assert result.stderr.strip() == f"wirefeed: error: no such file: {tmp_path / 'nope.warc'}"


def store_snapshot(store: Store) -> dict[str, Any]:
    """Everything that must be identical between two stores, without wall-clock times."""
    with store.session() as s:
        articles = [(a.id, a.canonical_url, a.status, a.title, a.text, a.content_hash, a.story_id, a.attempts)
                    for a in s.scalars(select(Article).order_by(Article.id))]
        members = [(m.article_id, m.story_id, m.relation, m.duplicate_of, m.score)
                   for m in s.scalars(select(StoryMember).order_by(StoryMember.article_id))]
        stories = [(st.id, st.size, st.original_article_id, st.title)
                   for st in s.scalars(select(Story).order_by(Story.id))]
        raw = [(r.article_id, r.url, r.body) for r in s.scalars(select(RawPage).order_by(RawPage.article_id))]
    return {"articles": articles, "members": members, "stories": stories, "raw": raw}


class TestReextract:
    """Re-extraction of stored raw pages."""

    def test_same_version_changes_nothing(self, store: Store, tmp_path: Path) -> None:
        """With the same extractor version nothing changes; an older version is re-extracted to the same text."""
        backfill(store, BackfillOptions(warcs=[str(write_warc(tmp_path / "a.warc", warc_pages()))]),
                 transport=NoNetwork())
        before = store_snapshot(store)
        summary = backfill(store, BackfillOptions(reextract=True))
        assert (summary.unchanged, summary.reextracted, summary.changed) == (4, 0, 0)
        assert store_snapshot(store) == before
        with store.session() as s:
            fund = s.scalars(select(Article).where(Article.url.like("%alpha.example/fund%"))).one()
            fund.extractor_version = "trafilatura 0.0+wirefeed-clean 0"
        with capture_logs() as logs:
            upgraded = backfill(store, BackfillOptions(reextract=True, site="alpha.example"), progress_every=0)
        # A new extractor version is a new run: the first one's "done" does not carry over.
        assert not upgraded.resumed
        assert (upgraded.unchanged, upgraded.reextracted, upgraded.changed) == (1, 1, 0)
        assert store_snapshot(store) == before
        events = [e["event"] for e in logs]
        assert "backfill_progress" in events
        assert events[-1] == "backfill_finished"


class TestSiteWithPort:
    """--site HOST takes the host's pages on any port, as `sources --site` does; HOST:PORT only that port's."""

    def test_a_host_alone_names_its_ports(self, store: Store, tmp_path: Path) -> None:
        pages = [("http://alpha.example:8080/fund.html", page("Wealth fund record profit", WIRE)),
                 ("http://beta.example/ferry.html", page("Ferry", FERRY))]
        path = str(write_warc(tmp_path / "a.warc", pages))
        kept = backfill(store, BackfillOptions(warcs=[path], site="alpha.example"), transport=NoNetwork())
        assert (kept.stored, kept.other_site) == (1, 1)
        again = backfill(store, BackfillOptions(reextract=True, site="alpha.example"))
        assert again.unchanged == 1
        assert backfill(store, BackfillOptions(reextract=True, site="alpha.example:9090")).unchanged == 0
        assert backfill(store, BackfillOptions(reextract=True, site="alpha.example:8080")).unchanged == 1


class TestReextractUntil:
    """--since and --until select articles by when they were fetched."""

    def test_until_bounds_the_articles(self, store: Store, tmp_path: Path) -> None:
        """Only articles fetched at or before --until are re-extracted."""
        backfill(store, BackfillOptions(warcs=[str(write_warc(tmp_path / "a.warc", warc_pages()))]),
                 transport=NoNetwork())
        start = datetime(2024, 3, 1, tzinfo=UTC)
        with store.session() as s:
            articles = list(s.scalars(select(Article).order_by(Article.id)))
            for hours, article in enumerate(articles):  # fetched one hour apart
                article.fetched = start + timedelta(hours=hours)
                article.extractor_version = "trafilatura 0.0+wirefeed-clean 0"
        assert len(articles) == 4
        until = start + timedelta(hours=1)
        summary = backfill(store, BackfillOptions(reextract=True, until=until, until_text=until.isoformat()))
        assert (summary.items, summary.reextracted) == (2, 2)
        with store.session() as s:
            old = s.scalars(select(Article.fetched).where(Article.extractor_version.like("trafilatura 0.0%")))
            assert sorted(old) == [start + timedelta(hours=2), start + timedelta(hours=3)]


class TestRunClaim:
    """Two invocations with the same arguments never work on one run at once."""

    def _claimed(self, store: Store, options: BackfillOptions, owner: str, until: datetime) -> None:
        with store.session() as s:
            run = s.scalars(select(BackfillRun).where(BackfillRun.key == options.run_key())).one()
            run.owner, run.lease_until = owner, until

    def _options(self, tmp_path: Path) -> BackfillOptions:
        return BackfillOptions(warcs=[str(write_warc(tmp_path / "a.warc", warc_pages()))])

    def test_a_live_claim_refuses_a_second_invocation(self, store: Store, tmp_path: Path) -> None:
        """While another live process holds the run, a second invocation stops with a clear error."""
        options = self._options(tmp_path)
        backfill(store, options, transport=NoNetwork())
        live = f"{socket.gethostname()}:{os.getpid()}:another"
        self._claimed(store, options, live, datetime.now(UTC) + timedelta(minutes=5))
        # The command prints "wirefeed: error: backfill: run 1 with ...", the kind said once.
        with pytest.raises(BackfillError, match=r"^run \d+ with the same arguments is already running"):
            backfill(store, options, transport=NoNetwork())
        self._claimed(store, options, "other-machine:123:abc", datetime.now(UTC) + timedelta(minutes=5))
        with pytest.raises(BackfillError, match="other-machine:123"):
            backfill(store, options, transport=NoNetwork())

    def test_a_run_taken_over_midway_stops_without_recording(
        self, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A process that finds its run claimed by another (it stalled past its claim) stops and records nothing."""
        options = BackfillOptions(warcs=[str(write_warc(tmp_path / "a.warc", warc_pages()))], chunk_size=1)
        real = Backfill._record
        chunks: list[int] = []

        def record(self: Backfill, works: Sequence[Any], outcomes: Sequence[Any]) -> None:
            chunks.append(len(works))
            if len(chunks) == 2:  # another process took the run over after the first chunk
                with self.store.session() as s:
                    s.execute(update(BackfillRun).where(BackfillRun.id == self.summary.run_id)
                              .values(owner="other-machine:1:x"))
            real(self, works, outcomes)

        monkeypatch.setattr(Backfill, "_record", record)
        with capture_logs() as logs, pytest.raises(BackfillError, match="taken over"):
            backfill(store, options, transport=NoNetwork())
        # The half-read WARC is closed when the run stops, not whenever the garbage collector gets to it.
        assert "warc_read" in [entry["event"] for entry in logs]
        with store.session() as s:
            run = s.scalars(select(BackfillRun)).one()
            items = s.scalar(select(func.count()).select_from(BackfillItem))
        assert (run.owner, run.position, run.finished_at, items) == ("other-machine:1:x", 1, None, 1)

    def test_dead_or_expired_claims_are_taken_over_and_released(self, store: Store, tmp_path: Path) -> None:
        """A claim by a process of this host that is gone, or an expired one, does not block; a run releases."""
        from ingest.ops import metrics

        def takeovers() -> float:
            return metrics.LEASE_TAKEOVERS.labels("backfill_run")._value.get()

        options = self._options(tmp_path)
        backfill(store, options, transport=NoNetwork())
        before = takeovers()
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()
        self._claimed(store, options, f"{socket.gethostname()}:{gone.pid}:dead", datetime.now(UTC) + timedelta(hours=1))
        assert backfill(store, options, transport=NoNetwork()).resumed
        self._claimed(store, options, "other-machine:123:abc", datetime.now(UTC) - timedelta(seconds=1))
        assert backfill(store, options, transport=NoNetwork()).resumed
        assert takeovers() - before == 2  # both claims counted as taken over (metrics)
        assert backfill(store, options, transport=NoNetwork()).resumed
        assert takeovers() - before == 2  # a run released by its owner is no takeover
        with store.session() as s:
            run = s.scalars(select(BackfillRun).where(BackfillRun.key == options.run_key())).one()
            assert (run.owner, run.lease_until) == (None, None)


class TestResume:
    """Runs are resumable: the same arguments continue a run, skipping what is done."""

    def test_rerun_skips_done_and_retries_failures(self, sqlite_url: str, world: World, tmp_path: Path) -> None:
        """A second run with the same list skips stored items and retries the failed one, now served."""
        alpha, beta = world["alpha"], world["beta"]
        listing = tmp_path / "urls.txt"
        listing.write_text("\n".join([alpha.url("/2024/05/ferry.html"), beta.url("/late.html"),
                                      beta.url("/culture/bibliotheque.html")]))
        store = Store(sqlite_url)
        first = backfill(store, BackfillOptions(urls=str(listing), chunk_size=2))
        assert (first.stored, first.failed_total, first.resumed) == (2, 1, False)
        beta.static("/late.html", page("Late", WIRE))
        second = backfill(store, BackfillOptions(urls=str(listing), chunk_size=2))
        assert (second.resumed, second.skipped, second.stored) == (True, 2, 1)
        with store.session() as s:
            outcomes = dict(s.execute(select(BackfillItem.item_key, BackfillItem.outcome)).all())
            runs = s.scalar(select(func.count()).select_from(BackfillRun))
        assert sorted(outcomes.values()) == ["stored", "stored", "stored"]
        assert runs == 1
        store.close()


def wirefeed_command() -> list[str]:
    """The installed `wirefeed` console script of this environment (or the module, when not installed)."""
    script = Path(sys.executable).with_name("wirefeed")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ingest.cli"]


def backfill_process(db: str, listing: Path) -> subprocess.Popen[str]:
    """`wirefeed backfill --urls` in its own process group, allowed to reach 127.0.0.1, 3 items per chunk."""
    env = dict(os.environ, WIREFEED_FETCH__ALLOWED_NETWORKS='["127.0.0.1/32"]', WIREFEED_FETCH__PER_HOST_DELAY="0",
               WIREFEED_FETCH__TIMEOUT="60", WIREFEED_EXTRACT__WORKERS="1", WIREFEED_LOG__FORMAT="json")
    return subprocess.Popen(
        [*wirefeed_command(), "--db", db, "backfill", "--urls", str(listing), "--no-progress", "--chunk-size", "3"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )


def wait_until(condition: Any, what: str, timeout: float = 60.0) -> None:
    """Poll a condition (not a timing assertion: the limit only turns a hang into a failure)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def ok_articles(db_file: Path) -> int:
    import sqlite3

    with sqlite3.connect(db_file) as conn:
        try:
            return int(conn.execute("SELECT count(*) FROM articles WHERE status = 'ok'").fetchone()[0])
        except sqlite3.OperationalError:  # the schema is not created yet
            return 0


class TestKilledAndResumed:
    """A backfill killed with SIGKILL midway, then rerun, ends with exactly the store of an uninterrupted run."""

    def test_kill_9_then_resume_equals_uninterrupted(self, tmp_path: Path) -> None:
        """Kill -9 while page 8 of 12 hangs (chunks of 3): the rerun skips done chunks and stores the rest once."""
        gate, hit = threading.Event(), threading.Event()
        with World("alpha", "beta") as world:
            alpha, beta = world["alpha"], world["beta"]
            lines = []
            texts = [("wire", WIRE), ("ferry", FERRY), ("library", LIBRARY)]
            for i in range(12):
                outlet: Outlet = alpha if i % 2 == 0 else beta
                name, paragraphs = texts[i % 3]
                # Each outlet carries every story a few times, some copies trimmed, so stories have members.
                body = paragraphs if i % 4 else [*paragraphs[:-1], f"Edition {i}: {paragraphs[-1]}"]
                path = f"/{name}/{i}.html"
                outlet.static(path, page(f"{name.title()} {i}", [*body, f"Update {i} from the {outlet.name} desk."]))
                published = f"2024-05-0{1 + i % 3}T0{i % 10}:00:00Z"
                lines.append(json.dumps({"url": outlet.url(path), "published": published}))
            slow = beta.routes["/ferry/7.html"]

            def hanging(request: Request) -> tuple[int, dict[str, str], bytes]:
                hit.set()
                gate.wait(60)
                return slow(request)

            beta.routes["/ferry/7.html"] = hanging
            listing = tmp_path / "urls.jsonl"
            listing.write_text("\n".join(lines) + "\n", encoding="utf-8")

            killed_db = tmp_path / "killed.db"
            first = backfill_process(f"sqlite:///{killed_db}", listing)
            try:
                wait_until(hit.is_set, "page 8 to be requested")
                wait_until(lambda: ok_articles(killed_db) >= 7, "pages 1-7 to be stored")
            finally:
                os.killpg(first.pid, signal.SIGKILL)
                first.communicate(timeout=30)
            assert first.returncode == -signal.SIGKILL
            assert ok_articles(killed_db) == 7  # page 8 hangs, so nothing after it is stored
            gate.set()

            env_runs = backfill_process(f"sqlite:///{killed_db}", listing)
            resumed_out, resumed_err = env_runs.communicate(timeout=120)
            assert env_runs.returncode == 0, resumed_err
            reference_db = tmp_path / "reference.db"
            reference = backfill_process(f"sqlite:///{reference_db}", listing)
            _, reference_err = reference.communicate(timeout=120)
            assert reference.returncode == 0, reference_err

        assert "(resumed)" in resumed_out
        # Chunks 1-2 were recorded; page 7 was stored but not recorded: re-checked, not stored again.
        assert "stored 5, duplicates 1" in resumed_out
        assert "skipped (already done) 6" in resumed_out
        killed, uninterrupted = Store(f"sqlite:///{killed_db}"), Store(f"sqlite:///{reference_db}")
        try:
            after = store_snapshot(killed)
            assert after == store_snapshot(uninterrupted)
            assert len(after["articles"]) == 12
            assert len({a[1] for a in after["articles"]}) == 12  # no URL stored twice
            assert len(after["stories"]) < 12  # copies were grouped, identically in both stores
            with killed.session() as s:
                items = s.scalar(select(func.count()).select_from(BackfillItem))
            assert items == 12
        finally:
            killed.close()
            uninterrupted.close()


class TestProgress:
    """The progress bar and the progress logs."""

    def test_bar_keeps_warnings_and_gives_structlog_back(self, capsys: pytest.CaptureFixture[str]) -> None:
        """While the bar shows, warnings print above it and info lines are held back; closing restores logging."""
        import structlog

        from ingest.backfill.run import Progress

        before = structlog.get_config()["logger_factory"]
        progress = Progress(BackfillSummary(), bar=True, total=10)
        logger = structlog.get_logger("test")
        logger.info("page_noise")
        logger.warning("page_failed", url="http://a.example/x")
        progress.advance(4)
        progress.close()
        err = capsys.readouterr().err
        assert "page_failed" in err
        assert "page_noise" not in err
        assert "backfill:" in err
        assert "4/10" in err
        assert structlog.get_config()["logger_factory"] is before

    def test_progress_logs_without_a_terminal(self) -> None:
        """Without a bar, `backfill_progress` carries done, total, rate and counts."""
        from ingest.backfill.run import Progress
        from ingest.jobs import Tally

        summary = BackfillSummary(items=3, pages=Tally(stored=2))
        progress = Progress(summary, bar=False, total=10, every=0)
        with capture_logs() as logs:
            progress.advance(3)
        assert logs[0]["event"] == "backfill_progress"
        assert (logs[0]["done"], logs[0]["total"], logs[0]["stored"]) == (3, 10, 2)

    def test_progress_moves_within_a_chunk(self, sqlite_url: str, tmp_path: Path) -> None:
        """Pages are counted group by group as they are stored, not only when their chunk (100 items) is done.

        A chunk of slow pages took minutes with the bar at 0 and no progress line (found by an audit).
        """
        pages = [(f"http://a.example/{i}", page(f"Ferry {i}", [f"Report number {i}.", *FERRY])) for i in range(40)]
        path = write_warc(tmp_path / "a.warc.gz", pages)
        with capture_logs() as logs:
            summary = backfill(Store(sqlite_url), BackfillOptions(warcs=[str(path)]), transport=NoNetwork(),
                               progress_every=0)
        lines = [e for e in logs if e["event"] == "backfill_progress"]
        done = [e["done"] for e in lines]
        assert any(0 < d < 40 for d in done), done  # seen before the chunk was done
        assert done == sorted(done)
        assert done[-1] == 40
        # Each line's counts are those of the pages done by then.
        assert all(e["stored"] + e["duplicates"] + e["failed"] == e["done"] for e in lines)
        assert summary.stored + summary.duplicates == 40


class TestOddWarcRecords:
    """One odd record costs itself alone: the healthy records of the same file are stored, every rerun too."""

    @pytest.mark.parametrize("status", ["abc", "2OO OK", ""])
    @pytest.mark.parametrize("gz", [True, False])
    def test_unreadable_status_line_is_skipped_and_counted(self, tmp_path: Path, gz: bool, status: str) -> None:
        """A response whose HTTP status line has no code is counted and skipped, not taken as file damage."""
        data = warc_record_bytes(warc_pages()[:1], gzip=gz)
        data += warc_record_bytes([("http://alpha.example/odd.html", page("Odd", FERRY))], gzip=gz, status=status)
        data += warc_record_bytes(warc_pages()[2:4], gzip=gz)
        path = tmp_path / "odd.warc"
        path.write_bytes(data)
        stats = WarcStats()
        with capture_logs() as logs:
            urls = [p.response.url for p in read_warc(path, stats)]
        assert urls == [warc_pages()[i][0] for i in (0, 2, 3)]
        assert (stats.records, stats.pages, stats.bad_headers, stats.damaged) == (4, 3, 1, [])
        skipped = [e for e in logs if e["event"] == "warc_records_skipped"]
        assert [(e["count"], e["first_records"]) for e in skipped] == [(1, [2])]

    def test_long_url_and_bad_status_beside_healthy_records(self, store: Store, tmp_path: Path) -> None:
        """A 5,000-character URL and a bad status line among healthy records: both runs complete, pages stored."""
        long_url = "http://alpha.example/" + "z" * 5000
        data = warc_record_bytes([warc_pages()[0], (long_url, page("Long address", LIBRARY, lang="fr"))])
        data += warc_record_bytes([("http://alpha.example/odd.html", page("Odd", FERRY))], status="abc")
        data += warc_record_bytes(warc_pages()[2:3])
        path = tmp_path / "odd.warc.gz"
        path.write_bytes(data)
        options = BackfillOptions(warcs=[str(path)])
        with capture_logs() as logs:
            first = backfill(store, options, transport=NoNetwork())
            second = backfill(store, options, transport=NoNetwork())
        assert (first.source_errors, second.source_errors) == ([], [])
        assert first.items == 3
        assert first.bad_records == second.bad_records == 1
        assert first.failed == {"invalid_url": 1}  # too long to store: said, not cut to a wrong address
        assert second.resumed
        with store.session() as s:
            stored = set(s.scalars(select(Article.url).where(Article.status == "ok")))
            keys = list(s.scalars(select(BackfillItem.item_key)))
        assert {warc_pages()[0][0], warc_pages()[2][0]} <= stored
        # The long URL's key is a hash of it: two long URLs never share one item.
        assert len(keys) == 3
        assert len([k for k in keys if k.startswith("sha1:") and len(k) == 45]) == 1
        assert [e["bad_headers"] for e in logs if e["event"] == "warc_read"] == [1, 1]

    def test_long_url_in_a_list(self, store: Store, tmp_path: Path) -> None:
        """A 5,000-character URL in a URL list is one item, under a hashed key, on every run."""
        listing = tmp_path / "urls.txt"
        listing.write_text("http://alpha.example/" + "q" * 5000 + "\n")
        options = BackfillOptions(urls=str(listing))
        first = backfill(store, options, transport=NoNetwork())
        second = backfill(store, options, transport=NoNetwork())
        assert (first.items, second.resumed) == (1, True)
        with store.session() as s:
            keys = list(s.scalars(select(BackfillItem.item_key)))
        assert [len(k) for k in keys] == [45]
        assert keys[0].startswith("sha1:")
