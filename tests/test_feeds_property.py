"""Property-based tests for feed parsing: any bytes, any text in any field, only a FeedError or a feed."""

from __future__ import annotations

from xml.sax.saxutils import escape

from hypothesis import given
from hypothesis import strategies as st

from ingest.errors import FeedError
from ingest.feeds.parse import ParsedFeed, parse_feed

URL = "http://example.org/feed.xml"
# Text an XML document can carry (no surrogates, no C0 controls but tab and newlines).
XML_CONTROLS = "".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r") + "\ufffe\uffff"
xml_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters=XML_CONTROLS), max_size=60)
headers = st.dictionaries(st.sampled_from(["content-type", "content-location", "x-other"]), st.text(max_size=40),
                          max_size=3)


def outcome(body: bytes, response_headers: dict[str, str] | None = None) -> ParsedFeed | None:
    """parse_feed's result, or None when it refused the body with a FeedError."""
    try:
        return parse_feed(URL, body, response_headers)
    except FeedError:
        return None


def rss(title: str, link: str, guid: str, date: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link><guid>{escape(guid)}</guid>"
        f"<pubDate>{escape(date)}</pubDate></item></channel></rss>"
    ).encode()


def atom(title: str, link: str, entry_id: str, date: str) -> bytes:
    quoted = escape(link, {'"': "&quot;"})
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
        f'<entry><title>{escape(title)}</title><link href="{quoted}"/><id>{escape(entry_id)}</id>'
        f"<updated>{escape(date)}</updated></entry></feed>"
    ).encode()


class TestParseFeedProperties:
    """Whatever comes in, parse_feed returns a ParsedFeed or raises a FeedError, nothing else."""

    @given(st.binary(max_size=2048), headers)
    def test_arbitrary_bytes(self, body: bytes, response_headers: dict[str, str]) -> None:
        """Random bytes with random headers never raise anything but a FeedError."""
        outcome(body, response_headers)

    @given(xml_text, xml_text, xml_text, xml_text, headers)
    def test_arbitrary_fields_in_rss(
        self, title: str, link: str, guid: str, date: str, response_headers: dict[str, str]
    ) -> None:
        """Any text in an RSS item's title, link, GUID and date gives a feed with that one item."""
        feed = outcome(rss(title, link, guid, date), response_headers)
        assert feed is not None
        assert len(feed.items) == 1

    @given(xml_text, xml_text, xml_text, xml_text)
    def test_arbitrary_fields_in_atom(self, title: str, link: str, entry_id: str, date: str) -> None:
        """Any text in an Atom entry's title, link, id and date gives a feed with that one entry."""
        feed = outcome(atom(title, link, entry_id, date))
        assert feed is not None
        assert len(feed.items) == 1

    @given(st.sampled_from(["http://example.c[o.test/x", "http://[::1/x", "http://]/", "//[x"]), xml_text)
    def test_links_that_are_no_urls(self, link: str, title: str) -> None:
        """A link or GUID that urljoin rejects costs the item its link, never the feed."""
        for body in (rss(title, link, link, ""), atom(title, link, link, "")):
            feed = outcome(body)
            assert feed is not None
            assert feed.items[0].link is None
