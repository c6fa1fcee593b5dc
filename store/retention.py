"""Retention: raw pages past `[store] raw_retention_days`, dedupe index rows past the windows they serve.

What goes, and why it may:
- raw pages: archive files whose last write (mtime) is older than the retention, and in database mode
  the compressed bodies of pages fetched before it. The article rows stay; their raw page row keeps the
  URL, status and headers, with neither a body nor an archive reference, so re-extraction says it was
  pruned. With `raw_retention = "move"` the files go to `cold_dir` instead and the rows keep pointing
  at them (re-extraction reads them there); bodies in the database are then kept.
- `lsh_bands` rows that arrived before the dedupe window (`[dedupe] window_days` before the current hour:
  what `Clusterer.horizon` no longer reads), and `lineage_keys` rows before `[dedupe] lineage_days`.
  A running pipeline already evicts both on each new hour; this covers stores that no pipeline runs on.
"""

from __future__ import annotations

import errno
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from store.archive import archive_directory, archive_files, database_ident
from store.models import LineageKey, LshBand, RawPage


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass(slots=True)
class PrunePlan:
    """What a prune removes (or removed): counts and bytes by kind, with the cutoff of each."""

    raw_before: datetime | None  # None: raw pages are kept forever (raw_retention_days = 0)
    raw_rows: int = 0  # database mode: bodies cleared
    raw_bytes: int = 0
    files: list[tuple[str, int]] = field(default_factory=list)  # archive files deleted, with their size
    file_rows: int = 0  # raw page rows pointing into those files
    moved_to: str | None = None  # raw_retention = "move": the cold directory the files go to (rows keep them)
    bands_before: datetime | None = None
    bands: int = 0
    lineage_before: datetime | None = None
    lineage: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The plan as JSON-ready fields."""
        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment is not None else None

        return {
            "raw_before": iso(self.raw_before), "raw_rows": self.raw_rows, "raw_bytes": self.raw_bytes,
            "archive_files": len(self.files), "archive_bytes": sum(size for _, size in self.files),
            "archive_rows": self.file_rows, "files": [name for name, _ in self.files],
            "archive_action": "move" if self.moved_to else "delete", "cold_dir": self.moved_to,
            "bands_before": iso(self.bands_before), "lsh_bands": self.bands,
            "lineage_before": iso(self.lineage_before), "lineage_keys": self.lineage,
        }


def _own_files(session: Session, directory: Path) -> list[Path]:
    """This database's archive files: named after it, or pointed at by its rows.

    A file's name carries the database's name (`database_ident`, from its URL), which changes when the
    database moves (a SQLite file renamed, a server renamed): its files written before still hold its
    pages. A file of another database sharing the directory is neither.
    """
    own = [path for path, _, _, _ in archive_files(directory, database_ident(session))]
    named = {path.name for path in own}
    others = {path.name: path for path, _, _, _ in archive_files(directory) if path.name not in named}
    names = sorted(others)
    for start in range(0, len(names), 500):
        referenced = session.scalars(select(RawPage.archive_file).distinct()
                                     .where(RawPage.archive_file.in_(names[start : start + 500])))
        own.extend(others[name] for name in referenced if name is not None)
    return sorted(own)


def plan(session: Session, settings: Any, now: datetime) -> PrunePlan:
    """What pruning at `now` would remove, without removing anything."""
    days = settings.store.raw_retention_days
    found = PrunePlan(raw_before=now - timedelta(days=days) if days else None)
    moving = settings.store.raw_retention == "move"
    if moving:
        found.moved_to = str(Path(settings.store.cold_dir).expanduser())
    if found.raw_before is not None:
        cutoff = found.raw_before
        if not moving:  # bodies in the database have no file to move: "move" keeps them
            rows, size = session.execute(
                select(func.count(), func.coalesce(func.sum(func.length(RawPage.body)), 0))
                .where(RawPage.body.is_not(None), RawPage.fetched < cutoff)
            ).one()
            found.raw_rows, found.raw_bytes = int(rows), int(size)
        directory = archive_directory(settings, session.get_bind().engine.url.render_as_string(hide_password=False))
        if directory is not None:
            for path in _own_files(session, directory):
                stat = path.stat()
                if datetime.fromtimestamp(stat.st_mtime, UTC) < cutoff:
                    found.files.append((path.name, stat.st_size))
            names = [name for name, _ in found.files]
            if names:
                found.file_rows = int(session.scalar(
                    select(func.count()).select_from(RawPage).where(RawPage.archive_file.in_(names))) or 0)
    found.bands_before = _hour(now) - timedelta(days=settings.dedupe.window_days)
    found.bands = int(session.scalar(
        select(func.count()).select_from(LshBand).where(LshBand.added < found.bands_before)) or 0)
    found.lineage_before = _hour(now) - timedelta(days=settings.dedupe.lineage_days)
    found.lineage = int(session.scalar(
        select(func.count()).select_from(LineageKey).where(LineageKey.added < found.lineage_before)) or 0)
    return found


def prune(session: Session, settings: Any, now: datetime) -> PrunePlan:
    """Remove what `plan` finds; the rows first, the files once the caller's transaction commits.

    Returns the plan, with the counts of what was removed. The caller deletes the files (`delete_files`)
    after committing: a crash in between leaves files no row points at, never a row pointing at nothing.
    """
    found = plan(session, settings, now)
    if found.raw_before is not None and found.moved_to is None:  # moved files stay referenced
        found.raw_rows = int(session.execute(
            update(RawPage).where(RawPage.body.is_not(None), RawPage.fetched < found.raw_before)
            .values(body=None)).rowcount or 0)  # type: ignore[attr-defined]
        names = [name for name, _ in found.files]
        if names:
            found.file_rows = int(session.execute(
                update(RawPage).where(RawPage.archive_file.in_(names))
                .values(archive_file=None, archive_offset=None, archive_length=None)).rowcount or 0)  # type: ignore[attr-defined]
    assert found.bands_before is not None
    assert found.lineage_before is not None
    found.bands = int(session.execute(
        delete(LshBand).where(LshBand.added < found.bands_before)).rowcount or 0)  # type: ignore[attr-defined]
    found.lineage = int(session.execute(
        delete(LineageKey).where(LineageKey.added < found.lineage_before)).rowcount or 0)  # type: ignore[attr-defined]
    return found


def move_files(directory: str | Path | None, found: PrunePlan) -> int:
    """Move the plan's archive files to its cold directory; how many were moved.

    Each file is copied under a temporary name, fsynced, renamed into place (and the directory fsynced)
    before the original is removed: a crash leaves the file in both places (the next prune moves it
    again) or a `.part` copy, never neither. A rename when both are on one filesystem.
    """
    if directory is None or found.moved_to is None:
        return 0
    cold = Path(found.moved_to)
    cold.mkdir(parents=True, exist_ok=True)
    moved = 0
    for name, _ in found.files:
        source, target = Path(directory) / name, cold / name
        if not source.exists():
            continue
        try:
            os.rename(source, target)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            # Another filesystem: copy, then remove.
            part = cold / f"{name}.part"
            with source.open("rb") as reading, part.open("wb") as writing:
                shutil.copyfileobj(reading, writing, 1 << 20)
                writing.flush()
                os.fsync(writing.fileno())
            os.replace(part, target)
            _fsync_directory(cold)
            source.unlink()
        else:
            _fsync_directory(cold)
        moved += 1
    return moved


def _fsync_directory(path: Path) -> None:
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def delete_files(directory: str | Path | None, found: PrunePlan) -> int:
    """Delete the plan's archive files (after its rows were committed); how many were there to delete."""
    if directory is None:
        return 0
    deleted = 0
    for name, _ in found.files:
        try:
            (Path(directory) / name).unlink()
            deleted += 1
        except FileNotFoundError:
            pass
    return deleted
