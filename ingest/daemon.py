"""The daemon: APScheduler ticks claim due feeds from the store (the schedule lives in our tables)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import traceback
from datetime import timedelta

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from config.settings import Settings
from ingest.health import Health, OpsServer
from ingest.ops import metrics
from ingest.pipeline import Pipeline
from store import repo, telemetry
from store.db import Store, StoreError
from store.models import utcnow

log = structlog.get_logger("wirefeed.daemon")

HEALTH_EVERY = timedelta(minutes=1)
INTERRUPT_GRACE = 5.0  # seconds the pages in flight get after Ctrl-C (SIGTERM gets [schedule] shutdown_grace)


def failure_fields(exc: BaseException) -> dict[str, str]:
    """An exception as log fields: its first line, its type and its traceback (one JSON line, not 50)."""
    text = str(exc).strip()
    return {
        "error": text.splitlines()[0] if text else type(exc).__name__,
        "error_type": type(exc).__name__,
        "traceback": "".join(traceback.format_exception(exc)).rstrip(),
    }


def run_daemon(store: Store, settings: Settings) -> int:
    """Run until SIGTERM/SIGINT; in-flight work gets `[schedule] shutdown_grace`, then leases are released."""
    return asyncio.run(_daemon(store, settings))


class PassSlot:
    """The daemon's one pass at a time: a tick starts a pass only when none runs; a failed one is logged once."""

    def __init__(self) -> None:
        self.task: asyncio.Task[object] | None = None
        self._last_error: str | None = None  # the error of the passes failing in a row, by its first line
        self._repeats = 0

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def report_failure(self) -> None:
        """Log the finished pass's error with its traceback, if it failed (a cancelled pass did not).

        Passes failing in a row with the same error (the database down for an hour: one a tick) log their
        traceback once; the next ones say the error and how many times in a row it came.
        """
        task = self.task
        if task is None or not task.done() or task.cancelled():
            return
        failed = task.exception()
        if failed is None:
            self._last_error, self._repeats = None, 0
            return
        fields = failure_fields(failed)
        if fields["error"] == self._last_error:
            self._repeats += 1
            del fields["traceback"]
            fields["in_a_row"] = str(self._repeats + 1)
        else:
            self._last_error, self._repeats = fields["error"], 0
        log.error("pass_failed", **fields)

    def start(self, pipeline: Pipeline) -> None:
        self.task = asyncio.create_task(pipeline.run_pass())


async def _daemon(store: Store, settings: Settings) -> int:
    pipeline = Pipeline(store, settings, store_pages=settings.fetch.fetch_articles)
    stop = asyncio.Event()
    interrupted: list[int] = []
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, _on_signal, sig, stop, interrupted)
    slot = PassSlot()
    health = Health(store, settings.schedule.tick, pass_running=lambda: slot.running)
    ops = OpsServer(settings.metrics.listen, health) if settings.metrics.listen else None
    metrics.set_build_info()
    scheduler = _scheduler(store, settings, pipeline, slot, stop, watch=health)
    scheduler.start()
    if ops is not None:
        ops.start()
    log.info("daemon_started", owner=pipeline.owner, tick=settings.schedule.tick)
    try:
        await stop.wait()
        # Ctrl-C is a person waiting at a terminal: the pages in flight get a few seconds, not the service's grace.
        grace = settings.schedule.shutdown_grace
        if signal.SIGINT in interrupted:
            grace = min(grace, INTERRUPT_GRACE)
        log.info("daemon_stopping", grace_seconds=grace)
        scheduler.shutdown(wait=False)
        pipeline.stopping.set()  # no new batch is claimed from here on
        await _finish_pass(slot, grace)
    finally:
        released = _release_leases(store, pipeline)
        if ops is not None:
            ops.close()
    return 0 if released is not None else 1


def _on_signal(sig: int, stop: asyncio.Event, interrupted: list[int]) -> None:
    """The first SIGTERM/SIGINT stops the daemon cleanly; a second one leaves at once (leases then expire)."""
    if stop.is_set():
        log.warning("daemon_forced_exit", signal=signal.Signals(sig).name)
        os._exit(130)
    interrupted.append(sig)
    stop.set()


def _scheduler(
    store: Store, settings: Settings, pipeline: Pipeline, slot: PassSlot, stop: asyncio.Event, *,
    watch: Health,
) -> AsyncIOScheduler:
    """The two jobs: a tick that starts a pass when none runs, and the health line (and the feed gauges)."""

    async def tick() -> None:
        watch.tick()
        if stop.is_set() or slot.running:
            return
        slot.report_failure()
        slot.start(pipeline)

    def health() -> None:
        # A job that raises would have APScheduler print a multi-line traceback among the JSON lines.
        try:
            now = utcnow()
            with store.session() as session:
                counts = repo.health_counts(session, now)
                failing, expired = telemetry.failing_by_kind(session), telemetry.expired_leases(session, now)
        except Exception as exc:  # the database is down or damaged: say so, the next run tries again
            metrics.DB_ERRORS.labels("health").inc()
            log.error("health_failed", **failure_fields(exc))
            return
        metrics.set_feed_states(counts, failing, expired)
        log.info("health", **counts, pass_running=slot.running)

    def prune() -> None:
        from ingest.retention import prune_store  # warcio and the archive only when the job runs

        try:
            prune_store(store, settings)
        except Exception as exc:  # the next day tries again
            log.error("prune_failed", **failure_fields(exc))

    scheduler = AsyncIOScheduler(timezone="UTC")
    # Raw pages past [store] raw_retention_days and dedupe index rows past their windows, daily.
    scheduler.add_job(prune, "interval", hours=24, next_run_time=utcnow() + timedelta(minutes=10),
                      max_instances=1, coalesce=True, id="prune")
    scheduler.add_job(
        tick,
        "interval",
        seconds=settings.schedule.tick,
        next_run_time=utcnow(),
        max_instances=1,
        coalesce=True,
        id="tick",
    )
    scheduler.add_job(
        health,
        "interval",
        seconds=HEALTH_EVERY.total_seconds(),
        next_run_time=utcnow() + timedelta(seconds=5),
        max_instances=1,
        coalesce=True,
        id="health",
    )
    return scheduler


async def _finish_pass(slot: PassSlot, grace: float) -> None:
    """Give the running pass `grace` seconds, then cancel it; a pass that failed between two ticks is logged."""
    slot.report_failure()  # the last pass failed between two ticks: say so once
    current = slot.task
    if current is None or current.done():
        return
    try:
        await asyncio.wait_for(asyncio.shield(current), grace)
    except TimeoutError:
        current.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await current
        log.warning("pass_abandoned", reason="grace period over")
    except Exception as exc:  # a failed pass must not stop the shutdown
        log.error("pass_failed", **failure_fields(exc))


def _release_leases(store: Store, pipeline: Pipeline) -> int | None:
    """Give back this daemon's feed leases and close the pipeline; None when the database could not be reached."""
    try:
        with store.session() as session:
            released: int | None = repo.release_feeds(session, pipeline.owner)
    except StoreError as exc:  # the database is down: the leases expire after [schedule] lease_seconds
        log.error("leases_not_released", **failure_fields(exc))
        released = None
    pipeline.close()
    log.info("daemon_stopped", leases_released=released)
    return released
