"""Shared fixtures: real SQLite files, a real PostgreSQL database per test, local HTTP servers."""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from store.db import Store

PG_URL = os.environ.get("WIREFEED_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_REQUIRED = os.environ.get("CI") == "true" or os.environ.get("WIREFEED_REQUIRE_PG") == "1"


@functools.cache
def _pg_admin_reason() -> str | None:
    """None when the PostgreSQL server answers, else why not; asked once, by the first test that needs it."""
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure means "no server here"
        return f"PostgreSQL not reachable at {PG_URL}: {str(exc).splitlines()[0]}"
    return None


# Property-based tests: no per-example deadline (a 2-core CI machine shared with local servers has
# pauses), a bounded number of examples so the suite stays fast, and the same examples in CI every run.
hypothesis_settings.register_profile(
    "wirefeed", deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.register_profile(
    "ci", parent=hypothesis_settings.get_profile("wirefeed"), derandomize=True, print_blob=True
)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") == "true" else "wirefeed")


@pytest.fixture(autouse=True)
def _reset_structlog() -> Iterator[None]:
    """Every test starts with structlog's default configuration."""
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


@pytest.fixture
def sqlite_url(tmp_path: object) -> str:
    """A fresh SQLite database file."""
    return f"sqlite:///{tmp_path}/wirefeed.db"  # type: ignore[operator]


@pytest.fixture
def pg_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh PostgreSQL database, dropped after the test; skipped (or failed in CI) without a server.

    Its raw pages go to WARC files under the test's directory (`WIREFEED_STORE__ARCHIVE_DIR`, inherited by
    subprocesses): archive mode, the default, needs a directory named for a PostgreSQL store.
    """
    monkeypatch.setenv("WIREFEED_STORE__ARCHIVE_DIR", str(tmp_path / "pg-warc"))
    reason = _pg_admin_reason()
    if reason is not None:
        if PG_REQUIRED:
            pytest.fail(f"PostgreSQL is required in CI: {reason}")
        pytest.skip(reason)
    name = f"wirefeed_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An opened store at schema head, on each backend."""
    opened = Store(db_url)
    yield opened
    opened.close()
