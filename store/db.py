"""Engines and sessions: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL, schema kept at head."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    DBAPIError,
    InterfaceError,
    InternalError,
    OperationalError,
)
from sqlalchemy.exc import SQLAlchemyError as _SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from config.errors import WirefeedError
from config.secrets import mask_secrets, mask_url
from config.settings import check_database_url
from store.peek import MIGRATIONS, head_revision, known_revisions

if TYPE_CHECKING:
    from alembic.config import Config


# PostgreSQL: how long a connection attempt, and a wait for a lock, may take before the database counts as
# unusable (SQLite waits 30 s for a lock too: its busy timeout).
CONNECT_TIMEOUT = 10
LOCK_TIMEOUT_MS = 30_000


class StoreError(WirefeedError):
    """The database cannot be used (unreachable, damaged, bad URL, failed migration)."""

    kind = "store"


def is_unusable(exc: BaseException) -> bool:
    """Whether a database error means the database cannot be used at all, rather than one statement failing.

    Unreachable or locked (OperationalError), a closed connection (InterfaceError), damaged data pages
    (SQLite's `database disk image is malformed` is a bare DatabaseError; PostgreSQL's data corruption is
    an InternalError). Refused data (DataError, IntegrityError) and bad SQL (ProgrammingError) are not: the
    caller decides about those.
    """
    return isinstance(exc, OperationalError | InterfaceError | InternalError) or type(exc) is DatabaseError


def describe(exc: BaseException) -> str:
    """A database error in one line, credentials masked: the driver's message without SQLAlchemy's footer."""
    return mask_secrets(_first_line(exc))


def secret_value(url: str | SecretStr) -> str:
    """The real URL of a setting that may be kept as a secret."""
    return url.get_secret_value() if isinstance(url, SecretStr) else url


def normalise_url(url: str) -> str:
    """Default PostgreSQL URLs to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str | SecretStr) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    given = secret_value(url)
    try:
        check_database_url(given)
    except ValueError as exc:
        raise StoreError(str(exc)) from None
    url = normalise_url(given)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            # The directory of the file pysqlite opens (`os.path.abspath`: no `~`, `..` taken before symlinks),
            # as open_existing and store.peek check it: else `~/x.db` passes here and fails to open.
            parent = Path(os.path.abspath(database)).parent
            if not parent.is_dir():
                raise StoreError(f"cannot open database {database}: directory {parent} does not exist")
        engine = create_engine(url, connect_args={"timeout": 30}, json_deserializer=_stored_json)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own BEGIN handling defers locks; let SQLAlchemy emit BEGIN IMMEDIATE so writers queue.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    # A server that accepts the connection and never answers (hung, or a pooler whose server is gone) is
    # given up on after CONNECT_TIMEOUT, unless the URL says otherwise.
    connect_args = {} if "connect_timeout" in parsed.query else {"connect_timeout": CONNECT_TIMEOUT}
    try:
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args=connect_args)
    except (ArgumentError, ImportError) as exc:  # an unknown dialect or a driver that is not installed
        hint = ""
        if isinstance(exc, ImportError) and parsed.get_backend_name() == "postgresql":
            hint = " (wirefeed installs psycopg 3: write postgresql:// or postgresql+psycopg://)"
        raise StoreError(f"cannot use database URL {mask_url(url)!r}: {mask_secrets(str(exc))}{hint}") from None
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _postgresql_lock_timeout)
    return engine


def _postgresql_lock_timeout(dbapi_connection: Any, _record: Any) -> None:
    """Give up on a lock after LOCK_TIMEOUT_MS, as SQLite's busy timeout does, unless one is configured.

    Without it a table locked by another session (a forgotten `LOCK TABLE`, a long migration) holds a pass,
    and a cron run, forever; with it the pass stops with `database error: ... lock timeout`. A lock_timeout
    set for the role or the database (or in PGOPTIONS) is left as it is.
    """
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SELECT current_setting('lock_timeout')")
        row = cursor.fetchone()
        if row is not None and row[0] == "0":
            cursor.execute(f"SET lock_timeout = {int(LOCK_TIMEOUT_MS)}")
    finally:
        cursor.close()
    dbapi_connection.commit()


def _stored_json(text: str | bytes) -> Any:
    """A SQLite JSON column's value; None for text that is no JSON, and NaN or Infinity read as None.

    SQLite checks nothing: another program may have written `{bad` there, and `stories --json` must stay
    JSON that any reader takes (Python's NaN is not).
    """
    try:
        return json.loads(text, parse_constant=lambda _name: None)
    except (ValueError, RecursionError):  # JSONDecodeError and invalid UTF-8 are ValueErrors
        return None


def _stored_text(data: bytes) -> str:
    """A SQLite TEXT value as str: bytes that are not UTF-8 (written by another program) read with U+FFFD."""
    return data.decode("utf-8", "replace")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" listener issues BEGIN IMMEDIATE
    # Else one such value fails the whole query that reads it ("Could not decode to UTF-8 column").
    dbapi_connection.text_factory = _stored_text
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    """An alembic Config pointing at our migrations, bound to an engine."""
    from alembic.config import Config  # alembic costs a read-only command's start-up a third: imported on use

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["engine"] = engine
    return config


def ensure_schema(engine: Engine) -> bool:
    """Upgrade the schema to the newest migration; return whether anything was applied."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = alembic_config(engine)
    head = ScriptDirectory.from_config(config).get_current_head()
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except OperationalError as exc:
        raise StoreError(f"database unreachable: {describe(exc)}") from exc
    except DBAPIError as exc:  # e.g. SQLite's "file is not a database"
        raise StoreError(f"cannot open database: {describe(exc)}") from exc
    if current == head:
        return False
    known = known_revisions()  # empty when a version file is unreadable: alembic decides then
    if current is not None and known and current not in known:
        # Else alembic "can't locate revision" (an internal error): a rolled-back upgrade of wirefeed meets this.
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        shown = os.path.abspath(database) if database else mask_url(engine.url.render_as_string(hide_password=False))
        raise StoreError(schema_mismatch(shown, current, head))
    try:
        command.upgrade(config, "head")
    except _SQLAlchemyError as exc:
        raise StoreError(f"schema migration failed: {describe(exc)}") from exc
    return True


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


class Store:
    """A database: its engine and a session factory; the schema is at head once opened."""

    def __init__(self, url: str | SecretStr, *, migrate: bool = True) -> None:
        self.url = normalise_url(secret_value(url))
        self.engine = make_engine(self.url)
        self.dialect = self.engine.dialect.name
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            ensure_schema(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except DBAPIError as exc:
            session.rollback()
            if is_unusable(exc):
                raise StoreError(f"database error: {describe(exc)}") from exc
            raise
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def __repr__(self) -> str:
        return f"Store({mask_url(self.url)!r})"

    def close(self) -> None:
        """Release all connections."""
        self.engine.dispose()


def open_existing(url: str | SecretStr, *, hint: str = "", upgrade: bool = False) -> Store:
    """The store of a database that already holds wirefeed's current schema; never creates nor upgrades one.

    For read-only commands: a missing SQLite file or a database without the schema is a StoreError whose
    message ends with `hint` (how to fix it), and nothing is created, neither a file nor tables. An older
    schema is not upgraded behind the user's back (another process may be running the older code on it):
    the error says to run `wirefeed init`. With `upgrade` (a command that changes an existing database
    but has nothing to do in a new one: `feeds remove`), an older schema is upgraded as any writing
    command upgrades it; nothing is still created.
    """
    given = normalise_url(secret_value(url))
    parsed = make_url(given) if "://" in given else None
    shown = mask_url(given)
    if parsed is not None and parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        # The file pysqlite opens (`os.path.abspath`: no `~`, `..` taken before symlinks), not another one:
        # else a check passes on one file while connecting creates the other.
        path = Path(os.path.abspath(parsed.database))
        if not path.is_file():
            raise StoreError(f"no database at {path} {hint}".rstrip())
        if path.stat().st_size == 0:  # connecting would write SQLite's header into it
            raise StoreError(f"no wirefeed database at {path} (an empty file) {hint}".rstrip())
        shown = str(path)
    store = Store(given, migrate=False)
    try:
        with store.engine.connect() as connection:
            # Without alembic (slow to import): its table, read directly.
            found = inspect(connection).has_table("alembic_version")
            current = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() if found else None
    except OperationalError as exc:
        store.close()
        raise StoreError(f"database unreachable: {describe(exc)}") from exc
    except DBAPIError as exc:  # e.g. SQLite's "file is not a database"
        store.close()
        raise StoreError(f"cannot open database: {describe(exc)}") from exc
    if current is None:
        store.close()
        raise StoreError(f"no wirefeed database at {shown} (no schema) {hint}".rstrip())
    head = head_revision() or _alembic_head(store.engine)
    if current != head:
        if upgrade and current in known_revisions():
            ensure_schema(store.engine)
            return store
        store.close()
        raise StoreError(schema_mismatch(shown, current, head))
    return store


def _alembic_head(engine: Engine) -> str | None:
    """The head as alembic reads it: when the version files alone do not say (two heads while developing)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def schema_mismatch(shown: str, current: str, head: str | None) -> str:
    """Why a read-only command does not read a schema other than the code's, and what fixes it (one line)."""
    if current in known_revisions():
        return (
            f"the database at {shown} has an older schema ({current}; this wirefeed writes {head}): "
            "a read-only command does not upgrade it; run `wirefeed init` (or any command that writes) first"
        )
    unknown = current if current.isprintable() else repr(current)  # a damaged row: still one line
    return (
        f"the database at {shown} has a schema this wirefeed does not know ({unknown}), written by a newer "
        "wirefeed: upgrade wirefeed to read it"
    )


