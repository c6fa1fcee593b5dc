"""Durations and points in time as people write them: `90s`, `15m`, `1h30m`, `7d`, `2w`, `2026-11-20`.

Pure and light (no pydantic, no SQLAlchemy): the command line parses its arguments with it before anything
heavy is imported, and the settings accept the same durations wherever they take seconds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = r"(\d+(?:\.\d*)?)\s*([smhdw])"
_DURATION = re.compile(rf"^(?:\s*{_PART})+\s*$", re.IGNORECASE)
_PARTS = re.compile(_PART, re.IGNORECASE)
_NUMBER = re.compile(r"^\s*\d+(?:\.\d*)?\s*$")
MAX_SECONDS = 100 * 366 * 86400  # a century: beyond it a timedelta or a schedule overflows somewhere
EXAMPLES = "90s, 15m, 1h30m, 24h, 7d, 2w"


def duration_seconds(text: str, *, bare_seconds: bool = False) -> float:
    """'90s', '15m', '1h30m', '7d', '2w' (and '600' when `bare_seconds`) -> seconds; ValueError otherwise."""
    if bare_seconds and _NUMBER.match(text):
        seconds = float(text)
    elif _DURATION.match(text):
        seconds = sum(float(number) * UNITS[unit.lower()] for number, unit in _PARTS.findall(text))
    else:
        units = "a number of seconds or a duration" if bare_seconds else "a duration"
        raise ValueError(f"not {units}: {text!r} (use e.g. {EXAMPLES})")
    if seconds > MAX_SECONDS:
        raise ValueError(f"duration too long: {text!r} (at most 100 years)")
    return seconds


def point_in_time(text: str, now: datetime) -> datetime:
    """A duration back from `now` ('24h') or an ISO date or time ('2026-11-20', '2026-11-20T06:00+01:00').

    A date or time without an offset is UTC, so a command gives the same rows on every machine.
    """
    try:
        return now - timedelta(seconds=duration_seconds(text))
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"not a duration or a date: {text!r} (use e.g. 24h, 7d, 2026-11-20 or 2026-11-20T06:00:00+01:00)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
