"""Sitemaps for backfill: indexes, news sitemaps, gzipped files and a site's robots.txt `Sitemap:` lines.

`parse_sitemap` is pure (bytes in, entries out, no network, no entity expansion); `crawl_sitemaps` walks
indexes with a fetcher, capped in depth and count, and records each unreadable sitemap without stopping.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element

import structlog
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse

from ingest.dates import parse_datetime
from ingest.errors import FetchError, WirefeedError
from ingest.fetch.client import Fetcher

log = structlog.get_logger("wirefeed.sitemaps")

GZIP_MAGIC = b"\x1f\x8b"
# The sitemap protocol caps a file at 50 MB uncompressed; more than that is a gzip bomb or not a sitemap.
MAX_SITEMAP_BYTES = 50 * 1024 * 1024
MAX_DEPTH = 5
MAX_SITEMAPS = 1000
ACCEPT = "application/xml, text/xml;q=0.9, application/x-gzip;q=0.8, */*;q=0.5"


class SitemapError(WirefeedError):
    """A sitemap could not be read: fetch failure, not XML, not a sitemap, too large or too deep."""

    kind = "sitemap"

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    """One page listed by a sitemap, with the dates and title the sitemap gives."""

    url: str
    lastmod: datetime | None = None
    published: datetime | None = None
    title: str | None = None

    @property
    def date(self) -> datetime | None:
        """The date the --since/--until filter reads: the news publication date, else lastmod."""
        return self.published or self.lastmod


@dataclass(frozen=True, slots=True)
class ChildSitemap:
    """A sitemap listed by a sitemap index."""

    url: str
    lastmod: datetime | None = None


@dataclass(slots=True)
class Sitemap:
    """A parsed sitemap: either an index (children) or a URL set (entries)."""

    url: str
    kind: str  # index, urlset
    entries: list[SitemapEntry] = field(default_factory=list)
    children: list[ChildSitemap] = field(default_factory=list)
    invalid: int = 0  # <loc> values that are not http(s) URLs


def _local(tag: object) -> str:
    """The tag name without its namespace."""
    name = tag if isinstance(tag, str) else ""
    return name.rsplit("}", 1)[-1]


def _child_text(element: object, path: Sequence[str]) -> str | None:
    """The stripped text of the first descendant along local names, or None."""
    current = [element]
    for name in path:
        current = [c for parent in current for c in parent if _local(c.tag) == name]  # type: ignore[attr-defined]
        if not current:
            return None
    text = current[0].text  # type: ignore[attr-defined]
    return text.strip() if isinstance(text, str) and text.strip() else None


def _http_url(value: str | None, base: str) -> str | None:
    if not value:
        return None
    try:
        url = urljoin(base, value)
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced `[` in the host: not a URL anyone can fetch
        return None
    return url if parts.scheme in ("http", "https") and parts.hostname else None


def decompress(url: str, body: bytes) -> bytes:
    """Gunzip a body that starts with the gzip magic bytes (whatever its name), capped in size."""
    if not body.startswith(GZIP_MAGIC):
        return body
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as handle:
            data = handle.read(MAX_SITEMAP_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise SitemapError(url, f"damaged gzip: {exc}") from exc
    if len(data) > MAX_SITEMAP_BYTES:
        raise SitemapError(url, f"larger than {MAX_SITEMAP_BYTES} bytes uncompressed")
    return data


# Blank lines before `<?xml` (a common CMS plugin slip) make expat refuse the whole file; they carry nothing.
_LEADING_SPACE = b" \t\r\n"
_UTF8_BOM = b"\xef\xbb\xbf"


def _trim_leading_space(data: bytes) -> bytes:
    """The document without the whitespace before its first tag (UTF-8 or ASCII-compatible, BOM kept)."""
    bom = _UTF8_BOM if data.startswith(_UTF8_BOM) else b""
    return bom + data[len(bom):].lstrip(_LEADING_SPACE)  # a UTF-16 BOM is no whitespace: left alone


def parse_sitemap(url: str, body: bytes) -> Sitemap:
    """Parse a sitemap or sitemap index (gzipped or not); raise SitemapError when it is neither.

    Streamed: each <url> or <sitemap> is read as it ends and dropped from the tree, so a file of a million
    entries holds its entries, not a million-node tree besides.
    """
    data = _trim_leading_space(decompress(url, body))
    sitemap: Sitemap | None = None
    depth = 0
    try:
        for event, node in iterparse(io.BytesIO(data), events=("start", "end"), forbid_dtd=True,
                                     forbid_entities=True, forbid_external=True):
            if event == "start":
                depth += 1
                if sitemap is None:
                    root = node
                    kind = _local(node.tag)
                    if kind not in ("sitemapindex", "urlset"):
                        raise SitemapError(url, f"not a sitemap (root element <{kind}>)")
                    sitemap = Sitemap(url, "index" if kind == "sitemapindex" else "urlset")
                continue
            depth -= 1
            if depth == 1 and sitemap is not None:
                _read_node(sitemap, node)
                root.clear()
    except DefusedXmlException as exc:
        raise SitemapError(url, f"refused unsafe XML: {type(exc).__name__}") from exc
    except ParseError as exc:
        raise SitemapError(url, f"not well-formed XML: {exc}") from exc
    except LookupError as exc:  # `<?xml encoding="x-nope"?>`: expat asks Python for a codec that does not exist
        raise SitemapError(url, f"not readable XML: {exc}") from exc
    if sitemap is None:  # expat reports an empty document as a ParseError; kept for the type checker
        raise SitemapError(url, "not well-formed XML: no element found")
    return sitemap


def _read_node(sitemap: Sitemap, node: Element) -> None:
    """Add one child of the root to the sitemap: a <sitemap> of an index or a <url> of a URL set."""
    if _local(node.tag) != ("sitemap" if sitemap.kind == "index" else "url"):
        return
    loc = _http_url(_child_text(node, ["loc"]), sitemap.url)
    if loc is None:
        sitemap.invalid += 1
    elif sitemap.kind == "index":
        sitemap.children.append(ChildSitemap(loc, parse_datetime(_child_text(node, ["lastmod"]))))
    else:
        sitemap.entries.append(SitemapEntry(
            loc,
            lastmod=parse_datetime(_child_text(node, ["lastmod"])),
            published=parse_datetime(_child_text(node, ["news", "publication_date"])),
            title=_child_text(node, ["news", "title"]),
        ))


def robots_sitemaps(robots_txt: str, base: str) -> list[str]:
    """The `Sitemap:` URLs of a robots.txt, in order, without repeats."""
    found: list[str] = []
    for line in robots_txt.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "sitemap":
            url = _http_url(value.split("#", 1)[0].strip(), base)
            if url and url not in found:
                found.append(url)
    return found


def is_site_root(url: str) -> bool:
    """A URL with no path (or just /) and no query names a site, whose sitemaps robots.txt lists."""
    try:
        parts = urlsplit(url)
    except ValueError:  # `http://[::1`: no site; the fetch refuses it as an invalid URL, recorded
        return False
    return parts.path in ("", "/") and not parts.query


def _host(url: str) -> str | None:
    """A URL's host, None when it has none or cannot be split."""
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def in_range(when: datetime | None, since: datetime | None, until: datetime | None) -> bool:
    """Whether a date passes the filter; an undated entry is kept (nothing says it is out of range)."""
    if when is None:
        return True
    return not ((since is not None and when < since) or (until is not None and when > until))


@dataclass(slots=True)
class CrawlStats:
    """What a sitemap crawl read, skipped and could not read."""

    sitemaps: int = 0
    entries: int = 0
    out_of_range: int = 0
    invalid_entries: int = 0
    errors: list[SitemapError] = field(default_factory=list)


async def crawl_sitemaps(
    fetcher: Fetcher,
    urls: Sequence[str],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    stats: CrawlStats | None = None,
    max_depth: int = MAX_DEPTH,
    max_sitemaps: int = MAX_SITEMAPS,
) -> AsyncIterator[SitemapEntry]:
    """Yield the in-range pages of sitemaps, depth first in document order; errors go to `stats`."""
    crawler = _Crawler(fetcher, since, until, stats if stats is not None else CrawlStats(), max_depth,
                       max_sitemaps)
    try:
        for given in urls:
            starts = await crawler.from_robots(given) if is_site_root(given) else [given]
            for start in starts:
                # The user named this host; a sitemap robots.txt lists on another host is content, not a choice.
                trusted = _host(start) == _host(given)
                async for entry in crawler.walk(start, 0, trusted=trusted):
                    yield entry
    finally:
        crawler.report_skipped()


@dataclass(slots=True)
class _Crawler:
    fetcher: Fetcher
    since: datetime | None
    until: datetime | None
    stats: CrawlStats
    max_depth: int
    max_sitemaps: int
    seen: set[str] = field(default_factory=set)
    # Sitemaps skipped over a cap, by reason: the first URL and how many. An index of 100,000 children is
    # one error line, not 99,000.
    skipped: dict[str, tuple[str, int]] = field(default_factory=dict)

    def skip(self, url: str, reason: str) -> None:
        """Count a sitemap not read because of a cap."""
        first, count = self.skipped.get(reason, (url, 0))
        self.skipped[reason] = (first, count + 1)

    def report_skipped(self) -> None:
        """One error for each cap that skipped sitemaps, naming the first and the number."""
        for reason, (first, count) in self.skipped.items():
            more = f" (and {count - 1} more)" if count > 1 else ""
            self.stats.errors.append(SitemapError(first, f"{reason}; skipped{more}"))
            log.warning("sitemaps_skipped", reason=reason, first=first, count=count)
        self.skipped.clear()

    async def from_robots(self, root: str) -> list[str]:
        """The sitemaps a site's robots.txt lists, else its /sitemap.xml."""
        robots_url = urljoin(root, "/robots.txt")
        try:
            response = await self.fetcher.get(robots_url, trusted=True, accept="text/plain")
            found = robots_sitemaps(response.body.decode("utf-8", errors="replace"), robots_url)
        except FetchError as exc:
            log.info("robots_sitemaps_unavailable", url=robots_url, error=str(exc))
            found = []
        if not found:
            # The protocol's conventional location, when robots.txt names none.
            found = [urljoin(root, "/sitemap.xml")]
        log.info("robots_sitemaps", site=root, sitemaps=len(found))
        return found

    async def walk(self, url: str, depth: int, *, trusted: bool = False) -> AsyncIterator[SitemapEntry]:
        """Read one sitemap and, for an index, its children; yield in-range entries."""
        stats = self.stats
        if url in self.seen:
            return
        self.seen.add(url)
        if depth > self.max_depth:
            self.skip(url, f"nested deeper than {self.max_depth} sitemap indexes")
            return
        if stats.sitemaps >= self.max_sitemaps:
            self.skip(url, f"more than {self.max_sitemaps} sitemaps")
            return
        stats.sitemaps += 1
        try:
            # A user-given sitemap is trusted like a feed; one an index points at passes the SSRF guard.
            response = await self.fetcher.get(url, trusted=trusted, accept=ACCEPT)
            sitemap = parse_sitemap(response.url, response.body)
        except FetchError as exc:
            stats.errors.append(SitemapError(url, f"{exc.kind}: {exc}"))
            log.warning("sitemap_failed", url=url, kind=exc.kind, error=str(exc))
            return
        except SitemapError as exc:
            stats.errors.append(exc)
            log.warning("sitemap_failed", url=url, kind="invalid", error=exc.reason)
            return
        stats.invalid_entries += sitemap.invalid
        log.info("sitemap_read", url=url, kind=sitemap.kind, entries=len(sitemap.entries),
                 children=len(sitemap.children))
        for child in sitemap.children:
            # A child sitemap last modified before --since lists nothing newer.
            if self.since is not None and child.lastmod is not None and child.lastmod < self.since:
                continue
            async for entry in self.walk(child.url, depth + 1):
                yield entry
        for entry in sitemap.entries:
            stats.entries += 1
            if not in_range(entry.date, self.since, self.until):
                stats.out_of_range += 1
                continue
            yield entry
