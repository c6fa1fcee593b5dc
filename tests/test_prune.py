"""Retention: `wirefeed prune [--dry-run]` on raw pages (database and archive mode) and dedupe index rows."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from config.settings import DatabaseSettings, ExtractSettings, FetchSettings, Settings, StoreSettings
from ingest.backfill.run import BackfillOptions
from ingest.retention import prune_store
from store.db import Store
from store.models import Article, LineageKey, LshBand, RawPage, utcnow
from tests.test_archive import OLD_VERSION, raw_rows, run_backfill
from tests.test_backfill import warc_pages, wirefeed_command, write_warc


def settings_for(url: str, tmp_path: Path, *, archive: bool) -> Settings:
    """Settings keeping raw pages 30 days (the WARC's pages were fetched in 2024), in either mode."""
    store = StoreSettings(raw_storage="archive" if archive else "database",
                          archive_dir=str(tmp_path / "archive") if archive else None, raw_retention_days=30)
    return Settings(database=DatabaseSettings(url=url),  # type: ignore[arg-type]
                    fetch=FetchSettings(per_host_delay=0), extract=ExtractSettings(workers=1, timeout=30), store=store)


def counts(store: Store) -> tuple[int, int, int, int]:
    """Raw bodies in the database, raw pages in archive files, band rows, lineage rows."""
    with store.session() as s:
        return (
            int(s.scalar(select(func.count()).select_from(RawPage).where(RawPage.body.is_not(None))) or 0),
            int(s.scalar(select(func.count()).select_from(RawPage).where(RawPage.archive_file.is_not(None))) or 0),
            int(s.scalar(select(func.count()).select_from(LshBand)) or 0),
            int(s.scalar(select(func.count()).select_from(LineageKey)) or 0),
        )


def age_index_rows(store: Store, days: int) -> None:
    """Make every band and lineage row arrive `days` ago."""
    with store.session() as s:
        s.execute(update(LshBand).values(added=utcnow() - timedelta(days=days)))
        s.execute(update(LineageKey).values(added=utcnow() - timedelta(days=days)))


class TestPruneDatabaseMode:
    """Raw bodies in the database past the retention are cleared; the articles stay."""

    def test_dry_run_then_prune_then_reextract_says_why(self, tmp_path: Path) -> None:
        """The dry run counts and removes nothing; the prune clears bodies and old band rows only."""
        store = Store(f"sqlite:///{tmp_path}/w.db")
        settings = settings_for(store.url, tmp_path, archive=False)
        try:
            run_backfill(store, settings, BackfillOptions(warcs=[str(write_warc(tmp_path / "a.warc", warc_pages()))]))
            bodies, _, bands, lineage = counts(store)
            assert (bodies, bands > 0, lineage > 0) == (4, True, True)
            with store.session() as s:  # bands older than the window (3 days), lineage within its 365
                s.execute(update(LshBand).values(added=utcnow() - timedelta(days=5)))
            planned = prune_store(store, settings, dry_run=True)
            assert (planned.raw_rows, planned.bands, planned.lineage) == (4, bands, 0)
            assert planned.raw_bytes > 0
            assert counts(store) == (4, 0, bands, lineage)
            done = prune_store(store, settings)
            assert (done.raw_rows, done.bands, done.lineage) == (4, bands, 0)
            assert counts(store) == (0, 0, 0, lineage)
            with store.session() as s:
                assert s.scalar(select(func.count()).select_from(Article).where(Article.status == "ok")) == 4
                s.execute(update(Article).values(extractor_version=OLD_VERSION))
            summary = run_backfill(store, settings, BackfillOptions(reextract=True))
            assert summary.failed == {"raw_gone": 4}
        finally:
            store.close()


class TestPruneArchiveMode:
    """Archive files last written before the retention are deleted after their rows stop pointing at them."""

    def test_old_files_deleted_new_ones_kept(self, tmp_path: Path) -> None:
        """An old file goes with its references; a fresh one stays and its pages still read back."""
        store = Store(f"sqlite:///{tmp_path}/w.db")
        settings = settings_for(store.url, tmp_path, archive=True)
        try:
            run_backfill(store, settings, BackfillOptions(warcs=[str(write_warc(tmp_path / "a.warc", warc_pages()))]))
            files = sorted((tmp_path / "archive").glob("*.warc.gz"))
            assert len(files) == 1
            assert prune_store(store, settings, dry_run=True).files == []  # written now: kept
            old = (utcnow() - timedelta(days=31)).timestamp()
            os.utime(files[0], (old, old))
            planned = prune_store(store, settings, dry_run=True)
            assert [name for name, _ in planned.files] == [files[0].name]
            assert planned.file_rows == 4
            assert files[0].exists()
            prune_store(store, settings)
            assert not files[0].exists()
            assert counts(store)[:2] == (0, 0)
            assert len(raw_rows(store)) == 4  # the rows stay, with URL and headers
            with store.session() as s:
                s.execute(update(Article).values(extractor_version=OLD_VERSION))
            summary = run_backfill(store, settings, BackfillOptions(reextract=True))
            assert summary.failed == {"raw_gone": 4}
        finally:
            store.close()

    def test_files_of_a_moved_database_still_pruned(self, tmp_path: Path) -> None:
        """After the database file moves (its name in the archive's file names changes), the files its rows
        point at are still its own to prune; a file of another database sharing the directory is not."""
        first = tmp_path / "w.db"
        for database, warc in ((first, "a.warc"), (tmp_path / "other.db", "b.warc")):  # one archive directory
            store = Store(f"sqlite:///{database}")
            try:
                run_backfill(store, settings_for(store.url, tmp_path, archive=True),
                             BackfillOptions(warcs=[str(write_warc(tmp_path / warc, warc_pages()))]))
            finally:
                store.close()
        files = sorted((tmp_path / "archive").glob("*.warc.gz"))
        assert len(files) == 2
        old = (utcnow() - timedelta(days=31)).timestamp()
        for path in files:
            os.utime(path, (old, old))
        moved = tmp_path / "moved.db"
        first.rename(moved)
        store = Store(f"sqlite:///{moved}")
        try:
            with store.session() as s:
                ours = {name for name in s.scalars(select(RawPage.archive_file).distinct()) if name is not None}
            planned = prune_store(store, settings_for(store.url, tmp_path, archive=True))
            assert [name for name, _ in planned.files] == sorted(ours)
            assert planned.file_rows == 4
            assert sorted(p.name for p in (tmp_path / "archive").glob("*.warc.gz")) == sorted(
                p.name for p in files if p.name not in ours)
        finally:
            store.close()


class TestPruneCommand:
    """`wirefeed prune` through the CLI."""

    def test_dry_run_json_and_text(self, tmp_path: Path) -> None:
        """--dry-run --json gives the counts and removes nothing; the text run says what it removed."""
        db = f"sqlite:///{tmp_path}/w.db"
        store = Store(db)
        try:
            run_backfill(store, settings_for(db, tmp_path, archive=False),
                         BackfillOptions(warcs=[str(write_warc(tmp_path / "a.warc", warc_pages()))]))
            age_index_rows(store, 400)
            before = counts(store)
        finally:
            store.close()
        env = dict(os.environ, WIREFEED_STORE__RAW_RETENTION_DAYS="30")
        dry = subprocess.run([*wirefeed_command(), "--db", db, "prune", "--dry-run", "--json"], env=env,
                             capture_output=True, text=True, timeout=60, check=False)
        assert dry.returncode == 0, dry.stderr
        fields = json.loads(dry.stdout)
        assert fields["dry_run"] is True
        assert (fields["raw_rows"], fields["lsh_bands"], fields["lineage_keys"]) == (4, before[2], before[3])
        store = Store(db)
        try:
            assert counts(store) == before
        finally:
            store.close()
        done = subprocess.run([*wirefeed_command(), "--db", db, "prune"], env=env, capture_output=True, text=True,
                              timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        assert "removed 0 archive files (0 bytes, 0 pages) and 4 bodies in the database" in done.stdout
        assert f"([dedupe] window_days): removed {before[2]}" in done.stdout
        store = Store(db)
        try:
            assert counts(store) == (0, 0, 0, 0)
        finally:
            store.close()


class TestDaemonPrunes:
    """The daemon schedules a prune every day, and the job prunes."""

    def test_daily_job_prunes(self, tmp_path: Path) -> None:
        """The scheduler holds a 24 h `prune` job; running it removes old band rows."""
        import asyncio

        from ingest.daemon import PassSlot, _scheduler
        from ingest.health import Health

        db = f"sqlite:///{tmp_path}/w.db"
        store = Store(db)
        settings = settings_for(db, tmp_path, archive=False)
        try:
            run_backfill(store, settings, BackfillOptions(warcs=[str(write_warc(tmp_path / "a.warc", warc_pages()))]))
            age_index_rows(store, 5)

            async def job() -> object:
                scheduler = _scheduler(store, settings, None, PassSlot(), asyncio.Event(),  # type: ignore[arg-type]
                                       watch=Health(store, 30))
                found = scheduler.get_job("prune")
                assert found is not None
                assert found.trigger.interval == timedelta(hours=24)
                return found.func

            func = asyncio.run(job())
            assert counts(store)[2] > 0
            func()  # type: ignore[operator]
            assert counts(store)[:3] == (0, 0, 0)
        finally:
            store.close()
