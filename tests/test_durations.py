"""config.durations: the durations and points in time the command line and the settings take."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.durations import UNITS, duration_seconds, point_in_time

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


class TestDurationSeconds:
    """duration_seconds."""

    @pytest.mark.parametrize(("text", "seconds"), [
        ("90s", 90), ("15m", 900), ("1h30m", 5400), ("24h", 86400), ("7d", 604800), ("2w", 1209600),
        (" 1.5h ", 5400), ("1H", 3600),
    ])
    def test_forms(self, text: str, seconds: float) -> None:
        """Each unit, a compound and a fraction."""
        assert duration_seconds(text) == seconds

    def test_bare_number_only_where_seconds_are_meant(self) -> None:
        """'600' is 600 s for --interval, and not a duration for --since (it could be a year)."""
        assert duration_seconds("600", bare_seconds=True) == 600
        with pytest.raises(ValueError, match="not a duration"):
            duration_seconds("600")

    @given(st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(sorted(UNITS))), min_size=1, max_size=4))
    def test_compound_is_the_sum(self, parts: list[tuple[int, str]]) -> None:
        """Any run of number-unit parts is the sum of its parts (within the century bound)."""
        text = "".join(f"{n}{u}" for n, u in parts)
        expected = sum(n * UNITS[u] for n, u in parts)
        if expected > 100 * 366 * 86400:
            with pytest.raises(ValueError, match="too long"):
                duration_seconds(text)
        else:
            assert duration_seconds(text) == expected

    @given(st.text(max_size=30))
    def test_anything_else_is_a_value_error(self, text: str) -> None:
        """Arbitrary text gives seconds or a ValueError, never another exception."""
        with contextlib.suppress(ValueError):
            assert duration_seconds(text, bare_seconds=True) >= 0


class TestPointInTime:
    """point_in_time."""

    def test_duration_date_and_offset(self) -> None:
        """A duration counts back from now; a date is UTC midnight; an offset is kept."""
        assert point_in_time("24h", NOW) == NOW - timedelta(days=1)
        assert point_in_time("2026-11-20", NOW) == datetime(2026, 11, 20, tzinfo=UTC)
        assert point_in_time("2026-11-20T06:00:00+01:00", NOW) == datetime(2026, 11, 20, 5, tzinfo=UTC)
        assert point_in_time("2026-11-20T06:00:00Z", NOW) == datetime(2026, 11, 20, 6, tzinfo=UTC)

    @given(st.text(max_size=40))
    def test_never_raises_anything_but_value_error(self, text: str) -> None:
        """Arbitrary text is an aware time or a ValueError naming both forms."""
        try:
            moment = point_in_time(text, NOW)
        except ValueError as exc:
            message = str(exc)
        else:
            message = "24h" if moment.tzinfo is not None else "naive"
        assert "24h" in message
