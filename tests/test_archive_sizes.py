"""Archive files in `wirefeed stats`: counted per database by their names, without SQLAlchemy (store/sizes.py)."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from config.settings import DatabaseSettings, Settings, StoreSettings
from ingest.backfill.run import BackfillOptions
from ingest.retention import prune_store
from store import archive, sizes
from store.db import Store, normalise_url
from store.models import utcnow
from tests.test_archive import run_backfill
from tests.test_backfill import warc_pages, wirefeed_command, write_warc
from tests.test_dburl import _URLS
from tests.test_prune_move import move_settings


@given(_URLS)
@settings(max_examples=400)
def test_rendered_as_sqlalchemy_renders(url: str) -> None:
    """The URL without password reads as the engine's own rendering, for every URL both accept."""
    try:
        expected = make_url(normalise_url(url)).render_as_string(hide_password=True)
        ours = sizes.rendered_url(url)
    except (ArgumentError, ValueError):  # refused: test_dburl holds the refusals together
        return
    assert ours == expected


@pytest.mark.parametrize("url", [
    "postgresql://user:s3cr%40t@db.example:5433/wirefeed?sslmode=require&application_name=w+f",
    "postgres://u@[::1]/x", "sqlite:///relative/w.db", "sqlite:////abs/w.db", "sqlite://",
    "postgresql+psycopg://u:p@h/d?b=2&a=1&a=0",
])
def test_rendered_examples(url: str) -> None:
    """Passwords hidden, the driver defaulted, the query sorted: as SQLAlchemy writes it."""
    assert sizes.rendered_url(url) == make_url(normalise_url(url)).render_as_string(hide_password=True)


def test_ident_is_the_writers(store: Store) -> None:
    """The name read from the URL alone is the one the archive writer puts in its files, on each backend."""
    with store.session() as session:
        assert sizes.database_ident(store.url) == archive.database_ident(session)


def stats(db: str, tmp_path: Path, **env: str) -> dict[str, object]:
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("WIREFEED_")}
    done = subprocess.run([*wirefeed_command(), "--db", db, "stats", "--json"], env=dict(clean, **env),
                          capture_output=True, text=True, timeout=120, check=True, cwd=tmp_path)
    return dict(json.loads(done.stdout))


class TestStatsArchive:
    """`wirefeed stats --json` adds the archive's files beside the counts it had."""

    def test_files_of_this_database(self, tmp_path: Path) -> None:
        """After a backfill in the default mode: one file beside the database, its bytes; another's not counted.

        Counts like every other field (monitoring reads them as numbers); nothing is created by reading."""
        db = f"sqlite:///{tmp_path}/wirefeed.db"
        Store(db).close()
        empty = stats(db, tmp_path)
        assert (empty["archive_files"], empty["archive_bytes"]) == (0, 0)
        assert not (tmp_path / "wirefeed.db-warc").exists()
        store = Store(db)
        try:
            settings = Settings(database=DatabaseSettings(url=db))  # type: ignore[arg-type]
            run_backfill(store, settings, BackfillOptions(warcs=[str(write_warc(tmp_path / "a.warc", warc_pages()))]))
        finally:
            store.close()
        (path,) = (tmp_path / "wirefeed.db-warc").iterdir()
        other = path.name.replace(sizes.database_ident(db), "0123456789")
        (path.parent / other).write_bytes(b"x" * 10)  # another database's file in the same directory
        found = stats(db, tmp_path)
        assert (found["archive_files"], found["archive_bytes"]) == (1, path.stat().st_size)
        assert found["raw_pages"] == 4
        assert found["articles"] == 4
        assert "cold_files" not in found

    def test_cold_files_after_a_move(self, tmp_path: Path) -> None:
        """With cold_dir, the files retention moved there are counted apart."""
        store = Store(f"sqlite:///{tmp_path}/w.db")
        settings = move_settings(store.url, tmp_path)
        try:
            run_backfill(store, settings, BackfillOptions(warcs=[str(write_warc(tmp_path / "a.warc", warc_pages()))]))
            (path,) = (tmp_path / "archive").iterdir()
            size = path.stat().st_size
            old = (utcnow() - timedelta(days=31)).timestamp()
            os.utime(path, (old, old))
            prune_store(store, settings)
        finally:
            store.close()
        usage = sizes.archive_usage(settings)
        assert (usage["archive_files"], usage["cold_files"], usage["cold_bytes"]) == (0, 1, size)

    def test_postgres_without_archive_dir(self) -> None:
        """A PostgreSQL store without archive_dir has no archive to count: zero files."""
        settings = Settings(database=DatabaseSettings(url="postgresql://u@h/d"),  # type: ignore[arg-type]
                            store=StoreSettings())
        assert sizes.archive_usage(settings) == {"archive_files": 0, "archive_bytes": 0}
