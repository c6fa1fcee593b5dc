"""The one orchestrator: feeds -> items -> pages -> clean text -> stories -> store.

The daemon, `wirefeed ingest` and backfill all call `Pipeline`; nothing else chains the stages.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import structlog
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from config.settings import Settings
from dedupe.agency import agency_of
from dedupe.cluster import Clusterer
from dedupe.model import Decision, Doc
from dedupe.text import text_hash
from ingest import schedule
from ingest.errors import ExtractError, FeedError, FetchError, HostDeferred, HTTPStatusError, WirefeedError
from ingest.extract import (
    EXTRACTOR_VERSION,
    OPTIONS,
    Extracted,
    SiteBoilerplate,
    apply_site_boilerplate,
    block_keys,
    boilerplate_keys,
)
from ingest.feeds import Item, ParsedFeed, parse_feed
from ingest.fetch import Fetcher, Response
from ingest.pool import ExtractPool
from ingest.robots import RobotsCache
from ingest.schedule import FeedState
from ingest.urls import canonical_url, site_of
from store import repo
from store.db import Store
from store.index import SqlIndex, doc_of
from store.models import Article, Feed, utcnow

log = structlog.get_logger("wirefeed.pipeline")

PAGE_RETRY_LIMIT = 3
# At most this many ready pages are stored in one transaction (if it fails, they are stored one by one).
STORE_GROUP = 50
# Kinds that say "our network is down" rather than "this feed is broken" when every feed shows them at once.
OUTAGE_KINDS = frozenset({"dns", "timeout", "refused", "network"})


def worker_id() -> str:
    """A lease owner name unique to this process."""
    return f"{socket.gethostname()}:{os.getpid()}:{random.getrandbits(32):08x}"


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
            self._canonical = canonical_url(self.url)
        return self._canonical


@dataclass(slots=True)
class PageOutcome:
    """What happened to one page job."""

    job: PageJob
    status: str  # stored, duplicate_url, duplicate_text, not_article, failed
    article_id: int | None = None
    story_id: str | None = None
    relation: str | None = None
    error: str | None = None

    @property
    def failure_kind(self) -> str:
        """The kind of a failure ("timeout", "http_4xx", "store"...): its error up to the first colon."""
        return (self.error or "error").split(":", 1)[0]


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
    stories_new: int = 0
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
        else:
            self.pages_failed += 1
            self.failures[outcome.failure_kind] = self.failures.get(outcome.failure_kind, 0) + 1


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

    def close(self) -> None:
        """Stop the extraction workers."""
        self.pool.close()

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

        async def worker(fetcher: Fetcher, robots: RobotsCache) -> None:
            nonlocal reserved
            while not self.stopping.is_set():
                size = sched.batch_size if limit is None else min(sched.batch_size, limit - reserved)
                if size <= 0:
                    return
                reserved += size
                with self.store.session() as session:
                    feeds = repo.claim_feeds(
                        session, self.owner, now=utcnow(), lease=timedelta(seconds=sched.lease_seconds),
                        limit=size, include_not_due=all_feeds, fetched_before=started,
                    )
                reserved -= size - len(feeds)
                if not feeds:
                    return
                renewer = asyncio.create_task(self._renew_leases())
                try:
                    await self._feed_batch(fetcher, robots, feeds, summary)
                finally:
                    renewer.cancel()
                    with self.store.session() as session:
                        repo.release_feeds(session, self.owner, [f.id for f in feeds])

        async with Fetcher(self.settings.fetch, self.transport) as fetcher:
            robots = RobotsCache(fetcher, enabled=self.settings.fetch.obey_robots)
            await asyncio.gather(*(worker(fetcher, robots) for _ in range(sched.batches_in_flight)))
        log.info("pass_finished", feeds=summary.feeds, feeds_failed=summary.feeds_failed,
                 not_modified=summary.not_modified, items_new=summary.items_new, stored=summary.stored,
                 duplicates=summary.duplicates, not_article=summary.not_article,
                 pages_failed=summary.pages_failed, stories_new=summary.stories_new)
        return summary

    async def _renew_leases(self) -> None:
        """Keep this worker's leases alive while a long batch runs (a killed worker's leases just expire)."""
        lease = self.settings.schedule.lease_seconds
        while True:
            await asyncio.sleep(lease / 3)
            with self.store.session() as session:
                repo.renew_leases(session, self.owner, utcnow() + timedelta(seconds=lease))

    async def _feed_batch(
        self, fetcher: Fetcher, robots: RobotsCache, feeds: Sequence[Feed], summary: PassSummary
    ) -> None:
        polls = await asyncio.gather(*(self._poll(fetcher, feed) for feed in feeds))
        with self.store.session() as session:  # one transaction for the whole batch's GUID lookups
            for poll in polls:
                if poll.parsed is not None and poll.error is None:
                    poll.jobs = self._new_jobs(session, poll.feed, poll.parsed.items)
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
            if poll.error is not None:
                summary.feeds_failed += 1
            elif poll.unchanged:
                summary.not_modified += 1
        writes: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
        with self.store.session() as session:
            if not self.settings.fetch.fetch_articles:
                repo.record_items(session, [
                    dict(self._item_row(job), feed_id=job.feed_id) for job in jobs if job.feed_id is not None])
            for poll in polls:
                self._finish_feed(poll, by_feed.get(poll.feed.id, []), outage=outage, session=session, writes=writes)
            repo.update_feeds(session, [(feed_id, values) for feed_id, values, _ in writes])
            repo.log_fetches(session, [fetch_log for _, _, fetch_log in writes])

    @staticmethod
    def _is_outage(polls: Sequence[FeedPoll]) -> bool:
        """Every feed of a batch failing with a network-level error means our side is down."""
        hosts = {httpx.URL(p.feed.url).host for p in polls}
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
        return poll

    def _new_jobs(self, session: Session, feed: Feed, items: Sequence[Item]) -> list[PageJob]:
        """Page jobs for the items this feed has not produced before, oldest first."""
        seen = repo.seen_guids(session, feed.id, [item.guid for item in items])
        jobs = []
        for item in items:
            if item.guid in seen or not item.link:
                continue
            jobs.append(
                PageJob(
                    url=item.link,
                    feed_id=feed.id,
                    guid=item.guid,
                    title=item.title,
                    published=item.published,
                    author=item.author,
                )
            )
            if len(jobs) >= self.settings.fetch.max_articles_per_feed:
                break
        # Oldest first, so a story's first copy is stored first; the feed order breaks ties.
        return sorted(jobs, key=lambda j: j.published or datetime.max.replace(tzinfo=UTC))

    def _finish_feed(
        self,
        poll: FeedPoll,
        outcomes: Sequence[PageOutcome],
        *,
        outage: bool,
        session: Session,
        writes: list[tuple[int, dict[str, Any], dict[str, Any]]],
    ) -> None:
        """Decide a feed's new row values and fetch-log row, and append them to `writes`.

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
            retry_pages = any(o.status == "failed" for o in outcomes)
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
            self._follow_permanent_redirect(feed, response, values, session=session)
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
                # The whole host asked us to wait, not just this feed.
                host = httpx.URL(feed.url).host
                deferred = repo.defer_host(session, host, retry_after, except_feed=feed.id)
                log.info("host_deferred", host=host, until=retry_after.isoformat(), feeds=deferred)
            log.warning("feed_failed", feed_id=feed.id, url=feed.url, kind=error.kind, error=str(error),
                        outage=outage)
        values.update(error_count=plan.error_count, failing_since=plan.failing_since)
        values["next_fetch_at"] = plan.next_fetch_at
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
        writes.append((feed.id, values, fetch_log))
        if error is None:
            log.info("feed_fetched", feed_id=feed.id, status=response.status if response else None,
                      bytes=len(response.body) if response else 0, items_new=len(poll.jobs), stored=stored,
                      unchanged=poll.unchanged, next_in=plan.interval)

    def _follow_permanent_redirect(
        self, feed: Feed, response: Response, values: dict[str, Any], *, session: Any
    ) -> None:
        """A 301/308 chain moves the subscription to its target; the old URL is kept for the record."""
        target = response.permanent_url
        if not target or target == feed.url:
            return
        if repo.feed_by_url(session, target) is not None:
            log.info("feed_moved_to_existing", feed_id=feed.id, url=feed.url, new_url=target)
            return
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
        """Fetch (unless prefetched), extract and store pages; results in job order, stored in job order."""
        if not jobs:
            return []
        known = self._known_urls(jobs)
        tasks = [asyncio.ensure_future(self._prepare(job, known, fetcher, robots)) for job in jobs]
        outcomes: list[PageOutcome] = []
        try:
            # Pages are fetched and extracted concurrently but stored strictly in job order, as soon as
            # they and every page before them are ready: clustering is deterministic and progress durable.
            # The pages ready together are stored in one transaction.
            start = 0
            while start < len(tasks):
                await tasks[start]
                end = start + 1
                while end < len(tasks) and tasks[end].done() and end - start < STORE_GROUP:
                    end += 1
                outcomes.extend(self._store_ready(jobs[start:end], [t.result() for t in tasks[start:end]], known))
                start = end
        finally:
            for task in tasks:
                task.cancel()
        return outcomes

    def _store_ready(
        self,
        jobs: Sequence[PageJob],
        results: Sequence[PageOutcome | tuple[Response, Extracted]],
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
        known: dict[str, tuple[int, str, int]],
        fetcher: Fetcher | None,
        robots: RobotsCache | None,
    ) -> PageOutcome | tuple[Response, Extracted]:
        existing = known.get(job.canonical)
        if existing is not None and (existing[1] != "failed" or existing[2] >= PAGE_RETRY_LIMIT):
            return PageOutcome(job, "duplicate_url", article_id=existing[0])
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
            return PageOutcome(job, "failed", error=f"{exc.kind}: {exc}")
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
                session.execute(
                    update(Article)
                    .where(Article.id == article_id)
                    .values(attempts=Article.attempts + 1, error=outcome.error, fetched=utcnow())
                )
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
        except Exception as exc:
            error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if len(pages) > 1:
                # One page's failure must not cost the others: store them one per transaction, in order.
                log.warning("store_group_failed", pages=len(pages), error=error, retrying="one page per transaction")
                return [outcome for page in pages for outcome in self._store_pages([page], known)]
            if not isinstance(exc, SQLAlchemyError):
                raise  # an unavailable database (StoreError) or a bug: the run stops
            # This page's data is refused by the database (e.g. a value too long for PostgreSQL): it fails,
            # recorded in the outcome only (a failure row would be refused alike), and the run goes on.
            job = pages[0][0]
            log.error("page_store_failed", url=job.url, error=error)
            return [PageOutcome(job, "failed", error=f"store: {error}")]
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
        decision = placer.clusterer.add(doc)
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
            _, newest = repo.latest_clustered(session)
            since = newest - timedelta(days=settings.window_days) if newest is not None else None
        clusterer = self._clusterer
        clusterer.index = SqlIndex(session)
        replayed = 0
        for placed in repo.placements_after(session, self._synced_seq, since=since):
            doc = Doc(id=str(placed.article_id), title=placed.title or "", text=placed.text or "",
                      url=placed.url, published=placed.when)
            duplicate_of = str(placed.duplicate_of) if placed.duplicate_of is not None else None
            clusterer.learn(doc, Decision(doc.id, placed.story_id, duplicate_of, placed.score, placed.relation))
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
            with self.store.session() as session:
                loaded = repo.raw_page_for(session, article_id)
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
            except ExtractError as exc:
                outcomes.append(PageOutcome(job, "failed", article_id=article_id, error=f"{exc.kind}: {exc}"))
                continue
            outcomes.append(self._restore(article_id, job, extracted))
        return outcomes

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

