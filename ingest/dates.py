"""The one date rule for every date that comes from outside: feeds, pages, headers, sitemaps, WARC, JSONL.

A date is kept only when it is plausible: at or after `[dates] earliest` (1990-01-01 by default, before
any news site published on the web) and at most `[dates] max_ahead_days` (2) after now. Anything else,
unparseable text included, is `None`, and the caller falls back to its next source (page metadata ->
feed item -> fetched time). Parsing never raises: real pages carry `0001-01-01`, `9999-12-31`, offsets
of 99 hours and years with six digits.

The rule is process-wide (set once from the settings by the CLI and in each extraction worker), because
the pure parsers it serves take `(url, bytes, headers)` and nothing else.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

_ISO_SPACE = re.compile(r"\d{4}-\d\d-\d\d \d")
# A year written with leading zeros ("0001", "0024"): email.utils would read it as 2001 or 2024 (its rule
# for two-digit years looks at the value, not the digits). Offsets (+0000) and times (00:00) are not years.
_ZERO_PADDED_YEAR = re.compile(r"(?<![\d+\-:.])0\d{2,}(?![\d:])")


@dataclass(frozen=True, slots=True)
class DateRule:
    """The bounds of a plausible date."""

    earliest: datetime = datetime(1990, 1, 1, tzinfo=UTC)
    max_ahead: timedelta = timedelta(days=2)

    def latest(self, now: datetime | None = None) -> datetime:
        """The latest plausible instant: now plus the tolerance for clocks and time zones ahead of ours."""
        return (now or datetime.now(UTC)) + self.max_ahead


_rule = DateRule()


def configure(earliest: date | datetime, max_ahead_days: float) -> None:
    """Set the process-wide rule (from `[dates]` in the settings)."""
    global _rule  # noqa: PLW0603 - one rule per process, set at start-up, read by pure parsers
    if not isinstance(earliest, datetime):
        earliest = datetime(earliest.year, earliest.month, earliest.day, tzinfo=UTC)
    elif earliest.tzinfo is None:
        earliest = earliest.replace(tzinfo=UTC)
    _rule = DateRule(earliest=earliest, max_ahead=timedelta(days=max_ahead_days))


def rule() -> DateRule:
    """The process-wide rule in force."""
    return _rule


def plausible(value: datetime | None, *, now: datetime | None = None) -> datetime | None:
    """Return `value` in UTC when it lies within the rule's bounds, else None (a naive value is UTC)."""
    if value is None:
        return None
    try:
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 minus an offset, year 9999 plus one
        return None
    if value < _rule.earliest or value > _rule.latest(now):
        return None
    return value


def parse_datetime(value: str | None, *, now: datetime | None = None) -> datetime | None:
    """Parse an ISO 8601 or RFC 2822 date and keep it only when plausible; a date without offset is UTC."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 64:
        return None
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1) if _ISO_SPACE.match(text) else text)
    except (ValueError, OverflowError):
        if _ZERO_PADDED_YEAR.search(text):
            return None
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return plausible(parsed, now=now)


def from_struct_time(value: object, *, now: datetime | None = None) -> datetime | None:
    """A feedparser `*_parsed` value (UTC `time.struct_time`) as a plausible datetime, else None."""
    if not isinstance(value, time.struct_time | tuple):
        return None
    try:
        year, month, day, hour, minute, second = (int(v) for v in value[:6])
        return plausible(datetime(year, month, day, hour, minute, second, tzinfo=UTC), now=now)
    except (TypeError, ValueError, OverflowError):
        return None
