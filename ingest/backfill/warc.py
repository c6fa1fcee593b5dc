"""WARC archives for backfill: HTML response records read with warcio, without any network access.

A damaged or truncated archive is read up to the damaged record; what came before is kept and the
damage is reported with the file, the record number and its byte offset. A well-framed record whose HTTP
status line cannot be read (`HTTP/1.1 abc`) is not damage: it is counted, skipped, and the file goes on;
so is an HTML payload over the size cap (read no further than the cap: a gzip bomb is never held whole).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import structlog
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders

from ingest.dates import parse_datetime
from ingest.errors import InvalidURL, WirefeedError
from ingest.fetch.client import Response, check_url

log = structlog.get_logger("wirefeed.warc")

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# warcio hands out the payload de-chunked and decompressed, so these headers no longer describe it.
DROPPED_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})


class WarcDamaged(WirefeedError):
    """A WARC file is damaged or truncated at a record; the records before it were read."""

    kind = "warc"

    def __init__(self, path: str, record: int, offset: int, reason: str) -> None:
        self.path = path
        self.record = record
        self.offset = offset
        self.reason = reason
        super().__init__(f"{path}: damaged at record {record} (byte offset {offset}): {reason}")


@dataclass(frozen=True, slots=True)
class WarcPage:
    """One archived HTML response: the page as it was fetched, and where it sits in the file."""

    response: Response
    fetched: datetime | None
    record: int
    offset: int


@dataclass(slots=True)
class WarcStats:
    """What reading the archives found."""

    records: int = 0
    responses: int = 0
    pages: int = 0
    not_html: int = 0
    bad_headers: int = 0  # responses whose HTTP status line cannot be read: skipped
    bad_targets: int = 0  # HTML responses whose target is no http(s) URL (none, relative, "http://[::1/x"): skipped
    too_large: int = 0  # HTML responses over the size cap: skipped
    damaged: list[WarcDamaged] = field(default_factory=list)


def _headers(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """HTTP headers lowercased, repeated ones joined with a comma, as httpx reports them."""
    headers: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        if key in DROPPED_HEADERS:
            continue
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def _status(http: StatusAndHeaders) -> int | None:
    """The record's HTTP status code; None when its status line has no three-digit code (`HTTP/1.1 abc`)."""
    code = http.get_statuscode()
    return int(code) if len(code) == 3 and code.isascii() and code.isdigit() else None


def _is_html(status: int, headers: dict[str, str]) -> bool:
    media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return status == 200 and media in HTML_TYPES


def read_warc(path: str | Path, stats: WarcStats | None = None, max_bytes: int | None = None) -> Iterator[WarcPage]:
    """Yield the 200 text/html responses of a WARC file (gzipped or not); raise WarcDamaged at damage.

    A response whose payload (de-chunked and decompressed) is over `max_bytes` is skipped and counted, as
    the fetcher refuses such a page. Raises FileNotFoundError for a missing file before yielding anything.
    """
    stats = stats if stats is not None else WarcStats()
    name = str(path)
    with Path(path).open("rb") as handle:
        size = Path(path).stat().st_size
        records = ArchiveIterator(handle)
        number = 0
        bad: list[int] = []
        try:
            for record in records:
                number += 1
                stats.records += 1
                page = _page(record, stats, max_bytes)
                if page is None:
                    continue
                if page is _BAD_STATUS:
                    bad.append(number)
                    continue
                if record.raw_stream.limit > 0:
                    # The record's Content-Length promised more bytes than the file holds.
                    raise WarcDamaged(name, number, records.get_record_offset(),
                                      f"record truncated ({record.raw_stream.limit} bytes missing)")
                stats.pages += 1
                yield WarcPage(response=page, fetched=parse_datetime(record.rec_headers.get_header("WARC-Date")),
                               record=number, offset=records.get_record_offset())
        except ArchiveLoadFailed as exc:
            raise WarcDamaged(name, number + 1, records.offset, _first_line(str(exc))) from exc
        except OverflowError as exc:  # a Content-Length of more digits than an index holds
            raise WarcDamaged(name, number + 1, records.offset, "Content-Length out of range") from exc
        except (zlib.error, EOFError, OSError, ValueError) as exc:
            raise WarcDamaged(name, number, records.offset, f"{type(exc).__name__}: {exc}") from exc
        finally:
            if bad:
                log.warning("warc_records_skipped", path=name, reason="unreadable HTTP status line",
                            count=len(bad), first_records=bad[:5])
        # A gzip member cut short ends warcio's iteration silently: the bytes left over are the damage.
        if records.offset < size:
            raise WarcDamaged(name, number + 1, records.offset,
                              f"unreadable data ({size - records.offset} bytes) after the last complete record")


_BAD_STATUS = Response(url="", status=0, headers={}, body=b"")  # `_page`'s answer for an unreadable status line


def _page(record: ArcWarcRecord, stats: WarcStats, max_bytes: int | None) -> Response | None:
    """A record's HTML response, None when it is none (counted), `_BAD_STATUS` when its status line is unreadable."""
    if record.rec_type != "response" or record.http_headers is None:
        return None
    stats.responses += 1
    status = _status(record.http_headers)
    if status is None:
        stats.bad_headers += 1
        return _BAD_STATUS
    headers = _headers(record.http_headers.headers)
    if not _is_html(status, headers):
        stats.not_html += 1
        return None
    body = _payload(record, max_bytes)
    if body is None:
        stats.too_large += 1
        return None
    url = _target_url(record.rec_headers.get_header("WARC-Target-URI") or "")
    try:
        check_url(url)  # an article needs a URL a reader can follow, and a site to count it under
    except InvalidURL:
        stats.bad_targets += 1
        return None
    return Response(url=url, status=status, headers=headers, body=body)


def _payload(record: ArcWarcRecord, max_bytes: int | None) -> bytes | None:
    """The record's payload, de-chunked and decompressed; None past `max_bytes` (a gzip bomb is never held whole:
    the iterator skips the rest of the record in its compressed form)."""
    stream = record.content_stream()
    if max_bytes is None:
        return bytes(stream.read())
    parts: list[bytes] = []
    size = 0
    while size <= max_bytes:
        part = stream.read(max_bytes + 1 - size)  # a read returns at most what one buffer holds
        if not part:
            return b"".join(parts)
        parts.append(part)
        size += len(part)
    return None


def _target_url(uri: str) -> str:
    """The record's target as a URI: WARC 1.1 allows IRIs, which are percent-encoded (host in IDNA) as a client would.

    A target httpx cannot read is left as it is.
    """
    if uri.isascii():
        return uri
    try:
        return str(httpx.URL(uri))
    except (httpx.InvalidURL, UnicodeError):
        return uri


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "invalid record"
    return line[:120]
