"""The polling policy: adaptive intervals, publisher hints, backoff, disabling, outages, spreading."""

from __future__ import annotations

import argparse
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from config.settings import ScheduleSettings
from ingest.cli.app import poll_interval
from ingest.feeds import schedule
from ingest.feeds.schedule import FeedState, cache_max_age

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SETTINGS = ScheduleSettings(default_interval=900, min_interval=300, max_interval=86400, disable_after_days=14)


def seconds(plan: schedule.Plan) -> float:
    return (plan.next_fetch_at - NOW).total_seconds()


class TestObservedInterval:
    """The publishing rate read from item dates."""

    def test_hourly_feed(self) -> None:
        """Items an hour apart, the last one just now: poll every half hour."""
        dates = [NOW - timedelta(hours=h) for h in range(10)]
        assert schedule.observed_interval(dates, NOW) == 1800

    def test_quiet_feed_slows_down(self) -> None:
        """A feed whose last item is four days old is polled about daily, whatever its old rhythm."""
        dates = [NOW - timedelta(days=4, hours=h) for h in range(10)]
        assert schedule.observed_interval(dates, NOW) == 86400

    def test_too_little_to_say(self) -> None:
        """Fewer than two dated recent items say nothing; future and ancient dates are ignored."""
        assert schedule.observed_interval([NOW, None], NOW) is None
        assert schedule.observed_interval([NOW + timedelta(days=30), NOW - timedelta(days=90)], NOW) is None


class TestAfterSuccess:
    """The next poll after a good fetch."""

    def test_bounded_by_min_and_max(self) -> None:
        """A very busy feed is not polled more often than min_interval, a dead one at least every max."""
        busy = schedule.after_success(FeedState(None, 0, None, "a"), SETTINGS, NOW, observed=20)
        assert busy.interval == 300
        idle = schedule.after_success(FeedState(None, 0, None, "a"), SETTINGS, NOW, observed=10**7)
        assert idle.interval == 86400

    def test_publisher_hints_are_floors(self) -> None:
        """<ttl>/sy:updatePeriod and Cache-Control max-age lengthen the interval, never shorten it."""
        state = FeedState(None, 0, None, "a")
        assert schedule.after_success(state, SETTINGS, NOW, observed=600, hinted_interval=3600).interval == 3600
        assert schedule.after_success(state, SETTINGS, NOW, observed=600, max_age=7200).interval == 7200
        assert schedule.after_success(state, SETTINGS, NOW, observed=5000, hinted_interval=60).interval == 5000
        assert schedule.after_success(state, SETTINGS, NOW, max_age=10**6).interval == 86400

    def test_operator_interval_wins(self) -> None:
        """`feeds add --interval` overrides rate and hints."""
        plan = schedule.after_success(FeedState(120, 0, None, "a"), SETTINGS, NOW, observed=5000, max_age=9000)
        assert plan.interval == 120

    def test_success_clears_failures(self) -> None:
        """A good fetch resets the error count and the failing-since time."""
        plan = schedule.after_success(FeedState(None, 5, NOW - timedelta(days=2), "a"), SETTINGS, NOW)
        assert (plan.error_count, plan.failing_since) == (0, None)

    def test_feeds_of_one_host_are_spread(self) -> None:
        """Twenty feeds of one host fetched together get twenty distinct next times, within +-10%."""
        times = {
            schedule.after_success(FeedState(None, 0, None, f"https://example.org/feed/{i}"), SETTINGS, NOW)
            .next_fetch_at for i in range(20)
        }
        assert len(times) == 20
        assert all(810 <= (t - NOW).total_seconds() <= 990 for t in times)

    def test_spread_stays_within_the_bounds(self) -> None:
        """Spread or not, the next poll comes no later than max_interval and no sooner than a hint or min_interval.

        A quiet feed at max_interval (86,400 s) was polled up to 95,040 s later (the demo's feeds: 90,011 s).
        """
        for i in range(50):
            key = f"https://example.org/feed/{i}"
            idle = schedule.after_success(FeedState(None, 0, None, key), SETTINGS, NOW, observed=10**7)
            assert seconds(idle) <= 86400
            hinted = schedule.after_success(FeedState(None, 0, None, key), SETTINGS, NOW, observed=60,
                                            hinted_interval=3600)
            assert 3600 <= seconds(hinted) <= 3960
            busy = schedule.after_success(FeedState(None, 0, None, key), SETTINGS, NOW, observed=20)
            assert 300 <= seconds(busy) <= 330

    def test_spread_is_stable_per_feed(self) -> None:
        """The same feed gets the same offset every time."""
        state = FeedState(None, 0, None, "https://example.org/rss")
        assert schedule.after_success(state, SETTINGS, NOW) == schedule.after_success(state, SETTINGS, NOW)


class TestCacheControl:
    """Cache-Control max-age as a polling hint."""

    def test_max_age(self) -> None:
        """max-age and s-maxage are read; no-cache and no-store give nothing."""
        assert schedule.cache_max_age({"cache-control": "public, max-age=600"}) == 600
        assert schedule.cache_max_age({"cache-control": 's-maxage="900"'}) == 900
        assert schedule.cache_max_age({"cache-control": "no-cache, max-age=600"}) is None
        assert schedule.cache_max_age({}) is None


class TestAfterFailure:
    """Backoff, Retry-After, disabling and outages."""

    def fail(self, state: FeedState, *, status: int | None = 500, retry_after: datetime | None = None,
             outage: bool = False, now: datetime = NOW) -> schedule.Plan:
        return schedule.after_failure(state, SETTINGS, now, status=status, retry_after=retry_after,
                                      outage=outage, error="HTTP 500")

    def test_exponential_backoff_capped_at_max_interval(self) -> None:
        """Each failure doubles the wait (with jitter), never beyond max_interval (+20% jitter)."""
        waits = []
        state = FeedState(None, 0, None, "a")
        for _ in range(12):
            plan = self.fail(state)
            waits.append(seconds(plan))
            state = FeedState(None, plan.error_count, plan.failing_since, "a")
        assert 900 * 2 * 0.8 <= waits[0] <= 900 * 2 * 1.2
        assert waits[3] > waits[0] * 4
        assert max(waits) <= 86400 * 1.2
        assert state.error_count == 12

    def test_retry_after_is_honoured(self) -> None:
        """A Retry-After later than the backoff sets the next poll."""
        later = NOW + timedelta(hours=6)
        assert self.fail(FeedState(None, 0, None, "a"), status=503, retry_after=later).next_fetch_at == later

    def test_gone_disables(self) -> None:
        """HTTP 410 disables the feed at once."""
        assert self.fail(FeedState(None, 0, None, "a"), status=410).disable_reason == "HTTP 410 Gone"

    def test_disabled_only_after_the_configured_days(self) -> None:
        """13 days of failure keep the feed; 14 days disable it."""
        assert self.fail(FeedState(None, 40, NOW - timedelta(days=13), "a")).disable_reason is None
        reason = self.fail(FeedState(None, 41, NOW - timedelta(days=14), "a")).disable_reason
        assert reason is not None
        assert "14 days" in reason

    def test_outage_does_not_count(self) -> None:
        """During an outage on our side the count and failing-since stay, and the retry comes soon."""
        plan = self.fail(FeedState(None, 3, None, "a"), status=None, outage=True)
        assert plan.error_count == 3
        assert plan.failing_since is None
        assert seconds(plan) <= 900 * 1.2


class TestUnconditionalRefetch:
    """The occasional poll without validators."""

    def test_once_per_period(self) -> None:
        """Over a day of 15-minute polls, exactly one poll per feed drops its validators."""
        for key in ("https://a.example/rss", "https://b.example/atom", "x"):
            polls = [NOW + timedelta(minutes=15 * i) for i in range(97)]
            flags = [schedule.refetch_unconditionally(key, a, b, 86400) for a, b in itertools.pairwise(polls)]
            assert sum(flags) == 1

    def test_never_when_off_or_first(self) -> None:
        """Period 0 turns it off; a first poll has no validators anyway."""
        assert not schedule.refetch_unconditionally("k", NOW - timedelta(days=9), NOW, 0)
        assert not schedule.refetch_unconditionally("k", None, NOW, 86400)


class TestOutsideNumbers:
    """Numbers in headers and on the command line that would overflow are refused, not raised."""

    def test_huge_max_age_is_ignored(self) -> None:
        """A Cache-Control max-age of 5,000 digits is no max-age (int() would refuse it, the schedule overflow)."""
        assert cache_max_age({"cache-control": "max-age=" + "9" * 5000}) is None
        assert cache_max_age({"cache-control": "public, max-age=600"}) == 600

    def test_huge_interval_on_the_command_line_is_a_usage_error(self) -> None:
        """`feeds add --interval 999999999999` is refused with the bound (it made the schedule overflow)."""
        with pytest.raises(argparse.ArgumentTypeError, match="at most"):
            poll_interval("999999999999")
