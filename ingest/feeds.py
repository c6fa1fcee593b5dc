"""Feed parsing: bytes and headers in, a ParsedFeed out (feedparser never sees a URL or a path)."""

from __future__ import annotations

import calendar
import hashlib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

import feedparser
import lxml.html

from ingest.errors import FeedParseError, NotAFeed

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")
# feedparser flags these but recovers fully: a missing XML content type, a charset the HTTP header overrides.
BENIGN_BOZO = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)
HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class Item:
    """One entry of a feed."""

    guid: str
    link: str | None
    title: str | None
    summary: str | None
    author: str | None
    published: datetime | None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What a feed says: its title, site, entries and polling hints."""

    title: str | None
    site_url: str | None
    items: tuple[Item, ...]
    malformed: str | None  # feedparser's complaint when it had to recover
    ttl_seconds: int | None


def parse_feed(url: str, body: bytes, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """Parse feed bytes; raise NotAFeed for HTML or empty bodies, FeedParseError when nothing is recoverable."""
    if not body.strip():
        raise NotAFeed(url, "empty body")
    if HTML_START.match(body[:4096]):
        raise NotAFeed(url, "the URL returns an HTML page, not a feed")
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    response_headers.setdefault("content-location", url)
    response_headers["content-type"] = _content_type(body, response_headers.get("content-type"))
    parsed = feedparser.parse(
        body, response_headers=response_headers, sanitize_html=False, resolve_relative_uris=False
    )
    malformed = None
    if parsed.get("bozo") and not isinstance(parsed.bozo_exception, BENIGN_BOZO):
        malformed = f"{type(parsed.bozo_exception).__name__}: {parsed.bozo_exception}"
    if not parsed.get("version") and not parsed.entries:
        raise FeedParseError(url, malformed or "not a recognisable RSS or Atom document")
    feed = parsed.feed
    items = tuple(_item(url, entry) for entry in parsed.entries)
    return ParsedFeed(
        title=_clean(feed.get("title")),
        site_url=feed.get("link"),
        items=items,
        malformed=malformed,
        ttl_seconds=_ttl(feed),
    )


def _content_type(body: bytes, declared: str | None) -> str:
    """The content type feedparser should trust: the server's charset, else UTF-8 when the bytes prove it.

    Bytes that decode as UTF-8 and contain multi-byte sequences are UTF-8 whatever the XML prolog says
    (a windows-1252 prolog over UTF-8 bytes is a common publisher mistake); a legacy-encoded body
    almost never decodes as valid UTF-8 by chance.
    """
    if declared and "charset=" in declared.lower():
        return declared
    base = declared.split(";")[0].strip() if declared else "application/xml"
    if not body.isascii():
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return base
        return f"{base}; charset=utf-8"
    return base


def _item(feed_url: str, entry: Mapping[str, object]) -> Item:
    link = entry.get("link")
    link = urljoin(feed_url, str(link).strip()) if link else None
    title = _clean(entry.get("title"))
    summary = _clean(entry.get("summary"))
    guid = entry.get("id") or link
    if not guid:
        digest = hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()[:32]
        guid = f"sha256:{digest}"
    return Item(
        guid=str(guid).strip(),
        link=link,
        title=title,
        summary=summary,
        author=_clean(entry.get("author")),
        published=_when(entry.get("published_parsed") or entry.get("updated_parsed")),
    )


def _when(value: object) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError):
        return None


def _clean(value: object) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _ttl(feed: Mapping[str, object]) -> int | None:
    ttl = feed.get("ttl")
    if isinstance(ttl, str) and ttl.strip().isdigit():
        return int(ttl) * 60
    period = feed.get("sy_updateperiod")
    seconds = {"hourly": 3600, "daily": 86400, "weekly": 604800, "monthly": 2592000, "yearly": 31536000}
    if isinstance(period, str) and period.strip() in seconds:
        frequency = feed.get("sy_updatefrequency")
        freq = int(frequency) if isinstance(frequency, str) and frequency.strip().isdigit() else 1
        return seconds[period.strip()] // max(freq, 1)
    return None


def discover_feeds(html: bytes, base_url: str) -> list[str]:
    """Feed URLs announced by an HTML page's <link rel="alternate"> elements, in page order."""
    try:
        doc = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    found: list[str] = []
    for link in doc.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        href = link.get("href")
        if "alternate" in rel and kind in FEED_TYPES and href:
            absolute = urljoin(base_url, href.strip())
            if absolute not in found:
                found.append(absolute)
    return found
