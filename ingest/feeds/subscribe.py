"""Resolving what a user gives `feeds add`: a feed URL as is, or a home page whose feed is discovered."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from config.settings import FetchSettings
from ingest.errors import FeedError, FetchError, InvalidURL
from ingest.feeds.parse import HTML_START, discover_feeds, parse_feed
from ingest.fetch.client import Fetcher, check_url


async def resolve_feed_urls(
    urls: Sequence[str], settings: FetchSettings, *, discover: bool = True
) -> list[tuple[str, str, str | None]]:
    """(given URL, URL to subscribe, note) for each URL; unreachable URLs are kept as given, with a note."""
    if not discover:
        return [(url, url, None) for url in urls]
    async with Fetcher(settings) as fetcher:
        return list(await asyncio.gather(*(_resolve(fetcher, url) for url in urls)))


async def _resolve(fetcher: Fetcher, url: str) -> tuple[str, str, str | None]:
    try:
        response = await fetcher.get(url, trusted=True)
    except FetchError as exc:
        return url, url, f"not checked: {exc}"
    except ValueError as exc:  # httpx refuses some URLs urlsplit accepted; this URL alone is unchecked
        return url, url, f"not checked: {exc}"
    if not HTML_START.match(response.body[:4096]):
        try:
            parse_feed(response.url, response.body, response.headers)
        except FeedError as exc:
            return url, url, f"warning: {exc}"
        return url, url, None
    found = [feed for feed in discover_feeds(response.body, response.url) if _requestable(feed)]
    if not found:
        return url, url, "warning: an HTML page that announces no feed"
    return url, found[0], f"discovered from the page's <link rel=alternate>; {len(found)} feed(s) announced"


def _requestable(url: str) -> bool:
    """Whether a polled feed could ever fetch the URL (a page may announce `javascript:`, `http://xn--/`)."""
    try:
        check_url(url)
    except InvalidURL:
        return False
    return True
