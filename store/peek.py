"""Read-only counts through the database driver itself, without SQLAlchemy: `wirefeed stats` for cron and
monitoring, which pays its start-up on every run (SQLAlchemy's import is most of it).

`stats` opens SQLite read-only (`mode=ro`: nothing is created) or PostgreSQL through psycopg, checks the
schema is the code's, and runs `STATS`, the same statements `repo.stats` runs through a session. It answers
None whenever it is not sure (another driver, a missing file, no schema, an older or newer schema, any
error): the caller then takes the general path, which says what is wrong and how to fix it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

from config.dburl import DatabaseUrl, parse_database_url

MIGRATIONS = Path(__file__).parent / "migrations"

# names -> one statement returning one row of those numbers, one scan a table (`count(*) FILTER`, SQLite 3.30+
# and PostgreSQL): three counts of 10 million articles took three scans. Read by `repo.stats` as well.
STATS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("feeds", "feeds_disabled", "feeds_failing"),
     "SELECT count(*), count(*) FILTER (WHERE disabled), count(*) FILTER (WHERE error_count > 0) FROM feeds"),
    (("feed_items",), "SELECT count(*) FROM feed_items"),
    (("articles", "articles_failed", "pages_not_article"),
     "SELECT count(*) FILTER (WHERE status = 'ok'), count(*) FILTER (WHERE status = 'failed'), "
     "count(*) FILTER (WHERE status = 'not_article') FROM articles"),
    (("stories", "stories_multi_outlet"), "SELECT count(*), count(*) FILTER (WHERE size > 1) FROM stories"),
    (("raw_pages", "raw_bytes_compressed"), "SELECT count(*), coalesce(sum(length(body)), 0) FROM raw_pages"),
)


def numbers_of(names: tuple[str, ...], row: Any) -> dict[str, int]:
    """The numbers one `STATS` statement returned, by name (NULL as 0)."""
    return {name: int(value or 0) for name, value in zip(names, row, strict=True)}


def stats(url: str) -> dict[str, Any] | None:
    """`STATS` read through the driver; None when the general path must answer (see the module's docstring)."""
    try:
        parsed = parse_database_url(url)
    except ValueError:
        return None
    try:
        opened = _connect(parsed, url)
    except Exception:  # the driver's own errors: the general path names them
        return None
    if opened is None:
        return None
    connection, unchanged = opened
    with closing(connection):
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT version_num FROM alembic_version")
            found = cursor.fetchone()
            if found is None or found[0] != head_revision():
                return None
            numbers: dict[str, Any] = {}
            for names, statement in STATS:
                cursor.execute(statement)
                numbers.update(numbers_of(names, cursor.fetchone()))
        except Exception:  # no schema, a damaged file, a lost server: the general path says which
            return None
    return numbers if unchanged() else None


def _connect(parsed: DatabaseUrl, url: str) -> tuple[Any, Callable[[], bool]] | None:
    """A read-only DB-API connection and whether what it read still holds; None for a database this module
    does not open itself.

    It opens what SQLAlchemy's dialect would open, or nothing: the scheme exactly (`sqlite+://` loads no
    dialect), and the connection arguments the dialect builds from the URL's parts.
    """
    scheme = url.partition("://")[0]
    if scheme in ("sqlite", "sqlite+pysqlite") and not parsed.query:
        import sqlite3

        database = parsed.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        if parsed.username or parsed.password or parsed.host or parsed.port:  # pysqlite refuses these
            return None
        path = os.path.abspath(database)  # pysqlite's own: no `~`, and `..` before any symlink is followed
        state = _sqlite_state(path)
        if state is None:
            return None
        if state == "closed":  # see _sqlite_state
            before = _fingerprint(path)
            connection = sqlite3.connect(f"file:{quote(path)}?mode=ro&immutable=1", uri=True)
            return connection, lambda: _fingerprint(path) == before
        return sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=30), lambda: True
    if scheme in ("postgresql", "postgresql+psycopg"):
        options = _psycopg_options(parsed)
        if options is None:
            return None
        import psycopg

        options.setdefault("connect_timeout", 10)
        server = psycopg.connect(**options)
        server.read_only = True
        return server, lambda: True
    return None


def _sqlite_state(path: str) -> str | None:
    """How to read this SQLite file without creating one beside it: "open" (`mode=ro`), "closed", or None.

    A WAL database's -wal and -shm are created by any connection, a read-only one too, and a read-only one
    cannot remove them when it closes. Without either (every connection closed cleanly: the whole database
    is in the file), it is "closed": read as immutable, which opens neither, and the numbers kept only if
    the file and its neighbours are as they were (a writer that came meanwhile makes the general path
    answer). Only one of the two (a crash): None.
    """
    if not os.path.isfile(path):  # missing, a directory, a FIFO (opening it would wait for a writer)
        return None
    try:
        with open(path, "rb") as file:
            header = file.read(100)
    except OSError:  # unreadable
        return None
    if not header:
        return None  # an empty file: connecting would write SQLite's header into it
    if len(header) < 20 or header[18] != 2:  # not WAL: a read-only connection creates nothing
        return "open"
    beside = (os.path.exists(path + "-wal"), os.path.exists(path + "-shm"))
    return {(True, True): "open", (False, False): "closed"}.get(beside)


def _fingerprint(path: str) -> tuple[int, int, int, bool, bool] | None:
    """The file's identity, size and time, and whether a -wal or -shm is beside it."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_ino, found.st_size, found.st_mtime_ns,
            os.path.exists(path + "-wal"), os.path.exists(path + "-shm"))


def _psycopg_options(parsed: DatabaseUrl) -> dict[str, Any] | None:
    """psycopg's keyword arguments as SQLAlchemy's psycopg dialect builds them; None where unsure.

    Not the URL itself: libpq would decode a host's `%` escapes and read a query's `+` as itself, where
    SQLAlchemy keeps the host as written and reads `+` as a space. Several hosts or ports (`?host=`), a
    repeated key or a SQLAlchemy plugin are left to the general path.
    """
    pairs = parse_qsl(parsed.query or "")
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys) or {"host", "port", "plugin"} & set(keys):
        return None
    parts = {"host": parsed.host, "dbname": parsed.database, "user": parsed.username,
             "password": parsed.password, "port": parsed.port}
    options: dict[str, Any] = {key: value for key, value in parts.items() if value}  # empty parts left out
    options.update(pairs)
    return options


def head_revision() -> str | None:
    """The newest migration's revision, read from the version files without alembic; None when unsure."""
    graph = _migrations()
    if graph is None:
        return None
    revisions, parents = graph
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def known_revisions() -> set[str]:
    """Every revision of our migrations: an older schema is one of them, a newer one is not."""
    graph = _migrations()
    return set() if graph is None else graph[0]


def _migrations() -> tuple[set[str], set[str]] | None:
    """(revisions, the revisions some migration follows) from the version files; None when one is unreadable."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision = re.search(r"^revision\b[^=]*=\s*[\"']([^\"']+)[\"']", source, re.MULTILINE)
        parent = re.search(r"^down_revision\b[^=]*=(.*)$", source, re.MULTILINE)
        if revision is None or parent is None:
            return None
        revisions.add(revision.group(1))
        parents.update(re.findall(r"[\"']([^\"']+)[\"']", parent.group(1)))
    return revisions, parents
