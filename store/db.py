"""Engines and sessions: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL, schema kept at head."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.exc import SQLAlchemyError as _SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


class StoreError(Exception):
    """The database cannot be used (unreachable, bad URL, failed migration)."""


def normalise_url(url: str) -> str:
    """Default PostgreSQL URLs to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"invalid database URL: {url!r}") from exc
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            parent = Path(database).expanduser().resolve().parent
            if not parent.is_dir():
                raise StoreError(f"cannot open database {database}: directory {parent} does not exist")
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own BEGIN handling defers locks; let SQLAlchemy emit BEGIN IMMEDIATE so writers queue.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    try:
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"cannot use database URL {url!r}: {exc}") from exc


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" listener issues BEGIN IMMEDIATE
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    """An alembic Config pointing at our migrations, bound to an engine."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["engine"] = engine
    return config


def ensure_schema(engine: Engine) -> bool:
    """Upgrade the schema to the newest migration; return whether anything was applied."""
    config = alembic_config(engine)
    head = ScriptDirectory.from_config(config).get_current_head()
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except OperationalError as exc:
        raise StoreError(f"database unreachable: {_first_line(exc)}") from exc
    except DBAPIError as exc:  # e.g. SQLite's "file is not a database"
        raise StoreError(f"cannot open database: {_first_line(exc)}") from exc
    if current == head:
        return False
    try:
        command.upgrade(config, "head")
    except _SQLAlchemyError as exc:
        raise StoreError(f"schema migration failed: {_first_line(exc)}") from exc
    return True


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


class Store:
    """A database: its engine and a session factory; the schema is at head once opened."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = normalise_url(url)
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
        except OperationalError as exc:
            session.rollback()
            raise StoreError(f"database error: {_first_line(exc)}") from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def close(self) -> None:
        """Release all connections."""
        self.engine.dispose()
