"""Raw pages in WARC files: written with the rows, read back by offset, re-extracted, re-ingested, crash-safe."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import signal
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update
from warcio.archiveiterator import ArchiveIterator

from config.settings import DatabaseSettings, ExtractSettings, FetchSettings, Settings, StoreSettings
from ingest.backfill.run import Backfill, BackfillOptions, BackfillSummary
from ingest.backfill.warc import read_warc
from ingest.pipeline import Pipeline
from store import archive
from store.db import Store
from store.models import Article, RawPage
from tests.test_backfill import NoNetwork, warc_pages, wirefeed_command, write_warc

OLD_VERSION = "trafilatura 0.0+wirefeed-clean 0"


def archive_settings(url: str, directory: Path, **store: object) -> Settings:
    """Settings for a WARC backfill in archive mode, one extraction worker."""
    return Settings(
        database=DatabaseSettings(url=url),  # type: ignore[arg-type]
        fetch=FetchSettings(per_host_delay=0, timeout=10),
        extract=ExtractSettings(workers=1, timeout=30),
        store=StoreSettings(raw_storage="archive", archive_dir=str(directory), **store),  # type: ignore[arg-type]
    )


def run_backfill(store: Store, settings: Settings, options: BackfillOptions) -> BackfillSummary:
    pipeline = Pipeline(store, settings, transport=NoNetwork())
    try:
        return asyncio.run(Backfill(pipeline, options).run())
    finally:
        pipeline.close()


def raw_rows(store: Store) -> list[RawPage]:
    with store.session() as s:
        rows = list(s.scalars(select(RawPage).order_by(RawPage.article_id)))
        s.expunge_all()
    return rows


def archived_responses(directory: Path) -> list[str]:
    """Target URIs of every response record in the archive's files."""
    urls = []
    for path in sorted(directory.glob("*.warc.gz")):
        with path.open("rb") as handle:
            urls += [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(handle)
                     if r.rec_type == "response"]
    return urls


@pytest.fixture
def archived(tmp_path: Path) -> Iterator[tuple[Store, Settings, Path]]:
    """A SQLite store backfilled from a WARC file with raw pages in archive mode."""
    directory = tmp_path / "archive"
    store = Store(f"sqlite:///{tmp_path}/wirefeed.db")
    settings = archive_settings(store.url, directory)
    summary = run_backfill(store, settings, BackfillOptions(warcs=[str(write_warc(tmp_path / "in.warc.gz",
                                                                                   warc_pages()))]))
    assert summary.stored == 4
    yield store, settings, directory
    store.close()


class TestArchiveMode:
    """The pipeline writes raw pages to WARC files; the rows keep (file, offset, length)."""

    def test_rows_point_at_request_and_response_records(self, archived: tuple[Store, Settings, Path]) -> None:
        """Each raw page row has no body, and its span holds a request and a response record with headers."""
        store, _, directory = archived
        rows = raw_rows(store)
        assert len(rows) == 4
        originals = dict(warc_pages())
        for row in rows:
            assert row.body is None
            assert row.archive_file is not None
            assert row.archive_offset is not None
            assert row.archive_length
            path = directory / row.archive_file
            with path.open("rb") as handle:
                handle.seek(row.archive_offset)
                span = handle.read(row.archive_length)
            kinds = [r.rec_type for r in ArchiveIterator(io.BytesIO(span))]
            assert kinds == ["request", "response"]
            back = archive.read(directory, archive.Ref(row.archive_file, row.archive_offset, row.archive_length))
            assert back.body == originals[row.url].encode()
            assert back.headers["content-type"] == "text/html; charset=utf-8"
            assert back.fetched == datetime(2024, 3, 1, 10, tzinfo=UTC)
        assert sorted(archived_responses(directory)) == sorted(r.url for r in rows)

    def test_reextract_reads_the_archive(self, archived: tuple[Store, Settings, Path]) -> None:
        """An older extractor version is re-extracted from the WARC record, to the same text."""
        store, settings, _ = archived
        with store.session() as s:
            before = dict(s.execute(select(Article.id, Article.text)).all())
            s.execute(update(Article).values(extractor_version=OLD_VERSION))
        summary = run_backfill(store, settings, BackfillOptions(reextract=True))
        assert (summary.reextracted, summary.changed, summary.failed_total) == (4, 0, 0)
        with store.session() as s:
            assert dict(s.execute(select(Article.id, Article.text)).all()) == before

    def test_reextract_says_why_when_the_file_is_gone(self, archived: tuple[Store, Settings, Path]) -> None:
        """With its archive file deleted, re-extraction fails as raw_gone naming the file; the articles stay."""
        store, settings, directory = archived
        for path in directory.glob("*.warc.gz"):
            path.unlink()
        with store.session() as s:
            s.execute(update(Article).values(extractor_version=OLD_VERSION))
        summary = run_backfill(store, settings, BackfillOptions(reextract=True))
        assert summary.failed_total == 4
        assert summary.failed == {"raw_gone": 4}
        name = raw_rows(store)[0].archive_file
        loaded = _load(store, settings, raw_rows(store)[0].article_id)
        assert isinstance(loaded, archive.RawGone)
        assert f"archive file {name} is gone" in str(loaded)

    def test_backfill_warc_over_the_written_archive(self, archived: tuple[Store, Settings, Path],
                                                    tmp_path: Path) -> None:
        """The archive's files are WARC input for another store: the same articles and texts come back."""
        store, _, directory = archived
        files = sorted(str(p) for p in directory.glob("*.warc.gz"))
        assert [page.response.url for f in files for page in read_warc(f)] == [r.url for r in raw_rows(store)]
        other = Store(f"sqlite:///{tmp_path}/other.db")
        try:
            settings = archive_settings(other.url, tmp_path / "other-archive")
            summary = run_backfill(other, settings, BackfillOptions(warcs=files))
            assert (summary.stored, summary.failed_total) == (4, 0)
            texts = {}
            for db in (store, other):
                with db.session() as s:
                    texts[db.url] = sorted(s.execute(select(Article.canonical_url, Article.text)).all())
            assert texts[store.url] == texts[other.url]
        finally:
            other.close()


def _load(store: Store, settings: Settings, article_id: int) -> object:
    with store.session() as s:
        loaded = archive.raw_page_for(s, article_id, settings.store.archive_dir)
    assert loaded is not None
    return loaded[2]


class TestArchiveFiles:
    """The writer: rotation, rollback, recovery of a dead writer's tail."""

    def page(self, n: int) -> dict[str, object]:
        return {"url": f"http://a.example/{n}.html", "status": 200, "headers": {"content-type": "text/html"},
                "body": f"<html><body><p>page {n} {os.urandom(3000).hex()}</p></body></html>".encode(),
                "fetched": datetime(2026, 12, 3, tzinfo=UTC)}

    def test_rotates_by_size(self, store: Store, tmp_path: Path) -> None:
        """Past max_bytes the next group goes to a new file; every reference reads back its own page."""
        writer = archive.Archive(tmp_path, max_bytes=1 << 16)
        refs = []
        for n in range(40):
            with store.session() as s:
                refs += writer.write(s, [self.page(n)])
        writer.close()
        assert len({r.file for r in refs}) > 1
        assert [archive.read(tmp_path, r).url for r in refs] == [f"http://a.example/{n}.html" for n in range(40)]

    def test_rollback_cuts_the_group_off(self, store: Store, tmp_path: Path) -> None:
        """A transaction that rolls back leaves none of its records in the file."""
        writer = archive.Archive(tmp_path)
        with store.session() as s:
            first = writer.write(s, [self.page(1)])
        def failing() -> None:
            with store.session() as s:
                writer.write(s, [self.page(2), self.page(3)])
                raise RuntimeError("the transaction fails after the records were written")

        with pytest.raises(RuntimeError):
            failing()
        with store.session() as s:
            writer.write(s, [self.page(4)])
        writer.close()
        assert archived_responses(tmp_path) == ["http://a.example/1.html", "http://a.example/4.html"]
        assert archive.read(tmp_path, first[0]).url == "http://a.example/1.html"


class TestKilledWhileArchiving:
    """kill -9 between the archive's fsync and the commit, then a rerun: no dangling row, no duplicate record."""

    def test_kill_9_after_fsync_before_commit(self, tmp_path: Path) -> None:
        """The first group's records are written and the process dies; the rerun cuts them and archives once."""
        source = write_warc(tmp_path / "in.warc.gz", warc_pages())
        db = tmp_path / "killed.db"
        directory = tmp_path / "archive"
        env = dict(os.environ, WIREFEED_STORE__RAW_STORAGE="archive", WIREFEED_STORE__ARCHIVE_DIR=str(directory),
                   WIREFEED_EXTRACT__WORKERS="1", WIREFEED_LOG__FORMAT="json")
        command = [*wirefeed_command(), "--db", f"sqlite:///{db}", "backfill", "--warc", str(source), "--no-progress"]
        killed = subprocess.Popen(command, env=dict(env, **{archive.CRASH_ENV: "1"}), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            killed.communicate(timeout=120)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(killed.pid, signal.SIGKILL)  # its extraction workers
        assert killed.returncode == -signal.SIGKILL
        store = Store(f"sqlite:///{db}")
        try:
            assert raw_rows(store) == []  # the group never committed
            assert len(archived_responses(directory)) == 4  # ... but its records were written and fsynced
            rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
            assert rerun.returncode == 0, rerun.stderr
            rows = raw_rows(store)
            assert len(rows) == 4
            for row in rows:  # no article points at a missing record
                ref = archive.Ref(row.archive_file or "", row.archive_offset or 0, row.archive_length or 0)
                assert archive.read(directory, ref).url == row.url
            urls = archived_responses(directory)
            assert sorted(urls) == sorted(r.url for r in rows)  # no record archived twice
        finally:
            store.close()


class TestRecovery:
    """A dead writer's unreferenced tail is cut by the next writer of its own database only."""

    def test_only_the_own_databases_dead_files(self, tmp_path: Path) -> None:
        """B's writer leaves A's dead file alone; A's next writer removes it (nothing points at it)."""
        dead = subprocess.Popen(["true"])
        dead.wait()
        one, two = Store(f"sqlite:///{tmp_path}/a.db"), Store(f"sqlite:///{tmp_path}/b.db")
        try:
            page = TestArchiveFiles().page(1)
            with one.session() as s:
                written = archive.Archive(tmp_path / "warc").write(s, [page])[0]
            orphan = tmp_path / "warc" / written.file.replace(f"-{os.getpid()}-", f"-{dead.pid}-")
            (tmp_path / "warc" / written.file).rename(orphan)
            with two.session() as s:
                archive.Archive(tmp_path / "warc").write(s, [page])
            assert orphan.exists()
            with one.session() as s:
                archive.Archive(tmp_path / "warc").write(s, [page])
            assert not orphan.exists()
            assert len(archived_responses(tmp_path / "warc")) == 2
        finally:
            one.close()
            two.close()
