"""Retention that moves old archive files to a cold directory (`[store] raw_retention = "move"`)."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from config.settings import (
    ConfigError,
    DatabaseSettings,
    ExtractSettings,
    FetchSettings,
    Settings,
    StoreSettings,
    load_settings,
)
from ingest.backfill.run import BackfillOptions
from ingest.retention import prune_store
from store.db import Store
from store.models import Article, RawPage, utcnow
from tests.test_archive import OLD_VERSION, raw_rows, run_backfill
from tests.test_backfill import warc_pages, wirefeed_command, write_warc


def move_settings(url: str, tmp_path: Path) -> Settings:
    """Archive mode keeping raw pages 30 days in archive/, then in cold/."""
    store = StoreSettings(raw_storage="archive", archive_dir=str(tmp_path / "archive"), raw_retention_days=30,
                          raw_retention="move", cold_dir=str(tmp_path / "cold"))
    return Settings(database=DatabaseSettings(url=url),  # type: ignore[arg-type]
                    fetch=FetchSettings(per_host_delay=0), extract=ExtractSettings(workers=1, timeout=30), store=store)


def backfilled(tmp_path: Path) -> tuple[Store, Settings, Path]:
    """A store with 4 pages in one archive file, that file made 31 days old."""
    store = Store(f"sqlite:///{tmp_path}/w.db")
    settings = move_settings(store.url, tmp_path)
    run_backfill(store, settings, BackfillOptions(warcs=[str(write_warc(tmp_path / "a.warc", warc_pages()))]))
    (path,) = sorted((tmp_path / "archive").glob("*.warc.gz"))
    old = (utcnow() - timedelta(days=31)).timestamp()
    os.utime(path, (old, old))
    return store, settings, path


def reextract(store: Store, settings: Settings) -> dict[str, int]:
    with store.session() as s:
        s.execute(update(Article).values(extractor_version=OLD_VERSION))
    summary = run_backfill(store, settings, BackfillOptions(reextract=True))
    return {"reextracted": summary.reextracted, "failed": summary.failed_total}


class TestMoveToCold:
    """Old archive files move to cold_dir; the rows keep pointing at them and re-extraction reads them there."""

    def test_moved_files_are_still_read(self, tmp_path: Path) -> None:
        """The dry run moves nothing; the prune moves the file whole; re-extraction reads it in cold_dir."""
        store, settings, path = backfilled(tmp_path)
        try:
            data = path.read_bytes()
            before = [(r.archive_file, r.archive_offset, r.archive_length) for r in raw_rows(store)]
            planned = prune_store(store, settings, dry_run=True)
            assert ([n for n, _ in planned.files], planned.file_rows, planned.moved_to) == \
                ([path.name], 4, str(tmp_path / "cold"))
            assert path.exists()
            assert not (tmp_path / "cold").exists()
            prune_store(store, settings)
            assert not path.exists()
            assert (tmp_path / "cold" / path.name).read_bytes() == data
            assert [(r.archive_file, r.archive_offset, r.archive_length) for r in raw_rows(store)] == before
            assert reextract(store, settings) == {"reextracted": 4, "failed": 0}
        finally:
            store.close()

    def test_gone_from_both_says_where_it_looked(self, tmp_path: Path) -> None:
        """A file missing from the archive and the cold directory fails as raw_gone naming both."""
        store, settings, path = backfilled(tmp_path)
        try:
            prune_store(store, settings)
            (tmp_path / "cold" / path.name).unlink()
            with store.session() as s:
                s.execute(update(Article).values(extractor_version=OLD_VERSION))
            summary = run_backfill(store, settings, BackfillOptions(reextract=True))
            assert summary.failed == {"raw_gone": 4}
            from store import archive

            with store.session() as s:
                loaded = archive.raw_page_for(s, raw_rows(store)[0].article_id, archive.read_directories(settings))
            assert loaded is not None
            assert f"gone from {tmp_path / 'archive'} nor {tmp_path / 'cold'}" in str(loaded[2])
        finally:
            store.close()

    def test_interrupted_move_is_finished_by_the_next_prune(self, tmp_path: Path) -> None:
        """A file left in both places (and a partial copy) by a crash ends in cold_dir alone, whole."""
        store, settings, path = backfilled(tmp_path)
        try:
            data = path.read_bytes()
            cold = tmp_path / "cold"
            cold.mkdir()
            (cold / path.name).write_bytes(data[:100])  # a copy cut short
            (cold / f"{path.name}.part").write_bytes(data[:50])
            prune_store(store, settings)
            assert not path.exists()
            assert (cold / path.name).read_bytes() == data
            assert reextract(store, settings) == {"reextracted": 4, "failed": 0}
        finally:
            store.close()

    def test_database_bodies_are_kept(self, tmp_path: Path) -> None:
        """In database mode "move" has no file to move: the old bodies stay (nothing is destroyed)."""
        store = Store(f"sqlite:///{tmp_path}/w.db")
        settings = move_settings(store.url, tmp_path)
        settings.store.raw_storage = "database"
        try:
            run_backfill(store, settings, BackfillOptions(warcs=[str(write_warc(tmp_path / "a.warc", warc_pages()))]))
            with store.session() as s:
                s.execute(update(RawPage).values(fetched=utcnow() - timedelta(days=40)))
            assert prune_store(store, settings).raw_rows == 0
            assert all(row.body is not None for row in raw_rows(store))
        finally:
            store.close()

    def test_json_and_text_say_move(self, tmp_path: Path) -> None:
        """`wirefeed prune --dry-run --json` names the action and the cold directory; the text says where."""
        store, _, path = backfilled(tmp_path)
        store.close()
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith("WIREFEED_")}
        env.update(WIREFEED_STORE__ARCHIVE_DIR=str(tmp_path / "archive"), WIREFEED_STORE__RAW_RETENTION_DAYS="30",
                   WIREFEED_STORE__RAW_RETENTION="move", WIREFEED_STORE__COLD_DIR=str(tmp_path / "cold"))
        db = f"sqlite:///{tmp_path}/w.db"
        done = subprocess.run([*wirefeed_command(), "--db", db, "prune", "--dry-run", "--json"], env=env,
                              capture_output=True, text=True, timeout=120, check=True)
        fields = json.loads(done.stdout)
        assert (fields["archive_action"], fields["cold_dir"], fields["files"]) == \
            ("move", str(tmp_path / "cold"), [path.name])
        done = subprocess.run([*wirefeed_command(), "--db", db, "prune"], env=env, capture_output=True, text=True,
                              timeout=120, check=True)
        assert "moved 1 archive files" in done.stdout
        assert str(tmp_path / "cold") in done.stdout
        assert (tmp_path / "cold" / path.name).exists()


class TestMoveSettings:
    """raw_retention = "move" needs a cold_dir."""

    def test_move_without_cold_dir_is_refused(self, tmp_path: Path) -> None:
        """The settings refuse "move" without cold_dir, naming it."""
        config = tmp_path / "w.toml"
        config.write_text('[store]\nraw_retention = "move"\n')
        with pytest.raises(ConfigError, match="cold_dir"):
            load_settings(config)
        assert StoreSettings(raw_retention="move", cold_dir="/cold").cold_dir == "/cold"
