"""Polling a batch of feeds: claim, fetch, parse, hand the new items' pages on, finish the feed rows."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from config.settings import Settings
from ingest.errors import FeedError, FetchError, HostDeferred, HTTPStatusError, NotModifiedUnasked, WirefeedError
from ingest.feeds import schedule
from ingest.feeds.parse import Item, ParsedFeed, parse_feed
from ingest.feeds.schedule import FeedState, Plan
from ingest.fetch.client import Fetcher, Origin, Response, origin_of
from ingest.fetch.robots import RobotsCache
from ingest.jobs import (
    MAX_URL_CHARS,
    OUTAGE_KINDS,
    DbThread,
    PageJob,
    PageOutcome,
    PageStatus,
    PassSummary,
    first_line,
    internal_error,
    owner_alive,
)
from ingest.ops import metrics, telemetry
from ingest.page_store import PageStore
from store import repo
from store.db import Store, StoreError
from store.models import Feed, utcnow

log = structlog.get_logger("wirefeed.pipeline")


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


@dataclass(frozen=True, slots=True)
class FeedFinish:
    """What a poll changes: the feed row's new values, its fetch-log row, and what else must be done."""

    feed_id: int
    values: dict[str, Any]
    fetch_log: dict[str, Any]
    moved_to: str | None = None  # the URL the subscription moves to (a permanent redirect)
    defer: tuple[Origin, datetime] | None = None  # an origin that asked us to wait, and until when


def move_target(poll: FeedPoll) -> str | None:
    """The URL a fetched feed's 301/308 chain points to, if it is not the feed's own."""
    target = poll.response.permanent_url if poll.error is None and poll.response is not None else None
    return target if target and target != poll.feed.url else None


def follow_permanent_redirect(
    feed: Feed, target: str | None, values: dict[str, Any], *, taken: Collection[str]
) -> str | None:
    """A 301/308 chain moves the subscription to its target; the old URL is kept for the record.

    Not when another feed has the target URL (`taken`); returns the URL moved to.
    """
    if target is None:
        return None
    if len(target) > MAX_URL_CHARS:
        log.warning("feed_move_refused", feed_id=feed.id, url=feed.url, reason="target URL too long",
                    length=len(target))
        return None
    if target in taken:
        log.info("feed_moved_to_existing", feed_id=feed.id, url=feed.url, new_url=target)
        return None
    values["url"] = target
    values["old_urls"] = [*(feed.old_urls or []), feed.url]
    log.info("feed_moved", feed_id=feed.id, old_url=feed.url, new_url=target)
    return target


def finish_feed(
    poll: FeedPoll,
    outcomes: Sequence[PageOutcome],
    settings: Settings,
    *,
    now: datetime,
    outage: bool,
    taken: Collection[str],
) -> FeedFinish:
    """Decide a feed's new row values and fetch-log row; `taken` are URLs no feed can move to.

    The caller writes the whole batch's rows in bulk (and defers the origin named); the lease is released after.
    """
    feed, error = poll.feed, poll.error
    state = FeedState(feed.interval, feed.error_count, feed.failing_since, key=feed.url)
    values: dict[str, Any] = {"last_fetched_at": now}
    moved_to = None
    defer = None
    if error is None:
        plan = _after_success(poll, outcomes, settings, now=now, state=state, values=values)
        moved_to = follow_permanent_redirect(feed, move_target(poll), values, taken=taken)
    else:
        plan, defer = _after_failure(poll, error, settings, now=now, state=state, values=values, outage=outage)
    values.update(error_count=plan.error_count, failing_since=plan.failing_since)
    values["next_fetch_at"] = plan.next_fetch_at
    if poll.waiting and error is None:  # the items left over are taken soon, not a whole interval later
        soon = now + timedelta(seconds=settings.schedule.min_interval)
        values["next_fetch_at"] = min(plan.next_fetch_at, soon)
    stored = sum(1 for o in outcomes if o.status == PageStatus.STORED)
    fetch_log = _fetch_log(poll, stored, settings, now, values)
    if error is None:
        response = poll.response
        log.info("feed_fetched", feed_id=feed.id, status=response.status if response else None,
                 bytes=len(response.body) if response else 0, items_new=len(poll.jobs), stored=stored,
                 unchanged=poll.unchanged, next_in=plan.interval)
    return FeedFinish(feed.id, values, fetch_log, moved_to=moved_to, defer=defer)


def _after_success(
    poll: FeedPoll, outcomes: Sequence[PageOutcome], settings: Settings, *, now: datetime, state: FeedState,
    values: dict[str, Any],
) -> Plan:
    """The values of a feed fetched (and parsed, unless unchanged), and its next poll."""
    feed, response = poll.feed, poll.response
    assert response is not None
    values.update(last_status=response.status, last_error=None, last_error_kind=None,
                  last_success_at=now, retry_after=None)
    # A page to try again (failed, or deferred: its origin asked us to wait, or another worker had
    # it) or items left beyond the per-poll cap: no validators, so the next poll sees them again.
    retry = (PageStatus.FAILED, PageStatus.DEFERRED)
    retry_pages = any(o.status in retry for o in outcomes) or poll.waiting > 0
    values["items_waiting"] = poll.waiting
    if poll.waiting:
        log.warning("feed_items_waiting", feed_id=feed.id, url=feed.url, waiting=poll.waiting,
                    taken=len(poll.jobs), cap=settings.fetch.max_articles_per_feed)
    if response.status != 304 and not retry_pages:
        values.update(etag=response.headers.get("etag"), last_modified=response.headers.get("last-modified"),
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
    return schedule.after_success(state, settings.schedule, now, hinted_interval=hint, observed=observed,
                                  max_age=schedule.cache_max_age(response.headers))


def _after_failure(
    poll: FeedPoll, error: WirefeedError, settings: Settings, *, now: datetime, state: FeedState,
    values: dict[str, Any], outage: bool,
) -> tuple[Plan, tuple[Origin, datetime] | None]:
    """The values of a feed that failed, its next poll, and the origin to hold back if it asked us to wait."""
    feed = poll.feed
    status = error.status if isinstance(error, HTTPStatusError) else None
    retry_after = error.retry_after if isinstance(error, HTTPStatusError | HostDeferred) else None
    # A request held back because its host asked us to wait says nothing against this feed.
    held = outage or isinstance(error, HostDeferred)
    plan = schedule.after_failure(state, settings.schedule, now, status=status, retry_after=retry_after,
                                  outage=held, error=str(error))
    values.update(last_status=status, last_error=str(error), last_error_kind=error.kind, retry_after=retry_after)
    if plan.disable_reason:
        values.update(disabled=True, disabled_reason=plan.disable_reason)
        log.warning("feed_disabled", feed_id=feed.id, url=feed.url, reason=plan.disable_reason)
    defer = None
    if retry_after is not None and status in (429, 503):
        defer = (origin_of(feed.url), retry_after)  # the whole origin asked us to wait, not just this feed
    log.warning("feed_failed", feed_id=feed.id, url=feed.url, kind=error.kind, error=str(error), outage=outage)
    return plan, defer


def _fetch_log(
    poll: FeedPoll, stored: int, settings: Settings, now: datetime, values: dict[str, Any]
) -> dict[str, Any]:
    """The fetch-log row of a poll that stored `stored` pages."""
    response, error = poll.response, poll.error
    unchanged = "not_modified" if response is not None and response.status == 304 else "unchanged"
    return {
        "feed_id": poll.feed.id,
        "started_at": now,
        "duration_ms": int((response.elapsed if response else 0) * 1000),
        "status": values.get("last_status"),
        "outcome": error.kind if error else (unchanged if poll.unchanged else "ok"),
        "error": str(error) if error else None,
        "bytes": len(response.body) if response else 0,
        "items_new": stored if settings.fetch.fetch_articles else len(poll.jobs),
    }


def count_poll(poll: FeedPoll) -> None:
    """A feed fetch in the metrics: status class, `ok` or the failure kind, and its time."""
    if not metrics.enabled():
        return
    response, error = poll.response, poll.error
    status = response.status if response is not None else error.status if isinstance(error, HTTPStatusError) else None
    metrics.count_fetch("feed", status, "ok" if error is None else error.kind,
                        response.elapsed if response is not None else None)


def is_outage(polls: Sequence[FeedPoll]) -> bool:
    """Every feed of a batch failing with a network-level error means our side is down."""
    hosts = {origin_of(p.feed.url)[1] for p in polls}
    return len(hosts) >= 3 and all(p.error is not None and p.error.kind in OUTAGE_KINDS for p in polls)


class FeedPass:
    """Passes over due feeds in leased batches; their new items' pages go to the page store."""

    def __init__(
        self, store: Store, settings: Settings, *, owner: str, pages: PageStore, db: DbThread,
        stopping: asyncio.Event,
    ) -> None:
        self.store = store
        self.settings = settings
        self.owner = owner
        self.pages = pages
        self.stopping = stopping
        self._db = db
        self._held = 0  # feed leases this process holds (to see how many a renewal found taken)
        telemetry.configure(settings.metrics)

    async def run_pass(self, fetcher: Fetcher, *, all_feeds: bool = False, limit: int | None = None) -> PassSummary:
        """One pass over due feeds (every enabled feed with all_feeds), in leased batches.

        A few batches are in flight at once, so one slow feed does not hold up the rest; each batch is
        claimed with a lease and released when its feeds are recorded (or when the pass is cancelled).
        Then the sources whose pages it stored are judged against their history (`source_degraded`).
        """
        started = time.perf_counter()
        try:
            summary = await self._batches(fetcher, all_feeds=all_feeds, limit=limit)
        except Exception as exc:  # a cancelled pass (the daemon stopping) did not fail
            metrics.PASSES.labels("failed").inc()
            if isinstance(exc, StoreError | SQLAlchemyError):
                metrics.DB_ERRORS.labels("pass").inc()
            raise
        metrics.PASSES.labels("ok").inc()
        metrics.PASS_SECONDS.observe(time.perf_counter() - started)
        metrics.LAST_PASS.set_to_current_time()
        await self._db(self._judge_sources)
        return summary

    def _judge_sources(self) -> None:
        """Write the pass's pending telemetry and judge the sources it touched; a failure here costs no pass."""
        try:
            telemetry.evaluate(self.store)
        except Exception as exc:
            metrics.DB_ERRORS.labels("telemetry").inc()
            log.warning("telemetry_failed", error=first_line(exc))

    async def _batches(self, fetcher: Fetcher, *, all_feeds: bool, limit: int | None) -> PassSummary:
        """The pass's leased batches, a few in flight at once."""
        summary = PassSummary()
        started = utcnow()
        sched = self.settings.schedule
        reserved = 0
        robots = RobotsCache(fetcher, enabled=self.settings.fetch.obey_robots)

        async def worker() -> None:
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

        await asyncio.gather(*(worker() for _ in range(sched.batches_in_flight)))
        return summary

    # Leases --------------------------------------------------------------------------------------

    def _claim(self, size: int, *, all_feeds: bool, fetched_before: datetime) -> list[Feed]:
        taken_over: list[int] = []
        with self.store.session() as session:
            feeds = repo.claim_feeds(
                session, self.owner, now=utcnow(), lease=timedelta(seconds=self.settings.schedule.lease_seconds),
                limit=size, include_not_due=all_feeds, fetched_before=fetched_before, taken_over=taken_over,
            )
        self._held += len(feeds)
        if feeds and metrics.enabled():
            metrics.LEASE_CLAIMS.labels("feed").inc(len(feeds))
        metrics.count_takeovers("feed", len(taken_over))
        return feeds

    def _release(self, feed_ids: list[int]) -> None:
        with self.store.session() as session:
            repo.release_feeds(session, self.owner, feed_ids)
        self._held = max(0, self._held - len(feed_ids))

    def release_all(self) -> int:
        """Release every lease this process holds; how many there were."""
        with self.store.session() as session:
            return repo.release_feeds(session, self.owner)

    def release_dead(self) -> int:
        """Release the leases of processes of this host that are gone; how many feeds they held.

        A pass that died with the database could not release its leases; its rerun (the next cron
        `ingest`, another process) would otherwise find every feed taken for `lease_seconds`.
        """
        with self.store.session() as session:
            dead = [owner for owner in repo.feed_lease_owners(session, utcnow())
                    if owner != self.owner and not owner_alive(owner)]
            released = sum(repo.release_feeds(session, owner) for owner in dead)
        if released:
            metrics.count_takeovers("feed", released)
            log.info("leases_taken_over", feeds=released, owners=dead[:10])
        return released

    def _renew(self, until: datetime) -> None:
        with self.store.session() as session:
            renewed = repo.renew_leases(session, self.owner, until)
        if renewed < self._held:  # another worker took leases of ours that had expired (we stalled)
            metrics.LEASE_EXPIRIES.labels("feed").inc(self._held - renewed)
            self._held = renewed

    async def _renew_leases(self) -> None:
        """Keep this worker's leases alive while a long batch runs (a killed worker's leases just expire)."""
        lease = self.settings.schedule.lease_seconds
        while True:
            await asyncio.sleep(lease / 3)
            await self._db(self._renew, utcnow() + timedelta(seconds=lease))

    # One batch -----------------------------------------------------------------------------------

    async def _feed_batch(
        self, fetcher: Fetcher, robots: RobotsCache, feeds: Sequence[Feed], summary: PassSummary
    ) -> None:
        polls = await asyncio.gather(*(self._poll(fetcher, feed) for feed in feeds))
        await self._db(self._plan_jobs, polls)
        outage = is_outage(polls)
        jobs = [job for poll in polls for job in poll.jobs]
        if self.settings.fetch.fetch_articles:
            outcomes = await self.pages.ingest_pages(jobs, fetcher=fetcher, robots=robots)
        else:
            # `[fetch] fetch_articles = false`: the items (GUID, link, title) are recorded without their
            # pages (below, with the feed rows), so they are not fetched later either.
            outcomes = []
        by_feed: dict[int, list[PageOutcome]] = {}
        for outcome in outcomes:
            summary.add(outcome)
            if outcome.job.feed_id is not None:
                by_feed.setdefault(outcome.job.feed_id, []).append(outcome)
        for poll in polls:
            count_poll(poll)
            summary.feeds += 1
            summary.items_new += len(poll.jobs)
            summary.items_waiting += poll.waiting
            if poll.error is not None:
                summary.feeds_failed += 1
            elif poll.unchanged:
                summary.not_modified += 1
        await self._db(self._finish_batch, polls, jobs, by_feed, outage)

    async def _poll(self, fetcher: Fetcher, feed: Feed) -> FeedPoll:
        """Fetch one feed (conditionally, mostly) and parse it unless its body is unchanged."""
        poll = FeedPoll(feed)
        conditional = not schedule.refetch_unconditionally(
            feed.url, feed.last_fetched_at, utcnow(), self.settings.schedule.refetch_unconditional_after)
        etag, last_modified = (feed.etag, feed.last_modified) if conditional else (None, None)
        try:
            poll.response = await fetcher.get(
                feed.url, etag=etag, last_modified=last_modified, trusted=True,
                accept="application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5",
            )
            if poll.response.status == 304:
                if not (etag or last_modified):  # nothing to be unchanged against: the feed is never sent
                    raise NotModifiedUnasked(feed.url)
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
            jobs.append(PageJob(url=item.link, feed_id=feed.id, guid=item.guid, title=item.title,
                                published=item.published, author=item.author))
        if linkless:
            repo.record_items(session, [{"feed_id": feed.id, "guid": item.guid, "url": None, "canonical_url": None,
                                         "title": item.title, "published": item.published} for item in linkless])
            log.warning("items_without_link", feed_id=feed.id, url=feed.url, items=len(linkless),
                        guids=[item.guid[:200] for item in linkless[:5]])
        # Oldest first, so a story's first copy is stored first; the feed order breaks ties.
        return sorted(jobs, key=lambda j: j.published or datetime.max.replace(tzinfo=UTC)), waiting

    # Feed rows -----------------------------------------------------------------------------------

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
            log.warning("feed_rows_failed", feeds=len(polls), error=first_line(exc),
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
        finished: list[FeedFinish] = []
        with self.store.session() as session:
            if not self.settings.fetch.fetch_articles:
                repo.record_items(session, [dict(job.item_row(), feed_id=job.feed_id)
                                            for job in jobs if job.feed_id is not None])
            # URLs no feed of this batch can move to: another feed's, or one an earlier feed of the batch
            # moves to (two feeds may 301 to one new URL).
            targets = {target for poll in polls if (target := move_target(poll)) and len(target) <= MAX_URL_CHARS}
            taken = {target for target in sorted(targets) if repo.feed_by_url(session, target) is not None}
            for poll in polls:
                done = self._finish_feed(poll, by_feed.get(poll.feed.id, []), outage=outage, taken=taken)
                if done.moved_to is not None:
                    taken.add(done.moved_to)
                if done.defer is not None:
                    origin, until = done.defer
                    deferred = repo.defer_origin(session, origin, until, except_feed=done.feed_id)
                    log.info("host_deferred", host=origin[1], port=origin[2], until=until.isoformat(),
                             feeds=deferred)
                finished.append(done)
            repo.update_feeds(session, [(done.feed_id, done.values) for done in finished])
            repo.log_fetches(session, [done.fetch_log for done in finished])

    def _finish_feed(
        self, poll: FeedPoll, outcomes: Sequence[PageOutcome], *, outage: bool, taken: Collection[str]
    ) -> FeedFinish:
        """A feed's finish; a bug met deciding it is recorded on its row, and the others are written as usual."""
        try:
            return finish_feed(poll, outcomes, self.settings, now=utcnow(), outage=outage, taken=taken)
        except Exception as exc:
            poll.error = internal_error("feed", exc, feed_id=poll.feed.id, url=poll.feed.url)
            return finish_feed(poll, [], self.settings, now=utcnow(), outage=False, taken=taken)

    def _write_refused_feed(self, poll: FeedPoll, refused: SQLAlchemyError) -> None:
        """The database refused this feed's new values: record that on its row, and poll it again later."""
        now = utcnow()
        error = f"the database refused this feed's values: {first_line(refused)}"[:1000]
        log.error("feed_store_failed", feed_id=poll.feed.id, url=poll.feed.url, error=error)
        values = {"last_fetched_at": now, "last_error": error, "last_error_kind": "store",
                  "next_fetch_at": now + timedelta(seconds=self.settings.schedule.default_interval)}
        try:
            with self.store.session() as session:
                repo.update_feeds(session, [(poll.feed.id, values)])
        except SQLAlchemyError as again:  # StoreError (the database is gone) goes up; this is one feed's row
            log.error("feed_store_failed", feed_id=poll.feed.id, url=poll.feed.url, error=first_line(again))
