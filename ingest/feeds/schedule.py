"""Polling policy: when to poll a feed next, how to back off, when to give up. Pure functions."""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from config.settings import ScheduleSettings

# Items older than this say nothing about how often a feed publishes today.
RATE_WINDOW = timedelta(days=30)
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*\"?([0-9]{1,10})(?![0-9])", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the policy needs to know about a feed."""

    interval: int | None  # the operator's override, seconds
    error_count: int
    failing_since: datetime | None
    key: str = ""  # the feed's URL: spreads feeds that would otherwise fire together


@dataclass(frozen=True, slots=True)
class Plan:
    """The policy's answer: the next poll, the new failure bookkeeping, and whether to disable the feed."""

    next_fetch_at: datetime
    error_count: int
    failing_since: datetime | None
    disable_reason: str | None = None
    interval: int = 0  # the interval chosen, seconds (for logs and `feeds list`)


def observed_interval(published: Sequence[datetime | None], now: datetime) -> int | None:
    """Half the mean gap between the feed's recent publications; None with fewer than two dated items.

    Polling twice per average gap catches a new item within about half a gap, and a feed that posts
    once a day is not polled every five minutes.
    """
    recent = sorted({p for p in published if p is not None and now - RATE_WINDOW <= p <= now + timedelta(hours=1)})
    if len(recent) < 2:
        return None
    span = (recent[-1] - recent[0]).total_seconds()
    gap = span / (len(recent) - 1)
    # A feed that has gone quiet since its last item is polled less often than its old rhythm says.
    quiet = (now - recent[-1]).total_seconds() / 4
    return int(max(gap / 2, quiet, 1))


def cache_max_age(headers: Mapping[str, str]) -> int | None:
    """Seconds of Cache-Control max-age (or s-maxage), None when absent or no-cache."""
    value = headers.get("cache-control") or ""
    if "no-cache" in value.lower() or "no-store" in value.lower():
        return None
    match = _MAX_AGE.search(value)
    return int(match.group(1)) if match else None


def spread(now: datetime, interval: float, key: str, bounds: tuple[float, float] | None = None) -> datetime:
    """`now + interval`, shifted within +-10% by a fixed fraction of the key, kept within `bounds` (seconds).

    Feeds of one host that were added or failed together get different, stable offsets, so their polls
    drift apart instead of firing in the same tick.
    """
    fraction = (zlib.crc32(key.encode()) % 10_000) / 10_000 if key else random.random()
    seconds = interval * (0.9 + 0.2 * fraction)
    if bounds is not None:
        seconds = min(max(seconds, bounds[0]), bounds[1])
    return now + timedelta(seconds=seconds)


def after_success(
    state: FeedState,
    settings: ScheduleSettings,
    now: datetime,
    *,
    hinted_interval: int | None = None,
    observed: int | None = None,
    max_age: int | None = None,
) -> Plan:
    """Schedule the next poll after a good fetch.

    The operator's interval wins. Otherwise the feed's observed publishing rate (or the default) is
    used, never shorter than what the publisher asks for (`<ttl>`, `sy:updatePeriod`, Cache-Control
    max-age), and bounded by `[schedule] min_interval` and `max_interval`.
    """
    if state.interval:
        return Plan(spread(now, state.interval, state.key), 0, None, interval=state.interval)
    interval = observed or settings.default_interval
    floor = min(max(hinted_interval or 0, max_age or 0, settings.min_interval), settings.max_interval)
    interval = min(max(interval, floor), settings.max_interval)
    # The spread stays within the bounds too: a quiet feed at max_interval was polled up to 10% later.
    return Plan(spread(now, interval, state.key, (floor, settings.max_interval)), 0, None, interval=interval)


def after_failure(
    state: FeedState,
    settings: ScheduleSettings,
    now: datetime,
    *,
    status: int | None,
    retry_after: datetime | None,
    outage: bool,
    error: str,
) -> Plan:
    """Back off exponentially with jitter up to max_interval; honour Retry-After; disable on 410 or long failure.

    During an outage on our side (every feed failing at once) the failure does not count against the feed.
    """
    interval = state.interval or settings.default_interval
    count = state.error_count if outage else state.error_count + 1
    failing_since = state.failing_since if outage else (state.failing_since or now)
    backoff = min(settings.max_interval, interval * 2 ** min(count, 16)) * random.uniform(0.8, 1.2)
    if outage:
        backoff = min(backoff, interval)  # retry soon: nothing is wrong with the feed
    next_at = max(now + timedelta(seconds=backoff), retry_after or now)
    reason = None
    if status == 410:
        reason = "HTTP 410 Gone"
    elif failing_since is not None and now - failing_since >= timedelta(days=settings.disable_after_days):
        reason = f"failing for {settings.disable_after_days:g} days: {error}"
    return Plan(next_at, count, failing_since, reason, interval=int(backoff))


def refetch_unconditionally(key: str, last_fetched: datetime | None, now: datetime, period: int) -> bool:
    """Whether this poll should drop the validators: the first poll of the feed in each `period` seconds.

    Some servers answer 304 although the feed changed; one full fetch a period, compared by body hash,
    catches them. Periods start at a fixed offset per feed, so feeds do not all do it at once, and no
    column of bookkeeping is needed. 0 means never.
    """
    if period <= 0 or last_fetched is None:
        return False
    phase = zlib.crc32(key.encode()) % period
    return (now.timestamp() + phase) // period != (last_fetched.timestamp() + phase) // period
