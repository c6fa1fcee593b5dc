"""Raw pages in WARC files: each page's request and response records, gzip per record, read back by offset.

The database keeps only where a page is (`raw_pages.archive_file`, `archive_offset`, `archive_length`):
the two records of one page are one contiguous span of a file. Files rotate by size and age and are named
by their opening time, database, host and process (`wirefeed-20261203T075900Z-<10 hex>-host-4242-0001.warc.gz`):
one writer a file, so a file only ever grows at its end.

Crash safety. A group's records are appended and fsynced before the transaction that points at them
commits; a rolled-back transaction cuts its records off the file at once. A writer killed between the
fsync and the commit leaves records that nothing points at, at the end of its file alone: the next
writer of this host cuts every dead writer's file back to the end of its last referenced record
(`recover`), so a rerun that fetches those pages again never archives them twice.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import socket
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter
from zlib_ng import zlib_ng

from config.errors import WirefeedError
from config.settings import ConfigError
from store import sizes
from store.models import Article, RawPage

# wirefeed-<opened UTC>-<database>-<host>-<pid>-<serial>.warc.gz; <database> tells apart the files of
# several databases sharing one directory (recovery and pruning only touch their own database's files).
NAME = sizes.ARCHIVE_NAME
# Headers that describe the bytes as sent, not the decompressed body the archive keeps.
DROPPED_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})
# Test hook: kill this process (SIGKILL) after the Nth group is fsynced, before its transaction commits.
CRASH_ENV = "WIREFEED_TEST_KILL_AFTER_ARCHIVE_GROUP"


class RawGone(WirefeedError):
    """A page's raw bytes are no longer kept (pruned by retention, or its archive file is missing)."""

    kind = "raw_gone"


@dataclass(frozen=True, slots=True)
class RawResponse:
    """One archived response: what re-extraction needs."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    fetched: datetime | None


@dataclass(frozen=True, slots=True)
class Ref:
    """Where a page's records are: file name (relative to the archive directory), offset and length."""

    file: str
    offset: int
    length: int


def _http_date(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def page_records(url: str, status: int, headers: Mapping[str, str], body: bytes, fetched: datetime,
                 *, user_agent: str = "wirefeed") -> bytes:
    """A page's request and response records, each its own gzip member (level 6, see `_gzip_member`)."""
    writer = WARCWriter(io.BytesIO(), gzip=False)
    date = _http_date(fetched)
    host = url.split("://", 1)[-1].split("/", 1)[0]
    path = "/" + url.split("://", 1)[-1].partition("/")[2]
    request = StatusAndHeaders(f"GET {path} HTTP/1.1", [("Host", host), ("User-Agent", user_agent),
                                                        ("Accept", "text/html,application/xhtml+xml")],
                               protocol="HTTP/1.1", is_http_request=True)
    pairs = [(k, v) for k, v in headers.items() if k.lower() not in DROPPED_HEADERS]
    pairs.append(("Content-Length", str(len(body))))
    http = StatusAndHeaders(f"{status} {'OK' if status == 200 else 'Status'}", pairs, protocol="HTTP/1.1")
    # With the length given, warcio digests the payload in place instead of spooling it to a temp file.
    response = writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                         http_headers=http, warc_headers_dict={"WARC-Date": date})
    req = writer.create_warc_record(url, "request", payload=io.BytesIO(b""), length=0, http_headers=request,
                                    warc_headers_dict={"WARC-Date": date})
    req.rec_headers.add_header("WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID"))
    return _gzip_member(req) + _gzip_member(response)


def _gzip_member(record: Any) -> bytes:
    """One record as its own gzip member, at level 6 (gzip's default) by zlib-ng.

    warcio's writer compresses at 9, a third more CPU for 0.6 % fewer bytes; zlib-ng's level 6 takes about
    half the CPU of zlib's (2.5 against 4.7 ms a real page) for 0.7 % more bytes, and any gzip reader
    (warcio, zcat) reads its members (docs/decisions.md, "gzip by zlib-ng").
    """
    plain = io.BytesIO()
    WARCWriter(plain, gzip=False).write_record(record)
    compressor = zlib_ng.compressobj(6, zlib_ng.DEFLATED, zlib_ng.MAX_WBITS | 16)
    return compressor.compress(plain.getvalue()) + compressor.flush()


def _headers(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        if key != "content-length":
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def read(directory: str | Path | Sequence[str | Path], ref: Ref) -> RawResponse:
    """The response a reference points at, its file looked for in each directory in turn (the archive, then
    the cold one); RawGone when the file is in none of them or too short."""
    directories = [directory] if isinstance(directory, str | Path) else list(directory)
    span = None
    for place in directories:
        try:
            with (Path(place) / ref.file).open("rb") as handle:
                handle.seek(ref.offset)
                span = handle.read(ref.length)
            break
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise RawGone(f"archive file {ref.file} cannot be read: {exc}") from None
    if span is None:
        where = " nor ".join(str(place) for place in directories) or "no directory"
        raise RawGone(f"archive file {ref.file} is gone from {where} (deleted by retention or by hand)")
    if len(span) < ref.length:
        raise RawGone(f"archive file {ref.file} ends before the record at offset {ref.offset}")
    for record in ArchiveIterator(io.BytesIO(span)):
        if record.rec_type == "response" and record.http_headers is not None:
            fetched_text = record.rec_headers.get_header("WARC-Date")
            fetched = datetime.fromisoformat(fetched_text.replace("Z", "+00:00")) if fetched_text else None
            return RawResponse(
                url=record.rec_headers.get_header("WARC-Target-URI") or "",
                status=int(record.http_headers.get_statuscode() or 0),
                headers=_headers(record.http_headers.headers),
                body=record.content_stream().read(),
                fetched=fetched,
            )
    raise RawGone(f"archive file {ref.file} holds no response at offset {ref.offset}")


def database_ident(session: Session) -> str:
    """A short stable name of the session's database (its URL without password), for file names."""
    url = session.get_bind().engine.url.render_as_string(hide_password=True)
    return hashlib.sha1(url.encode()).hexdigest()[:10]  # a name, not a signature


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Archive:
    """One process's writer of raw pages into rotating WARC files under a directory."""

    def __init__(self, directory: str | Path, *, max_bytes: int = 1 << 30, max_seconds: float = 3600.0,
                 user_agent: str = "wirefeed") -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.max_seconds = max_seconds
        self.user_agent = user_agent
        self.host = re.sub(r"[^A-Za-z0-9.]+", "_", socket.gethostname()) or "host"
        self._lock = threading.Lock()
        self._name = ""  # the file being written ("" before the first write)
        self._size = 0
        self._opened = 0.0
        self._day = ""
        self._serial = 0
        self._pid = 0
        self._groups = 0
        self._recovered: set[str] = set()  # databases whose dead writers' tails were cut
        self._ident = ""

    # Writing --------------------------------------------------------------------------------------

    def write(self, session: Session, pages: Sequence[Mapping[str, Any]]) -> list[Ref]:
        """Append pages (url, status, headers, body, fetched; or their `records`, as `page_records` makes them)
        and fsync; a rollback of `session` cuts them off.

        Called inside the transaction that inserts the rows pointing at the records, before it commits.
        """
        if not pages:
            return []
        session.connection()  # the transaction has begun, so its rollback is seen (an idle session has none)
        with self._lock:
            ident = database_ident(session)
            if ident not in self._recovered:
                recover(session, self.directory)
                self._recovered.add(ident)
            name = self._current(ident)
            mark = self._size
            refs, chunks = [], []
            for page in pages:
                data = page.get("records")  # built by the extraction worker: the writer only appends
                if data is None:
                    data = page_records(page["url"], page["status"], page["headers"], page["body"], page["fetched"],
                                        user_agent=self.user_agent)
                refs.append(Ref(name, self._size, len(data)))
                chunks.append(data)
                self._size += len(data)
            # Opened for each group (a group is up to 50 pages): no handle outlives a write.
            with (self.directory / name).open("r+b") as handle:
                handle.seek(mark)
                handle.write(b"".join(chunks))
                handle.truncate()
                handle.flush()
                os.fsync(handle.fileno())
        armed = [True]

        def committed(_session: Session) -> None:
            armed[0] = False

        def rolled_back(_session: Session) -> None:
            if armed[0]:
                armed[0] = False
                self._cut(name, mark)

        event.listen(session, "after_commit", committed, once=True)
        event.listen(session, "after_soft_rollback", lambda s, _previous: rolled_back(s), once=True)
        self._groups += 1
        crash_after = os.environ.get(CRASH_ENV, "")
        if crash_after.isdigit() and self._groups >= int(crash_after):
            os.kill(os.getpid(), 9)
        return refs

    def _current(self, ident: str) -> str:
        """The file to append to: a new one past max_bytes, max_seconds, at a new UTC day, or in a new process."""
        now = time.time()
        day = datetime.now(UTC).strftime("%Y%m%d")
        if (self._name and self._pid == os.getpid() and self._ident == ident and self._size < self.max_bytes
                and now - self._opened < self.max_seconds and day == self._day
                and (self.directory / self._name).exists()):  # not deleted by a prune meanwhile
            return self._name
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        while True:
            self._serial += 1
            name = f"wirefeed-{stamp}-{ident}-{self.host}-{os.getpid()}-{self._serial:04d}.warc.gz"
            try:
                (self.directory / name).open("xb").close()
                break
            except FileExistsError:
                continue
        # The new name itself must survive a power loss, not only the bytes fsynced into the file later.
        handle = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)
        self._name, self._size, self._opened, self._day, self._pid = name, 0, now, day, os.getpid()
        self._ident = ident
        return name

    def _cut(self, name: str, mark: int) -> None:
        """Cut a rolled-back group's records off the end of its file."""
        with self._lock:
            with (self.directory / name).open("r+b") as handle:
                handle.truncate(mark)
                os.fsync(handle.fileno())
            if self._name == name:
                self._size = mark

    def close(self) -> None:
        """Finish the current file: the next write opens a new one."""
        with self._lock:
            self._name = ""


def archive_files(directory: str | Path, ident: str | None = None) -> Iterator[tuple[Path, datetime, str, int]]:
    """The archive's files (of one database when `ident` is given) with their opening time, host and pid."""
    root = Path(directory)
    if not root.is_dir():
        return
    for path in sorted(root.iterdir()):
        match = NAME.match(path.name)
        if match and (ident is None or match.group(2) == ident):
            opened = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            yield path, opened, match.group(3), int(match.group(4))


def referenced_end(session: Session, name: str) -> int:
    """The end of the last record of a file that a row points at (0 when none)."""
    end = session.scalar(select(func.max(RawPage.archive_offset + RawPage.archive_length))
                         .where(RawPage.archive_file == name))
    return int(end or 0)


def recover(session: Session, directory: str | Path) -> list[tuple[str, int]]:
    """Cut each file of a dead writer of this host back to its last referenced record; what was cut.

    Such tails are records of a transaction that never committed (the writer was killed between the
    fsync and the commit): nothing points at them, and a rerun archives those pages again.
    """
    host = re.sub(r"[^A-Za-z0-9.]+", "_", socket.gethostname()) or "host"
    cut = []
    for path, _, owner, pid in archive_files(directory, database_ident(session)):
        if owner != host or pid == os.getpid() or _alive(pid):
            continue
        end = referenced_end(session, path.name)
        size = path.stat().st_size
        if size > end:
            if end == 0:
                path.unlink()
            else:
                with path.open("r+b") as handle:
                    handle.truncate(end)
                    os.fsync(handle.fileno())
            cut.append((path.name, size - end))
    return cut


def raw_page_for(session: Session, article_id: int,
                 directory: str | Path | Sequence[str | Path] | None) -> Any:
    """An article, its raw page row and its HTML (RawGone in place of the HTML when it is no longer kept).

    None when the article has no raw page row.
    """
    article = session.get(Article, article_id)
    page = session.get(RawPage, article_id)
    if article is None or page is None:
        return None
    if page.body is not None:
        import zlib

        return article, page, zlib.decompress(page.body)
    if page.archive_file is None or page.archive_offset is None or page.archive_length is None:
        return article, page, RawGone(f"the raw page of article {article_id} was pruned (raw_retention_days)")
    if directory is None or (not isinstance(directory, str | Path) and not directory):
        return article, page, RawGone(f"the raw page of article {article_id} is in archive file "
                                      f"{page.archive_file}, and this database has no archive directory "
                                      f"([store] archive_dir)")
    try:
        raw = read(directory, Ref(page.archive_file, page.archive_offset, page.archive_length))
    except RawGone as exc:
        return article, page, exc
    return article, page, raw.body


_ARCHIVES: dict[str, Archive] = {}
_ARCHIVES_LOCK = threading.Lock()


class ArchiveNotConfigured(ConfigError):
    """Raw pages go to WARC files and there is no directory for them that is right by default."""


archive_directory = sizes.archive_directory


def read_directories(settings: Any, url: str | None = None) -> list[Path]:
    """Where archived pages are read from: the archive directory, then `[store] cold_dir` (moved by retention).

    `url`: the database opened, when it is not `[database] url`."""
    found = [archive_directory(settings, url)]
    if settings.store.cold_dir:
        found.append(Path(settings.store.cold_dir).expanduser())
    return [place for place in found if place is not None]


def archive_for(settings: Any, url: str | None = None) -> Archive | None:
    """The process's archive writer for these settings (one per directory), or None for raw pages in the database.

    `url`: the database opened, when it is not `[database] url` (the demo's temporary one).

    In archive mode (the default), a database without an archive directory of its own (PostgreSQL without
    `[store] archive_dir`) is refused with what to set: where a year of raw pages goes is not guessed.
    An in-memory SQLite store keeps its pages in memory with the rest.
    """
    store = settings.store
    if store.raw_storage != "archive":
        return None
    found = archive_directory(settings, url)
    if found is None:
        backend = make_url(url if url is not None else settings.database.url.get_secret_value()).get_backend_name()
        if backend == "sqlite":
            return None
        raise ArchiveNotConfigured(
            f'raw pages are kept in WARC files ([store] raw_storage = "archive", the default) and a '
            f"{backend} database has no directory beside it: set [store] archive_dir "
            f"(WIREFEED_STORE__ARCHIVE_DIR) to a directory every wirefeed process of this database shares, "
            f'e.g. /var/lib/wirefeed/warc, or [store] raw_storage = "database" to keep them in the database')
    directory = str(found.resolve())
    with _ARCHIVES_LOCK:
        archive = _ARCHIVES.get(directory)
        if archive is None or archive.max_bytes != store.archive_rotate_bytes \
                or archive.max_seconds != store.archive_rotate_seconds:
            archive = _ARCHIVES[directory] = Archive(
                directory, max_bytes=store.archive_rotate_bytes, max_seconds=store.archive_rotate_seconds,
                user_agent=settings.fetch.user_agent)
        return archive


def archive_rows(session: Session, archive: Archive | None, rows: list[dict[str, Any]],
                 pages: Sequence[Mapping[str, Any]]) -> None:
    """In archive mode, write `pages` (as `Archive.write` takes them) to WARC files, one for each raw_pages row
    of `rows`; each row then keeps its (file, offset, length) instead of a body.
    """
    if archive is None or not rows:
        return
    refs = archive.write(session, pages)
    for row, ref in zip(rows, refs, strict=True):
        row.update(body=None, archive_file=ref.file, archive_offset=ref.offset, archive_length=ref.length)
