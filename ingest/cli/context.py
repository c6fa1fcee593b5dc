"""What every command shares: the `App` context, the usage error, argument types and output helpers.

The command modules import from here and `app` imports the command modules, so nothing imports `app`
back (no import cycle).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from config.settings import MAX_INTERVAL, Settings, load_settings
from ingest import dates
from ingest.errors import WirefeedError
from ingest.logs import configure_logging
from ingest.urls import mask_secrets
from store.db import Store

DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MIN_INTERVAL = 10


class UsageError(WirefeedError):
    """Bad command-line input: reported in one line, exit status 2."""

    kind = "usage"


class FileAccessError(WirefeedError):
    """A file named on the command line exists but cannot be read or written (permissions, a full disk)."""

    kind = "file"


def read_file(path: Path) -> bytes:
    """The bytes of a file named on the command line; a missing one is a usage error."""
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FileAccessError(f"cannot read {path}: {exc.strerror or exc}") from exc


# Argument types ------------------------------------------------------------------------------------


def parse_duration(value: str) -> timedelta:
    """'90s', '15m', '24h', '7d', '2w' -> timedelta."""
    match = DURATION.match(value)
    if not match:
        raise argparse.ArgumentTypeError(f"not a duration: {value!r} (use e.g. 90s, 15m, 24h, 7d, 2w)")
    return timedelta(seconds=float(match.group(1)) * UNITS[match.group(2)])


def feed_url(value: str) -> str:
    """A URL to subscribe to: http(s) with a host, surrounding whitespace dropped."""
    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise argparse.ArgumentTypeError(f"not an http(s) URL: {value!r}")
    return url


def poll_interval(value: str) -> int:
    """--interval: whole seconds, at least MIN_INTERVAL (the floor [schedule] intervals have too)."""
    try:
        seconds = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if seconds < MIN_INTERVAL:
        raise argparse.ArgumentTypeError(f"must be at least {MIN_INTERVAL} seconds, got {seconds}")
    if seconds > MAX_INTERVAL:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_INTERVAL} seconds (30 days), got {seconds}")
    return seconds


# Output --------------------------------------------------------------------------------------------


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with a UTC offset, or None."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return iso(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dump_json(value: object) -> str:
    """Compact, UTF-8, ISO dates."""
    return json.dumps(value, ensure_ascii=False, default=_json_default)


@contextmanager
def output(path: str | None) -> Iterator[IO[str]]:
    """stdout, or a file written in full or not at all (temp file, then rename)."""
    if path is None or path == "-":
        yield sys.stdout
        return
    target = Path(path)
    if not target.parent.is_dir():
        raise UsageError(f"cannot write {target}: directory {target.parent} does not exist")
    tmp = target.with_name(f".{target.name}.partial")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            yield handle
        tmp.replace(target)
    except OSError as exc:  # the body only writes rows: an OSError here is the file's
        raise FileAccessError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def report_error(message: str, status: int) -> int:
    """Report an error that stops the run: one line on stderr, credentials masked; returns the status."""
    lines = message.strip().splitlines()
    print(f"wirefeed: error: {mask_secrets(lines[0] if lines else message)}", file=sys.stderr)
    return status


# The context ---------------------------------------------------------------------------------------


class App:
    """What every command needs: settings, and the store opened on demand."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.settings: Settings = load_settings(args.config, args.db)
        dates.configure(self.settings.dates.earliest, self.settings.dates.max_ahead_days)
        fmt = args.log_format or self.settings.log.format
        configure_logging(fmt, "debug" if args.verbose else self.settings.log.level)
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        """The store, its schema created or upgraded on first use."""
        if self._store is None:
            self._store = Store(self.settings.database.url)
        return self._store

    def close(self) -> None:
        """Release the database."""
        if self._store is not None:
            self._store.close()


Command = Callable[[App], int]


def add_command(sub: Any, name: str, func: Command, help_text: str, example: str) -> argparse.ArgumentParser:
    """Register one subcommand: its help, a description ending in an example, and the function it runs."""
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help_text,
        description=f"{help_text}\n\nexample:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=func)
    return parser
