"""Adversarial feeds: character references to no character, in one item of an otherwise healthy feed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.feeds.parse import parse_feed
from tests.cli_process import in_process as wirefeed
from tests.cli_process import isolate
from tests.world import HostedWorld, page

FERRY = [
    "The harbour authority said on Monday that the new ferry terminal would open in spring after two years of "
    "building work and delays at the east quay.",
    "Officials expect the terminal to handle two million passengers a year, doubling the capacity of the old "
    "building that has served the island routes since 1974.",
]


def feed(first_title: bytes, link: str = "http://a.example/1", second: str = "http://a.example/2") -> bytes:
    """An RSS feed of two items, the first titled with the given (raw) bytes."""
    return (b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>F</title>'
            b"<item><title>" + first_title + b"</title><link>" + link.encode() + b"</link><guid>g1</guid></item>"
            b"<item><title>Ferry</title><link>" + second.encode() + b"</link><guid>g2</guid></item></channel></rss>")


class TestCharacterReferences:
    """`&#...;` to a surrogate or past U+10FFFF: feedparser raised, and the whole feed failed."""

    @pytest.mark.parametrize("ref", [b"&#xD800;", b"&#55296;", b"&#xDFFF;", b"&#x110000;", b"&#1114112;",
                                     b"&#99999999999999999999999;"])
    def test_read_as_replacement_character_and_flagged(self, ref: bytes) -> None:
        """The reference reads as U+FFFD; both items come out and the feed is flagged malformed."""
        parsed = parse_feed("http://a.example/feed", feed(b"a" + ref + b"b"), {})
        assert [item.title for item in parsed.items] == ["a\ufffdb", "Ferry"]
        assert parsed.malformed is not None
        assert parsed.malformed.startswith("character references to no character")

    @given(st.integers(min_value=0, max_value=2**80), st.booleans(), st.integers(min_value=0, max_value=3))
    @settings(max_examples=150, deadline=None)
    def test_any_number_keeps_both_items(self, value: int, hexadecimal: bool, zeros: int) -> None:
        """Whatever the number (with leading zeros), both items are read; a real character is kept as itself."""
        digits = f"x{'0' * zeros}{value:X}" if hexadecimal else "0" * zeros + str(value)
        parsed = parse_feed("http://a.example/feed", feed(b"a&#" + digits.encode() + b";b"), {})
        assert [item.link for item in parsed.items] == ["http://a.example/1", "http://a.example/2"]
        title = parsed.items[0].title or ""
        if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
            assert "\ufffd" in title
        elif value >= 0x20 and chr(value).isprintable() and value not in (0xFFFE, 0xFFFF):
            assert chr(value) in title


@pytest.fixture
def world() -> Iterator[HostedWorld]:
    """One outlet on a loopback address of its own."""
    with HostedWorld(ferry="127.93.0.1") as w:
        yield w


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No WIREFEED_* variable from the shell, loopback allowed, a scratch working directory."""
    isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("WIREFEED_FETCH__ALLOWED_NETWORKS", '["127.93.0.0/16"]')
    monkeypatch.setenv("WIREFEED_FETCH__PER_HOST_DELAY", "0")
    monkeypatch.setenv("WIREFEED_EXTRACT__WORKERS", "1")


class TestIngest:
    """`wirefeed ingest` of a feed with one such item beside a healthy one."""

    def test_the_healthy_item_is_stored(self, world: HostedWorld, tmp_path: Path) -> None:
        """The feed is read (it failed as parse_error before) and the healthy item's article stored."""
        outlet = world["ferry"]
        outlet.static("/ferry.html", page("Ferry terminal to open", FERRY))
        body = feed(b"Broken &#xD800; title", outlet.url("/missing.html"), outlet.url("/ferry.html"))
        outlet.static("/feed.xml", body, "application/rss+xml")
        db = f"sqlite:///{tmp_path}/i.db"
        assert wirefeed("--db", db, "feeds", "add", "--no-discover", outlet.url("/feed.xml")).code == 0
        result = wirefeed("--db", db, "ingest")
        assert result.code == 0, result.err
        listed = json.loads(wirefeed("--db", db, "feeds", "list", "--json").out)
        assert [f["last_error"].split(":")[0] for f in listed] == ["malformed feed, recovered"]
        exported = [json.loads(line) for line in wirefeed("--db", db, "export").out.splitlines()]
        assert [a["url"] for a in exported] == [outlet.url("/ferry.html")]
