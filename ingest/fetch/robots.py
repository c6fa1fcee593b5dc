"""robots.txt for article pages: fetched once per host and pass, cached, obeyed for our User-Agent."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import unquote, urlparse, urlsplit
from urllib.robotparser import RobotFileParser

from ingest.errors import FetchError, HTTPStatusError, RobotsDisallowed, TooLarge
from ingest.fetch.client import Fetcher

# RobotFileParser reads these with str.isdigit() then int(), so `Crawl-delay: ²` or a 5,000-digit delay
# (past Python's int conversion limit) raises ValueError; we use neither, so they are dropped before parsing.
_NUMERIC_FIELD = re.compile(r"\s*(crawl-delay|request-rate)\s*:", re.IGNORECASE)


def _readable_rule(line: str) -> bool:
    """Whether RobotFileParser can take an Allow/Disallow line: it runs urlparse on the value, which raises
    on an unbalanced `[` after `//` (`Disallow: //[x`); any other line is left to it."""
    key, colon, value = line.split("#", 1)[0].strip().partition(":")
    if not colon or key.strip().lower() not in ("allow", "disallow"):
        return True
    try:
        urlparse(unquote(value.strip()))
    except ValueError:
        return False
    return True


def robots_lines(text: str) -> list[str]:
    """The lines of a robots.txt that RobotFileParser can read without raising (the others are dropped alone)."""
    return [line for line in text.splitlines() if not _NUMERIC_FIELD.match(line) and _readable_rule(line)]


class RobotsCache:
    """Per-host robots.txt rules; an unreachable robots.txt allows everything, a 401/403 forbids it, and so
    does one over `[fetch] max_bytes`: its rules cannot be read, and reading none would allow what they forbid."""

    def __init__(self, fetcher: Fetcher, *, enabled: bool = True) -> None:
        self.fetcher = fetcher
        self.enabled = enabled
        self._rules: dict[str, RobotFileParser] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def check(self, url: str) -> None:
        """Raise RobotsDisallowed when robots.txt forbids this URL to our User-Agent."""
        if not self.enabled:
            return
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        rules = await self._rules_for(origin)
        if not rules.can_fetch(self.fetcher.settings.user_agent, url):
            raise RobotsDisallowed(url, "robots.txt disallows this page")

    async def _rules_for(self, origin: str) -> RobotFileParser:
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            if origin in self._rules:
                return self._rules[origin]
            parser = RobotFileParser(f"{origin}/robots.txt")
            try:
                response = await self.fetcher.get(f"{origin}/robots.txt", accept="text/plain")
                parser.parse(robots_lines(response.body.decode("utf-8", errors="replace")))
            except HTTPStatusError as exc:
                if exc.status in (401, 403):
                    parser.disallow_all = True  # type: ignore[attr-defined]  # undocumented but stable since 3.0
                else:
                    parser.allow_all = True  # type: ignore[attr-defined]
            except TooLarge:
                parser.disallow_all = True  # type: ignore[attr-defined]
            except FetchError:
                parser.allow_all = True  # type: ignore[attr-defined]
            self._rules[origin] = parser
            return parser
