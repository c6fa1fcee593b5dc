"""The daemon: APScheduler ticks claim due feeds from the store (the schedule lives in our tables)."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import func, select

from config.settings import Settings
from ingest.pipeline import Pipeline
from store import repo
from store.db import Store
from store.models import Feed, utcnow

log = structlog.get_logger("wirefeed.daemon")

GRACE_SECONDS = 30


def run_daemon(store: Store, settings: Settings) -> int:
    """Run until SIGTERM/SIGINT; in-flight work gets a grace period, then leases are released."""
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
        state["pass"] = asyncio.create_task(pipeline.run_pass())

    def health() -> None:
        with store.session() as session:
            now = utcnow()
            due = (
                session.scalar(
                    select(func.count())
                    .select_from(Feed)
                    .where(Feed.disabled.is_(False), Feed.next_fetch_at <= now)
                )
                or 0
            )
            failing = session.scalar(select(func.count()).select_from(Feed).where(Feed.error_count > 0)) or 0
            leased = session.scalar(select(func.count()).select_from(Feed).where(Feed.lease_until > now)) or 0
        log.info("health", feeds_due=due, feeds_in_flight=leased, feeds_failing=failing)

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
        minutes=1,
        next_run_time=utcnow() + timedelta(seconds=5),
        max_instances=1,
        coalesce=True,
        id="health",
    )
    scheduler.start()
    log.info("daemon_started", owner=pipeline.owner, tick=settings.schedule.tick)
    try:
        await stop.wait()
        log.info("daemon_stopping", grace_seconds=GRACE_SECONDS)
        scheduler.shutdown(wait=False)
        pipeline.stopping.set()
        current = state["pass"]
        if current is not None and not current.done():
            try:
                await asyncio.wait_for(asyncio.shield(current), GRACE_SECONDS)
            except TimeoutError:
                current.cancel()
                log.warning("pass_abandoned", reason="grace period over")
    finally:
        with store.session() as session:
            released = repo.release_feeds(session, pipeline.owner)
        pipeline.close()
        log.info("daemon_stopped", leases_released=released)
    return 0
