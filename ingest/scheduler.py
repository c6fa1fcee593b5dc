"""The daemon: APScheduler ticks claim due feeds from the store (the schedule lives in our tables)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from datetime import timedelta

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from config.settings import Settings
from ingest.pipeline import Pipeline
from store import repo
from store.db import Store
from store.models import utcnow

log = structlog.get_logger("wirefeed.daemon")

HEALTH_EVERY = timedelta(minutes=1)


def run_daemon(store: Store, settings: Settings) -> int:
    """Run until SIGTERM/SIGINT; in-flight work gets `[schedule] shutdown_grace`, then leases are released."""
    return asyncio.run(_daemon(store, settings))


async def _daemon(store: Store, settings: Settings) -> int:
    pipeline = Pipeline(store, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    state: dict[str, asyncio.Task[object] | None] = {"pass": None}

    async def tick() -> None:
        current = state["pass"]
        if stop.is_set() or (current is not None and not current.done()):
            return
        if current is not None and not current.cancelled() and current.exception() is not None:
            log.error("pass_failed", error=str(current.exception()))
        state["pass"] = asyncio.create_task(pipeline.run_pass())

    def health() -> None:
        with store.session() as session:
            counts = repo.health_counts(session, utcnow())
        current = state["pass"]
        log.info("health", **counts, pass_running=current is not None and not current.done())

    scheduler = AsyncIOScheduler(timezone="UTC")
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
    scheduler.start()
    log.info("daemon_started", owner=pipeline.owner, tick=settings.schedule.tick)
    try:
        await stop.wait()
        grace = settings.schedule.shutdown_grace
        log.info("daemon_stopping", grace_seconds=grace)
        scheduler.shutdown(wait=False)
        pipeline.stopping.set()  # no new batch is claimed from here on
        current = state["pass"]
        if current is not None and not current.done():
            try:
                await asyncio.wait_for(asyncio.shield(current), grace)
            except TimeoutError:
                current.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await current
                log.warning("pass_abandoned", reason="grace period over")
            except Exception as exc:  # a failed pass must not stop the shutdown
                log.error("pass_failed", error=str(exc))
    finally:
        with store.session() as session:
            released = repo.release_feeds(session, pipeline.owner)
        pipeline.close()
        log.info("daemon_stopped", leases_released=released)
    return 0
