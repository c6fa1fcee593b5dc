"""What a store takes on disk: each table of a SQLite store (scripts/bench_storage.py, docs/scaling.md) and
its archive files (`wirefeed stats`)."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus

from config.dburl import parse_database_url


def sqlite_table_bytes(path: str | Path) -> dict[str, int]:
    """Bytes of each table with rows, its indexes counted with it (dbstat pages), after a VACUUM."""
    with sqlite3.connect(path) as conn:
        conn.execute("VACUUM")
        owner = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')"))
        sizes: dict[str, int] = defaultdict(int)
        for name, size in conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
            sizes[owner.get(name, name)] += int(size)
        # Table names come from sqlite_master itself, quoted.
        rows = {table: int(conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
                for table in sizes if table in owner and not table.startswith("sqlite_")}
    return {table: size for table, size in sizes.items() if rows.get(table, 0) or table == "raw_pages"}


# Archive files ------------------------------------------------------------------------------------------
# Read without SQLAlchemy: `wirefeed stats` opens the database with the driver alone (store/peek.py).

# wirefeed-<opened UTC>-<database>-<host>-<pid>-<serial>.warc.gz (store/archive.py writes them).
ARCHIVE_NAME = re.compile(r"^wirefeed-(\d{8}T\d{6}Z)-([0-9a-f]{10})-(.+)-(\d+)-(\d{4,})\.warc\.gz$")


def rendered_url(url: str) -> str:
    """The URL as the store's engine shows it without password (SQLAlchemy's `render_as_string`), driver
    defaulted as `store.db.normalise_url` does; a property test holds the two together."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
    parsed = parse_database_url(url)
    text = parsed.backend + (f"+{parsed.driver}" if parsed.driver else "") + "://"
    if parsed.username is not None:
        text += quote(parsed.username, safe=" +")
        if parsed.password is not None:
            text += ":***"
        text += "@"
    if parsed.host is not None:
        text += f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    if parsed.port is not None:
        text += f":{parsed.port}"
    if parsed.database is not None:
        text += "/" + quote(parsed.database, safe=" +/")
    if parsed.query is not None:
        values: dict[str, list[str]] = {}
        for key, value in parse_qsl(parsed.query):
            values.setdefault(key, []).append(value)
        if values:
            text += "?" + "&".join(f"{quote_plus(key)}={quote_plus(value)}"
                                   for key in sorted(values) for value in values[key])
    return text


def database_ident(url: str) -> str:
    """The short name of a database in its archive files' names (`store.archive.database_ident`)."""
    return hashlib.sha1(rendered_url(url).encode()).hexdigest()[:10]  # a name, not a signature


def archive_directory(settings: Any, url: str | None = None) -> Path | None:
    """Where a store's WARC files are: `[store] archive_dir`, else beside a SQLite file; None when neither.

    `url`: the database actually opened, when it is not `[database] url` (the demo's temporary one).
    A SQLite file's archive is the directory `<file>-warc` (as its `-wal` and `-journal`), so that the
    store is one name to back up or move. Nothing is created here: the writer creates it on its first page.
    """
    if settings.store.archive_dir:
        return Path(settings.store.archive_dir).expanduser()
    parsed = parse_database_url(url if url is not None else settings.database.url.get_secret_value())
    database = parsed.database or ""
    query = dict(parse_qsl(parsed.query or ""))
    if parsed.backend == "sqlite" and database and database != ":memory:" and not database.startswith("file:") \
            and query.get("mode") != "memory":
        return Path(database + "-warc").expanduser()
    return None


def archive_usage(settings: Any) -> dict[str, int]:
    """This database's archive files for `wirefeed stats`: how many and their bytes (names and sizes only, no
    reading); with `[store] cold_dir`, the same of the files retention moved there. Counts only, as every
    other `stats` field."""
    ident = database_ident(settings.database.url.get_secret_value())
    places = [("archive", archive_directory(settings))]
    if settings.store.cold_dir:
        places.append(("cold", Path(settings.store.cold_dir).expanduser()))
    usage: dict[str, int] = {}
    for prefix, place in places:
        files = size = 0
        if place is not None and place.is_dir():
            for path in place.iterdir():
                match = ARCHIVE_NAME.match(path.name)
                if match and match.group(2) == ident:
                    files += 1
                    size += path.stat().st_size
        usage[f"{prefix}_files"] = files
        usage[f"{prefix}_bytes"] = size
    return usage
