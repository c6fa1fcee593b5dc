"""Raw pages in WARC files by default: beside a SQLite file, named explicitly for PostgreSQL (issue 17)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from config.settings import DatabaseSettings, ExtractSettings, FetchSettings, Settings, StoreSettings
from ingest.backfill.run import BackfillOptions
from ingest.cli.app import main as cli_main
from ingest.pipeline import Pipeline
from store import archive
from store.db import Store
from store.models import Article, FeedItem
from tests.test_archive import OLD_VERSION, raw_rows, run_backfill
from tests.test_backfill import warc_pages, wirefeed_command, write_warc
from tests.world import World, rss


@pytest.fixture(autouse=True)
def _no_store_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The code's defaults, whatever the environment running the suite overrides."""
    for name in list(os.environ):
        if name.upper().startswith("WIREFEED_STORE__"):
            monkeypatch.delenv(name)


def default_settings(url: str, **store: object) -> Settings:
    """The default [store] settings (unless given), for a WARC backfill with one extraction worker."""
    return Settings(
        database=DatabaseSettings(url=url),  # type: ignore[arg-type]
        fetch=FetchSettings(per_host_delay=0, timeout=10),
        extract=ExtractSettings(workers=1, timeout=30),
        store=StoreSettings(**store),  # type: ignore[arg-type]
    )


def environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if not name.upper().startswith("WIREFEED_")}


class TestSqliteDefault:
    """A SQLite store keeps its raw pages in WARC files in `<file>-warc`, created by the first page."""

    def test_pages_go_beside_the_database_file(self, tmp_path: Path) -> None:
        """With no [store] settings, a backfill archives each page under wirefeed.db-warc and reads it back."""
        store = Store(f"sqlite:///{tmp_path}/wirefeed.db")
        try:
            settings = default_settings(store.url)
            assert settings.store.raw_storage == "archive"
            assert archive.archive_directory(settings) == tmp_path / "wirefeed.db-warc"
            summary = run_backfill(store, settings, BackfillOptions(warcs=[str(
                write_warc(tmp_path / "in.warc.gz", warc_pages()))]))
            assert summary.stored == 4
            rows = raw_rows(store)
            assert [row.body for row in rows] == [None] * 4
            assert {row.archive_file for row in rows} == {p.name for p in (tmp_path / "wirefeed.db-warc").iterdir()}
            with store.session() as s:
                first = s.scalars(select(Article.id).order_by(Article.id)).first()
                assert first is not None
                loaded = archive.raw_page_for(s, first, archive.archive_directory(settings))
            assert loaded is not None
            assert isinstance(loaded[2], bytes)
            assert b"<html" in loaded[2]
        finally:
            store.close()

    def test_archive_follows_the_store_opened(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Settings naming another database (the demo opens a temporary one) leave no archive beside that one."""
        monkeypatch.chdir(tmp_path)
        store = Store(f"sqlite:///{tmp_path}/demo.db")
        try:
            settings = default_settings("sqlite:///wirefeed.db")  # the configured default, in the cwd
            summary = run_backfill(store, settings, BackfillOptions(warcs=[str(
                write_warc(tmp_path / "in.warc.gz", warc_pages()))]))
            assert summary.stored == 4
            assert not (tmp_path / "wirefeed.db-warc").exists()
            assert {row.archive_file for row in raw_rows(store)} == \
                {p.name for p in (tmp_path / "demo.db-warc").iterdir()}
            with store.session() as s:
                s.execute(update(Article).values(extractor_version=OLD_VERSION))
            summary = run_backfill(store, settings, BackfillOptions(reextract=True))
            assert (summary.reextracted, summary.failed_total) == (4, 0)
        finally:
            store.close()

    def test_demo_leaves_nothing_in_the_current_directory(self, tmp_path: Path) -> None:
        """`wirefeed demo` (a temporary database) creates no archive beside the configured ./wirefeed.db."""
        done = subprocess.run([*wirefeed_command(), "demo"], env=environment(), capture_output=True, text=True,
                              timeout=300, check=False, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert list(tmp_path.iterdir()) == []

    def test_database_mode_stays_an_option(self, tmp_path: Path) -> None:
        """raw_storage = "database" keeps the compressed page in the row and creates no directory."""
        store = Store(f"sqlite:///{tmp_path}/wirefeed.db")
        try:
            settings = default_settings(store.url, raw_storage="database")
            summary = run_backfill(store, settings, BackfillOptions(warcs=[str(
                write_warc(tmp_path / "in.warc.gz", warc_pages()))]))
            assert summary.stored == 4
            assert all(row.body is not None and row.archive_file is None for row in raw_rows(store))
            assert not (tmp_path / "wirefeed.db-warc").exists()
        finally:
            store.close()

    def test_relative_file_and_explicit_directory(self) -> None:
        """A relative SQLite path gives a relative directory (as the file's); archive_dir wins; blank is unset."""
        assert archive.archive_directory(default_settings("sqlite:///wirefeed.db")) == Path("wirefeed.db-warc")
        explicit = default_settings("sqlite:///x.db", archive_dir="/srv/warc")
        assert archive.archive_directory(explicit) == Path("/srv/warc")
        assert StoreSettings(archive_dir=" ").archive_dir is None

    def test_in_memory_database_keeps_pages_in_memory(self) -> None:
        """An in-memory SQLite store has no file to sit beside: its pages stay in its rows."""
        for url in ("sqlite://", "sqlite:///:memory:"):
            settings = default_settings(url)
            assert archive.archive_directory(settings) is None
            assert archive.archive_for(settings) is None

    @pytest.mark.parametrize("command", [["stats"], ["stats", "--json"], ["prune", "--dry-run"], ["prune"],
                                         ["stories", "--since", "1d"]])
    def test_read_only_commands_create_no_directory(self, tmp_path: Path, command: list[str]) -> None:
        """Commands that write no page never create the archive directory."""
        db = tmp_path / "wirefeed.db"
        Store(f"sqlite:///{db}").close()
        done = subprocess.run([*wirefeed_command(), "--db", f"sqlite:///{db}", *command], env=environment(),
                              capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == []


class TestPostgresDefault:
    """A PostgreSQL store has no place beside it: archive mode asks for archive_dir instead of guessing."""

    def test_writer_refused_with_what_to_set(self) -> None:
        """Without archive_dir the archive writer is refused, naming both ways out; database mode needs none."""
        url = "postgresql+psycopg://wirefeed:secret@db.internal/wirefeed"
        with pytest.raises(archive.ArchiveNotConfigured) as caught:
            archive.archive_for(default_settings(url))
        message = str(caught.value)
        assert "[store] archive_dir" in message
        assert 'raw_storage = "database"' in message
        assert "secret" not in message
        assert caught.value.kind == "config"
        assert archive.archive_for(default_settings(url, raw_storage="database")) is None
        assert archive.archive_for(default_settings(url, archive_dir="/srv/warc")) is not None

    @pytest.mark.postgres
    def test_backfill_stops_before_storing_anything(self, pg_url: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
        """`wirefeed backfill` on PostgreSQL without archive_dir fails at start with the reason; nothing stored."""
        monkeypatch.delenv("WIREFEED_STORE__ARCHIVE_DIR")
        Store(pg_url).close()
        warc = write_warc(tmp_path / "in.warc.gz", warc_pages())
        done = subprocess.run([*wirefeed_command(), "--db", pg_url, "backfill", "--warc", str(warc), "--no-progress"],
                              env=environment(), capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode != 0
        assert "set [store] archive_dir" in done.stderr
        store = Store(pg_url)
        try:
            assert raw_rows(store) == []
        finally:
            store.close()

    @pytest.mark.postgres
    def test_items_only_ingest_needs_no_archive(self, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        """`wirefeed ingest` with `[fetch] fetch_articles = false` stores no page: no archive_dir is asked for."""
        monkeypatch.delenv("WIREFEED_STORE__ARCHIVE_DIR")
        monkeypatch.setenv("WIREFEED_FETCH__FETCH_ARTICLES", "false")
        monkeypatch.setenv("WIREFEED_FETCH__ALLOWED_NETWORKS", '["127.0.0.1/32"]')
        monkeypatch.setenv("WIREFEED_FETCH__PER_HOST_DELAY", "0")
        with World("one") as world:
            one = world["one"]
            one.static("/feed.xml", rss("Items", [{"title": f"Item {i}", "link": f"{one.base}/i{i}.html",
                                                    "guid": f"i{i}"} for i in range(3)]), "application/rss+xml")
            assert cli_main(["--db", pg_url, "feeds", "add", one.url("/feed.xml")]) == 0
            assert cli_main(["--db", pg_url, "ingest", "--all"]) == 0
        store = Store(pg_url)
        try:
            with store.session() as session:
                assert session.scalar(select(func.count()).select_from(FeedItem)) == 3
            # Where pages are stored, the writer is still refused: a pipeline that fetches articles.
            settings = default_settings(pg_url)
            with pytest.raises(archive.ArchiveNotConfigured):
                Pipeline(store, settings).close()
        finally:
            store.close()
