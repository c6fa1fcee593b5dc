"""What every command shares: the `App` context, the usage error, argument types and output helpers.

The command modules import from here and `app` imports the command modules, so nothing imports `app`
back (no import cycle). Nothing heavy is imported at module level (settings, SQLAlchemy, structlog):
`wirefeed --help` builds the whole parser and must start in well under 150 ms; `App` loads what a command
needs when it runs.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn
from urllib.parse import quote, urlsplit, urlunsplit

from config.durations import duration_seconds
from config.durations import point_in_time as _point_in_time
from config.errors import WirefeedError
from config.secrets import mask_secrets, mask_url

if TYPE_CHECKING:
    from config.settings import Settings
    from store.db import Store

MIN_INTERVAL = 10
MAX_INTERVAL = 30 * 86400  # config.settings.MAX_INTERVAL, here without importing the settings
DEFAULT_DATABASE = "sqlite:///wirefeed.db"  # config.settings.DEFAULT_DATABASE_URL
DATABASE_FORMS = (
    "sqlite:///relative/path.db, sqlite:////absolute/path.db, a file path, "
    "or postgresql://HOST/DBNAME (user and password before the host)"
)
SUPPORTED_DIALECTS = ("sqlite", "postgresql", "postgres")


class UsageError(WirefeedError):
    """Bad command-line input: reported in one line, exit status 2."""

    kind = "usage"


class FileAccessError(WirefeedError):
    """A file named on the command line is missing or cannot be read or written (permissions, a full disk)."""

    kind = "file"


def read_file(path: Path) -> bytes:
    """The bytes of a file named on the command line (`-`: standard input); a missing one is a runtime error."""
    if str(path) == "-":
        return sys.stdin.buffer.read()
    if not path.exists():
        raise FileAccessError(f"no such file: {path}")
    if not path.is_file():
        raise FileAccessError(f"not a file: {path}")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FileAccessError(f"cannot read {path}: {exc.strerror or exc}") from exc


# Argument types ------------------------------------------------------------------------------------


def parse_duration(value: str) -> timedelta:
    """'90s', '15m', '1h30m', '24h', '7d', '2w' -> timedelta."""
    try:
        return timedelta(seconds=duration_seconds(value))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_when(value: str) -> datetime:
    """--since/--until: a duration back from now ('24h') or an ISO date or time ('2026-11-20'), aware."""
    try:
        return _point_in_time(value, datetime.now(UTC))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def feed_url(value: str) -> str:
    """A URL to subscribe to: http(s) with a host, surrounding whitespace dropped."""
    url = value.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:  # an unbalanced bracket, a port that is no number
        raise argparse.ArgumentTypeError(f"not a URL: {value!r} ({exc})") from None
    if parts.scheme.lower() not in {"http", "https"} or not host:
        raise argparse.ArgumentTypeError(f"not an http(s) URL: {value!r}")
    from ingest.errors import InvalidURL
    from ingest.fetch.client import check_url
    from ingest.jobs import MAX_URL_CHARS

    if len(url) > MAX_URL_CHARS:  # the store would keep it cut short: another URL, polled and shown as this one
        raise argparse.ArgumentTypeError(f"not a URL wirefeed polls: {value[:80]!r}... is longer than "
                                         f"{MAX_URL_CHARS} characters ({len(url)})")
    try:
        check_url(url)  # a port out of range, a host httpx cannot encode (`xn--`): no poll could ever fetch it
    except InvalidURL as exc:
        raise argparse.ArgumentTypeError(f"not a URL: {value!r} ({exc.__cause__})") from None
    # Scheme and host are case-blind and a fragment never reaches the server: `HTTPS://A.example/rss#x` is
    # the feed `https://a.example/rss`, not a second subscription polling it again.
    userinfo, at, hostport = parts.netloc.rpartition("@")
    return urlunsplit((parts.scheme.lower(), f"{userinfo}{at}{hostport.lower()}", parts.path, parts.query, ""))


def poll_interval(value: str) -> int:
    """--interval: seconds or a duration (600, 10m, 1h), at least MIN_INTERVAL (the floor [schedule] has too)."""
    try:
        seconds = duration_seconds(value, bare_seconds=True)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if seconds < MIN_INTERVAL:
        raise argparse.ArgumentTypeError(f"must be at least {MIN_INTERVAL} seconds, got {value!r}")
    if seconds > MAX_INTERVAL:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_INTERVAL} seconds (30 days), got {value!r}")
    return round(seconds)


# Output --------------------------------------------------------------------------------------------


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with a UTC offset, or None."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def local_time(value: datetime | str | None) -> str:
    """A time for people: local time zone, to the second ('2026-11-20 07:00:00'); '-' for none."""
    if value is None:
        return "-"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        local = moment.astimezone()
    except OverflowError:  # year 1 west of UTC, 9999 east of it: no local time to show, the UTC one then
        return moment.astimezone(UTC).isoformat(sep=" ", timespec="seconds")[:19] + " UTC"
    return local.isoformat(sep=" ", timespec="seconds")[:19]  # the year in four digits, as strftime may not


# What a terminal acts on instead of showing: C0 and C1 controls (ESC starts sequences that move the cursor or
# retitle the window) and the bidi embeddings, overrides and isolates that reorder the rest of the line.
_UNSHOWN = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SPACES = frozenset("\t\n\x0b\x0c\r")


def shown(text: str) -> str:
    """Text from the outside world for a terminal: line breaks and tabs as spaces, other controls as U+FFFD."""
    return _UNSHOWN.sub(lambda m: " " if m.group() in _SPACES else "\ufffd", text)


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """Plain columns under a header line, each as wide as its widest cell (the last one is not padded)."""
    cells = [[str(c) for c in headers], *([("-" if c is None else shown(str(c))) for c in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return ["  ".join(c.ljust(w) for c, w in zip(row[:-1], widths, strict=False)) + "  " + row[-1] for row in cells]


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
    if target.is_dir():  # else found only at the end, after all the work, when the rename fails
        raise UsageError(f"cannot write {target}: it is a directory (give a file name inside it)")
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


def note(message: str) -> None:
    """A line for the person at the terminal, on stderr (stdout stays the command's output)."""
    print(f"wirefeed: {mask_secrets(message)}", file=sys.stderr)


# The database a command uses ---------------------------------------------------------------------


def database_argument(value: str | None) -> str | None:
    """--db: a database URL, or a plain file path taken as a SQLite file (`--db news.db`)."""
    if value is None:
        return None
    if not value.strip():
        raise UsageError(f"--db: empty; expected {DATABASE_FORMS}")
    if not value.isascii() and any("\udc80" <= c <= "\udcff" for c in value):
        # Bytes that are not UTF-8 arrive as lone surrogates, which neither SQLite nor a URL can carry.
        raise UsageError(f"--db: {mask_url(value)!r} holds bytes that are not UTF-8; name the database with a "
                         "UTF-8 path or URL")
    # Something with `//` or `@` is a URL, maybe mistyped (`postgresql//user:pw@host`): the settings say why,
    # with its password masked; never a file name that would carry the password into a message.
    if "//" not in value and "@" not in value:
        # Quoted: a URL's database part is unquoted when read (`p%41.db` would open `pA.db`, `q?x.db` `q`).
        return f"sqlite:///{quote(str(Path(value).expanduser().resolve()))}"
    check_dialect(value, "--db")
    return value


def check_dialect(url: str, where: str) -> None:
    """Refuse, naming the forms wirefeed takes, a database other than SQLite or PostgreSQL (`mysql://`)."""
    scheme, separator, _ = url.partition("://")
    scheme = scheme.partition("+")[0].lower()
    if separator and scheme not in SUPPORTED_DIALECTS:
        raise _config_error()(
            f"cannot use database URL {mask_url(url)!r} ({where}): wirefeed stores in SQLite or PostgreSQL, "
            f"not {scheme!r}; use {DATABASE_FORMS}"
        )
    if scheme == "sqlite" and url.partition("://")[2].partition("?")[0] in ("", "/", "/:memory:"):
        # `init` said "database ready" and kept nothing; `ingest` failed on a table its other thread never saw.
        raise _config_error()(
            f"cannot use database URL {mask_url(url)!r} ({where}): an in-memory SQLite database keeps nothing "
            f"once the command ends; use {DATABASE_FORMS}"
        )


def _config_error() -> type[WirefeedError]:
    from config.settings import ConfigError

    return ConfigError


def database_source(args: argparse.Namespace, url: str) -> str:
    """Where the database URL came from, as a user would change it."""
    if args.db:
        return "--db"
    if any(name.upper() == "WIREFEED_DATABASE__URL" for name in os.environ):
        return "WIREFEED_DATABASE__URL"
    if args.config and url != DEFAULT_DATABASE:
        return f"[database] url in {args.config}"
    return "the default; change it with --db or [database] url"


def describe_database(url: str) -> str:
    """A database URL as a user finds it: a SQLite file by its absolute path, a server URL without password."""
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            return str(Path(path).expanduser().resolve())
    return mask_url(url)


# The context ---------------------------------------------------------------------------------------


class App:
    """What every command needs: settings, and the store opened on demand."""

    def __init__(self, args: argparse.Namespace) -> None:
        from config.settings import load_settings
        from ingest import dates

        self.args = args
        self.settings: Settings = load_settings(args.config, database_argument(args.db))
        if not args.db:
            check_dialect(self.database_url, "[database] url")
        dates.configure(self.settings.dates.earliest, self.settings.dates.max_ahead_days)
        self._logging = False
        if not getattr(args, "read_only", False):
            # A read-only command reads the store, which logs nothing: its logging is set up on first need.
            self.ensure_logging()
        self._store: Store | None = None

    def ensure_logging(self) -> None:
        """Set up logging (structlog to stderr) once."""
        if self._logging:
            return
        from ingest.logs import configure_logging

        fmt = self.args.log_format or self.settings.log.format
        configure_logging(fmt, "debug" if self.args.verbose else self.settings.log.level)
        self._logging = True

    @property
    def database_url(self) -> str:
        """The database URL in clear (for opening it; show it with `describe_database`)."""
        return self.settings.database.url.get_secret_value()

    @property
    def store(self) -> Store:
        """The store: created or upgraded for a command that writes; a read-only command never creates one."""
        if self._store is None:
            from store.db import Store, StoreError, open_existing

            url = self.database_url
            self._announce_database()
            existing = getattr(self.args, "existing_only", False)
            if getattr(self.args, "read_only", False) or existing:
                hint = f"({database_source(self.args, url)}); {NO_DATABASE_HINT}"
                self._store = open_existing(url, hint=hint, upgrade=existing)
                return self._store
            try:
                self._store = Store(url)
            except StoreError as exc:
                # Name the database and where it was chosen: that is what the user changes.
                where = f"{describe_database(url)}, {database_source(self.args, url)}"
                raise StoreError(f"{exc} ({where})") from exc
        return self._store

    def _announce_database(self) -> None:
        """Say which database the command uses: it depends on the current directory, env and config.

        For a command that writes, one line on stderr at a terminal; elsewhere (cron, scripts) and for
        read-only commands a debug log event (`-v`), so that stderr keeps the one line of an error.
        """
        if getattr(self.args, "quiet_database", False):
            return
        where = f"{describe_database(self.database_url)} ({database_source(self.args, self.database_url)})"
        if sys.stderr.isatty() and not getattr(self.args, "read_only", False):
            note(f"database {where}")
        elif self.args.verbose:
            import structlog

            self.ensure_logging()
            structlog.get_logger("wirefeed.cli").debug("database", database=where)

    def close(self) -> None:
        """Release the database."""
        if self._store is not None:
            self._store.close()


NO_DATABASE_HINT = "give --db (or run where the database is), or create one with `wirefeed init`"

Command = Callable[[App], int]


class Parser(argparse.ArgumentParser):
    """argparse with 'did you mean' for a mistyped command or choice, and exit status 2 for usage errors."""

    def error(self, message: str) -> NoReturn:
        match = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if match:
            choices = re.findall(r"'([^']*)'", match.group(2))
            close = difflib.get_close_matches(match.group(1), choices, n=1, cutoff=0.6)
            if close:
                message += f"; did you mean {close[0]!r}?"
        super().error(message)


def global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """The options every command takes, before or after the command's name (`wirefeed stats --db X`).

    On a command they default to SUPPRESS, so a value given before the command is not reset by it.
    """
    default: dict[str, Any] = {} if top else {"default": argparse.SUPPRESS}
    group = parser.add_argument_group("global options") if not top else parser
    group.add_argument(
        "--config", metavar="FILE", help="TOML config file (see config/wirefeed.example.toml)", **default
    )
    group.add_argument(
        "--db",
        metavar="URL|PATH",
        help="database: sqlite:///FILE, postgresql://user@host/db, or a file path (overrides env and config; "
        "default sqlite:///wirefeed.db in the current directory)",
        **default,
    )
    group.add_argument(
        "--log-format", choices=["auto", "console", "json"], help="log format (default: auto)", **default
    )
    verbose: dict[str, Any] = {} if top else {"default": argparse.SUPPRESS}
    group.add_argument("-v", "--verbose", action="store_true", help="debug logging", **verbose)


def add_command(
    sub: Any, name: str, func: Command, help_text: str, example: str, *, read_only: bool = False,
    existing_only: bool = False,
) -> argparse.ArgumentParser:
    """Register one subcommand: its help, a description ending in an example, the global options, its function.

    A `read_only` command opens an existing database and never creates nor upgrades one; an `existing_only`
    one (it changes a database but has nothing to do in a new one) never creates one but upgrades it.
    """
    parser = _command_parser(sub, name, help_text, example)
    parser.set_defaults(func=func, read_only=read_only, existing_only=existing_only)
    return parser


def add_group(sub: Any, name: str, help_text: str, example: str) -> Any:
    """Register a command with actions of its own (`feeds add`, `feeds list`): returns its subparsers."""
    parser = _command_parser(sub, name, help_text, example)
    return parser.add_subparsers(dest=f"{name}_command", metavar="ACTION", required=True)


def _command_parser(sub: Any, name: str, help_text: str, example: str) -> argparse.ArgumentParser:
    """A command's parser: its help, a description ending in an example, and the global options."""
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help_text,
        description=f"{help_text}\n\nexample:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    global_options(parser, top=False)
    return parser


def check_window(since: datetime | None, until: datetime | None) -> None:
    """--since and --until: a window that holds nothing is a usage error, not an empty answer."""
    if since is not None and until is not None and since >= until:
        raise UsageError(f"--since ({since.isoformat(timespec='seconds')}) is not before --until "
                         f"({until.isoformat(timespec='seconds')}): the window holds nothing")


def when_options(parser: argparse.ArgumentParser, what: str) -> None:
    """--since, --until and --by: a window of time on a chosen date of each record."""
    parser.add_argument(
        "--since",
        type=parse_when,
        metavar="WHEN",
        help=f"only {what} from this time on: a duration back from now (90m, 24h, 7d) or a date "
        "(2026-11-20, 2026-11-20T06:00:00+01:00; UTC without an offset)",
    )
    parser.add_argument("--until", type=parse_when, metavar="WHEN", help="only before this time (same forms)")
    parser.add_argument(
        "--by",
        choices=["published", "fetched", "updated"],
        default="published",
        help="the time --since/--until look at: published (default; the fetch time when a page has no date), "
        "fetched, or updated (when the story last changed)",
    )
