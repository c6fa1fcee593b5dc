"""Tests for ingest.dates: the one date rule never raises and keeps only plausible dates."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest import dates

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _default_rule() -> Iterator[None]:
    """Every test starts and ends with the default rule (it is process-wide)."""
    dates.configure(date(1990, 1, 1), 2)
    yield
    dates.configure(date(1990, 1, 1), 2)


def within_rule(value: datetime | None) -> bool:
    """Tell whether a result is None or an aware UTC datetime inside the default bounds at NOW."""
    return value is None or (value.utcoffset() == timedelta(0) and EARLIEST <= value <= NOW + timedelta(days=2))


# Date-like text from every corner of the datetime range, with offsets up to a day either way.
offsets = st.integers(min_value=-24 * 60 + 1, max_value=24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
any_datetime = st.datetimes(min_value=datetime.min, max_value=datetime.max, timezones=st.one_of(st.none(), offsets))
date_text = st.one_of(
    any_datetime.map(datetime.isoformat),
    any_datetime.map(lambda d: d.isoformat(sep=" ")),
    any_datetime.map(lambda d: d.strftime("%a, %d %b %Y %H:%M:%S ") + (d.strftime("%z") or "+0000")),
    st.from_regex(
        r"\A[+-]?\d{1,6}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{1,2}(:\d{1,2}(\.\d{1,9})?)?)?([+-]\d{1,4}(:\d\d)?|Z)?\Z"
    ),
    st.from_regex(r"\A\w{3}, \d{1,2} \w{3} \d{1,6} \d{1,2}:\d{1,2}:\d{1,2} ([+-]\d{1,6}|\w{1,5})\Z"),
)


class TestParseDatetime:
    """parse_datetime."""

    @given(st.text())
    def test_arbitrary_text_never_raises(self, text: str) -> None:
        """Any unicode text gives None or a date within the rule's bounds."""
        assert within_rule(dates.parse_datetime(text, now=NOW))

    @given(date_text)
    def test_date_like_text_never_raises(self, text: str) -> None:
        """ISO 8601 and RFC 2822 text from year 1 to 9999, with any offset, gives None or a plausible date."""
        assert within_rule(dates.parse_datetime(text, now=NOW))

    @given(any_datetime, st.booleans())
    def test_a_date_read_is_the_date_written(self, value: datetime, rfc: bool) -> None:
        """A date written in ISO 8601 or RFC 2822 (four-digit year) is read as itself, or ignored."""
        if rfc:
            value = value.replace(microsecond=0)
            zone = value.strftime("%z") or "+0000"
            text = f"{value:%a, %d %b} {value.year:04d} {value:%H:%M:%S} {zone}"
        else:
            text = value.isoformat()
        parsed = dates.parse_datetime(text, now=NOW)
        assert parsed is None or parsed == (value if value.tzinfo else value.replace(tzinfo=UTC))

    @given(st.one_of(st.integers(), st.floats(), st.binary(), st.lists(st.text()), st.none()))
    def test_values_that_are_not_text_are_ignored(self, value: object) -> None:
        """A number, bytes, a list or None (JSON and meta values are untyped) is no date."""
        assert dates.parse_datetime(value, now=NOW) is None  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        "text",
        [
            "0001-01-01",
            "0001-01-01T00:00:00+05:00",  # before year 1 in UTC
            "9999-12-31",
            "9999-12-31T23:59:59-05:00",  # after year 9999 in UTC
            "9999-12-31T23:59:59.999999+00:00",
            "Fri, 31 Dec 9999 23:59:59 -2359",
            "Mon, 01 Jan 0001 00:00:00 +2359",
            "2024-05-01T10:00:00+99:00",  # an offset of 99 hours
            "Wed, 01 May 2024 10:00:00 +9959",
            "+020240-05-01",  # a six-digit year
            "1989-12-31T23:59:59Z",  # before the earliest plausible date
            "2026-12-05T12:00:01Z",  # more than two days ahead
            "",
            "   ",
            "2024-13-45",
            "x" * 10_000,
        ],
    )
    def test_implausible_or_broken_dates_are_none(self, text: str) -> None:
        """Year 1, year 9999, huge offsets, six-digit years and dates outside the bounds are ignored."""
        assert dates.parse_datetime(text, now=NOW) is None

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("2024-05-01T10:00:00+02:00", datetime(2024, 5, 1, 8, tzinfo=UTC)),
            ("2024-05-01 10:00:00", datetime(2024, 5, 1, 10, tzinfo=UTC)),
            ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
            ("Wed, 01 May 2024 10:00:00 GMT", datetime(2024, 5, 1, 10, tzinfo=UTC)),
            ("1990-01-01T00:00:00Z", EARLIEST),
            ("2026-12-04T12:00:00Z", NOW + timedelta(days=2)),
        ],
    )
    def test_plausible_dates_in_utc(self, text: str, expected: datetime) -> None:
        """A plausible date comes back in UTC (no offset means UTC); the bounds themselves are kept."""
        assert dates.parse_datetime(text, now=NOW) == expected


class TestPlausible:
    """plausible."""

    @given(any_datetime)
    def test_any_datetime_never_raises(self, value: datetime) -> None:
        """Every datetime, naive or with any offset, gives None or a date within the bounds."""
        assert within_rule(dates.plausible(value, now=NOW))

    def test_extremes_are_none(self) -> None:
        """The first and last representable instants are not plausible, whatever their offset."""
        east = timezone(timedelta(hours=23))
        assert dates.plausible(datetime.min.replace(tzinfo=east), now=NOW) is None
        assert dates.plausible(datetime.max.replace(tzinfo=timezone(-timedelta(hours=23))), now=NOW) is None
        assert dates.plausible(datetime.min, now=NOW) is None
        assert dates.plausible(datetime.max, now=NOW) is None


class TestFromStructTime:
    """from_struct_time."""

    @given(st.lists(st.one_of(st.integers(), st.floats(), st.text(max_size=3), st.none()), max_size=9).map(tuple))
    def test_arbitrary_tuples_never_raise(self, value: tuple[object, ...]) -> None:
        """Any tuple (feedparser hands over what it parsed) gives None or a plausible date."""
        assert within_rule(dates.from_struct_time(value, now=NOW))

    def test_struct_time_in_utc(self) -> None:
        """A feedparser UTC struct_time becomes an aware UTC datetime."""
        parsed = time.strptime("2024-05-01 10:00:00", "%Y-%m-%d %H:%M:%S")
        assert dates.from_struct_time(parsed, now=NOW) == datetime(2024, 5, 1, 10, tzinfo=UTC)

    def test_year_one_is_none(self) -> None:
        """A struct_time of year 1 is not plausible."""
        assert dates.from_struct_time((1, 1, 1, 0, 0, 0, 0, 1, 0), now=NOW) is None


class TestConfigure:
    """configure and rule."""

    def test_bounds_come_from_the_settings(self) -> None:
        """A configured earliest date and tolerance move both bounds."""
        dates.configure(date(2000, 1, 1), 0.5)
        assert dates.rule().earliest == datetime(2000, 1, 1, tzinfo=UTC)
        assert dates.parse_datetime("1999-06-01", now=NOW) is None
        assert dates.parse_datetime("2026-12-02T23:00:00Z", now=NOW) is not None
        assert dates.parse_datetime("2026-12-03T01:00:00Z", now=NOW) is None

    def test_naive_earliest_datetime_is_utc(self) -> None:
        """An earliest bound given as a naive datetime is taken as UTC."""
        dates.configure(datetime(2001, 1, 1), 2)
        assert dates.rule().earliest == datetime(2001, 1, 1, tzinfo=UTC)
