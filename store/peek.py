"""Read-only counts through the database driver itself, without SQLAlchemy: `wirefeed stats` for cron and
monitoring, which pays its start-up on every run (SQLAlchemy's import is most of it).

`stats` opens SQLite read-only (`mode=ro`: nothing is created) or PostgreSQL through psycopg, checks the
schema is the code's, and runs `STATS`, the same statements `repo.stats` runs through a session. It answers
None whenever it is not sure (another driver, a missing file, no schema, an older or newer schema, any
error): the caller then takes the general path, which says what is wrong and how to fix it.
"""

from __future__ import annotations

import re
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import quote

from config.dburl import DatabaseUrl, parse_database_url

MIGRATIONS = Path(__file__).parent / "migrations"

# name -> one statement returning one number; read by `repo.stats` as well.
STATS = {
    "feeds": "SELECT count(*) FROM feeds",
    "feeds_disabled": "SELECT count(*) FROM feeds WHERE disabled",
    "feeds_failing": "SELECT count(*) FROM feeds WHERE error_count > 0",
    "feed_items": "SELECT count(*) FROM feed_items",
    "articles": "SELECT count(*) FROM articles WHERE status = 'ok'",
    "articles_failed": "SELECT count(*) FROM articles WHERE status = 'failed'",
    "pages_not_article": "SELECT count(*) FROM articles WHERE status = 'not_article'",
    "stories": "SELECT count(*) FROM stories",
    "stories_multi_outlet": "SELECT count(*) FROM stories WHERE size > 1",
    "raw_pages": "SELECT count(*) FROM raw_pages",
    "raw_bytes_compressed": "SELECT coalesce(sum(length(body)), 0) FROM raw_pages",
}


def stats(url: str) -> dict[str, Any] | None:
    """`STATS` read through the driver; None when the general path must answer (see the module's docstring)."""
    try:
        parsed = parse_database_url(url)
    except ValueError:
        return None
    try:
        connection = _connect(parsed, url)
    except Exception:  # the driver's own errors: the general path names them
        return None
    if connection is None:
        return None
    with closing(connection):
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT version_num FROM alembic_version")
            found = cursor.fetchone()
            if found is None or found[0] != head_revision():
                return None
            numbers: dict[str, Any] = {}
            for name, statement in STATS.items():
                cursor.execute(statement)
                numbers[name] = int(cursor.fetchone()[0] or 0)
        except Exception:  # no schema, a damaged file, a lost server: the general path says which
            return None
    return numbers


def _connect(parsed: DatabaseUrl, url: str) -> Any:
    """A read-only DB-API connection, or None for a database this module does not open itself."""
    if parsed.backend == "sqlite" and parsed.driver in (None, "pysqlite") and not parsed.query:
        import sqlite3

        database = parsed.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        path = Path(database).expanduser().resolve()
        if not path.is_file() or path.stat().st_size == 0:
            return None
        return sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=30)
    if parsed.backend == "postgresql" and parsed.driver in (None, "psycopg"):
        import psycopg

        connection = psycopg.connect("postgresql://" + url.partition("://")[2], connect_timeout=10)
        connection.read_only = True
        return connection
    return None


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
