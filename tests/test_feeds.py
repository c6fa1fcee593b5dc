"""Feed parsing from bytes: legacy encodings, the fast path's agreement with feedparser, hostile XML, discovery."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from config.settings import FetchSettings
from ingest.errors import FeedParseError, NotAFeed
from ingest.feeds.parse import ParsedFeed, _content_type, _feedparser_parse, discover_feeds, fast_parse, parse_feed
from ingest.feeds.subscribe import resolve_feed_urls
from tests.world import World, rss

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
MINIFLUX = Path(__file__).parents[2] / "shared" / "data" / "miniflux-feeds"
URL = "http://example.org/feed.xml"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def slow_parse(body: bytes, headers: dict[str, str] | None = None) -> ParsedFeed:
    """The feedparser path alone, for comparison with the fast path."""
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    return _feedparser_parse(URL, body, headers, _content_type(body, headers.get("content-type")), False)


class TestEncodings:
    """Legacy encodings declared in the XML prolog or only in the HTTP header come out right."""

    @pytest.mark.parametrize("name", ["koi8-r.xml", "windows-1251.xml"])
    def test_cyrillic(self, name: str) -> None:
        """KOI8-R and windows-1251 feeds decode to the right Cyrillic letters."""
        feed = parse_feed(URL, load(name))
        assert feed.title == "Новости дня"
        assert feed.items[0].title == "Москва: погода и пробки"
        assert feed.items[0].summary == "Ёжик"

    def test_latin1_prolog(self) -> None:
        """An ISO-8859-1 prolog gives accented letters."""
        feed = parse_feed(URL, load("iso-8859-1.xml"))
        assert feed.title == "Côte"
        assert feed.items[0].title == "Crème brûlée à Noël"

    def test_charset_only_in_http_header(self) -> None:
        """A windows-1252 body whose charset is only in Content-Type keeps its guillemets and euro sign."""
        feed = parse_feed(URL, load("windows-1252-header-only.xml"),
                          {"Content-Type": "application/rss+xml; charset=windows-1252"})
        assert feed.items[0].title == "Été à Nantes : la passerelle « Loire » coûte 12 €"
        assert feed.items[0].summary == "œuvre"

    def test_utf8_bytes_under_a_wrong_prolog(self) -> None:
        """UTF-8 bytes under a windows-1252 prolog are read as UTF-8 (a common publisher mistake)."""
        feed = parse_feed(URL, load("utf8-wrong-prolog.xml"))
        assert feed.items[0].title == "Été à Nantes : la passerelle « Loire » coûte 12 €"

    def test_latin1_label_means_windows_1252(self) -> None:
        """A body labelled ISO-8859-1 that uses windows-1252's euro sign gets the euro, as browsers show it."""
        body = ('<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>12 € é</title>'
                "<item><title>x</title><guid>1</guid></item></channel></rss>").encode("cp1252")
        assert parse_feed(URL, body).title == "12 € é"
        assert parse_feed(URL, body, {"content-type": "text/xml; charset=iso-8859-1"}).title == "12 € é"


class TestFastPath:
    """The lxml fast path gives exactly what the feedparser path gives."""

    @pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.xml")))
    def test_agrees_with_feedparser(self, name: str) -> None:
        """Every fixture parses to the same feed on both paths (or the fast path declines)."""
        body = load(name)
        headers = {"content-type": "application/xml; charset=windows-1252"} if "header-only" in name else {}
        fast = fast_parse(URL, body, _content_type(body, headers.get("content-type")))
        if fast is None:
            return
        assert fast == slow_parse(body, headers)

    @pytest.mark.skipif(not MINIFLUX.is_dir(), reason="../shared/data/miniflux-feeds not present")
    def test_agrees_on_miniflux_feeds(self) -> None:
        """Miniflux's encoding test feeds parse the same way on both paths."""
        taken = 0
        for path in sorted(MINIFLUX.glob("*.xml")):
            body = path.read_bytes()
            fast = fast_parse(URL, body, _content_type(body, None))
            if fast is not None:
                taken += 1
                assert fast == slow_parse(body), path.name
        assert taken >= 5

    def test_rss_modules(self) -> None:
        """content:encoded, dc:creator, dc:date, permalink GUIDs and relative links are read as feedparser does."""
        feed = parse_feed(URL, load("rss-modules.xml"))
        first, second, third = feed.items
        assert first.guid == first.link == "http://example.org/p/1"
        assert first.title == "Cdata <i>title</i>"
        assert first.summary == "<p>Full text</p>"
        assert first.author == "Bob Stone"
        assert first.published == datetime(2026, 11, 10, 10, tzinfo=UTC)
        assert second.guid == second.link == "http://example.org/relative/2"
        assert second.summary == "Desc & more"
        assert third.guid.startswith("sha256:")
        assert feed.ttl_seconds == 1800  # sy:updatePeriod hourly, frequency 2

    def test_atom(self) -> None:
        """Atom: alternate link resolved, HTML title unescaped once, author with email, published date."""
        feed = parse_feed(URL, load("atom.xml"))
        assert feed.title == "Atom &amp; Co"
        assert feed.site_url == "http://example.org/"
        first, second = feed.items
        assert first.link == "http://example.org/news/1"
        assert first.title == "A <b>bold</b> move"
        assert first.author == "Ana Lima (ana@example.org)"
        assert first.published == datetime(2026, 11, 10, 8, tzinfo=UTC)
        assert second.guid == "http://example.org/relative-id"
        assert second.published == datetime(2026, 11, 11, 7, tzinfo=UTC)

    def test_ttl(self) -> None:
        """<ttl> minutes become seconds."""
        assert parse_feed(URL, load("ttl.xml")).ttl_seconds == 7200


class TestHostileInput:
    """Broken and malicious bodies give a clear error or a flagged, recovered feed."""

    def test_empty_body(self) -> None:
        """An empty or blank body is not a feed."""
        for body in (b"", b"  \n\t"):
            with pytest.raises(NotAFeed, match="empty"):
                parse_feed(URL, body)

    def test_html_page(self) -> None:
        """An HTML page is not a feed."""
        with pytest.raises(NotAFeed, match="HTML"):
            parse_feed(URL, load("home.html"))

    def test_malformed_xml_is_recovered_and_flagged(self) -> None:
        """feedparser's recovered items are kept and the feed is flagged malformed."""
        feed = parse_feed(URL, load("malformed.xml"))
        assert feed.malformed
        assert [item.guid for item in feed.items] == ["m1", "m2"]

    def test_garbage(self) -> None:
        """Bytes that are no XML at all are a parse error."""
        with pytest.raises((FeedParseError, NotAFeed)):
            parse_feed(URL, b"\x00\x01\x02 this is not xml {]")

    def test_xxe_is_not_resolved(self) -> None:
        """External entities are never read: no file content, no request; the feed is flagged."""
        feed = parse_feed(URL, load("xxe.xml"))
        text = repr(feed)
        assert "root:" not in text
        assert feed.malformed is not None
        assert "entity" in feed.malformed
        assert "x2" in [item.guid for item in feed.items]

    def test_billion_laughs_is_not_expanded(self) -> None:
        """Nested entity definitions are dropped rather than expanded to gigabytes."""
        try:
            feed = parse_feed(URL, load("billion-laughs.xml"))
        except FeedParseError:
            return
        assert feed.malformed is not None
        assert all(len(item.title or "") < 1000 for item in feed.items)


class TestDiscovery:
    """`feeds add` given a home page finds the feed it announces."""

    def test_link_alternate_in_page_order(self) -> None:
        """RSS and Atom alternates are found, resolved, in page order; other alternates ignored."""
        found = discover_feeds(load("home.html"), "https://example.org/")
        assert found == ["https://example.org/feeds/all.xml", "https://example.org/atom.xml"]

    @pytest.fixture
    def site(self) -> Iterator[World]:
        with World("site") as world:
            site = world["site"]
            site.static("/", load("home.html").replace(b"https://example.org/atom.xml", b"/atom.xml"))
            site.static("/feeds/all.xml", rss("All", [{"title": "t", "link": "http://e/1", "guid": "1"}]),
                        "application/rss+xml")
            yield world

    def test_home_page_resolves_to_its_feed(self, site: World) -> None:
        """Given the home page, the first announced feed is subscribed and the note says so."""
        home = site["site"].url("/")
        feed = site["site"].url("/feeds/all.xml")
        resolved = asyncio.run(resolve_feed_urls([home, feed], FetchSettings(timeout=3, per_host_delay=0)))
        (given, url, note), (given2, url2, note2) = resolved
        assert (given, url) == (home, feed)
        assert note is not None
        assert "discovered" in note
        assert (given2, url2, note2) == (feed, feed, None)


BRACKET_FEED = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Odd</title>'
    "<item><title>Bad link</title><link>http://example.c[o.test/x</link><guid>http://example.c[o.test/x</guid>"
    "</item><item><title>Good</title><link>/news/2</link><guid isPermaLink=\"false\">g2</guid></item>"
    "</channel></rss>"
)


class TestConformanceFixes:
    """What feedparser's corpus showed the fast path got wrong, each now as feedparser reads it."""

    def test_link_that_is_no_url(self) -> None:
        """`http://example.c[o.test/x` as link and permalink GUID: the item is kept without a link."""
        feed = parse_feed(URL, BRACKET_FEED.encode())
        bad, good = feed.items
        assert bad.link is None
        assert bad.title == "Bad link"
        assert good.link == "http://example.org/news/2"

    def test_content_location_is_the_base(self) -> None:
        """Relative links resolve against the Content-Location header, on both paths."""
        body = BRACKET_FEED.replace("http://example.c[o.test/x", "http://a.example/1").encode()
        headers = {"Content-Location": "http://mirror.example/feeds/x.xml"}
        feed = parse_feed(URL, body, headers)
        assert feed.items[1].link == "http://mirror.example/news/2"
        assert feed == slow_parse(body, headers)

    def test_xml_base_goes_to_feedparser(self) -> None:
        """An RSS xml:base rebases relative links as feedparser does (the fast path declines it)."""
        body = (b'<rss version="2.0" xml:base="http://base.example/dir/"><channel><title>t</title>'
                b"<item><link>p/1</link><guid isPermaLink=\"false\">1</guid></item></channel></rss>")
        assert fast_parse(URL, body, "application/xml") is None
        assert parse_feed(URL, body).items[0].link == "http://base.example/dir/p/1"

    def test_cp1252_numeric_references(self) -> None:
        """`&#146;` and `&#150;` become the curly quote and dash feedparser gives, not control characters."""
        body = (b'<rss version="2.0"><channel><title>t</title><item><title>It&#146;s 9&#150;5</title>'
                b"<guid isPermaLink=\"false\">1</guid></item></channel></rss>")
        assert fast_parse(URL, body, "application/xml") is not None
        assert parse_feed(URL, body).items[0].title == "It\u2019s 9\u20135"

    def test_atom_id_is_the_link(self) -> None:
        """An Atom entry whose only URL is its id is fetched at that URL; a PDF alternate is not the page."""
        body = (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
                b"<entry><id>http://example.org/a/1</id><title>one</title></entry>"
                b'<entry><id>urn:x</id><link href="/x.pdf" type="application/pdf"/><link href="/a/2"/>'
                b"<title>two</title></entry></feed>")
        first, second = parse_feed(URL, body).items
        assert first.link == "http://example.org/a/1"
        assert second.link == "http://example.org/a/2"

    def test_dcterms_dates_and_other_authors(self) -> None:
        """dcterms:issued gives the date, itunes:author the author."""
        body = (b'<rss version="2.0" xmlns:dcterms="http://purl.org/dc/terms/" '
                b'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>t</title><item>'
                b"<guid isPermaLink=\"false\">1</guid><dcterms:issued>2026-11-10T10:00:00Z</dcterms:issued>"
                b"<itunes:author>Ana</itunes:author></item></channel></rss>")
        item = parse_feed(URL, body).items[0]
        assert item.published == datetime(2026, 11, 10, 10, tzinfo=UTC)
        assert item.author == "Ana"

    def test_duplicate_elements_take_feedparsers_choice(self) -> None:
        """Two dc:creator elements: feedparser's answer (the last), whichever path parses."""
        body = (b'<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title><item>'
                b"<guid isPermaLink=\"false\">1</guid><dc:creator>First</dc:creator><dc:creator>Second</dc:creator>"
                b"</item></channel></rss>")
        assert parse_feed(URL, body).items[0].author == "Second"

    def test_implausible_dates_are_none(self) -> None:
        """Item dates in year 1 or 9999 are dropped by the one date rule."""
        for stamp in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"):
            body = ('<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><id>urn:1</id>'
                    f"<updated>{stamp}</updated></entry></feed>").encode()
            assert parse_feed(URL, body).items[0].published is None


class TestFeedsAdd:
    """`wirefeed feeds add` with a feed whose link is no URL, and several URLs at once."""

    @pytest.fixture
    def odd(self) -> Iterator[World]:
        with World("odd") as world:
            world["odd"].static("/odd.xml", BRACKET_FEED, "application/rss+xml")
            world["odd"].static("/good.xml", rss("Good", [{"title": "t", "link": "http://e/1", "guid": "1"}]),
                                "application/rss+xml")
            yield world

    def test_feed_with_a_bracket_link_resolves(self, odd: World) -> None:
        """The feed is checked and subscribed as given, with no note of failure."""
        url = odd["odd"].url("/odd.xml")
        resolved = asyncio.run(resolve_feed_urls([url], FetchSettings(timeout=3, per_host_delay=0)))
        assert resolved == [(url, url, None)]

    def test_one_bad_url_does_not_stop_the_others(
        self, odd: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Good URLs are subscribed, each bad one gets one error line, and the status is non-zero."""
        from ingest.cli.app import main

        for name in list(os.environ):
            if name.upper().startswith("WIREFEED_"):
                monkeypatch.delenv(name)
        monkeypatch.setenv("WIREFEED_FETCH__ALLOWED_NETWORKS", '["127.0.0.1/32"]')
        monkeypatch.setenv("WIREFEED_FETCH__PER_HOST_DELAY", "0")
        db = f"sqlite:///{tmp_path / 'w.db'}"
        urls = [odd["odd"].url("/odd.xml"), "ftp://files.example/rss", odd["odd"].url("/good.xml"), "http://[x/"]
        code = main(["--db", db, "feeds", "add", *urls])
        err = capsys.readouterr().err
        assert code != 0
        assert [line for line in err.splitlines() if line.startswith("wirefeed: error")] == [
            "wirefeed: error: not an http(s) URL: 'ftp://files.example/rss'",
            "wirefeed: error: not a URL: 'http://[x/' (Invalid IPv6 URL)",
        ]
        assert main(["--db", db, "feeds", "list", "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)
        assert sorted(f["url"] for f in listed) == sorted([urls[0], urls[2]])
