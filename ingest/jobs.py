"""The units of work of a pass or a backfill: page jobs, their outcomes and the counts over them."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import os
import random
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar

import structlog

from ingest.errors import HostDeferred, HTTPStatusError, InternalError, WirefeedError
from ingest.fetch.client import Response
from ingest.urls import canonical_url

if TYPE_CHECKING:
    from ingest.extract.page import Extracted

log = structlog.get_logger("wirefeed.pipeline")

P = ParamSpec("P")
T = TypeVar("T")

PAGE_RETRY_LIMIT = 3
# Longer links and feed URLs than this are not fetched or followed: they do not fit the store's URL columns
# (2,048), and no publisher's real article needs one.
MAX_URL_CHARS = 2000
# At most this many ready pages are stored in one transaction (if it fails, they are stored one by one).
STORE_GROUP = 50
# Kinds that say "our network is down" rather than "this feed is broken" when every feed shows them at once.
OUTAGE_KINDS = frozenset({"dns", "timeout", "refused", "network"})


class PageStatus(StrEnum):
    """What happened to a page job (the values are stored in backfill items and shown as JSON)."""

    STORED = "stored"
    DUPLICATE_URL = "duplicate_url"
    DUPLICATE_TEXT = "duplicate_text"
    NOT_ARTICLE = "not_article"
    FAILED = "failed"
    # Not fetched now: its origin asked us to wait, or another worker is fetching it; not an attempt, the
    # item comes back at the next poll.
    DEFERRED = "deferred"
    UNCHANGED = "unchanged"  # re-extraction: the extractor and its options are the ones that made the text
    REEXTRACTED = "reextracted"


# How a stored page joined its story (the dedupe decision's relation), or "same_text" when re-extraction
# gave back the text the article already had.
Relation = Literal["original", "exact", "near_duplicate", "updated", "rerun", "same_text"]


def worker_id() -> str:
    """A lease owner name unique to this process."""
    return f"{socket.gethostname()}:{os.getpid()}:{random.getrandbits(32):08x}"


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (at most 500 characters), or its type's name."""
    text = str(exc).strip()
    return text.splitlines()[0][:500] if text else type(exc).__name__


def owner_alive(owner: str) -> bool:
    """Whether a lease or claim's process may still run: false only for a process of this host that is gone."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's process: only its lease tells
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def internal_error(unit: str, exc: BaseException, **where: Any) -> InternalError:
    """Log a bug met on one unit once, with its traceback as a field, and wrap it for the unit's row."""
    wrapped = InternalError(unit, exc)
    log.error("internal_error", unit=unit, error_type=type(exc).__name__, error=str(wrapped), exc_info=exc, **where)
    return wrapped


def url_key(canonical: str) -> str:
    """The key of a page claim: a hash of its canonical URL."""
    return hashlib.sha1(canonical.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(slots=True)
class PageJob:
    """One article page to store: where it came from and, for WARC backfill, its already-fetched bytes."""

    url: str
    feed_id: int | None = None
    guid: str | None = None
    title: str | None = None
    published: datetime | None = None
    author: str | None = None
    response: Response | None = None
    fetched: datetime | None = None
    _canonical: str | None = field(default=None, repr=False, compare=False)

    @property
    def canonical(self) -> str:
        """The canonical URL of the link as published (computed once: courlan is not free)."""
        if self._canonical is None:
            try:
                self._canonical = canonical_url(self.url)
            except Exception as exc:  # a link nothing can read is still recorded, under its own text
                internal_error("item", exc, url=self.url[:300])
                self._canonical = self.url
        return self._canonical

    def item_row(self) -> dict[str, Any]:
        """The feed item row this job came from (without its feed id)."""
        return {
            "guid": self.guid,
            "url": self.url,
            "canonical_url": self.canonical,
            "title": self.title,
            "published": self.published,
        }


@dataclass(slots=True)
class PageOutcome:
    """What happened to one page job."""

    job: PageJob
    status: PageStatus
    article_id: int | None = None
    story_id: str | None = None
    relation: Relation | None = None
    error: str | None = None  # "kind: message", as recorded on the article row
    kind: str | None = None  # the failure kind alone ("timeout", "http_4xx", "store", "internal"...)
    # Not written to the store: the page shared another job's fetch (same canonical URL), whose failure is
    # recorded once, by that job; or its URL is too long for the store.
    shared: bool = False
    # The text as decided at store time (the site's boilerplate model applied): what telemetry counts.
    extracted: Extracted | None = None

    @classmethod
    def failure(cls, job: PageJob, exc: WirefeedError, **fields: Any) -> PageOutcome:
        """A failed (or deferred) page from the error that stopped it."""
        # Not an attempt: the origin asked us to wait (now, or before this request was sent).
        told_to_wait = isinstance(exc, HTTPStatusError) and exc.status in (429, 503) and exc.retry_after is not None
        deferred = isinstance(exc, HostDeferred) or told_to_wait
        status = PageStatus.DEFERRED if deferred else PageStatus.FAILED
        return cls(job, status, error=f"{exc.kind}: {exc}", kind=exc.kind, **fields)

    @property
    def failure_kind(self) -> str:
        """The kind of a failure ("timeout", "http_4xx", "store"...)."""
        return self.kind or (self.error or "error").split(":", 1)[0]


@dataclass(slots=True)
class Tally:
    """Page outcomes counted by what happened to them: the part a pass and a backfill summary share."""

    stored: int = 0
    stories_new: int = 0
    duplicates: int = 0
    not_article: int = 0
    deferred: int = 0
    unchanged: int = 0
    reextracted: int = 0
    changed: int = 0  # re-extracted with a new text
    failures: dict[str, int] = field(default_factory=dict)  # by failure kind

    @property
    def failed(self) -> int:
        """Pages that failed, whatever the reason."""
        return sum(self.failures.values())

    def add(self, outcome: PageOutcome) -> None:
        """Count one page outcome."""
        status = outcome.status
        if status == PageStatus.STORED:
            self.stored += 1
            if outcome.relation == "original":
                self.stories_new += 1
        elif status in (PageStatus.DUPLICATE_URL, PageStatus.DUPLICATE_TEXT):
            self.duplicates += 1
        elif status == PageStatus.NOT_ARTICLE:
            self.not_article += 1
        elif status == PageStatus.UNCHANGED:
            self.unchanged += 1
        elif status == PageStatus.REEXTRACTED:
            self.reextracted += 1
            if outcome.relation != "same_text":
                self.changed += 1
        elif status == PageStatus.DEFERRED:
            self.deferred += 1
        else:
            self.failures[outcome.failure_kind] = self.failures.get(outcome.failure_kind, 0) + 1


@dataclass(slots=True)
class PassSummary:
    """Counts for one ingestion pass, logged at the end and shown by the CLI."""

    feeds: int = 0
    feeds_failed: int = 0
    not_modified: int = 0
    items_new: int = 0
    items_waiting: int = 0
    pages: Tally = field(default_factory=Tally)

    @property
    def stored(self) -> int:
        """Pages stored as new articles."""
        return self.pages.stored

    @property
    def duplicates(self) -> int:
        """Pages whose URL or text was stored already."""
        return self.pages.duplicates

    @property
    def not_article(self) -> int:
        """Pages that are no article (stored without text)."""
        return self.pages.not_article

    @property
    def pages_failed(self) -> int:
        """Pages that failed, whatever the reason."""
        return self.pages.failed

    @property
    def pages_deferred(self) -> int:
        """Pages not fetched now (their origin asked us to wait, or another worker had them)."""
        return self.pages.deferred

    @property
    def stories_new(self) -> int:
        """Stories started by this pass's pages."""
        return self.pages.stories_new

    @property
    def failures(self) -> dict[str, int]:
        """Failed pages by failure kind."""
        return self.pages.failures

    def add(self, outcome: PageOutcome) -> None:
        """Count one page outcome."""
        self.pages.add(outcome)

    def as_dict(self) -> dict[str, Any]:
        """The summary as a log event's keys."""
        return {
            "feeds": self.feeds, "feeds_failed": self.feeds_failed, "not_modified": self.not_modified,
            "items_new": self.items_new, "stored": self.stored, "duplicates": self.duplicates,
            "not_article": self.not_article, "pages_failed": self.pages_failed,
            "pages_deferred": self.pages_deferred, "stories_new": self.stories_new,
            "items_waiting": self.items_waiting, "failures": dict(sorted(self.failures.items())),
        }


class DbThread:
    """The one thread every store call of a pipeline runs on, in order.

    A database that waits (a locked SQLite file, a slow PostgreSQL) never blocks the event loop, so it
    never eats into a page's fetch timeout, and the clusterer is only ever touched by one thread.
    """

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="wirefeed-db")

    async def __call__(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run store work on the database thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        """Wait for the store work under way, then end the thread."""
        self._executor.shutdown(wait=True)
