"""The one orchestrator: feeds -> items -> pages -> clean text -> stories -> store.

The daemon, `wirefeed ingest` and backfill all call `Pipeline`; nothing else chains the stages. It owns
what the stages share (the database thread, the extraction pool, the waits origins asked for) and hands
them to `FeedPass` (polling feeds) and `PageStore` (pages to articles, placed in stories).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import httpx
import structlog

from config.settings import Settings
from ingest.feed_pass import FeedPass
from ingest.fetch.client import Fetcher, Origin
from ingest.fetch.robots import RobotsCache
from ingest.jobs import DbThread, PageJob, PageOutcome, PassSummary, owner_alive, worker_id
from ingest.page_store import PageStore
from ingest.page_work import PagePool
from store import repo
from store.db import Store, StoreError
from store.models import utcnow

__all__ = ["PageJob", "PageOutcome", "PassSummary", "Pipeline", "owner_alive", "worker_id"]

log = structlog.get_logger("wirefeed.pipeline")


class Pipeline:
    """Fetch, parse, extract, cluster and store; one instance per process and pass (or daemon lifetime)."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        owner: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        store_pages: bool = True,
    ) -> None:
        """`store_pages=False`: a pass that records feed items only (`[fetch] fetch_articles = false`) stores
        no page, so it opens no archive (and needs no `[store] archive_dir`)."""
        self.store = store
        self.settings = settings
        self.owner = owner or worker_id()
        self.transport = transport
        self.pool = PagePool(settings.extract)
        self.stopping = asyncio.Event()
        self._db = DbThread()
        # Origins that asked us to wait (Retry-After on a page), remembered from one pass to the next.
        self._origins_waiting: dict[Origin, float] = {}
        self.pages = PageStore(store, settings, owner=self.owner, pool=self.pool, db=self._db,
                               store_pages=store_pages)
        self.feeds = FeedPass(store, settings, owner=self.owner, pages=self.pages, db=self._db,
                              stopping=self.stopping)

    def close(self) -> None:
        """Stop the extraction workers and the database thread."""
        self.pool.close()
        self._db.close()

    async def run_pass(self, *, all_feeds: bool = False, limit: int | None = None) -> PassSummary:
        """One pass over due feeds (every enabled feed with all_feeds), in leased batches (see `FeedPass`)."""
        # Leases this process still holds come from a pass that could not release them (the database
        # went away under it): nothing of ours is in flight now, so they are released at once rather
        # than left to expire `lease_seconds` later.
        reclaimed = await self._db(self.feeds.release_all)
        if reclaimed:
            log.info("leases_reclaimed", feeds=reclaimed, owner=self.owner)
        # And those of a process of this host that died with them (a cron run that met the database gone).
        await self._db(self.feeds.release_dead)
        await self.load_origin_waits()
        try:
            async with self.fetcher() as fetcher:
                summary = await self.feeds.run_pass(fetcher, all_feeds=all_feeds, limit=limit)
        finally:
            await asyncio.shield(self.save_origin_waits())
        log.info("pass_finished", **summary.as_dict())
        return summary

    async def ingest_pages(
        self, jobs: Sequence[PageJob], *, fetcher: Fetcher | None = None, robots: RobotsCache | None = None,
        after: asyncio.Future[list[PageOutcome]] | None = None,
        stored: Callable[[list[PageOutcome]], None] | None = None,
    ) -> list[PageOutcome]:
        """Fetch (unless prefetched), extract and store pages; results in job order (see `PageStore`)."""
        return await self.pages.ingest_pages(jobs, fetcher=fetcher, robots=robots, after=after, stored=stored)

    async def reextract(self, article_ids: Sequence[int]) -> list[PageOutcome]:
        """Re-run extraction, cleaning and dedupe on stored raw pages; an unchanged extractor changes nothing."""
        return await self.pages.reextract(article_ids)

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
