"""Feed parsing: bytes and headers in, a ParsedFeed out (feedparser never sees a URL or a path)."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

import feedparser
import lxml.html
from lxml import etree

from ingest import dates
from ingest.errors import FeedEncodingError, FeedError, FeedParseError, NotAFeed
from ingest.urls import without_userinfo

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")
# feedparser flags these but recovers fully: a missing XML content type, a charset the HTTP header overrides.
BENIGN_BOZO = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)
# A GUID longer than this is kept as a hash of itself: the store holds 2,048 characters and cutting would
# make two long GUIDs one.
MAX_GUID = 1000
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
    dialects, elements whose meaning depends on context) goes through feedparser, which recovers what it
    can. Both give the same items (tests/test_feed_conformance.py). Nothing but a FeedError comes out.
    """
    if not body.strip():
        raise NotAFeed(url, "empty body")
    if HTML_START.match(body[:4096]):
        raise NotAFeed(url, "the URL returns an HTML page, not a feed")
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    content_type = _content_type(body, response_headers.get("content-type"))
    body, entities = _defuse(body)
    if not entities:
        fast = fast_parse(url, body, content_type, response_headers)
        if fast is not None:
            return fast
    try:
        repaired = _no_bad_charrefs(body)
        parsed = _feedparser_parse(url, repaired, response_headers, content_type, entities)
    except FeedError:
        raise
    except Exception as exc:  # any bytes at all come in here; only FeedError goes out
        raise FeedParseError(url, f"feedparser failed: {type(exc).__name__}: {exc}") from exc
    if repaired != body:
        note = "character references to no character (a surrogate, past U+10FFFF) read as U+FFFD"
        return dataclasses.replace(parsed, malformed=f"{note}; {parsed.malformed}" if parsed.malformed else note)
    return parsed


def _feedparser_parse(
    url: str, body: bytes, response_headers: dict[str, str], content_type: str, entities: bool
) -> ParsedFeed:
    response_headers["content-location"] = _base_uri(url, response_headers)
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

_CHARREF = re.compile(rb"&#([xX][0-9a-fA-F]+|[0-9]+);")


def _no_bad_charrefs(body: bytes) -> bytes:
    """Character references to no character (a surrogate `&#xD800;`, past U+10FFFF) as `&#xFFFD;`, as HTML does.

    feedparser's forgiving parser turns each reference into a character and encodes it: one such reference
    in one item raised there and cost the whole feed. (Well-formed XML cannot hold them: the fast path never
    sees one.) Only ASCII-compatible encodings are read for them, as the references themselves are.
    """
    if b"&#" not in body:
        return body
    return _CHARREF.sub(_charref, body)


def _charref(match: re.Match[bytes]) -> bytes:
    """One reference: kept when it names a character (or NUL, which the store drops), else `&#xFFFD;`."""
    digits = match.group(1)
    hexadecimal = digits[:1] in b"xX"
    number = (digits[1:] if hexadecimal else digits).lstrip(b"0") or b"0"
    if len(number) > (6 if hexadecimal else 7):  # past U+10FFFF whatever the digits (and never a huge int)
        return b"&#xFFFD;"
    value = int(number, 16 if hexadecimal else 10)
    return b"&#xFFFD;" if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF else match.group(0)


# The fast path ------------------------------------------------------------------------------------
#
# The fast path reads what feedparser would read, element by element, and declines (returns None) as
# soon as a document leaves the shape it can read exactly. Each element is named as feedparser names it
# (known namespace URI -> feedparser's prefix, else the document's prefix; lower case), so a
# `dc:title`, an `itunes:author` or a bare `<pubDate>` land in the same field in both paths.

ATOM = "{http://www.w3.org/2005/Atom}"
_SY = "{http://purl.org/rss/1.0/modules/syndication/}"
_PROLOG_ENCODING = re.compile(rb"\s*<\?xml[^>]*?encoding\s*=\s*[\"']([\w.:-]+)")
_LATIN1_LABELS = frozenset({"iso-8859-1", "latin-1", "latin1", "iso8859-1", "l1"})
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
# feedparser rebases relative URIs on `xml:base` and on a bare `base` attribute: such documents decline.
_XML_BASE = re.compile(rb"[\s:]base\s*=", re.IGNORECASE)
_FP_PREFIXES = {uri.lower(): prefix for uri, prefix in feedparser.mixin._FeedParserMixin.namespaces.items()}
_FP_HANDLED = frozenset(
    name[len(kind):] for name in dir(feedparser.mixin._FeedParserMixin)
    for kind in ("_start_", "_end_") if name.startswith(kind)
)
_CP1252 = feedparser.html._cp1252
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

# What an entry's child elements mean; every feedparser name is lower case here.
_GROUPS = {
    "title": "title", "dc_title": "title", "media_title": "title",
    "link": "link",
    "guid": "id", "id": "id",
    "description": "summary", "dc_description": "summary", "itunes_summary": "summary", "summary": "summary",
    "abstract": "summary",
    "content_encoded": "content", "content": "content",
    "author": "author", "dc_creator": "author", "dc_author": "author", "itunes_author": "author",
    "pubdate": "published", "published": "published", "issued": "published", "dcterms_issued": "published",
    "dc_date": "updated", "updated": "updated", "modified": "updated", "dcterms_modified": "updated",
}
# Elements feedparser handles without touching link, id, title, summary, author or dates.
_HARMLESS = frozenset({
    "category", "enclosure", "dc_subject", "keywords", "tags", "created", "dcterms_created", "dcterms_valid",
    "expirationdate", "media_content", "media_thumbnail", "media_keywords", "media_category", "media_credit",
    "media_rating", "media_license", "media_restriction", "media_player", "itunes_explicit", "itunes_block",
    "itunes_image", "itunes_keywords", "itunes_subtitle", "itunes_category", "georss_point", "georss_line",
    "georss_polygon", "georss_box", "dc_language", "dc_rights", "dc_publisher", "dc_contributor", "rights",
})
# Children of an Atom person (author, contributor) that feedparser keeps apart from the name and email.
_PERSON = frozenset({"name", "email", "uri", "url"})
# Keys an unknown element would be stored under (feedparser keeps unknown elements by name).
_OUR_KEYS = frozenset({"title", "link", "id", "summary", "author", "published", "updated", "content"})
_DECLINE = "decline"
_IGNORE = "ignore"


class _Decline(Exception):  # a signal inside the fast path, never raised out of it
    """The document needs feedparser."""


def fast_parse(
    url: str, body: bytes, content_type: str, headers: Mapping[str, str] | None = None
) -> ParsedFeed | None:
    """Parse well-formed RSS 2.0 or Atom 1.0 with lxml; None when the document needs feedparser."""
    if _XML_BASE.search(body):
        return None
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
    base = _base_uri(url, headers)
    try:
        if root.tag == "rss":
            return _fast_rss(url, base, root)
        if root.tag == f"{ATOM}feed":
            return _fast_atom(url, base, root)
    except _Decline:
        return None
    return None


def _base_uri(url: str, headers: Mapping[str, str] | None) -> str:
    """The URI relative links resolve against: Content-Location when the server gave one, as in feedparser.

    Without `user:password@`: the credential belongs to the feed's own URL, never to a link or GUID
    resolved against it (`<guid>s1</guid>` would be stored and exported as `http://user:pw@host/s1`).
    """
    location = None
    for name, value in (headers or {}).items():
        if name.lower() == "content-location":
            location = value
    return without_userinfo(url if location is None else location)


def _fp_name(el: etree._Element) -> str:
    """The name feedparser gives an element: its prefix for a known namespace, else the document's."""
    tag = el.tag
    if not isinstance(tag, str):
        raise _Decline
    if tag[0] == "{":
        uri, local = tag[1:].split("}", 1)
        prefix = _FP_PREFIXES.get(uri.lower())
        if prefix is None:
            prefix = el.prefix or ""
        return f"{prefix}_{local}".lower() if prefix else local.lower()
    if ":" in tag:  # an undeclared prefix: feedparser and lxml disagree on what it is
        raise _Decline
    return tag.lower()


def _group(name: str) -> str:
    """Which field a child element feeds, or _IGNORE / _DECLINE."""
    group = _GROUPS.get(name)
    if group is not None:
        return group
    if name in _HARMLESS:
        return _IGNORE
    if name in _FP_HANDLED or name in _OUR_KEYS or name.endswith(("_parsed", "_detail")):
        return _DECLINE
    return _IGNORE


def _children(node: etree._Element) -> dict[str, etree._Element]:
    """An entry's fields by group; declines on duplicates, unknown handlers and nested markup."""
    fields: dict[str, etree._Element] = {}
    for child in node:
        group = _group(_fp_name(child))
        if group == _IGNORE:
            if len(child):
                raise _Decline  # nested elements of any kind: feedparser reads them in context
            continue
        if group == _DECLINE or group in fields:
            raise _Decline
        if len(child) and group != "author":
            raise _Decline
        fields[group] = child
    return fields


def _fp_text(el: etree._Element | None) -> str | None:
    """An element's text as feedparser hands it on: stripped, with windows-1252 code points mapped."""
    if el is None:
        return None
    text = (el.text or "").strip()
    if not text.isascii():
        try:
            if text.encode("iso-8859-1").decode("utf-8") != text:
                raise _Decline  # double-encoded UTF-8: feedparser repairs it only for UTF-8 documents
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
        text = text.translate(_CP1252)
    return text


def _attr(el: etree._Element, name: str) -> str | None:
    """An attribute looked up as feedparser does (names lower case, namespaces ignored)."""
    for key, value in el.attrib.items():
        if str(key).rsplit("}", 1)[-1].lower() == name:
            return str(value)
    return None


def _resolve(base: str, uri: str) -> str:
    resolved: str = feedparser.urls._urljoin(base, uri)
    if not resolved and uri:
        raise _Decline  # not a URL feedparser can join (`http://example.c[o.test/`): it drops it
    return resolved


def _fast_rss(url: str, base: str, root: etree._Element) -> ParsedFeed | None:
    channel = None
    for child in root:
        name = _fp_name(child)
        if name == "channel" and channel is None:
            channel = child
        elif name in {"channel", "item", "entry"}:
            raise _Decline
    if channel is None:
        return None
    items = []
    for node in channel:
        name = _fp_name(node)
        if name in {"entry", "source"} or (name == "item" and node.tag != "item"):
            raise _Decline
        if name == "item":
            items.append(_rss_item(url, base, node))
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


def _rss_item(url: str, base: str, node: etree._Element) -> Item:
    fields = _children(node)
    for group, el in fields.items():
        if el.attrib and not (group == "id" and el.tag == "guid" and list(el.attrib) == ["isPermaLink"]):
            raise _Decline  # type, mode, href...: feedparser reads these attributes
    if "author" in fields and len(fields["author"]):
        raise _Decline
    link_el = fields.get("link")
    link = _fp_text(link_el)
    if link:
        link = _resolve(base, link)
        if "&" in link:  # feedparser's repair of over-escaped query strings
            link = re.sub("&([A-Za-z0-9_]+);", r"&\g<1>", link.replace("&amp;", "&"))
    guid_el = fields.get("id")
    guid = _fp_text(guid_el)
    if guid_el is not None and guid_el.get("isPermaLink", "true") == "true":
        # feedparser reads a permalink GUID as a URI: resolved, and the link when there is no <link>.
        guid = _resolve(base, guid) if guid else guid
        if link_el is None:
            link = guid
    summary = fields.get("summary")
    return _make_item(
        url, guid=guid, link=link, title=_fp_text(fields.get("title")),
        summary=_fp_text(summary if summary is not None else fields.get("content")),
        author=_fp_text(fields.get("author")),
        published=_date(fields.get("published")), updated=_date(fields.get("updated")),
    )


def _fast_atom(url: str, base: str, root: etree._Element) -> ParsedFeed | None:
    items = []
    for node in root:
        name = _fp_name(node)
        if name in {"item", "source"} or (name == "entry" and node.tag != f"{ATOM}entry"):
            raise _Decline
        if name == "entry":
            items.append(_atom_entry(url, base, node))
    return ParsedFeed(
        title=_clean(_text(root.find(f"{ATOM}title"))),
        site_url=_atom_link(base, root),
        items=tuple(items),
        malformed=None,
        ttl_seconds=None,
    )


def _atom_entry(url: str, base: str, node: etree._Element) -> Item:
    fields: dict[str, etree._Element] = {}
    link: str | None = None
    for child in node:
        name = _fp_name(child)
        if name == "link":
            if len(child) or child.get("href") is None or _attr(child, "url") or _attr(child, "uri"):
                raise _Decline
            kind = child.get("type", "text/html").lower()
            if child.get("rel", "alternate").lower() == "alternate" and _MAP_TYPE.get(kind, kind) in _HTML_TYPES:
                link = _resolve(base, str(child.get("href")))  # the last alternate HTML link, as in feedparser
            continue
        group = _group(name)
        if name == "contributor":
            _atom_person(child)
            continue
        if group == _IGNORE:
            if len(child):
                raise _Decline
            continue
        if group == _DECLINE or group in fields or (len(child) and group != "author"):
            raise _Decline
        if group in {"title", "summary", "content"}:
            kind = (child.get("type") or "text").lower()
            if kind not in {"text", "html", "text/plain", "text/html"} or set(child.attrib) - {"type"}:
                raise _Decline  # xhtml, base64, src and other content: feedparser decodes these
        elif child.attrib:
            raise _Decline
        fields[group] = child
    guid = _fp_text(fields.get("id"))
    if guid:
        guid = _resolve(base, guid)
    if link is None and "id" in fields:
        link = guid  # feedparser takes an entry's id as its link when no alternate link names a page
    summary = fields.get("summary")
    return _make_item(
        url, guid=guid, link=link, title=_fp_text(fields.get("title")),
        summary=_fp_text(summary if summary is not None else fields.get("content")),
        author=_atom_author(fields.get("author")),
        published=_date(fields.get("published")), updated=_date(fields.get("updated")),
    )


_MAP_TYPE = {"text": "text/plain", "plain": "text/plain", "html": "text/html", "xhtml": "application/xhtml+xml"}


def _atom_author(el: etree._Element | None) -> str | None:
    """An Atom author as feedparser writes it: 'name (email)', the name, the email, or None."""
    if el is None:
        return None
    parts = _atom_person(el)
    name_, email = parts.get("name"), parts.get("email")
    return f"{name_} ({email})" if name_ and email else (name_ or email)


def _atom_person(el: etree._Element) -> dict[str, str | None]:
    """An Atom person's parts; declines on text outside them, repeated parts or nested markup."""
    if (el.text or "").strip():
        raise _Decline
    parts: dict[str, str | None] = {}
    for child in el:
        name = _fp_name(child)
        if name not in _PERSON or name in parts or len(child) or child.attrib:
            raise _Decline
        parts[name] = _fp_text(child)
    return parts


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    return "".join(el.itertext())


def _atom_link(base: str, node: etree._Element) -> str | None:
    for link in node.iterfind(f"{ATOM}link"):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return _resolve(base, str(link.get("href")).strip())
    return None


def _date(el: etree._Element | None) -> time.struct_time | None:
    text = _fp_text(el)
    if not text:
        return None
    parsed: time.struct_time | None = feedparser.datetimes._parse_date(text)
    return parsed


def _make_item(
    feed_url: str, *, guid: str | None, link: str | None, title: str | None, summary: str | None,
    author: str | None, published: time.struct_time | None, updated: time.struct_time | None,
) -> Item:
    entry = {"id": guid, "link": link, "title": title, "summary": summary, "author": author,
             "published_parsed": published, "updated_parsed": updated}
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
    link = _join(feed_url, entry.get("link"))
    title = _clean(entry.get("title"))
    summary = _clean(entry.get("summary"))
    guid = _guid(str(entry.get("id") or "")) or _guid(link or "")
    if not guid:
        digest = hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()[:32]
        guid = f"sha256:{digest}"
    return Item(
        guid=guid,
        link=link,
        title=title,
        summary=summary,
        author=_clean(entry.get("author")),
        published=dates.from_struct_time(entry.get("published_parsed"))
        or dates.from_struct_time(entry.get("updated_parsed")),
    )


def _guid(value: str) -> str:
    """A GUID as the store keeps it: without NUL characters, and `sha1:<hex>` of itself when over MAX_GUID.

    The same on every poll, so the item is recognised as seen (a 10 KB GUID would otherwise be cut by the
    store and never match again).
    """
    guid = value.replace("\x00", "").strip()
    if len(guid) > MAX_GUID:
        return "sha1:" + hashlib.sha1(guid.encode("utf-8", "surrogatepass")).hexdigest()
    return guid


def _join(feed_url: str, link: object) -> str | None:
    """An item's link made absolute; None when it is not a URL at all (`http://example.c[o.test/x`)."""
    if not link:
        return None
    try:
        return urljoin(without_userinfo(feed_url), str(link).strip()) or None
    except ValueError:
        return None


def _clean(value: object) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _ttl(feed: Mapping[str, object]) -> int | None:
    ttl = _count(feed.get("ttl"))
    if ttl is not None:
        return ttl * 60
    period = feed.get("sy_updateperiod")
    seconds = {"hourly": 3600, "daily": 86400, "weekly": 604800, "monthly": 2592000, "yearly": 31536000}
    if isinstance(period, str) and period.strip() in seconds:
        frequency = _count(feed.get("sy_updatefrequency"))
        return seconds[period.strip()] // max(frequency or 1, 1)
    return None


def _count(value: object) -> int | None:
    """A whole number written in ASCII digits (at most nine), else None.

    str.isdigit() also accepts `²` and `①`, which int() refuses; a 5,000-digit number int() refuses too.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 9 or not text.isascii() or not text.isdigit():
        return None
    return int(text)


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
        href = (link.get("href") or "").strip()  # a blank href would resolve to the page itself
        if "alternate" in rel and kind in FEED_TYPES and href:
            try:
                absolute = urljoin(base_url, href)
            except ValueError:  # `http://[::1/feed`: no URL at all (it raised out of `feeds add`)
                continue
            if absolute not in found:
                found.append(absolute)
    return found
