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
from lxml import etree

from ingest.errors import FeedEncodingError, FeedParseError, NotAFeed

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
    """Parse feed bytes; raise NotAFeed for HTML or empty bodies, FeedParseError when nothing is recoverable.

    Well-formed RSS 2.0 and Atom 1.0 take a fast lxml path; anything else (malformed XML, RSS 1.0, odd
    dialects) goes through feedparser, which recovers what it can. Both give the same items.
    """
    if not body.strip():
        raise NotAFeed(url, "empty body")
    if HTML_START.match(body[:4096]):
        raise NotAFeed(url, "the URL returns an HTML page, not a feed")
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    content_type = _content_type(body, response_headers.get("content-type"))
    body, entities = _defuse(body)
    if not entities:
        fast = fast_parse(url, body, content_type)
        if fast is not None:
            return fast
    return _feedparser_parse(url, body, response_headers, content_type, entities)


def _feedparser_parse(
    url: str, body: bytes, response_headers: dict[str, str], content_type: str, entities: bool
) -> ParsedFeed:
    response_headers.setdefault("content-location", url)
    response_headers["content-type"] = content_type
    parsed = feedparser.parse(
        body, response_headers=response_headers, sanitize_html=False, resolve_relative_uris=False
    )
    malformed = None
    if parsed.get("bozo") and not isinstance(parsed.bozo_exception, BENIGN_BOZO):
        malformed = f"{type(parsed.bozo_exception).__name__}: {parsed.bozo_exception}"
    if entities:
        malformed = "entity declarations removed (XXE / entity expansion guard)" + (
            f"; {malformed}" if malformed else "")
    if not parsed.get("version") and not parsed.entries:
        if isinstance(parsed.get("bozo_exception"), feedparser.CharacterEncodingUnknown):
            raise FeedEncodingError(url, f"cannot decode the feed: {parsed.bozo_exception}")
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


def _defuse(body: bytes) -> tuple[bytes, bool]:
    """Remove a DOCTYPE's internal subset when it declares entities; say whether it did.

    Entity declarations are how XXE (external entities) and billion-laughs expansion work, and no
    honest feed needs them. The references left behind make the XML malformed, so feedparser's
    forgiving parser takes over and the feed is flagged.
    """
    head = body[:65536]
    start = head.find(b"<!DOCTYPE")
    if start < 0 or b"<!ENTITY" not in body:
        return body, False
    match = _DOCTYPE_SUBSET.search(body, start)
    if match is None:
        return body, False
    return body[: match.start()] + match.group(1) + b">" + body[match.end() :], True


_DOCTYPE_SUBSET = re.compile(rb"(<!DOCTYPE[^\[>]*)\[.*?\]\s*>", re.DOTALL)


# The fast path ------------------------------------------------------------------------------------

ATOM = "{http://www.w3.org/2005/Atom}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
_SY = "{http://purl.org/rss/1.0/modules/syndication/}"
_PROLOG_ENCODING = re.compile(rb"\s*<\?xml[^>]*?encoding\s*=\s*[\"']([\w.:-]+)")
_LATIN1_LABELS = frozenset({"iso-8859-1", "latin-1", "latin1", "iso8859-1", "l1"})
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)


def fast_parse(url: str, body: bytes, content_type: str) -> ParsedFeed | None:
    """Parse well-formed RSS 2.0 or Atom 1.0 with lxml; None when the document needs feedparser."""
    header = _CHARSET.search(content_type)
    prolog = None if header else _PROLOG_ENCODING.match(body[:512])
    encoding = header.group(1) if header else (prolog.group(1).decode("ascii") if prolog else None)
    if encoding is not None and encoding.lower().replace("_", "-") in _LATIN1_LABELS:
        # Read as windows-1252, as browsers and feedparser do: such feeds carry curly quotes and euros.
        encoding = "windows-1252"
    try:
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False,
            remove_comments=True, remove_pis=True, encoding=encoding,
        )
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, LookupError, ValueError):
        return None
    if any(isinstance(node, etree._Entity) for node in root.iter(etree.Entity)):
        return None
    if root.tag == "rss":
        return _fast_rss(url, root)
    if root.tag == f"{ATOM}feed" and not _has_xml_base(root):
        return _fast_atom(url, root)
    return None


def _has_xml_base(root: etree._Element) -> bool:
    key = "{http://www.w3.org/XML/1998/namespace}base"
    return any(key in el.attrib for el in root.iter())


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    return "".join(el.itertext())


def _fast_rss(url: str, root: etree._Element) -> ParsedFeed | None:
    channel = root.find("channel")
    if channel is None:
        return None
    items = []
    for node in channel.iterfind("item"):
        if node.find(f"{ATOM}link") is not None or node.find("source") is not None:
            return None  # feedparser's link and title rules get intricate here
        guid_el = node.find("guid")
        guid = _text(guid_el)
        guid = guid.strip() if guid else None
        link = _text(node.find("link"))
        link = link.strip() if link and link.strip() else None
        if guid_el is not None and guid and guid_el.get("isPermaLink", "true").lower() == "true":
            # feedparser reads a permalink GUID as a URI: resolved against the feed, and the link if none.
            guid = urljoin(url, guid)
            link = link or guid
        summary = _text(node.find("description"))
        if summary is None:
            summary = _text(node.find(f"{_CONTENT}encoded"))
        author = _text(node.find("author"))
        if author is None:
            author = _text(node.find(f"{_DC}creator"))
        published = _date(node.find("pubDate")) or _date(node.find(f"{_DC}date"))
        items.append(_make_item(url, guid=guid, link=link,
                                title=_text(node.find("title")), summary=summary, author=author,
                                published=published))
    ttl = _text(channel.find("ttl"))
    hints = {"ttl": ttl, "sy_updateperiod": _text(channel.find(f"{_SY}updatePeriod")),
             "sy_updatefrequency": _text(channel.find(f"{_SY}updateFrequency"))}
    link = _text(channel.find("link"))
    return ParsedFeed(
        title=_clean(_text(channel.find("title"))),
        site_url=link.strip() if link and link.strip() else None,
        items=tuple(items),
        malformed=None,
        ttl_seconds=_ttl({k: v.strip() for k, v in hints.items() if v is not None}),
    )


def _fast_atom(url: str, root: etree._Element) -> ParsedFeed | None:
    items = []
    for node in root.iterfind(f"{ATOM}entry"):
        if any(el.get("type") == "xhtml" for el in node):
            return None
        guid = _text(node.find(f"{ATOM}id"))
        guid = urljoin(url, guid.strip()) if guid and guid.strip() else None
        summary = _text(node.find(f"{ATOM}summary"))
        if summary is None:
            summary = _text(node.find(f"{ATOM}content"))
        author = None
        author_el = node.find(f"{ATOM}author")
        if author_el is not None:
            name = _text(author_el.find(f"{ATOM}name"))
            email = _text(author_el.find(f"{ATOM}email"))
            author = f"{name} ({email})" if name and email else (name or email)
        published = _date(node.find(f"{ATOM}published")) or _date(node.find(f"{ATOM}updated"))
        items.append(_make_item(url, guid=guid, link=_atom_link(url, node),
                                title=_text(node.find(f"{ATOM}title")), summary=summary, author=author,
                                published=published))
    return ParsedFeed(
        title=_clean(_text(root.find(f"{ATOM}title"))),
        site_url=_atom_link(url, root),
        items=tuple(items),
        malformed=None,
        ttl_seconds=None,
    )


def _atom_link(url: str, node: etree._Element) -> str | None:
    for link in node.iterfind(f"{ATOM}link"):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return urljoin(url, str(link.get("href")).strip())
    return None


def _date(el: etree._Element | None) -> time.struct_time | None:
    text = _text(el)
    if not text or not text.strip():
        return None
    parsed: time.struct_time | None = feedparser.datetimes._parse_date(text.strip())
    return parsed


def _make_item(
    feed_url: str, *, guid: str | None, link: str | None, title: str | None, summary: str | None,
    author: str | None, published: time.struct_time | None,
) -> Item:
    entry = {"id": guid, "link": link, "title": title, "summary": summary, "author": author,
             "published_parsed": published}
    return _item(feed_url, entry)


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
