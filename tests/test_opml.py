"""OPML subscription lists: read safely, write, round-trip."""

from __future__ import annotations

import pytest

from ingest.feeds.opml import OPMLError, Subscription, read_opml, write_opml

NESTED = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>My feeds</title></head>
  <body>
    <outline text="World">
      <outline text="Alpha &amp; Co" title="Alpha &amp; Co" type="rss" xmlUrl="https://alpha.example/rss?a=1&amp;b=2"/>
      <outline text="Beta" type="rss" xmlUrl="https://beta.example/feed.xml" htmlUrl="https://beta.example/"/>
    </outline>
    <outline text="Not a feed, just a folder"/>
    <outline text="Gamma" type="rss" xmlurl=" https://gamma.example/rss "/>
    <outline text="Alpha again" type="rss" xmlUrl="https://alpha.example/rss?a=1&amp;b=2"/>
  </body>
</opml>
"""


class TestReadOpml:
    """read_opml: every feed outline, in order, once."""

    def test_nested_outlines(self) -> None:
        """Feeds inside folders are found, titles fall back to text, repeats and folders are skipped."""
        assert read_opml(NESTED) == [
            Subscription("https://alpha.example/rss?a=1&b=2", "Alpha & Co"),
            Subscription("https://beta.example/feed.xml", "Beta"),
            Subscription("https://gamma.example/rss", "Gamma"),
        ]

    def test_no_feeds(self) -> None:
        """A valid OPML with an empty body gives an empty list."""
        assert read_opml(b'<opml version="2.0"><head/><body/></opml>') == []

    def test_non_ascii_titles(self) -> None:
        """Titles in other scripts and encodings are decoded as declared."""
        data = ('<?xml version="1.0" encoding="ISO-8859-1"?><opml><body>'
                '<outline text="Le Quotidien - été" xmlUrl="https://q.example/rss"/></body></opml>').encode("iso-8859-1")
        assert read_opml(data) == [Subscription("https://q.example/rss", "Le Quotidien - été")]

    @pytest.mark.parametrize(
        "data",
        [b"", b"not xml at all", b"<opml><body><outline xmlUrl='x'", b"\xff\xfe<opml/>"],
    )
    def test_malformed(self, data: bytes) -> None:
        """Bytes that are not well-formed XML raise OPMLError."""
        with pytest.raises(OPMLError, match="not a valid OPML file"):
            read_opml(data)

    def test_not_opml_root(self) -> None:
        """Well-formed XML whose root is not <opml> (an RSS feed given by mistake) raises OPMLError."""
        with pytest.raises(OPMLError, match=r"root element is <rss>"):
            read_opml(b'<rss version="2.0"><channel><title>x</title></channel></rss>')

    def test_opml_error_is_value_error(self) -> None:
        """Callers that catch ValueError (the CLI) also catch OPMLError."""
        assert issubclass(OPMLError, ValueError)

    def test_entity_expansion_refused(self) -> None:
        """A document declaring entities (billion laughs) is refused before any expansion."""
        bomb = b"""<?xml version="1.0"?>
<!DOCTYPE opml [
  <!ENTITY a "aaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<opml version="2.0"><body><outline text="&c;" xmlUrl="https://x.example/rss"/></body></opml>"""
        with pytest.raises(OPMLError, match="EntitiesForbidden"):
            read_opml(bomb)

    def test_external_entity_refused(self) -> None:
        """An external entity (XXE reading a local file) is refused."""
        xxe = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline text="&secret;" xmlUrl="https://x.example/rss"/></body></opml>"""
        with pytest.raises(OPMLError):
            read_opml(xxe)


class TestWriteOpml:
    """write_opml: an OPML 2.0 document others can import."""

    def test_document_shape(self) -> None:
        """The output is OPML 2.0 with an XML declaration, a head title and one rss outline per feed."""
        text = write_opml([Subscription("https://a.example/rss", "A"), Subscription("https://b.example/feed")])
        assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
        assert "<title>wirefeed subscriptions</title>" in text
        assert text.count("<outline ") == 2
        assert 'type="rss"' in text
        assert text.endswith("\n")

    def test_untitled_feed_uses_url_as_text(self) -> None:
        """A feed without a title gets its URL as the required text attribute and no title."""
        text = write_opml([Subscription("https://b.example/feed")])
        assert 'text="https://b.example/feed"' in text
        assert "title=" not in text.split("<body>")[1]

    def test_round_trip(self) -> None:
        """Writing then reading gives the same subscriptions, special characters included."""
        subs = [
            Subscription("https://alpha.example/rss?a=1&b=2", 'Alpha & "Co" <news>'),
            Subscription("https://beta.example/feed.xml", "Bêta, l'actualité"),
            Subscription("https://gamma.example/rss", None),
        ]
        back = read_opml(write_opml(subs).encode("utf-8"))
        assert [s.url for s in back] == [s.url for s in subs]
        assert back[0].title == 'Alpha & "Co" <news>'
        assert back[1].title == "Bêta, l'actualité"
        assert back[2].title == "https://gamma.example/rss"  # text stands in for a missing title

    def test_empty_list(self) -> None:
        """No subscriptions still make a valid OPML document that reads back empty."""
        assert read_opml(write_opml([]).encode("utf-8")) == []
