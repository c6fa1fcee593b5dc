"""Backfill: sitemaps, URL lists, WARC archives and re-extraction, through the one pipeline, resumably.

A run is identified by its normalised arguments. Work goes to `Pipeline.ingest_pages` (or `reextract`)
in chunks; after each chunk the outcome of every item is committed to `backfill_items`, so a run that
was interrupted (Ctrl-C, kill -9, reboot) and started again with the same arguments skips what is done.
Items stored by the pipeline but not yet recorded when the run died come back as known URLs: the
pipeline answers `duplicate_url` without fetching them again, so nothing is stored twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import sys
import time
from collections.abc import AsyncIterator, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO, cast

import structlog

from ingest.backfill.sitemaps import CrawlStats, crawl_sitemaps, in_range
from ingest.backfill.urllist import UrlList, parse_url_list
from ingest.backfill.warc import WarcDamaged, WarcStats, read_warc
from ingest.errors import WirefeedError
from ingest.extract.page import EXTRACTOR_VERSION, OPTIONS
from ingest.fetch.client import Fetcher
from ingest.fetch.robots import RobotsCache
from ingest.jobs import Tally
from ingest.ops import metrics
from ingest.pipeline import PageJob, PageOutcome, Pipeline, owner_alive, worker_id
from ingest.urls import canonical_url, mask_secrets, on_site, site_of
from store import repo, runs
from store.db import StoreError
from store.models import utcnow

log = structlog.get_logger("wirefeed.backfill")

DEFAULT_CHUNK = 100
PROGRESS_EVERY = 10.0  # seconds between two `backfill_progress` log lines when there is no terminal
# Outcomes a rerun of the same backfill takes again (the pipeline caps page retries).
NOT_DONE = ("failed", "deferred")
# A work key (canonical URL) longer than this is kept as a hash of itself: `backfill_items.item_key` holds
# 2,048 characters and cutting would make two long URLs one item.
MAX_KEY = 1000


class BackfillError(WirefeedError):
    """A backfill cannot start or go on: a missing input file, contradictory options, a run held elsewhere."""

    kind = "backfill"


@dataclass(slots=True)
class BackfillOptions:
    """What to backfill; `since_text`/`until_text` are the arguments as given, part of the run's identity."""

    sitemaps: list[str] = field(default_factory=list)
    urls: str | None = None
    warcs: list[str] = field(default_factory=list)
    reextract: bool = False
    since: datetime | None = None
    until: datetime | None = None
    since_text: str | None = None
    until_text: str | None = None
    site: str | None = None
    chunk_size: int = DEFAULT_CHUNK

    def validate(self) -> None:
        """Raise BackfillError for options that cannot run."""
        if self.reextract and (self.sitemaps or self.urls or self.warcs):
            raise BackfillError("--reextract works on stored pages; do not combine it with a source")
        if not self.reextract and not (self.sitemaps or self.urls or self.warcs):
            raise BackfillError("nothing to backfill: give --sitemap, --urls, --warc or --reextract")
        if self.chunk_size < 1:
            raise BackfillError("--chunk-size must be at least 1")
        for path in [*([self.urls] if self.urls else []), *self.warcs]:
            if not Path(path).is_file():
                raise BackfillError(f"no such file: {path}")

    def identity(self) -> dict[str, Any]:
        """The normalised arguments that name a run: the same ones resume it."""
        args: dict[str, Any] = {
            "sitemaps": [s.strip() for s in self.sitemaps],
            "urls": str(Path(self.urls).resolve()) if self.urls else None,
            "warcs": [str(Path(w).resolve()) for w in self.warcs],
            "reextract": self.reextract,
            "since": self.since_text,
            "until": self.until_text,
            "site": _site_name(self.site),
        }
        if self.reextract:
            # A later extractor upgrade is new work, not a finished run.
            args["extractor"] = [EXTRACTOR_VERSION, OPTIONS]
        return args

    def run_key(self) -> str:
        """sha256 of the normalised arguments."""
        return hashlib.sha256(json.dumps(self.identity(), sort_keys=True).encode()).hexdigest()


def _site_name(site: str | None) -> str | None:
    if not site:
        return None
    return site_of(site if "://" in site else f"http://{site}")


@dataclass(slots=True)
class BackfillSummary:
    """Counts for one backfill invocation: the page tally a pass keeps too, plus the sources' own counts."""

    run_id: int = 0
    resumed: bool = False
    items: int = 0
    pages: Tally = field(default_factory=Tally)
    skipped: int = 0  # done by an earlier invocation of the same run
    junk_lines: int = 0
    junk_examples: list[str] = field(default_factory=list)
    out_of_range: int = 0
    other_site: int = 0
    invalid_entries: int = 0
    not_html: int = 0
    bad_records: int = 0  # WARC responses whose HTTP headers or target URI cannot be used: skipped
    too_large: int = 0  # WARC responses over `[fetch] max_bytes`: skipped
    source_errors: list[str] = field(default_factory=list)

    # The tally's counts, under the names this summary has always had.
    stored = property(lambda self: self.pages.stored)
    duplicates = property(lambda self: self.pages.duplicates)
    not_article = property(lambda self: self.pages.not_article)
    deferred = property(lambda self: self.pages.deferred)  # not fetched now: a rerun takes it
    unchanged = property(lambda self: self.pages.unchanged)
    reextracted = property(lambda self: self.pages.reextracted)
    changed = property(lambda self: self.pages.changed)
    failed = property(lambda self: self.pages.failures)  # by failure kind

    @property
    def failed_total(self) -> int:
        """Pages that failed, whatever the reason."""
        return self.pages.failed

    def add(self, outcome: PageOutcome) -> None:
        """Count one pipeline outcome."""
        self.items += 1
        self.pages.add(outcome)

    def as_dict(self) -> dict[str, Any]:
        """The summary as a log event's keys."""
        return {
            "run_id": self.run_id, "resumed": self.resumed, "items": self.items, "stored": self.stored,
            "duplicates": self.duplicates, "not_article": self.not_article, "failed": self.failed_total,
            "failed_by_reason": dict(sorted(self.failed.items())), "skipped": self.skipped, "deferred": self.deferred,
            "junk_lines": self.junk_lines, "out_of_range": self.out_of_range, "other_site": self.other_site,
            "invalid_entries": self.invalid_entries, "not_html": self.not_html, "bad_records": self.bad_records,
            "too_large": self.too_large, "unchanged": self.unchanged,
            "reextracted": self.reextracted, "changed": self.changed, "source_errors": len(self.source_errors),
        }


@dataclass(slots=True)
class Work:
    """One unit of backfill work: its key in `backfill_items`, and the page job (None for re-extraction)."""

    key: str
    job: PageJob | None = None
    article_id: int | None = None


class _BarSafeStream:
    """A stderr stand-in for structlog while a bar is shown: each log line is printed above the bar."""

    def __init__(self) -> None:
        self._partial = ""

    def write(self, text: str) -> int:
        from tqdm import tqdm

        self._partial += text
        while "\n" in self._partial:
            line, self._partial = self._partial.split("\n", 1)
            tqdm.write(line, file=sys.stderr)
        return len(text)

    def flush(self) -> None:
        sys.stderr.flush()


class Progress:
    """A tqdm bar on a terminal (log lines printed above it, warnings and errors only); periodic
    `backfill_progress` log lines otherwise."""

    def __init__(
        self, summary: BackfillSummary, *, bar: bool, total: int | None = None, every: float = PROGRESS_EVERY
    ) -> None:
        self.summary = summary
        self.every = every
        self.started = time.monotonic()
        self.last_log = self.started
        self.done = 0
        self.total = total
        self._bar: Any = None
        self._saved_config: dict[str, Any] | None = None
        if bar:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="page", desc="backfill", file=sys.stderr, dynamic_ncols=True)
            config = structlog.get_config()
            self._saved_config = {"logger_factory": config["logger_factory"],
                                  "wrapper_class": config["wrapper_class"]}
            # Per-page info lines would scroll the bar away; the summary at the end says the same.
            structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=cast(TextIO, _BarSafeStream())),
                                wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    def set_total(self, total: int | None) -> None:
        """Announce how many items the sources hold, once known."""
        self.total = total
        if self._bar is not None:
            self._bar.total = total
            self._bar.refresh()

    def advance(self, count: int) -> None:
        """Count items done (processed or skipped) and show or log progress."""
        self.done += count
        s = self.summary
        if self._bar is not None:
            self._bar.update(count)
            self._bar.set_postfix(stored=s.stored, dup=s.duplicates, failed=s.failed_total, refresh=False)
            return
        now = time.monotonic()
        if now - self.last_log >= self.every:
            self.last_log = now
            self._log(now)

    def _log(self, now: float) -> None:
        elapsed = max(now - self.started, 1e-9)
        rate = self.summary.items / elapsed
        eta = None
        if self.total is not None and rate > 0:
            eta = round(max(self.total - self.done, 0) / rate, 1)
        log.info("backfill_progress", done=self.done, total=self.total, rate=round(rate, 2), eta_seconds=eta,
                 stored=self.summary.stored, duplicates=self.summary.duplicates,
                 failed=self.summary.failed_total, skipped=self.summary.skipped)

    def close(self) -> None:
        """Close the bar and give structlog its output back."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self._saved_config is not None:
            structlog.configure(**self._saved_config)
            self._saved_config = None


class _Counted:
    """One chunk's progress: its pages counted group by group as they are stored, the rest when it is done.

    A chunk (100 items by default) of slow pages takes minutes; counted only when done, the bar stood still
    and no progress line came meanwhile.
    """

    def __init__(self, summary: BackfillSummary, progress: Progress, size: int) -> None:
        self.summary = summary
        self.progress = progress
        self.size = size  # the chunk's items, those skipped or repeated included
        self.shown = 0

    def stored(self, outcomes: list[PageOutcome]) -> None:
        """Count a group of the chunk's pages just stored."""
        for outcome in outcomes:
            self.summary.add(outcome)
        self.shown += len(outcomes)
        self.progress.advance(len(outcomes))

    def finish(self) -> None:
        """Count the chunk's items not counted yet (skipped, repeated): all of it is done."""
        self.progress.advance(max(0, self.size - self.shown))
        self.shown = self.size


class Backfill:
    """One backfill invocation: open or resume its run, feed the pipeline in chunks, record progress."""

    def __init__(
        self,
        pipeline: Pipeline,
        options: BackfillOptions,
        *,
        progress_bar: bool = False,
        progress_every: float = PROGRESS_EVERY,
    ) -> None:
        options.validate()
        self.pipeline = pipeline
        self.store = pipeline.store
        self.options = options
        self.summary = BackfillSummary()
        self._progress_bar = progress_bar
        self.progress = Progress(self.summary, bar=False, every=progress_every)
        self.site = _site_name(options.site)
        self._done: set[str] = set()
        self._seen: set[str] = set()
        self._feeds: dict[str, int | None] = {}
        self.owner = worker_id()
        self.lease = timedelta(seconds=pipeline.settings.schedule.lease_seconds)
        self._claim_lost = False

    # Run bookkeeping ---------------------------------------------------------------------------

    def _open_run(self) -> None:
        key = self.options.run_key()
        with self.store.session() as session:
            now = utcnow()
            run, created = runs.open_run(session, key, self.options.identity(), now)
            if run.owner and run.lease_until is not None and run.lease_until > now and owner_alive(run.owner):
                raise BackfillError(
                    f"run {run.id} with the same arguments is already running (process {run.owner}, "
                    f"claim renewed until {run.lease_until:%Y-%m-%d %H:%M:%S} UTC); wait for it or stop it"
                )
            if run.owner is not None and run.owner != self.owner:
                metrics.count_takeovers("backfill_run", 1)  # its owner died, or stalled past its claim
            runs.take_run(run, self.owner, now + self.lease)
            self.summary.run_id = run.id
            self.summary.resumed = not created
            # Failed items are not done: a rerun tries them again (the pipeline caps page retries).
            self._done = runs.done_items(session, run.id, NOT_DONE)
        log.info("backfill_started", run_id=self.summary.run_id, resumed=self.summary.resumed,
                 done_before=len(self._done), **{k: v for k, v in self.options.identity().items() if v})

    def _record(self, works: Sequence[Work], outcomes: Sequence[PageOutcome]) -> None:
        """Commit the chunk's outcomes; a key that failed before and now succeeded is overwritten."""
        rows = [{"run_id": self.summary.run_id, "item_key": w.key, "outcome": o.status, "error": o.error,
                 "article_id": o.article_id} for w, o in zip(works, outcomes, strict=True)]
        with self.store.session() as session:
            if not runs.record_items(session, self.summary.run_id, self.owner, rows):
                self._claim_lost = True
                self._check_claim()  # rolls this chunk's records back: the run's new owner records them
        self._done.update(w.key for w, o in zip(works, outcomes, strict=True) if o.status not in NOT_DONE)

    def _finish_run(self) -> None:
        """Mark the run finished and release its claim, in one statement (unless the run was taken over)."""
        self._check_claim()
        with self.store.session() as session:
            if not runs.finish_run(session, self.summary.run_id, self.owner, utcnow()):
                self._claim_lost = True
        self._check_claim()

    def _set_claim(self, *, release: bool = False) -> bool:
        """Renew this process's claim on the run, or release it; False when another process holds it now."""
        with self.store.session() as session:
            if release:
                return runs.release_run(session, self.summary.run_id, self.owner)
            return runs.renew_run(session, self.summary.run_id, self.owner, utcnow() + self.lease)

    async def _keep_claim(self) -> None:
        """Renew the claim a few times per lease for as long as the run goes on; note when it was lost."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                renewed = self._set_claim()
            except Exception as exc:  # a busy or lost database: try again at the next turn
                log.warning("backfill_claim_not_renewed", run_id=self.summary.run_id, error=str(exc))
                continue
            if not renewed:
                self._claim_lost = True
                log.warning("backfill_claim_lost", run_id=self.summary.run_id)
                return

    def _check_claim(self) -> None:
        """Stop when another process has taken the run over (this one stalled past its claim)."""
        if self._claim_lost:
            raise BackfillError(
                f"backfill run {self.summary.run_id} was taken over by another process while this one was "
                "stalled past its claim; stopping (rerun the same command to continue once it is done)"
            )

    # Running -----------------------------------------------------------------------------------

    async def run(self) -> BackfillSummary:
        """Run (or resume) the backfill to its end and return the counts."""
        self._open_run()
        # The bar (and its hold on structlog's output) starts here, so `run` always releases it.
        self.progress = Progress(self.summary, bar=self._progress_bar, every=self.progress.every)
        claim = asyncio.ensure_future(self._keep_claim())
        finished = False
        try:
            if self.options.reextract:
                await self._run_reextract()
            else:
                await self.pipeline.load_origin_waits()
                try:
                    async with self.pipeline.fetcher() as fetcher:
                        robots = RobotsCache(fetcher, enabled=self.pipeline.settings.fetch.obey_robots)
                        await self._run_sources(fetcher, robots)
                finally:
                    await asyncio.shield(self.pipeline.save_origin_waits())
            self._finish_run()
            finished = True
        except BaseException:
            log.warning("backfill_interrupted", run_id=self.summary.run_id, **self._counts())
            raise
        finally:
            claim.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await claim
            self.progress.close()
            if not finished:
                try:
                    self._set_claim(release=True)
                except StoreError as exc:  # the claim then simply expires
                    log.warning("backfill_claim_not_released", run_id=self.summary.run_id, error=str(exc))
        log.info("backfill_finished", **self.summary.as_dict())
        return self.summary

    def _counts(self) -> dict[str, Any]:
        return {"stored": self.summary.stored, "skipped": self.summary.skipped, "items": self.summary.items}

    async def _run_sources(self, fetcher: Fetcher, robots: RobotsCache) -> None:
        listed: list[Work] = []
        if self.options.sitemaps:
            listed.extend([w async for w in self._sitemap_work(fetcher)])
        if self.options.urls:
            listed.extend(self._url_work(self.options.urls))
        warcs = self.options.warcs
        self.progress.set_total(len(listed) if not warcs else None)
        await self._process(_chunks(iter(listed), self.options.chunk_size), fetcher, robots)
        for path in warcs:
            works = self._warc_work(path)
            try:
                await self._process(_chunks(works, self.options.chunk_size), fetcher, robots)
            finally:
                works.close()  # an interrupted run closes the file (and logs its counts) now, not at GC

    async def _process(self, chunks: Iterator[list[Work]], fetcher: Fetcher, robots: RobotsCache) -> None:
        """Each chunk's pages through the pipeline, the next chunk extracted while this one is stored.

        Chunks are stored and recorded in order (`ingest_pages(after=)`): one chunk ahead keeps the
        extraction workers busy while the writer finishes a chunk and its outcomes are recorded.
        """
        ahead: tuple[list[Work], asyncio.Future[list[PageOutcome]] | None, _Counted] | None = None
        tasks: list[asyncio.Future[list[PageOutcome]]] = []
        try:
            for chunk in chunks:
                self._check_claim()
                todo = self._todo(chunk)
                task = None
                counted = _Counted(self.summary, self.progress, len(chunk))
                if todo:
                    jobs = [w.job for w in todo if w.job is not None]
                    after = ahead[1] if ahead is not None else None
                    task = asyncio.ensure_future(self.pipeline.ingest_pages(
                        jobs, fetcher=fetcher, robots=robots, after=after, stored=counted.stored))
                    tasks = [*(t for t in tasks if not t.done()), task]
                if ahead is not None:
                    await self._finish_chunk(*ahead)
                ahead = (todo, task, counted)
            if ahead is not None:
                await self._finish_chunk(*ahead)
        finally:
            for pending in tasks:  # interrupted: the chunk ahead stores nothing more
                pending.cancel()
            for pending in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await pending

    def _todo(self, chunk: list[Work]) -> list[Work]:
        """The chunk's work not done before (a page twice in the input counts as a duplicate)."""
        todo: list[Work] = []
        for work in chunk:
            if work.key in self._seen:
                # The same page twice in the input: a page of the run, and a duplicate.
                self.summary.items += 1
                self.summary.pages.duplicates += 1
            elif work.key in self._done:
                self.summary.skipped += 1
            else:
                self._seen.add(work.key)
                todo.append(work)
        return todo

    async def _finish_chunk(
        self, todo: list[Work], task: asyncio.Future[list[PageOutcome]] | None, counted: _Counted
    ) -> None:
        """Wait for a chunk's pages to be stored (counted group by group as they are), record their outcomes."""
        if task is not None:
            outcomes = await task
            self._check_claim()
            self._record(todo, outcomes)
        counted.finish()

    async def _run_reextract(self) -> None:
        with self.store.session() as session:
            ids = repo.articles_for_reextraction(session, self.options.since, self.options.until, self.site)
        self.progress.set_total(len(ids))
        works = [Work(f"article:{i}", article_id=i) for i in ids]
        for chunk in _chunks(iter(works), self.options.chunk_size):
            self._check_claim()
            todo = [w for w in chunk if w.key not in self._done]
            self.summary.skipped += len(chunk) - len(todo)
            if todo:
                outcomes = await self.pipeline.reextract([w.article_id for w in todo if w.article_id is not None])
                by_id = {o.article_id: o for o in outcomes}
                # reextract leaves out articles whose raw page vanished since the query: nothing to record.
                kept = [w for w in todo if w.article_id in by_id]
                ordered = [by_id[w.article_id] for w in kept]
                for outcome in ordered:
                    self.summary.add(outcome)
                self._record(kept, ordered)
            self.progress.advance(len(chunk))

    # Sources -----------------------------------------------------------------------------------

    def _keep(self, url: str, when: datetime | None) -> bool:
        """Apply --site and --since/--until to one entry (an undated entry passes the date filter)."""
        if self.site is not None and not on_site(site_of(url), self.site):
            self.summary.other_site += 1
            return False
        if not in_range(when, self.options.since, self.options.until):
            self.summary.out_of_range += 1
            return False
        return True

    async def _sitemap_work(self, fetcher: Fetcher) -> AsyncIterator[Work]:
        stats = CrawlStats()
        async for entry in crawl_sitemaps(fetcher, self.options.sitemaps, since=self.options.since,
                                          until=self.options.until, stats=stats):
            if self._keep(entry.url, None):
                job = PageJob(url=entry.url, title=entry.title, published=entry.published)
                yield Work(_work_key(entry.url), job)
        self.summary.out_of_range += stats.out_of_range
        self.summary.invalid_entries += stats.invalid_entries
        for error in stats.errors:
            self.summary.source_errors.append(f"sitemap {error}")

    def _url_work(self, path: str) -> list[Work]:
        with Path(path).open(encoding="utf-8", errors="replace") as handle:
            parsed: UrlList = parse_url_list(handle)
        self.summary.junk_lines += parsed.junk
        self.summary.junk_examples.extend(f"{path}:{j.line}: {j.reason}" for j in parsed.junk_lines)
        if parsed.junk:
            log.warning("url_list_junk", path=path, junk_lines=parsed.junk,
                        first=[f"{j.line}: {j.reason}" for j in parsed.junk_lines[:5]])
        works = []
        for entry in parsed.entries:
            if not self._keep(entry.url, entry.published):
                continue
            job = PageJob(url=entry.url, title=entry.title, published=entry.published,
                          feed_id=self._feed_id(entry.feed))
            works.append(Work(_work_key(entry.url), job))
        return works

    def _feed_id(self, feed_url: str | None) -> int | None:
        """The id of a subscribed feed named by a URL list record; an unknown feed is not subscribed."""
        if feed_url is None:
            return None
        if feed_url not in self._feeds:
            with self.store.session() as session:
                feed = repo.feed_by_url(session, feed_url)
                self._feeds[feed_url] = feed.id if feed is not None else None
        return self._feeds[feed_url]

    def _warc_work(self, path: str) -> Generator[Work, None, None]:
        stats = WarcStats()
        try:
            for page in read_warc(path, stats, max_bytes=self.pipeline.settings.fetch.max_bytes):
                response = page.response
                if not response.url or not self._keep(response.url, page.fetched):
                    continue
                key = _work_key(response.url)
                # The key is the canonical URL (courlan, not free): the job need not compute it again.
                canonical = None if key.startswith("sha1:") else key
                job = PageJob(url=response.url, response=response, fetched=page.fetched, _canonical=canonical)
                yield Work(key, job)
        except WarcDamaged as exc:
            self.summary.source_errors.append(f"warc {exc}")
            log.warning("warc_damaged", path=exc.path, record=exc.record, offset=exc.offset, reason=exc.reason)
        finally:
            self.summary.not_html += stats.not_html
            self.summary.bad_records += stats.bad_headers + stats.bad_targets
            self.summary.too_large += stats.too_large
            log.info("warc_read", path=path, records=stats.records, pages=stats.pages, not_html=stats.not_html,
                     bad_headers=stats.bad_headers, bad_targets=stats.bad_targets, too_large=stats.too_large)


def _work_key(url: str) -> str:
    """A page's key in `backfill_items`: its canonical URL, or `sha1:<hex>` of it when over MAX_KEY."""
    key = canonical_url(url)
    if len(key) > MAX_KEY:
        return "sha1:" + hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()
    return key


def _chunks(works: Iterator[Work], size: int) -> Iterator[list[Work]]:
    chunk: list[Work] = []
    for work in works:
        chunk.append(work)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def format_summary(summary: BackfillSummary, *, reextract: bool = False) -> list[str]:
    """The end-of-run summary as lines for a person."""
    lines = []
    state = "resumed" if summary.resumed else "new"
    if reextract:
        lines.append(f"re-extraction run {summary.run_id} ({state}): {summary.items} articles: "
                     f"changed {summary.changed}, same text {summary.reextracted - summary.changed}, "
                     f"unchanged (same extractor) {summary.unchanged}, not articles {summary.not_article}, "
                     f"failed {summary.failed_total}; skipped (already done) {summary.skipped}")
    else:
        lines.append(f"backfill run {summary.run_id} ({state}): {summary.items} pages: stored {summary.stored}, "
                     f"duplicates {summary.duplicates}, not articles {summary.not_article}, "
                     f"failed {summary.failed_total}; skipped (already done) {summary.skipped}")
        extras = [f"junk lines {summary.junk_lines}", f"out of date range {summary.out_of_range}"]
        if summary.other_site:
            extras.append(f"other sites {summary.other_site}")
        if summary.invalid_entries:
            extras.append(f"invalid sitemap entries {summary.invalid_entries}")
        if summary.not_html:
            extras.append(f"non-HTML WARC responses {summary.not_html}")
        if summary.bad_records:
            extras.append(f"unreadable WARC records skipped {summary.bad_records}")
        if summary.too_large:
            extras.append(f"WARC responses over [fetch] max_bytes skipped {summary.too_large}")
        if summary.deferred:
            extras.append(f"deferred (rerun to take them) {summary.deferred}")
        lines.append("  " + ", ".join(extras))
    if summary.failed:
        lines.append("  failed by reason: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.failed.items())))
    lines.extend(f"  junk: {example}" for example in summary.junk_examples[:5])
    lines.extend(f"  error: {error}" for error in summary.source_errors)
    return [mask_secrets(line) for line in lines]  # a sitemap or list URL may carry a password
