"""Polling policy: when to poll a feed next, how to back off, when to give up. Pure functions."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from config.settings import ScheduleSettings


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the policy needs to know about a feed."""

    interval: int | None  # the operator's override, seconds
    error_count: int
    failing_since: datetime | None


@dataclass(frozen=True, slots=True)
class Plan:
    """The policy's answer: the next poll, the new failure bookkeeping, and whether to disable the feed."""

    next_fetch_at: datetime
    error_count: int
    failing_since: datetime | None
    disable_reason: str | None = None


def after_success(
    state: FeedState, settings: ScheduleSettings, now: datetime, *, hinted_interval: int | None = None
) -> Plan:
    """Schedule the next poll after a good fetch: the operator's interval, else the feed's hint or the default."""
    interval = state.interval or settings.default_interval
    if state.interval is None and hinted_interval:
        interval = max(interval, hinted_interval)
    interval = state.interval or min(max(interval, settings.min_interval), settings.max_interval)
    # Jitter spreads feeds that were added together so they do not keep firing together.
    return Plan(now + timedelta(seconds=interval * random.uniform(0.95, 1.05)), 0, None)


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
    next_at = max(now + timedelta(seconds=backoff), retry_after or now)
    reason = None
    if status == 410:
        reason = "HTTP 410 Gone"
    elif failing_since is not None and now - failing_since >= timedelta(days=settings.disable_after_days):
        reason = f"failing for {settings.disable_after_days:g} days: {error}"
    return Plan(next_at, count, failing_since, reason)
