"""Fetched and extracted pages -> articles, stored in job order, in groups, each placed in its story."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from config.settings import Settings
from dedupe.agency import agency_of
from dedupe.cluster import Clusterer
from dedupe.diff import diff_of
from dedupe.model import Decision, Doc
from dedupe.text import text_hash
from ingest.errors import ExtractError, FetchError, WirefeedError
from ingest.extract.page import (
    EXTRACTOR_VERSION,
    OPTIONS,
    Extracted,
    SiteBoilerplate,
    apply_site_boilerplate,
    block_keys,
)
from ingest.fetch.client import Fetcher, Response
from ingest.fetch.robots import RobotsCache
from ingest.jobs import (
    MAX_URL_CHARS,
    PAGE_RETRY_LIMIT,
    STORE_GROUP,
    DbThread,
    PageJob,
    PageOutcome,
    PageStatus,
    Relation,
    first_line,
    internal_error,
    owner_alive,
    url_key,
)
from ingest.ops import metrics, telemetry
from ingest.page_work import RAW_LEVEL, DedupeShape, PagePool, ReadyPage, RecordOf
from ingest.site_counts import SiteCounts
from ingest.urls import site_of
from store import archive, repo
from store.db import Store, StoreError
from store.index import SqlIndex, SqlLineage, doc_of
from store.models import Article, utcnow

log = structlog.get_logger("wirefeed.pipeline")

# The writer waits up to GATHER_SECONDS for GATHER_PAGES ready pages before storing a group (STORE_GROUP
# at most): a group costs about 15 statements whatever its size, a page about 0.1 ms more.
GATHER_PAGES = 16
GATHER_SECONDS = 0.25

# What fetching and extracting a page gives: its response and prepared text, or the outcome that stopped it.
_Prepared = PageOutcome | tuple[Response, ReadyPage]
# A page ready to store: its job, response and what the extraction worker prepared.
_Page = tuple[PageJob, Response, ReadyPage]
# Stored articles by canonical URL: id, status and attempts.
_Known = dict[str, tuple[int, str, int]]
# How a page is to be had: "too_long", "known", "bytes" (prefetched), "follow" (another job's fetch), "lead".
_Plan = tuple[str, "asyncio.Future[_Prepared] | None"]


def article_columns(
    extracted: Extracted, *, title: str | None, author: str | None, published: datetime | None,
    content_hash: str | None = None,
) -> dict[str, Any]:
    """The article columns an extraction gives; title, author and date fall back to the ones given.

    `content_hash` is the text's `text_hash` when already computed (by the extraction worker).
    """
    article = extracted.is_article and bool(extracted.text)
    return {
        "title": extracted.title or title,
        "text": extracted.text if extracted.is_article else None,
        "content_hash": (content_hash or text_hash(extracted.text)) if article else None,
        "author": extracted.author or author,
        "published": extracted.published or published,
        "modified": extracted.modified,
        "language": extracted.language,
        "site_name": extracted.site_name,
        "description": extracted.description,
        "status": "ok" if extracted.is_article else "not_article",
        "error": extracted.not_article_reason,
        "removed": [{"text": r.text, "why": r.why} for r in extracted.removed],
        "extractor": extracted.extractor,
        "extractor_version": extracted.extractor_version,
        "extractor_options": extracted.options,
    }


class _Conflict(Exception):
    """A page of a group was stored by another worker between the group's checks and its insert."""


@dataclass(slots=True)
class _Placer:
    """Story placement inside one locked transaction: the caught-up clusterer and the last seq handed out."""

    clusterer: Clusterer
    seq: int


@dataclass(slots=True)
class _Group:
    """A group's pages on their way to rows: new article rows in job order, and what waits for their ids."""

    outcomes: list[PageOutcome]
    rows: list[dict[str, Any]]  # new articles, in job order
    row_of: dict[int, int]  # page index -> its row
    ids: dict[int, int]  # page index -> its article id (known at once for a failed article retried)
    same: dict[int, int]  # page index -> the earlier page of the group whose article it duplicates
    hashes: dict[tuple[str, str], int]  # (site, text hash) -> the page of the group that stored it
    canonicals: dict[str, int]  # canonical URL -> the page of the group that stored it
    docs: dict[int, tuple[ReadyPage, Doc]]  # page index -> the article to place in its story


class PageStore:
    """Fetch (unless prefetched), extract, dedupe, place and store pages; re-extract stored ones."""

    def __init__(self, store: Store, settings: Settings, *, owner: str, pool: PagePool, db: DbThread,
                 store_pages: bool = True) -> None:
        self.store = store
        self.settings = settings
        self.owner = owner
        self.pool = pool
        self._db = db
        self._clusterer: Clusterer | None = None
        self._synced_seq = 0
        # The LSH shape the extraction workers prepare pages for: the clusterer is built with it.
        self.shape = DedupeShape()
        self._sites = SiteCounts()
        telemetry.configure(settings.metrics)  # backfill too: `[metrics] enabled`, bucket size
        self.store_pages = store_pages  # False: feed items only, no page is stored (nor an archive opened)
        # None: raw pages in the database (or no page at all)
        self.archive = archive.archive_for(settings, store.url) if store_pages else None
        # Pages being fetched by this process, by canonical URL: a page listed by several feeds (or
        # batches) is fetched and extracted once.
        self._inflight: dict[str, asyncio.Future[_Prepared]] = {}

    def _stores_pages(self) -> None:
        """Refuse to store pages in a pipeline built not to (it opened no archive for them)."""
        if not self.store_pages:
            raise RuntimeError("this pipeline records feed items only (store_pages=False): it stores no page")

    # Fetching in parallel, storing in order ------------------------------------------------------

    async def ingest_pages(
        self,
        jobs: Sequence[PageJob],
        *,
        fetcher: Fetcher | None = None,
        robots: RobotsCache | None = None,
        after: asyncio.Future[list[PageOutcome]] | None = None,
        stored: Callable[[list[PageOutcome]], None] | None = None,
    ) -> list[PageOutcome]:
        """Fetch (unless prefetched), extract and store pages; results in job order, stored in job order.

        A canonical URL is fetched once: jobs of this call or of a concurrent batch that list a page being
        fetched share that fetch, and a page another worker on the same database has claimed is deferred
        (its item comes back at the next poll, when the page is stored and only needs linking). With
        `after` (an earlier call's task), these pages are fetched and extracted at once but stored only
        once that call has stored all of its own: a backfill keeps the extraction workers busy across
        its chunks and still stores in input order. `stored` is called with each group's outcomes as soon
        as the group is stored (progress on a long call).
        """
        self._stores_pages()
        if not jobs:
            return []
        known = await self._db(self._known_urls, jobs)
        leading: dict[str, asyncio.Future[_Prepared]] = {}
        plans = self._plan(jobs, known, leading)
        won: set[str] = set()
        tasks: list[asyncio.Future[_Prepared]] = []
        try:
            if leading:
                won = await self._db(self._claim_pages, [url_key(c) for c in leading])
                # Another worker may have stored a page and released its claim between our lookup and our
                # claim: looked up again now that we hold the claims, such a page is linked, not fetched.
                known.update(await self._db(self._known_urls, [j for j in jobs if j.canonical in leading]))
            tasks = [asyncio.ensure_future(self._prepare(job, plan=plan, future=future, won=won, known=known,
                                                         fetcher=fetcher, robots=robots))
                     for job, (plan, future) in zip(jobs, plans, strict=True)]
            return await self._store_in_order(jobs, tasks, known, after, stored)
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

    def _plan(
        self, jobs: Sequence[PageJob], known: _Known, leading: dict[str, asyncio.Future[_Prepared]]
    ) -> list[_Plan]:
        """How each job's page is to be had; the fetches this call leads are added to `leading`."""
        loop = asyncio.get_running_loop()
        plans: list[_Plan] = []
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
        return plans

    async def _store_in_order(
        self, jobs: Sequence[PageJob], tasks: Sequence[asyncio.Future[_Prepared]], known: _Known,
        after: asyncio.Future[list[PageOutcome]] | None = None,
        stored: Callable[[list[PageOutcome]], None] | None = None,
    ) -> list[PageOutcome]:
        """Store each page as soon as it and every page before it are ready; the ready ones together.

        Pages are fetched and extracted concurrently but stored strictly in job order: clustering is
        deterministic and progress durable. A group is written with one statement per table, so the
        writer waits a moment (GATHER_SECONDS at most) for a few more pages (GATHER_PAGES) to be ready.
        """
        outcomes: list[PageOutcome] = []
        if after is not None:
            await asyncio.wait([after])
            if after.cancelled() or after.exception() is not None:  # stored out of order otherwise
                raise asyncio.CancelledError("the pages before these were not all stored")
        start = 0
        while start < len(tasks):
            await tasks[start]
            end = await self._gather(tasks, start)
            ready = [t.result() for t in tasks[start:end]]
            group = await self._db(self._store_ready, jobs[start:end], ready, known)
            outcomes.extend(group)
            if stored is not None:
                stored(group)
            start = end
        return outcomes

    @staticmethod
    async def _gather(tasks: Sequence[asyncio.Future[_Prepared]], start: int) -> int:
        """The end of the group that starts at `start` (done): the run of ready tasks, after a short wait."""
        limit = min(len(tasks), start + STORE_GROUP)
        wanted = min(limit, start + GATHER_PAGES)
        deadline = asyncio.get_running_loop().time() + GATHER_SECONDS
        end = start + 1
        while True:
            while end < limit and tasks[end].done():
                end += 1
            left = deadline - asyncio.get_running_loop().time()
            if end >= wanted or left <= 0:
                return end
            await asyncio.wait([tasks[end]], timeout=left)

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
                    metrics.count_takeovers("page", len(orphans))
            return won

    def _release_pages(self, keys: list[str]) -> None:
        try:
            with self.store.session() as session:
                repo.release_pages(session, self.owner, keys, now=utcnow())
        except StoreError as exc:  # the claims expire by themselves
            log.warning("page_claims_not_released", claims=len(keys), error=str(exc))

    def _known_urls(self, jobs: Sequence[PageJob]) -> _Known:
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
        known: _Known,
        fetcher: Fetcher | None,
        robots: RobotsCache | None,
    ) -> _Prepared:
        """Fetch and extract one page, or say why not; never raises for the page's own sake."""
        if plan == "known":
            return PageOutcome(job, PageStatus.DUPLICATE_URL, article_id=known[job.canonical][0])
        if plan == "too_long":
            return PageOutcome(job, PageStatus.FAILED, kind="invalid_url", shared=True,
                               error=f"invalid_url: longer than {MAX_URL_CHARS} characters ({len(job.url)})")
        if plan == "follow":
            assert future is not None
            return await self._follow(job, future)
        existing = known.get(job.canonical)
        if plan == "lead" and url_key(job.canonical) not in won:
            result: _Prepared = PageOutcome(job, PageStatus.DEFERRED, kind="claimed",
                                            error="claimed: another worker is fetching this page")
        elif plan == "lead" and existing is not None and (existing[1] != "failed" or existing[2] >= PAGE_RETRY_LIMIT):
            result = PageOutcome(job, PageStatus.DUPLICATE_URL, article_id=existing[0])
        else:
            result = await self._fetch_extract(job, fetcher, robots)
        if future is not None and not future.done():
            future.set_result(result)
        return result

    @staticmethod
    async def _follow(job: PageJob, future: asyncio.Future[_Prepared]) -> _Prepared:
        """The result of another job's fetch of the same page, as this job's."""
        try:
            shared = await asyncio.shield(future)
        except asyncio.CancelledError:
            if not future.cancelled():
                raise  # this job itself is cancelled
            return PageOutcome(job, PageStatus.DEFERRED, error="deferred: the fetch it waited for was cancelled",
                               kind="deferred")
        if isinstance(shared, PageOutcome):
            if shared.status == PageStatus.DUPLICATE_URL:  # found stored meanwhile: this item is linked to it too
                return PageOutcome(job, PageStatus.DUPLICATE_URL, article_id=shared.article_id)
            return PageOutcome(job, shared.status, error=shared.error, kind=shared.kind, shared=True)
        return shared  # stored once: this job then finds the URL stored and links its item to it

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
            job.fetched = job.fetched or utcnow()
            # In archive mode the worker also makes the page's WARC records (the writer only appends them).
            record = None if self.archive is None else RecordOf(
                response.status, job.fetched, self.settings.fetch.user_agent)
            ready = await metrics.timed_extraction(self.pool.prepare(
                response.body, url=response.url, headers=response.headers, title=job.title, shape=self.shape,
                record=record))
        except (FetchError, ExtractError) as exc:
            log.warning("page_failed", url=job.url, kind=exc.kind, error=str(exc))
            return PageOutcome.failure(job, exc)
        except Exception as exc:  # a bug met on this page costs this page alone
            return PageOutcome.failure(job, internal_error("page", exc, url=job.url))
        return response, ready

    # Storing -------------------------------------------------------------------------------------

    def _store_ready(
        self, jobs: Sequence[PageJob], results: Sequence[_Prepared], known: _Known
    ) -> list[PageOutcome]:
        """Record failed and known pages; store each run of extracted ones in one transaction, in order."""
        outcomes: list[PageOutcome] = []
        extracted_run: list[_Page] = []
        for job, result in zip(jobs, results, strict=True):
            if isinstance(result, PageOutcome):
                outcomes.extend(self._store_pages(extracted_run, known))
                extracted_run = []
                self._store_failure_or_link(result, known)
                outcomes.append(result)
            else:
                extracted_run.append((job, *result))
        outcomes.extend(self._store_pages(extracted_run, known))
        telemetry.page_outcomes(self.store, results, outcomes)
        return outcomes

    def _store_failure_or_link(self, outcome: PageOutcome, known: _Known) -> None:
        """Record a failed page (so it is retried a few times, never silently lost) or link a known URL."""
        job = outcome.job
        if outcome.status == PageStatus.DEFERRED or outcome.shared:
            return  # not an attempt (deferred), or recorded once by the job whose fetch it shared
        with self.store.session() as session:
            if outcome.status == PageStatus.DUPLICATE_URL:
                if job.feed_id is not None and job.guid is not None:
                    repo.record_item(session, job.feed_id, job.item_row(), outcome.article_id)
                return
            existing = known.get(job.canonical)
            if existing is None:
                article_id = repo.insert_article(session, {
                    "canonical_url": job.canonical, "url": job.url, "feed_id": job.feed_id, "guid": job.guid,
                    "site": site_of(job.url), "title": job.title, "published": job.published,
                    "fetched": utcnow(), "status": "failed", "error": outcome.error, "attempts": 1,
                })
            else:
                article_id = existing[0]
                repo.count_failed_attempt(session, article_id, outcome.error)
            outcome.article_id = article_id
            # The GUID is not recorded, and the feed keeps no validators (see feed_pass.finish_feed), so the
            # next poll sees the item again and retries the page, up to PAGE_RETRY_LIMIT attempts.

    def _store_pages(self, pages: Sequence[_Page], known: _Known) -> list[PageOutcome]:
        """Store extracted pages in order, in one transaction: dedupe, story, raw page, feed item."""
        if not pages:
            return []
        try:
            with self._placing() as session:
                repo.lock_for_dedupe(session)
                placer = _Placer(self._clusterer_for(session, buffered=True), repo.latest_seq(session))
                outcomes = self._store_group(session, placer, pages, known)
        except StoreError:
            raise  # the database is unavailable: the run stops (its leases and claims expire)
        except Exception as exc:
            return self._store_pages_failed(pages, known, exc)
        for outcome in outcomes:  # per article at debug; counts and progress are logged by the callers
            if outcome.status == PageStatus.STORED:
                log.debug("article_stored", article_id=outcome.article_id, url=outcome.job.url,
                          story_id=outcome.story_id, relation=outcome.relation)
        return outcomes

    def _store_pages_failed(
        self, pages: Sequence[_Page], known: _Known, exc: Exception
    ) -> list[PageOutcome]:
        """A group's transaction failed: store its pages one by one, or record the one page's failure."""
        error = first_line(exc)
        if len(pages) > 1:
            # One page's failure must not cost the others: store them one per transaction, in order.
            log.warning("store_group_failed", pages=len(pages), error=error, retrying="one page per transaction")
            return [outcome for page in pages for outcome in self._store_pages([page], known)]
        job = pages[0][0]
        if isinstance(exc, SQLAlchemyError):
            # This page's data is refused by the database (e.g. a value too long for PostgreSQL): it
            # fails, recorded in the outcome only (a failure row would be refused alike); the run goes on.
            log.error("page_store_failed", url=job.url, error=error)
            return [PageOutcome(job, PageStatus.FAILED, error=f"store: {error}", kind="store")]
        # A bug met while storing or placing this page (its transaction rolled back): it fails alone,
        # recorded on its row so it is retried a few times, and the run goes on.
        failed = PageOutcome.failure(job, internal_error("page", exc, url=job.url))
        try:
            self._store_failure_or_link(failed, known)
        except (StoreError, SQLAlchemyError) as again:
            log.error("page_store_failed", url=job.url, error=first_line(again))
        return [failed]

    def _store_group(
        self, session: Session, placer: _Placer, pages: Sequence[_Page], known: _Known
    ) -> list[PageOutcome]:
        """Store a group of extracted pages inside the caller's transaction: decide in order, write in bulk.

        Each page is decided in job order against the store and the pages before it in the group (site
        boilerplate, same text, same URL), then the group's rows are written with one statement per table,
        then its articles are placed in their stories in job order and the placements written together.
        """
        sites = [site_of(response.url) for _, response, _ in pages]
        self._sites.load(session, [(site, ready.lookup_keys) for site, (_, _, ready) in zip(sites, pages, strict=True)])
        # Stored since `known` was read (by another worker): such a page is linked, or completes a failed row.
        fresh = [job.canonical for job, _, _ in pages if job.canonical not in known]
        known.update({url: (a.id, a.status, a.attempts)
                      for url, a in repo.articles_by_canonical(session, sorted(set(fresh))).items()})
        same_text = repo.articles_by_hashes(session, [r.content_hash for _, _, r in pages if r.content_hash])
        group = _Group([], [], {}, {}, {}, {}, {}, {})
        for index, page in enumerate(pages):
            group.outcomes.append(self._decide_page(session, group, index, page, site=sites[index], known=known,
                                                    same_text=same_text))
        inserted = repo.insert_articles(session, group.rows)
        for index, row in group.row_of.items():
            article_id = inserted.get(group.rows[row]["canonical_url"])
            if article_id is None:  # stored meanwhile by another worker
                self._sites.clear()  # it was counted
                if len(pages) > 1:
                    raise _Conflict(row)  # the group is stored again page by page
                return [self._stored_elsewhere(session, pages[0][0])]
            group.ids[index] = group.outcomes[index].article_id = article_id
        self._write_rows(session, group, pages)
        metrics.clustering(self._place_group, session, placer, group, pages)
        return group.outcomes

    def _decide_page(
        self, session: Session, group: _Group, index: int, page: _Page, *, site: str, known: _Known,
        same_text: dict[tuple[str, str], repo.Known],
    ) -> PageOutcome:
        """Decide one page of a group (boilerplate, same text, same URL) and queue its row; its outcome."""
        job, _, ready = page
        fetched = job.fetched or utcnow()
        ready = self._without_boilerplate(site, ready, job.title)
        extracted = ready.extracted
        columns = article_columns(extracted, title=job.title, author=job.author, published=job.published,
                                  content_hash=ready.content_hash)
        content_hash = columns["content_hash"]
        if content_hash is not None:
            earlier = group.hashes.get((site, content_hash))
            if earlier is not None:
                group.same[index] = earlier
                self._forget_failed(session, job, known)
                return PageOutcome(job, PageStatus.DUPLICATE_TEXT, extracted=extracted)
            found = same_text.get((site, content_hash)) if content_hash == page[2].content_hash else \
                repo.article_by_hash(session, site, content_hash)
            if found is not None:
                log.debug("page_duplicate_text", url=job.url, article_id=found.id)
                self._forget_failed(session, job, known)
                return PageOutcome(job, PageStatus.DUPLICATE_TEXT, article_id=found.id, story_id=found.story_id,
                                   extracted=extracted)
        earlier = group.canonicals.get(job.canonical)
        if earlier is not None:
            group.same[index] = earlier
            return PageOutcome(job, PageStatus.DUPLICATE_URL, extracted=extracted)
        values = dict(columns, canonical_url=job.canonical, url=job.url, feed_id=job.feed_id, guid=job.guid,
                      site=site, fetched=fetched, attempts=1)
        outcome = PageOutcome(job, PageStatus.STORED if extracted.is_article else PageStatus.NOT_ARTICLE,
                              error=None if extracted.is_article else extracted.not_article_reason,
                              extracted=extracted)
        if job.canonical in known:  # a failed article completed now, or a page stored by another worker
            article_id = repo.upsert_article(session, values, retrying=True)
            if article_id is None:
                return self._stored_elsewhere(session, job)
            group.ids[index] = outcome.article_id = article_id
        else:
            group.row_of[index] = len(group.rows)
            group.rows.append(values)
        group.canonicals[job.canonical] = index
        if extracted.is_article:
            if content_hash is not None:
                group.hashes[(site, content_hash)] = index
            self._sites.count(site, ready.count_keys)
            published = extracted.published or job.published or fetched
            group.docs[index] = (ready, Doc(id="", title=extracted.title or job.title or "", text=extracted.text,
                                            url=job.url, published=published.astimezone(UTC)))
        return outcome

    @staticmethod
    def _forget_failed(session: Session, job: PageJob, known: _Known) -> None:
        """A page recorded as failed that now reads as another page's text: its failed row goes.

        Its item links to that other article, as a first fetch would have; the row stayed, counted as a
        failed page with its old error in `stats` and `feeds list`.
        """
        existing = known.get(job.canonical)
        if existing is not None and existing[1] == "failed":
            repo.delete_failed_article(session, existing[0])

    def _stored_elsewhere(self, session: Session, job: PageJob) -> PageOutcome:
        """A page whose canonical URL another worker stored: its item is linked to that article."""
        existing = repo.articles_by_canonical(session, [job.canonical])[job.canonical]
        self._record_item(session, job, existing.id)
        return PageOutcome(job, PageStatus.DUPLICATE_URL, article_id=existing.id, story_id=existing.story_id)

    def _without_boilerplate(self, site: str, ready: ReadyPage, title: str | None) -> ReadyPage:
        """Apply the site's boilerplate model (counted over every earlier article of the site) to a page."""
        if not ready.split_keys:
            return ready
        model = self._sites.model(site, ready.lookup_keys)
        if not any(key is not None and model.is_boilerplate(key) for key in ready.split_keys):
            return ready
        extracted = apply_site_boilerplate(ready.extracted, model)
        return ready.redo(extracted, extracted.title or title or "", self.shape)

    def _write_rows(self, session: Session, group: _Group, pages: Sequence[_Page]) -> None:
        """Write the group's raw pages, feed items and site counts (one statement per table)."""
        for index, earlier in group.same.items():
            group.outcomes[index].article_id = group.outcomes[earlier].article_id
        raw, items, pages_out = [], [], []
        for index, (job, response, ready) in enumerate(pages):
            article_id = group.ids.get(index)
            if article_id is not None:
                row = {"article_id": article_id, "url": response.url, "status": response.status,
                       "headers": dict(response.headers), "body": ready.body_z, "fetched": job.fetched or utcnow()}
                if self.archive is None and row["body"] is None:
                    row["body"] = zlib.compress(response.body, RAW_LEVEL)
                raw.append(row)
                if self.archive is not None:  # the records the worker made, or what the archive makes them of
                    pages_out.append(dict(row, body=response.body, records=ready.records))
            linked = group.outcomes[index].article_id
            if job.feed_id is not None and job.guid is not None and linked is not None:
                items.append(dict(job.item_row(), feed_id=job.feed_id, article_id=linked))
        archive.archive_rows(session, self.archive, raw, pages_out)  # fsynced before this transaction commits
        repo.save_raw_pages(session, raw)
        repo.record_linked_items(session, items)
        self._sites.flush(session)

    def _place_group(self, session: Session, placer: _Placer, group: _Group, pages: Sequence[_Page]) -> None:
        """Place the group's articles in their stories, in job order, and write the placements together."""
        joined: list[repo.Joined] = []
        index_of = placer.clusterer.index
        if isinstance(index_of, SqlIndex):  # what the group's placements will ask of the stored articles
            known = [ready.prepared for ready, _ in group.docs.values() if ready.prepared is not None]
            since = placer.clusterer.horizon(utcnow()) if placer.clusterer.clock is not None else None
            # The keys `add` will look each page up by: a footer's sampled shingles would bring rows never asked for.
            keys = [key for p in known for key in placer.clusterer.query_keys(p)]
            index_of.prefetch(keys, [p.features.text_hash for p in known], since)
        for index, (ready, unnumbered) in sorted(group.docs.items()):
            doc = replace(unnumbered, id=str(group.ids[index]))
            prepared = ready.prepared if ready.prepared and ready.prepared.features.title == doc.title else None
            decision = placer.clusterer.add(doc, arrived=utcnow(), prepared=prepared)
            placer.seq += 1
            joined.append(repo.Joined(
                story_id=decision.cluster, article_id=int(doc.id), title=doc.title or None, relation=decision.relation,
                duplicate_of=int(decision.duplicate_of) if decision.duplicate_of else None, score=decision.score,
                agency=ready.agency, seq=placer.seq,
                new_story_dated=doc.published if decision.relation == "original" else None,
                diff=decision.diff.as_dict() if decision.diff is not None else None,
            ))
            outcome = group.outcomes[index]
            outcome.story_id, outcome.relation = decision.cluster, cast(Relation, decision.relation)
        repo.join_stories(session, joined)
        self._flush_index(placer.clusterer)
        self._synced_seq = placer.seq
        for index, earlier in group.same.items():
            group.outcomes[index].story_id = group.outcomes[earlier].story_id

    @staticmethod
    def _flush_index(clusterer: Clusterer) -> None:
        """Write what the clusterer's buffered indexes hold (band keys, lineage fingerprints)."""
        if isinstance(clusterer.index, SqlIndex):
            clusterer.index.flush()
        if isinstance(clusterer.lineage, SqlLineage):
            clusterer.lineage.flush()

    @staticmethod
    def _record_item(session: Session, job: PageJob, article_id: int) -> None:
        """Link the feed item a job came from (if it came from a feed) to its article."""
        if job.feed_id is not None and job.guid is not None:
            repo.record_item(session, job.feed_id, job.item_row(), article_id)

    def _without_site_boilerplate(self, session: Session, site: str, extracted: Extracted) -> Extracted:
        """Apply the site's boilerplate model, as counted over every article stored before this one."""
        if not extracted.text:
            return extracted
        docs, counts = repo.site_counts(session, site, block_keys(extracted.text))
        return apply_site_boilerplate(extracted, SiteBoilerplate(doc_count=docs, block_counts=counts))

    # Story placement -----------------------------------------------------------------------------

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
            diff=decision.diff.as_dict() if decision.diff is not None else None,
        )
        self._synced_seq = placer.seq
        return decision

    def _clusterer_for(self, session: Session, *, buffered: bool = False) -> Clusterer:
        """The process's clusterer, bound to this transaction and caught up with every stored decision.

        The clusterer learns from its history (site footers, story anchors), so it lives as long as the
        pipeline; decisions made by other workers, or before a restart, are replayed into it in
        clustering order first. Its state is then a function of the store alone: the same articles in
        the same order give the same stories, with one worker or several, across restarts.
        """
        since = None
        if self._clusterer is None:
            settings = self.settings.dedupe
            shape = self.shape
            self._clusterer = Clusterer(
                SqlIndex(session), threshold=settings.threshold, window_days=settings.window_days,
                lineage=SqlLineage(session), lineage_days=settings.lineage_days,
                num_perm=shape.num_perm, bands=shape.bands, lead_keys=shape.lead_keys, seed=shape.seed,
            )
            self._synced_seq = 0
            # Replay what a process that made every decision still holds: the decisions that arrived
            # (were placed, by the wall clock) within the window of now.
            since = self._clusterer.horizon(utcnow())
        clusterer = self._clusterer
        clusterer.index = SqlIndex(session, buffered=buffered)
        clusterer.lineage = SqlLineage(session, buffered=buffered)
        replayed = 0
        # A new clusterer replays the window's latest 2 x max_entries decisions: what it keeps is the last
        # max_entries, each counted against the copy it joined, cached among the max_entries before it; the
        # state is then that of replaying the whole window (a busy window is some 150,000 decisions).
        last = 2 * clusterer.max_entries if since is not None else None
        for placed in repo.placements_after(session, self._synced_seq, since=since, last=last):
            doc = Doc(id=str(placed.article_id), title=placed.title or "", text=placed.text or "",
                      url=placed.url, published=placed.when)
            duplicate_of = str(placed.duplicate_of) if placed.duplicate_of is not None else None
            decision = Decision(doc.id, placed.story_id, duplicate_of, placed.score, placed.relation,
                                diff_of(placed.diff))
            clusterer.learn(doc, decision, arrived=placed.arrived)
            self._synced_seq = placed.seq
            replayed += 1
        if replayed:
            log.debug("clusterer_caught_up", replayed=replayed, seq=self._synced_seq)
            self._sites.clear()  # another process placed (and counted) articles: read the counts again
        return clusterer

    @contextmanager
    def _placing(self) -> Iterator[Session]:
        """A store transaction that may cluster: if it fails, the clusterer is rebuilt from the store."""
        try:
            with self.store.session() as session:
                yield session
        except BaseException:
            self._clusterer = None  # it may have learnt a decision that was rolled back
            self._sites.clear()  # and counted articles that were rolled back
            raise

    # Re-extraction -------------------------------------------------------------------------------

    async def reextract(self, article_ids: Sequence[int]) -> list[PageOutcome]:
        """Re-run extraction, cleaning and dedupe on stored raw pages; an unchanged extractor changes nothing."""
        self._stores_pages()
        outcomes = []
        for article_id in article_ids:
            loaded = await self._db(self._raw_page, article_id)
            if loaded is None:
                continue
            article, raw, body = loaded
            job = PageJob(url=article.url, feed_id=article.feed_id, guid=article.guid, title=article.title,
                          published=article.published, fetched=article.fetched)
            if article.extractor_version == EXTRACTOR_VERSION and article.extractor_options == OPTIONS:
                outcomes.append(PageOutcome(job, PageStatus.UNCHANGED, article_id=article_id,
                                            story_id=article.story_id))
                continue
            try:
                if isinstance(body, archive.RawGone):
                    raise body
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
            return archive.raw_page_for(session, article_id, archive.read_directories(self.settings, self.store.url))

    def _restore(self, article_id: int, job: PageJob, extracted: Extracted) -> PageOutcome:
        """Write a re-extracted text over the stored one and, when the text changed, cluster it again."""
        with self._placing() as session:
            repo.lock_for_dedupe(session)
            article: Article | None = repo.article_by_id(session, article_id)
            assert article is not None
            extracted = self._without_site_boilerplate(session, article.site or "", extracted)
            old_hash = article.content_hash
            columns = article_columns(extracted, title=article.title, author=article.author,
                                      published=article.published)
            repo.rewrite_article(session, article, columns)
            if columns["content_hash"] == old_hash and article.story_id is not None:
                return PageOutcome(job, PageStatus.REEXTRACTED, article_id=article_id, story_id=article.story_id,
                                   relation="same_text")
            repo.leave_story(session, article)
            session.flush()
            if not extracted.is_article:
                return PageOutcome(job, PageStatus.NOT_ARTICLE, article_id=article_id)
            placer = _Placer(self._clusterer_for(session), repo.latest_seq(session))
            decision = self._cluster(session, placer, doc_of(article), new_article=False)
        return PageOutcome(job, PageStatus.REEXTRACTED, article_id=article_id, story_id=decision.cluster,
                           relation=cast(Relation, decision.relation))
