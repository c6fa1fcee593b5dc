"""URL lists for backfill: one URL per line, or JSONL records {url, [title], [published], [feed]}.

Pure: text in, entries and junk lines out. Blank lines and `#` comments are ignored; anything else that is
not an http(s) URL or a valid record is junk, skipped and counted with its line number.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from ingest.dates import parse_datetime

# C0 and C1 controls and DEL: no client can request them, PostgreSQL cannot store NUL.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")

# Junk lines remembered verbatim for the summary; the rest are only counted.
KEEP_JUNK = 20


@dataclass(frozen=True, slots=True)
class UrlEntry:
    """One page to backfill from a URL list."""

    url: str
    line: int
    title: str | None = None
    published: datetime | None = None
    feed: str | None = None


@dataclass(slots=True)
class JunkLine:
    """A line that is not a URL or a usable record, and why."""

    line: int
    reason: str


@dataclass(slots=True)
class UrlList:
    """The entries of a URL list and its junk lines."""

    entries: list[UrlEntry] = field(default_factory=list)
    junk: int = 0
    junk_lines: list[JunkLine] = field(default_factory=list)

    def reject(self, line: int, reason: str) -> None:
        """Count a junk line (and remember the first few)."""
        self.junk += 1
        if len(self.junk_lines) < KEEP_JUNK:
            self.junk_lines.append(JunkLine(line, reason))


def is_http_url(value: str) -> bool:
    """An absolute http(s) URL with a host, no whitespace and no control character (NUL, DEL, ESC...)."""
    if not value or _CONTROL.search(value) or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises on a malformed port
    except ValueError:  # a malformed port or IPv6 literal
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


# JSON's `\ud800` escapes decode to lone surrogates, which no database, log or URL can carry.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _optional_str(row: dict[str, object], key: str) -> str | None:
    value = row.get(key)
    return _SURROGATE.sub("\ufffd", value).strip() or None if isinstance(value, str) else None


def _record(number: int, text: str, result: UrlList) -> UrlEntry | None:
    try:
        row = json.loads(text)
    except json.JSONDecodeError as exc:
        result.reject(number, f"not JSON: {exc.msg}")
        return None
    except RecursionError:  # `{"url": [[[[...` nested deeper than the parser's recursion allows
        result.reject(number, "not JSON: nested too deeply")
        return None
    except ValueError:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
        result.reject(number, f"a number of more than {sys.get_int_max_str_digits():,} digits")
        return None
    if not isinstance(row, dict):
        result.reject(number, "a JSON line must be an object")
        return None
    url = row.get("url")
    if not isinstance(url, str) or not is_http_url(url.strip()):
        result.reject(number, "no http(s) 'url'")
        return None
    if _SURROGATE.search(url) or _SURROGATE.search(str(row.get("feed") or "")):
        result.reject(number, "a lone surrogate (\\ud800-\\udfff) in a URL")
        return None
    published = None
    if row.get("published") not in (None, ""):
        published = parse_datetime(str(row["published"]))
        if published is None:
            result.reject(number, f"'published' is not a date: {row['published']!r}")
            return None
    feed = _optional_str(row, "feed")
    if feed is not None and not is_http_url(feed):
        result.reject(number, "'feed' is not an http(s) URL")
        return None
    return UrlEntry(url.strip(), number, title=_optional_str(row, "title"), published=published, feed=feed)


def parse_url_list(lines: Iterable[str]) -> UrlList:
    """Read a URL list, plain or JSONL (each line decides for itself: `{` starts a record)."""
    result = UrlList()
    for number, raw in enumerate(lines, 1):
        text = raw.strip().lstrip("\ufeff")
        if not text or text.startswith("#"):
            continue
        if text.startswith("{"):
            entry = _record(number, text, result)
            if entry is not None:
                result.entries.append(entry)
        elif is_http_url(text):
            result.entries.append(UrlEntry(text, number))
        else:
            result.reject(number, "not an http(s) URL")
    return result
