"""The one orchestrator: feeds -> items -> pages -> clean text -> stories -> store.

The daemon, `wirefeed ingest` and backfill all call `Pipeline`; nothing else chains the stages.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import os
import random
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ParamSpec, TypeVar

import httpx
import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from config.settings import Settings
from dedupe.agency import agency_of
from dedupe.cluster import Clusterer
from dedupe.model import Decision, Doc
from dedupe.text import text_hash
from ingest.errors import (
    ExtractError,
    FeedError,
    FetchError,
    HostDeferred,
    HTTPStatusError,
    InternalError,
    WirefeedError,
)
from ingest.extract.page import (
    EXTRACTOR_VERSION,
    OPTIONS,
    Extracted,
    SiteBoilerplate,
    apply_site_boilerplate,
    block_keys,
    boilerplate_keys,
)
from ingest.extract.pool import ExtractPool
from ingest.feeds import schedule
from ingest.feeds.parse import Item, ParsedFeed, parse_feed
from ingest.feeds.schedule import FeedState
from ingest.fetch.client import Fetcher, Origin, Response, origin_of
from ingest.fetch.robots import RobotsCache
from ingest.urls import canonical_url, site_of
from store import repo
from store.db import Store, StoreError
from store.index import SqlIndex, doc_of
from store.models import Article, Feed, utcnow

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


def worker_id() -> str:
    """A lease owner name unique to this process."""
    return f"{socket.gethostname()}:{os.getpid()}:{random.getrandbits(32):08x}"


def _first_line(exc: BaseException) -> str:
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


@dataclass(slots=True)
class PageOutcome:
    """What happened to one page job."""

    job: PageJob
    # stored, duplicate_url, duplicate_text, not_article, failed, or deferred (not fetched now: its origin
    # asked us to wait, or another worker is fetching it; not an attempt, the item comes back next poll)
    status: str
    article_id: int | None = None
    story_id: str | None = None
    relation: str | None = None
    error: str | None = None  # "kind: message"
    kind: str | None = None  # the failure kind alone ("timeout", "http_4xx", "store", "internal"...)
    # Not written to the store: the page shared another job's fetch (same canonical URL), whose failure is
    # recorded once, by that job; or its URL is too long for the store.
    shared: bool = False

    @classmethod
    def failure(cls, job: PageJob, exc: WirefeedError, **fields: Any) -> PageOutcome:
        """A failed (or deferred) page from the error that stopped it."""
        # Not an attempt: the origin asked us to wait (now, or before this request was sent).
        told_to_wait = isinstance(exc, HTTPStatusError) and exc.status in (429, 503) and exc.retry_after is not None
        status = "deferred" if isinstance(exc, HostDeferred) or told_to_wait else "failed"
        return cls(job, status, error=f"{exc.kind}: {exc}", kind=exc.kind, **fields)

    @property
    def failure_kind(self) -> str:
        """The kind of a failure ("timeout", "http_4xx", "store"...)."""
        return self.kind or (self.error or "error").split(":", 1)[0]


@dataclass(slots=True)
class PassSummary:
    """Counts for one ingestion pass, logged at the end and shown by the CLI."""

    feeds: int = 0
    feeds_failed: int = 0
    not_modified: int = 0
    items_new: int = 0
    stored: int = 0
    duplicates: int = 0
    not_article: int = 0
    pages_failed: int = 0
    pages_deferred: int = 0
    stories_new: int = 0
    items_waiting: int = 0
    failures: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: PageOutcome) -> None:
        """Count one page outcome."""
        if outcome.status == "stored":
            self.stored += 1
            if outcome.relation == "original":
                self.stories_new += 1
        elif outcome.status.startswith("duplicate"):
            self.duplicates += 1
        elif outcome.status == "not_article":
            self.not_article += 1
        elif outcome.status == "deferred":
            self.pages_deferred += 1
        else:
            self.pages_failed += 1
            self.failures[outcome.failure_kind] = self.failures.get(outcome.failure_kind, 0) + 1


# What fetching and extracting a page gives: its response and text, or the outcome that stopped it.
_Prepared = PageOutcome | tuple[Response, Extracted]


@dataclass(slots=True)
class _Placer:
    """Story placement inside one locked transaction: the caught-up clusterer and the last seq handed out."""

    clusterer: Clusterer
    seq: int


@dataclass(slots=True)
class FeedPoll:
    """The result of fetching and parsing one feed."""

    feed: Feed
    response: Response | None = None
    parsed: ParsedFeed | None = None
    error: WirefeedError | None = None
    unchanged: bool = False
    jobs: list[PageJob] = field(default_factory=list)
    waiting: int = 0  # new items beyond `max_articles_per_feed`, left for the following passes


class Pipeline:
    """Fetch, parse, extract, cluster and store; one instance per process and pass (or daemon lifetime)."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        owner: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.owner = owner or worker_id()
        self.transport = transport
        self.pool = ExtractPool(settings.extract)
        self.stopping = asyncio.Event()
        self._clusterer: Clusterer | None = None
        self._synced_seq = 0
        # Every store call of the pipeline runs on this one thread, in order: a database that waits (a
        # locked SQLite file, a slow PostgreSQL) never blocks the event loop, so it never eats into a
        # page's fetch timeout, and the clusterer is only ever touched by one thread.
        self._db_thread = ThreadPoolExecutor(1, thread_name_prefix="wirefeed-db")
        # Pages being fetched by this process, by canonical URL: a page listed by several feeds (or
        # batches) is fetched and extracted once.
        self._inflight: dict[str, asyncio.Future[_Prepared]] = {}
        # Origins that asked us to wait (Retry-After on a page), remembered from one pass to the next.
        self._origins_waiting: dict[Origin, float] = {}

    def close(self) -> None:
        """Stop the extraction workers and the database thread."""
        self.pool.close()
        self._db_thread.shutdown(wait=True)

    async def _db(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run store work on the pipeline's database thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db_thread, functools.partial(fn, *args, **kwargs))

    # Passes -------------------------------------------------------------------------------------

    async def run_pass(self, *, all_feeds: bool = False, limit: int | None = None) -> PassSummary:
        """One pass over due feeds (every enabled feed with all_feeds), in leased batches.

        A few batches are in flight at once, so one slow feed does not hold up the rest; each batch is
        claimed with a lease and released when its feeds are recorded (or when the pass is cancelled).
        """
        summary = PassSummary()
        started = utcnow()
        sched = self.settings.schedule
        reserved = 0
        # Leases this process still holds come from a pass that could not release them (the database
        # went away under it): nothing of ours is in flight now, so they are released at once rather
        # than left to expire `lease_seconds` later.
        reclaimed = await self._db(self._release_all)
        if reclaimed:
            log.info("leases_reclaimed", feeds=reclaimed, owner=self.owner)
        await self.load_origin_waits()

        async def worker(fetcher: Fetcher, robots: RobotsCache) -> None:
            nonlocal reserved
            while not self.stopping.is_set():
                size = sched.batch_size if limit is None else min(sched.batch_size, limit - reserved)
                if size <= 0:
                    return
                reserved += size
                feeds = await self._db(self._claim, size, all_feeds=all_feeds, fetched_before=started)
                reserved -= size - len(feeds)
                if not feeds:
                    return
                renewer = asyncio.create_task(self._renew_leases())
                try:
                    await self._feed_batch(fetcher, robots, feeds, summary)
                finally:
                    renewer.cancel()
                    await asyncio.shield(self._db(self._release, [f.id for f in feeds]))

        try:
            async with self.fetcher() as fetcher:
                robots = RobotsCache(fetcher, enabled=self.settings.fetch.obey_robots)
                await asyncio.gather(*(worker(fetcher, robots) for _ in range(sched.batches_in_flight)))
        finally:
            await asyncio.shield(self.save_origin_waits())
        log.info("pass_finished", feeds=summary.feeds, feeds_failed=summary.feeds_failed,
                 not_modified=summary.not_modified, items_new=summary.items_new, stored=summary.stored,
                 duplicates=summary.duplicates, not_article=summary.not_article,
                 pages_failed=summary.pages_failed, pages_deferred=summary.pages_deferred,
                 stories_new=summary.stories_new, items_waiting=summary.items_waiting,
                 failures=dict(sorted(summary.failures.items())))
        return summary

    def fetcher(self) -> Fetcher:
        """A fetcher that honours the waits origins asked of this pipeline (and, once loaded, of other processes)."""
        return Fetcher(self.settings.fetch, self.transport, blocked=self._origins_waiting)

    async def load_origin_waits(self) -> None:
        """Take up the waits other processes (or earlier runs) were asked for by origins."""
        waits = await self._db(self._read_origin_waits)
        now, clock = utcnow(), time.monotonic()
        for key, until in waits.items():
            scheme, _, rest = key.partition("://")
            host, _, port = rest.rpartition(":")
            if port.isascii() and port.isdigit():
                origin = (scheme, host, int(port))
                deadline = clock + (until - now).total_seconds()
                self._origins_waiting[origin] = max(self._origins_waiting.get(origin, 0.0), deadline)

    async def save_origin_waits(self) -> None:
        """Record the waits origins asked for, so the next process (a cron run) honours them too."""
        now, clock = utcnow(), time.monotonic()
        waits = {f"{scheme}://{host}:{port}": now + timedelta(seconds=deadline - clock)
                 for (scheme, host, port), deadline in self._origins_waiting.items() if deadline > clock}
        try:
            await self._db(self._write_origin_waits, waits, now)
        except StoreError as exc:  # the next process asks the origin once more, nothing worse
            log.warning("origin_waits_not_saved", origins=len(waits), error=str(exc))

    def _read_origin_waits(self) -> dict[str, datetime]:
        with self.store.session() as session:
            return repo.origin_waits(session, utcnow())

    def _write_origin_waits(self, waits: dict[str, datetime], now: datetime) -> None:
        with self.store.session() as session:
            repo.save_origin_waits(session, waits, now)

    def _claim(self, size: int, *, all_feeds: bool, fetched_before: datetime) -> list[Feed]:
        with self.store.session() as session:
            return repo.claim_feeds(
                session, self.owner, now=utcnow(), lease=timedelta(seconds=self.settings.schedule.lease_seconds),
                limit=size, include_not_due=all_feeds, fetched_before=fetched_before,
            )

    def _release(self, feed_ids: list[int]) -> None:
        with self.store.session() as session:
            repo.release_feeds(session, self.owner, feed_ids)

    def _release_all(self) -> int:
        with self.store.session() as session:
            return repo.release_feeds(session, self.owner)

    def _renew(self, until: datetime) -> None:
        with self.store.session() as session:
            repo.renew_leases(session, self.owner, until)

    async def _renew_leases(self) -> None:
        """Keep this worker's leases alive while a long batch runs (a killed worker's leases just expire)."""
        lease = self.settings.schedule.lease_seconds
        while True:
            await asyncio.sleep(lease / 3)
            await self._db(self._renew, utcnow() + timedelta(seconds=lease))

    async def _feed_batch(
        self, fetcher: Fetcher, robots: RobotsCache, feeds: Sequence[Feed], summary: PassSummary
    ) -> None:
        polls = await asyncio.gather(*(self._poll(fetcher, feed) for feed in feeds))
        await self._db(self._plan_jobs, polls)
        outage = self._is_outage(polls)
        jobs = [job for poll in polls for job in poll.jobs]
        if self.settings.fetch.fetch_articles:
            outcomes = await self.ingest_pages(jobs, fetcher=fetcher, robots=robots)
        else:
            # `[fetch] fetch_articles = false`: the items (GUID, link, title) are recorded without their
            # pages (below, with the feed rows), so they are not fetched later either.
            outcomes = []
        for outcome in outcomes:
            summary.add(outcome)
        by_feed: dict[int, list[PageOutcome]] = {}
        for outcome in outcomes:
            if outcome.job.feed_id is not None:
                by_feed.setdefault(outcome.job.feed_id, []).append(outcome)
        for poll in polls:
            summary.feeds += 1
            summary.items_new += len(poll.jobs)
            summary.items_waiting += poll.waiting
            if poll.error is not None:
                summary.feeds_failed += 1
            elif poll.unchanged:
                summary.not_modified += 1
        await self._db(self._finish_batch, polls, jobs, by_feed, outage)

    def _plan_jobs(self, polls: Sequence[FeedPoll]) -> None:
        """Page jobs for each parsed feed's new items, in one transaction for the whole batch's lookups."""
        with self.store.session() as session:
            for poll in polls:
                if poll.parsed is None or poll.error is not None:
                    continue
                try:
                    poll.jobs, poll.waiting = self._new_jobs(session, poll.feed, poll.parsed.items)
                except (StoreError, SQLAlchemyError):
                    raise  # the database, not this feed: the batch stops and its leases expire
                except Exception as exc:  # a bug met on this feed's items costs this feed alone
                    poll.error = internal_error("feed", exc, feed_id=poll.feed.id, url=poll.feed.url)

    def _finish_batch(
        self, polls: Sequence[FeedPoll], jobs: Sequence[PageJob], by_feed: dict[int, list[PageOutcome]], outage: bool
    ) -> None:
        """Write the batch's feed rows and fetch-log rows (and, without article fetching, its items) at once.

        If the database refuses the batch's rows (one feed's values), they are written again one feed per
        transaction, so that feed alone is recorded as refused.
        """
        try:
            self._write_feeds(polls, jobs, by_feed, outage)
        except StoreError:
            raise
        except SQLAlchemyError as exc:
            log.warning("feed_rows_failed", feeds=len(polls), error=_first_line(exc),
                        retrying="one feed per transaction")
            for poll in polls:
                mine = [job for job in jobs if job.feed_id == poll.feed.id]
                try:
                    self._write_feeds([poll], mine, by_feed, outage)
                except StoreError:
                    raise
                except SQLAlchemyError as refused:
                    self._write_refused_feed(poll, refused)

    def _write_feeds(
        self, polls: Sequence[FeedPoll], jobs: Sequence[PageJob], by_feed: dict[int, list[PageOutcome]], outage: bool
    ) -> None:
        writes: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
        moving: set[str] = set()  # URLs feeds of this batch move to (two feeds may 301 to one new URL)
        with self.store.session() as session:
            if not self.settings.fetch.fetch_articles:
                repo.record_items(session, [
                    dict(self._item_row(job), feed_id=job.feed_id) for job in jobs if job.feed_id is not None])
            for poll in polls:
                try:
                    writes.append(self._finish_feed(poll, by_feed.get(poll.feed.id, []), outage=outage,
                                                    session=session, moving=moving))
                except (StoreError, SQLAlchemyError):
                    raise
                except Exception as exc:  # this feed's row records the bug; the others are written as usual
                    poll.error = internal_error("feed", exc, feed_id=poll.feed.id, url=poll.feed.url)
                    writes.append(self._finish_feed(poll, [], outage=False, session=session, moving=moving))
            repo.update_feeds(session, [(feed_id, values) for feed_id, values, _ in writes])
            repo.log_fetches(session, [fetch_log for _, _, fetch_log in writes])

    def _write_refused_feed(self, poll: FeedPoll, refused: SQLAlchemyError) -> None:
        """The database refused this feed's new values: record that on its row, and poll it again later."""
        now = utcnow()
        error = f"the database refused this feed's values: {_first_line(refused)}"[:1000]
        log.error("feed_store_failed", feed_id=poll.feed.id, url=poll.feed.url, error=error)
        values = {"last_fetched_at": now, "last_error": error, "last_error_kind": "store",
                  "next_fetch_at": now + timedelta(seconds=self.settings.schedule.default_interval)}
        try:
            with self.store.session() as session:
                repo.update_feeds(session, [(poll.feed.id, values)])
        except SQLAlchemyError as again:  # StoreError (the database is gone) goes up; this is one feed's row
            log.error("feed_store_failed", feed_id=poll.feed.id, url=poll.feed.url, error=_first_line(again))

    @staticmethod
    def _is_outage(polls: Sequence[FeedPoll]) -> bool:
        """Every feed of a batch failing with a network-level error means our side is down."""
        hosts = {origin_of(p.feed.url)[1] for p in polls}
        return len(hosts) >= 3 and all(p.error is not None and p.error.kind in OUTAGE_KINDS for p in polls)

    async def _poll(self, fetcher: Fetcher, feed: Feed) -> FeedPoll:
        """Fetch one feed (conditionally, mostly) and parse it unless its body is unchanged."""
        poll = FeedPoll(feed)
        conditional = not schedule.refetch_unconditionally(
            feed.url, feed.last_fetched_at, utcnow(), self.settings.schedule.refetch_unconditional_after)
        try:
            poll.response = await fetcher.get(
                feed.url, etag=feed.etag if conditional else None,
                last_modified=feed.last_modified if conditional else None, trusted=True,
                accept="application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5",
            )
            if poll.response.status == 304:
                poll.unchanged = True
                return poll
            digest = hashlib.sha256(poll.response.body).hexdigest()
            if digest == feed.body_hash:
                poll.unchanged = True
                return poll
            if len(poll.response.body) < 256 * 1024:
                poll.parsed = parse_feed(poll.response.url, poll.response.body, poll.response.headers)
            else:  # a big feed, or one feedparser must recover, should not stall the other fetches
                poll.parsed = await asyncio.to_thread(
                    parse_feed, poll.response.url, poll.response.body, poll.response.headers
                )
        except (FetchError, FeedError) as exc:
            poll.error = exc
        except Exception as exc:  # a bug met on this feed costs this feed alone
            poll.error = internal_error("feed", exc, feed_id=feed.id, url=feed.url)
        return poll

    def _new_jobs(self, session: Session, feed: Feed, items: Sequence[Item]) -> tuple[list[PageJob], int]:
        """Page jobs for the items this feed has not produced before, oldest first, and how many wait.

        At most `max_articles_per_feed` are taken per poll; the others wait for the following polls (the
        feed keeps no validators meanwhile, so its body hash does not hide them).
        """
        seen = repo.seen_guids(session, feed.id, [item.guid for item in items])
        jobs: list[PageJob] = []
        linkless: list[Item] = []
        waiting = 0
        cap = self.settings.fetch.max_articles_per_feed
        for item in items:
            if item.guid in seen:
                continue
            if not item.link or len(item.link) > MAX_URL_CHARS:
                # Nothing to fetch (no link, one that is no URL, which feedparser drops too, or one too long to
                # store): the item is recorded without an article, once, so it is neither lost silently nor
                # looked at again.
                linkless.append(item)
                continue
            if len(jobs) >= cap:
                waiting += 1
                continue
            job = PageJob(url=item.link, feed_id=feed.id, guid=item.guid, title=item.title,
                          published=item.published, author=item.author)
            jobs.append(job)
        if linkless:
            repo.record_items(session, [{"feed_id": feed.id, "guid": item.guid, "url": None, "canonical_url": None,
                                         "title": item.title, "published": item.published} for item in linkless])
            log.warning("items_without_link", feed_id=feed.id, url=feed.url, items=len(linkless),
                        guids=[item.guid[:200] for item in linkless[:5]])
        # Oldest first, so a story's first copy is stored first; the feed order breaks ties.
        return sorted(jobs, key=lambda j: j.published or datetime.max.replace(tzinfo=UTC)), waiting

    def _finish_feed(
        self,
        poll: FeedPoll,
        outcomes: Sequence[PageOutcome],
        *,
        outage: bool,
        session: Session,
        moving: set[str],
    ) -> tuple[int, dict[str, Any], dict[str, Any]]:
        """Decide a feed's new row values and fetch-log row.

        The caller writes the whole batch's rows in bulk; the lease is released after.
        """
        feed, now = poll.feed, utcnow()
        state = FeedState(feed.interval, feed.error_count, feed.failing_since, key=feed.url)
        values: dict[str, Any] = {"last_fetched_at": now}
        response, error = poll.response, poll.error
        if error is None:
            assert response is not None
            values.update(last_status=response.status, last_error=None, last_error_kind=None,
                          last_success_at=now, retry_after=None)
            # A page to try again (failed, or deferred: its origin asked us to wait, or another worker had
            # it) or items left beyond the per-poll cap: no validators, so the next poll sees them again.
            retry_pages = any(o.status in ("failed", "deferred") for o in outcomes) or poll.waiting > 0
            values["items_waiting"] = poll.waiting
            if poll.waiting:
                log.warning("feed_items_waiting", feed_id=feed.id, url=feed.url, waiting=poll.waiting,
                            taken=len(poll.jobs), cap=self.settings.fetch.max_articles_per_feed)
            if response.status != 304 and not retry_pages:
                values.update(etag=response.headers.get("etag"),
                              last_modified=response.headers.get("last-modified"),
                              body_hash=hashlib.sha256(response.body).hexdigest())
            hint = observed = None
            if poll.parsed is not None:
                values["title"] = feed.title or poll.parsed.title
                values["site_url"] = poll.parsed.site_url
                hint = poll.parsed.ttl_seconds
                observed = schedule.observed_interval([i.published for i in poll.parsed.items], now)
                if poll.parsed.malformed:
                    values.update(last_error=f"malformed feed, recovered: {poll.parsed.malformed}",
                                  last_error_kind="malformed")
            self._follow_permanent_redirect(feed, response, values, session=session, moving=moving)
            plan = schedule.after_success(state, self.settings.schedule, now, hinted_interval=hint,
                                          observed=observed, max_age=schedule.cache_max_age(response.headers))
        else:
            status = error.status if isinstance(error, HTTPStatusError) else None
            retry_after = error.retry_after if isinstance(error, HTTPStatusError | HostDeferred) else None
            # A request held back because its host asked us to wait says nothing against this feed.
            held = outage or isinstance(error, HostDeferred)
            plan = schedule.after_failure(state, self.settings.schedule, now, status=status,
                                          retry_after=retry_after, outage=held, error=str(error))
            values.update(last_status=status, last_error=str(error), last_error_kind=error.kind,
                          retry_after=retry_after)
            if plan.disable_reason:
                values.update(disabled=True, disabled_reason=plan.disable_reason)
                log.warning("feed_disabled", feed_id=feed.id, url=feed.url, reason=plan.disable_reason)
            if retry_after is not None and status in (429, 503):
                # The whole origin asked us to wait, not just this feed.
                origin = origin_of(feed.url)
                deferred = repo.defer_origin(session, origin, retry_after, except_feed=feed.id)
                log.info("host_deferred", host=origin[1], port=origin[2], until=retry_after.isoformat(),
                         feeds=deferred)
            log.warning("feed_failed", feed_id=feed.id, url=feed.url, kind=error.kind, error=str(error),
                        outage=outage)
        values.update(error_count=plan.error_count, failing_since=plan.failing_since)
        values["next_fetch_at"] = plan.next_fetch_at
        if poll.waiting and error is None:  # the items left over are taken soon, not a whole interval later
            soon = now + timedelta(seconds=self.settings.schedule.min_interval)
            values["next_fetch_at"] = min(plan.next_fetch_at, soon)
        stored = sum(1 for o in outcomes if o.status == "stored")
        unchanged = "not_modified" if response is not None and response.status == 304 else "unchanged"
        fetch_log = {
            "feed_id": feed.id,
            "started_at": now,
            "duration_ms": int((response.elapsed if response else 0) * 1000),
            "status": values.get("last_status"),
            "outcome": error.kind if error else (unchanged if poll.unchanged else "ok"),
            "error": str(error) if error else None,
            "bytes": len(response.body) if response else 0,
            "items_new": stored if self.settings.fetch.fetch_articles else len(poll.jobs),
        }
        if error is None:
            log.info("feed_fetched", feed_id=feed.id, status=response.status if response else None,
                      bytes=len(response.body) if response else 0, items_new=len(poll.jobs), stored=stored,
                      unchanged=poll.unchanged, next_in=plan.interval)
        return feed.id, values, fetch_log

    def _follow_permanent_redirect(
        self, feed: Feed, response: Response, values: dict[str, Any], *, session: Any, moving: set[str]
    ) -> None:
        """A 301/308 chain moves the subscription to its target; the old URL is kept for the record."""
        target = response.permanent_url
        if not target or target == feed.url:
            return
        if len(target) > MAX_URL_CHARS:
            log.warning("feed_move_refused", feed_id=feed.id, url=feed.url, reason="target URL too long",
                        length=len(target))
            return
        if target in moving or repo.feed_by_url(session, target) is not None:
            log.info("feed_moved_to_existing", feed_id=feed.id, url=feed.url, new_url=target)
            return
        moving.add(target)
        values["url"] = target
        values["old_urls"] = [*(feed.old_urls or []), feed.url]
        log.info("feed_moved", feed_id=feed.id, old_url=feed.url, new_url=target)

    # Pages ---------------------------------------------------------------------------------------

    async def ingest_pages(
        self,
        jobs: Sequence[PageJob],
        *,
        fetcher: Fetcher | None = None,
        robots: RobotsCache | None = None,
    ) -> list[PageOutcome]:
        """Fetch (unless prefetched), extract and store pages; results in job order, stored in job order.

        A canonical URL is fetched once: jobs of this call or of a concurrent batch that list a page being
        fetched share that fetch, and a page another worker on the same database has claimed is deferred
        (its item comes back at the next poll, when the page is stored and only needs linking).
        """
        if not jobs:
            return []
        known = await self._db(self._known_urls, jobs)
        loop = asyncio.get_running_loop()
        plans: list[tuple[str, asyncio.Future[_Prepared] | None]] = []
        leading: dict[str, asyncio.Future[_Prepared]] = {}
        for job in jobs:
            existing = known.get(job.canonical)
            shared = self._inflight.get(job.canonical)
            if len(job.url) > MAX_URL_CHARS:
                plans.append(("too_long", None))
            elif existing is not None and (existing[1] != "failed" or existing[2] >= PAGE_RETRY_LIMIT):
                plans.append(("known", None))
            elif job.response is not None:
                plans.append(("bytes", None))  # WARC backfill: nothing to fetch
            elif shared is not None:
                plans.append(("follow", shared))
            else:
                future = leading[job.canonical] = self._inflight[job.canonical] = loop.create_future()
                plans.append(("lead", future))
        won: set[str] = set()
        tasks: list[asyncio.Future[_Prepared]] = []
        outcomes: list[PageOutcome] = []
        try:
            if leading:
                won = await self._db(self._claim_pages, [url_key(c) for c in leading])
                # Another worker may have stored a page and released its claim between our lookup and our
                # claim: looked up again now that we hold the claims, such a page is linked, not fetched.
                known.update(await self._db(self._known_urls, [j for j in jobs if j.canonical in leading]))
            tasks = [asyncio.ensure_future(self._prepare(job, plan=plan, future=future, won=won, known=known,
                                                         fetcher=fetcher, robots=robots))
                     for job, (plan, future) in zip(jobs, plans, strict=True)]
            # Pages are fetched and extracted concurrently but stored strictly in job order, as soon as
            # they and every page before them are ready: clustering is deterministic and progress durable.
            # The pages ready together are stored in one transaction.
            start = 0
            while start < len(tasks):
                await tasks[start]
                end = start + 1
                while end < len(tasks) and tasks[end].done() and end - start < STORE_GROUP:
                    end += 1
                ready = [t.result() for t in tasks[start:end]]
                outcomes.extend(await self._db(self._store_ready, jobs[start:end], ready, known))
                start = end
        finally:
            for task in tasks:
                task.cancel()
            for canonical, future in leading.items():
                if self._inflight.get(canonical) is future:
                    del self._inflight[canonical]
                if not future.done():
                    future.cancel()
            if won:
                await asyncio.shield(self._db(self._release_pages, sorted(won)))
        return outcomes

    def _claim_pages(self, keys: list[str]) -> set[str]:
        now = utcnow()
        # Long enough for the slowest fetch (every redirect hop at the full timeout) and its extraction.
        hold = self.settings.fetch.timeout * (self.settings.fetch.max_redirects + 1) + self.settings.extract.timeout
        until = now + timedelta(seconds=hold)
        with self.store.session() as session:
            won = repo.claim_pages(session, self.owner, keys, now=now, until=until)
            lost = [key for key in keys if key not in won]
            if lost:
                # A claim of a process of this host that died (kill -9) is taken over at once, as a rerun expects.
                owners = repo.page_claim_owners(session, lost)
                dead = sorted({owner for owner in owners.values() if not owner_alive(owner)})
                if dead:
                    orphans = [key for key, owner in owners.items() if owner in dead]
                    repo.drop_page_claims(session, orphans, dead)
                    won |= repo.claim_pages(session, self.owner, orphans, now=now, until=until)
            return won

    def _release_pages(self, keys: list[str]) -> None:
        try:
            with self.store.session() as session:
                repo.release_pages(session, self.owner, keys, now=utcnow())
        except StoreError as exc:  # the claims expire by themselves
            log.warning("page_claims_not_released", claims=len(keys), error=str(exc))

    def _store_ready(
        self,
        jobs: Sequence[PageJob],
        results: Sequence[_Prepared],
        known: dict[str, tuple[int, str, int]],
    ) -> list[PageOutcome]:
        """Record failed and known pages; store each run of extracted ones in one transaction, in order."""
        outcomes: list[PageOutcome] = []
        extracted_run: list[tuple[PageJob, Response, Extracted]] = []
        for job, result in zip(jobs, results, strict=True):
            if isinstance(result, PageOutcome):
                outcomes.extend(self._store_pages(extracted_run, known))
                extracted_run = []
                self._store_failure_or_link(result, known)
                outcomes.append(result)
            else:
                extracted_run.append((job, *result))
        outcomes.extend(self._store_pages(extracted_run, known))
        return outcomes

    def _known_urls(self, jobs: Sequence[PageJob]) -> dict[str, tuple[int, str, int]]:
        with self.store.session() as session:
            found = repo.articles_by_canonical(session, sorted({j.canonical for j in jobs}))
            return {url: (a.id, a.status, a.attempts) for url, a in found.items()}

    async def _prepare(
        self,
        job: PageJob,
        *,
        plan: str,
        future: asyncio.Future[_Prepared] | None,
        won: set[str],
        known: dict[str, tuple[int, str, int]],
        fetcher: Fetcher | None,
        robots: RobotsCache | None,
    ) -> _Prepared:
        """Fetch and extract one page, or say why not; never raises for the page's own sake."""
        if plan == "known":
            return PageOutcome(job, "duplicate_url", article_id=known[job.canonical][0])
        if plan == "too_long":
            return PageOutcome(job, "failed", kind="invalid_url", shared=True,
                               error=f"invalid_url: longer than {MAX_URL_CHARS} characters ({len(job.url)})")
        if plan == "follow":
            assert future is not None
            try:
                shared = await asyncio.shield(future)
            except asyncio.CancelledError:
                if not future.cancelled():
                    raise  # this job itself is cancelled
                return PageOutcome(job, "deferred", error="deferred: the fetch it waited for was cancelled",
                                   kind="deferred")
            if isinstance(shared, PageOutcome):
                if shared.status == "duplicate_url":  # found stored meanwhile: this item is linked to it too
                    return PageOutcome(job, "duplicate_url", article_id=shared.article_id)
                return PageOutcome(job, shared.status, error=shared.error, kind=shared.kind, shared=True)
            return shared  # stored once: this job then finds the URL stored and links its item to it
        existing = known.get(job.canonical)
        if plan == "lead" and url_key(job.canonical) not in won:
            result: _Prepared = PageOutcome(job, "deferred", kind="claimed",
                                            error="claimed: another worker is fetching this page")
        elif plan == "lead" and existing is not None and (existing[1] != "failed" or existing[2] >= PAGE_RETRY_LIMIT):
            result = PageOutcome(job, "duplicate_url", article_id=existing[0])
        else:
            result = await self._fetch_extract(job, fetcher, robots)
        if future is not None and not future.done():
            future.set_result(result)
        return result

    async def _fetch_extract(self, job: PageJob, fetcher: Fetcher | None, robots: RobotsCache | None) -> _Prepared:
        response = job.response
        try:
            if response is None:
                if fetcher is None:
                    raise FetchError(job.url, "no fetcher for a page without stored bytes")
                if robots is not None:
                    await robots.check(job.url)
                response = await fetcher.get(
                    job.url, accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
                )
                job.response = response
            extracted = await self.pool.extract(response.body, url=response.url, headers=response.headers)
        except (FetchError, ExtractError) as exc:
            log.warning("page_failed", url=job.url, kind=exc.kind, error=str(exc))
            return PageOutcome.failure(job, exc)
        except Exception as exc:  # a bug met on this page costs this page alone
            return PageOutcome.failure(job, internal_error("page", exc, url=job.url))
        return response, extracted

    def _without_site_boilerplate(self, session: Session, site: str, extracted: Extracted) -> Extracted:
        """Apply the site's boilerplate model, as counted over every article stored before this one."""
        if not extracted.text:
            return extracted
        docs, counts = repo.site_counts(session, site, block_keys(extracted.text))
        return apply_site_boilerplate(extracted, SiteBoilerplate(doc_count=docs, block_counts=counts))

    def _store_failure_or_link(self, outcome: PageOutcome, known: dict[str, tuple[int, str, int]]) -> None:
        """Record a failed page (so it is retried a few times, never silently lost) or link a known URL."""
        job = outcome.job
        if outcome.status == "deferred" or outcome.shared:
            return  # not an attempt (deferred), or recorded once by the job whose fetch it shared
        with self.store.session() as session:
            if outcome.status == "duplicate_url":
                if job.feed_id is not None and job.guid is not None:
                    repo.record_item(session, job.feed_id, self._item_row(job), outcome.article_id)
                return
            existing = known.get(job.canonical)
            if existing is None:
                article_id = repo.insert_article(
                    session,
                    {
                        "canonical_url": job.canonical,
                        "url": job.url,
                        "feed_id": job.feed_id,
                        "guid": job.guid,
                        "site": site_of(job.url),
                        "title": job.title,
                        "published": job.published,
                        "fetched": utcnow(),
                        "status": "failed",
                        "error": outcome.error,
                        "attempts": 1,
                    },
                )
            else:
                article_id = existing[0]
                repo.count_failed_attempt(session, article_id, outcome.error)
            outcome.article_id = article_id
            # The GUID is not recorded, and the feed keeps no validators (see _finish_feed), so the next
            # poll sees the item again and retries the page, up to PAGE_RETRY_LIMIT attempts.

    def _item_row(self, job: PageJob) -> dict[str, Any]:
        return {
            "guid": job.guid,
            "url": job.url,
            "canonical_url": job.canonical,
            "title": job.title,
            "published": job.published,
        }

    def _store_pages(
        self, pages: Sequence[tuple[PageJob, Response, Extracted]], known: dict[str, tuple[int, str, int]]
    ) -> list[PageOutcome]:
        """Store extracted pages in order, in one transaction: dedupe, story, raw page, feed item."""
        if not pages:
            return []
        try:
            with self._placing() as session:
                repo.lock_for_dedupe(session)
                placer = _Placer(self._clusterer_for(session), repo.latest_seq(session))
                outcomes = [self._store_page(session, placer, page, known) for page in pages]
        except StoreError:
            raise  # the database is unavailable: the run stops (its leases and claims expire)
        except Exception as exc:
            error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if len(pages) > 1:
                # One page's failure must not cost the others: store them one per transaction, in order.
                log.warning("store_group_failed", pages=len(pages), error=error, retrying="one page per transaction")
                return [outcome for page in pages for outcome in self._store_pages([page], known)]
            job = pages[0][0]
            if isinstance(exc, SQLAlchemyError):
                # This page's data is refused by the database (e.g. a value too long for PostgreSQL): it
                # fails, recorded in the outcome only (a failure row would be refused alike); the run goes on.
                log.error("page_store_failed", url=job.url, error=error)
                return [PageOutcome(job, "failed", error=f"store: {error}", kind="store")]
            # A bug met while storing or placing this page (its transaction rolled back): it fails alone,
            # recorded on its row so it is retried a few times, and the run goes on.
            failed = PageOutcome.failure(job, internal_error("page", exc, url=job.url))
            try:
                self._store_failure_or_link(failed, known)
            except (StoreError, SQLAlchemyError) as again:
                log.error("page_store_failed", url=job.url, error=str(again).splitlines()[0] if str(again) else "")
            return [failed]
        for outcome in outcomes:
            if outcome.status == "stored":
                log.info("article_stored", article_id=outcome.article_id, url=outcome.job.url,
                         story_id=outcome.story_id, relation=outcome.relation)
        return outcomes

    def _store_page(
        self,
        session: Session,
        placer: _Placer,
        page: tuple[PageJob, Response, Extracted],
        known: dict[str, tuple[int, str, int]],
    ) -> PageOutcome:
        """Store one extracted page inside the caller's transaction."""
        job, response, extracted = page
        fetched = job.fetched or utcnow()
        canonical = job.canonical
        site = site_of(response.url)
        extracted = self._without_site_boilerplate(session, site, extracted)
        status = "ok" if extracted.is_article else "not_article"
        content_hash = text_hash(extracted.text) if extracted.is_article and extracted.text else None
        if content_hash is not None:
            same_text = repo.article_by_hash(session, site, content_hash)
            if same_text is not None:
                if job.feed_id is not None and job.guid is not None:
                    repo.record_item(session, job.feed_id, self._item_row(job), same_text.id)
                log.info("page_duplicate_text", url=job.url, article_id=same_text.id)
                return PageOutcome(job, "duplicate_text", article_id=same_text.id, story_id=same_text.story_id)
        values: dict[str, Any] = {
            "canonical_url": canonical,
            "url": job.url,
            "feed_id": job.feed_id,
            "guid": job.guid,
            "site": site,
            "title": extracted.title or job.title,
            "text": extracted.text if extracted.is_article else None,
            "content_hash": content_hash,
            "author": extracted.author or job.author,
            "published": extracted.published or job.published,
            "modified": extracted.modified,
            "fetched": fetched,
            "language": extracted.language,
            "site_name": extracted.site_name,
            "description": extracted.description,
            "status": status,
            "error": extracted.not_article_reason,
            "attempts": 1,
            "removed": [{"text": r.text, "why": r.why} for r in extracted.removed],
            "extractor": extracted.extractor,
            "extractor_version": extracted.extractor_version,
            "extractor_options": extracted.options,
        }
        article_id = self._upsert_article(session, values, retrying=canonical in known)
        if article_id is None:
            existing = repo.articles_by_canonical(session, [canonical])[canonical]
            if job.feed_id is not None and job.guid is not None:
                repo.record_item(session, job.feed_id, self._item_row(job), existing.id)
            return PageOutcome(job, "duplicate_url", article_id=existing.id, story_id=existing.story_id)
        repo.save_raw_page(
            session,
            article_id,
            url=response.url,
            status=response.status,
            headers=response.headers,
            body=response.body,
            fetched=fetched,
        )
        if job.feed_id is not None and job.guid is not None:
            repo.record_item(session, job.feed_id, self._item_row(job), article_id)
        if not extracted.is_article:
            return PageOutcome(job, "not_article", article_id=article_id, error=extracted.not_article_reason)
        repo.count_site_blocks(session, site, boilerplate_keys(extracted))
        published = extracted.published or job.published or fetched
        doc = Doc(id=str(article_id), title=extracted.title or job.title or "", text=extracted.text, url=job.url,
                  published=published.astimezone(UTC))
        decision = self._cluster(session, placer, doc, new_article=True)
        return PageOutcome(
            job, "stored", article_id=article_id, story_id=decision.cluster, relation=decision.relation
        )

    def _upsert_article(self, session: Any, values: dict[str, Any], *, retrying: bool) -> int | None:
        """Insert a new article, or complete a previously failed one; None when the URL is already stored."""
        if not retrying:
            article_id = repo.insert_article(session, values)
            if article_id is not None:
                return article_id
        existing = repo.articles_by_canonical(session, [values["canonical_url"]]).get(values["canonical_url"])
        if existing is None:
            return repo.insert_article(session, values)
        if existing.status != "failed":
            return None
        for key, value in values.items():
            setattr(existing, key, value)
        existing.attempts = existing.attempts + 1
        session.flush()
        return existing.id

    def _cluster(self, session: Session, placer: _Placer, doc: Doc, *, new_article: bool) -> Decision:
        """Place a stored article in a story with this process's clusterer (caught up by the caller)."""
        decision = placer.clusterer.add(doc, arrived=utcnow())  # the arrival that times its eviction
        placer.seq += 1
        repo.join_story(
            session,
            story_id=decision.cluster,
            article_id=int(doc.id),
            title=doc.title or None,
            # A new article that starts a story starts a new one: its id, hence the story's, is new.
            new_story_dated=doc.published if new_article and decision.relation == "original" else None,
            relation=decision.relation,
            duplicate_of=int(decision.duplicate_of) if decision.duplicate_of else None,
            score=decision.score,
            agency=agency_of(doc.text),
            seq=placer.seq,
        )
        self._synced_seq = placer.seq
        return decision

    def _clusterer_for(self, session: Session) -> Clusterer:
        """The process's clusterer, bound to this transaction and caught up with every stored decision.

        The clusterer learns from its history (site footers, story anchors), so it lives as long as the
        pipeline; decisions made by other workers, or before a restart, are replayed into it in
        clustering order first. Its state is then a function of the store alone: the same articles in
        the same order give the same stories, with one worker or several, across restarts.
        """
        since = None
        if self._clusterer is None:
            settings = self.settings.dedupe
            self._clusterer = Clusterer(
                SqlIndex(session), threshold=settings.threshold, window_days=settings.window_days
            )
            self._synced_seq = 0
            # Replay what a process that made every decision still holds: the decisions that arrived
            # (were placed, by the wall clock) within the window of now.
            since = self._clusterer.horizon(utcnow())
        clusterer = self._clusterer
        clusterer.index = SqlIndex(session)
        replayed = 0
        for placed in repo.placements_after(session, self._synced_seq, since=since):
            doc = Doc(id=str(placed.article_id), title=placed.title or "", text=placed.text or "",
                      url=placed.url, published=placed.when)
            duplicate_of = str(placed.duplicate_of) if placed.duplicate_of is not None else None
            decision = Decision(doc.id, placed.story_id, duplicate_of, placed.score, placed.relation)
            clusterer.learn(doc, decision, arrived=placed.arrived)
            self._synced_seq = placed.seq
            replayed += 1
        if replayed:
            log.debug("clusterer_caught_up", replayed=replayed, seq=self._synced_seq)
        return clusterer

    @contextmanager
    def _placing(self) -> Iterator[Session]:
        """A store transaction that may cluster: if it fails, the clusterer is rebuilt from the store."""
        try:
            with self.store.session() as session:
                yield session
        except BaseException:
            self._clusterer = None  # it may have learnt a decision that was rolled back
            raise

    # Re-extraction ------------------------------------------------------------------------------

    async def reextract(self, article_ids: Sequence[int]) -> list[PageOutcome]:
        """Re-run extraction, cleaning and dedupe on stored raw pages; an unchanged extractor changes nothing."""
        outcomes = []
        for article_id in article_ids:
            loaded = await self._db(self._raw_page, article_id)
            if loaded is None:
                continue
            article, raw, body = loaded
            job = PageJob(
                url=article.url,
                feed_id=article.feed_id,
                guid=article.guid,
                title=article.title,
                published=article.published,
                fetched=article.fetched,
            )
            if article.extractor_version == EXTRACTOR_VERSION and article.extractor_options == OPTIONS:
                outcomes.append(
                    PageOutcome(job, "unchanged", article_id=article_id, story_id=article.story_id)
                )
                continue
            try:
                extracted = await self.pool.extract(body, url=raw.url, headers=raw.headers)
                outcomes.append(await self._db(self._restore, article_id, job, extracted))
            except (StoreError, SQLAlchemyError):
                raise
            except WirefeedError as exc:
                outcomes.append(PageOutcome.failure(job, exc, article_id=article_id))
            except Exception as exc:  # a bug met on this article costs this article alone
                error = internal_error("article", exc, article_id=article_id, url=article.url)
                outcomes.append(PageOutcome.failure(job, error, article_id=article_id))
        return outcomes

    def _raw_page(self, article_id: int) -> Any:
        with self.store.session() as session:
            return repo.raw_page_for(session, article_id)

    def _restore(self, article_id: int, job: PageJob, extracted: Extracted) -> PageOutcome:
        """Write a re-extracted text over the stored one and, when the text changed, cluster it again."""
        with self._placing() as session:
            repo.lock_for_dedupe(session)
            article = session.get(Article, article_id)
            assert article is not None
            extracted = self._without_site_boilerplate(session, article.site or "", extracted)
            old_hash = article.content_hash
            new_hash = text_hash(extracted.text) if extracted.is_article and extracted.text else None
            article.title = extracted.title or article.title
            article.text = extracted.text if extracted.is_article else None
            article.content_hash = new_hash
            article.author = extracted.author or article.author
            article.published = extracted.published or article.published
            article.modified = extracted.modified
            article.language = extracted.language
            article.site_name = extracted.site_name
            article.description = extracted.description
            article.status = "ok" if extracted.is_article else "not_article"
            article.error = extracted.not_article_reason
            article.removed = [{"text": r.text, "why": r.why} for r in extracted.removed]
            article.extractor = extracted.extractor
            article.extractor_version = extracted.extractor_version
            article.extractor_options = extracted.options
            if new_hash == old_hash and article.story_id is not None:
                return PageOutcome(
                    job, "reextracted", article_id=article_id, story_id=article.story_id, relation="same_text"
                )
            repo.leave_story(session, article)
            session.flush()
            if not extracted.is_article:
                return PageOutcome(job, "not_article", article_id=article_id)
            placer = _Placer(self._clusterer_for(session), repo.latest_seq(session))
            decision = self._cluster(session, placer, doc_of(article), new_article=False)
        return PageOutcome(
            job, "reextracted", article_id=article_id, story_id=decision.cluster, relation=decision.relation
        )

