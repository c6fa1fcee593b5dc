"""Leases with real processes on SQLite and PostgreSQL: overlapping runs never fetch one feed at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from store import repo
from store.db import Store
from store.models import Feed, FeedItem, utcnow
from tests.world import Request, World, rss

ROOT = Path(__file__).parents[1]
FEEDS = 24


class Tracker:
    """Counts requests per feed and the most requests one feed ever had in flight at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight: Counter[str] = Counter()
        self.max_in_flight: Counter[str] = Counter()
        self.hits: Counter[str] = Counter()

    def route(self, outlet_base: str, path: str, delay: float):  # type: ignore[no-untyped-def]
        body = rss(path, [{"title": f"{path} {i}", "link": f"{outlet_base}{path}/{i}", "guid": f"{path}-{i}"}
                          for i in range(3)]).encode()

        def serve(request: Request) -> tuple[int, dict[str, str], bytes]:
            with self.lock:
                self.hits[path] += 1
                self.in_flight[path] += 1
                self.max_in_flight[path] = max(self.max_in_flight[path], self.in_flight[path])
            time.sleep(delay)
            with self.lock:
                self.in_flight[path] -= 1
            return 200, {"Content-Type": "application/rss+xml"}, body

        return serve


def _env(lease_seconds: int = 600) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "WIREFEED_FETCH__ALLOWED_NETWORKS": '["127.0.0.1/32"]',
        "WIREFEED_FETCH__PER_HOST_DELAY": "0",
        "WIREFEED_FETCH__PER_HOST_CONCURRENCY": "8",
        "WIREFEED_FETCH__FETCH_ARTICLES": "false",
        "WIREFEED_EXTRACT__WORKERS": "1",
        "WIREFEED_SCHEDULE__LEASE_SECONDS": str(lease_seconds),
        "WIREFEED_SCHEDULE__BATCH_SIZE": "4",
        "WIREFEED_LOG__FORMAT": "json",
    })
    return env


def _ingest(db: str, *, lease_seconds: int = 600) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "ingest.cli", "--db", db, "ingest", "--all"],
        cwd=ROOT, env=_env(lease_seconds), stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )


@pytest.fixture
def tracked() -> Iterator[tuple[World, Tracker]]:
    """One outlet whose feeds answer slowly and count overlapping requests."""
    tracker = Tracker()
    with World("slow") as world:
        outlet = world["slow"]
        for i in range(FEEDS):
            outlet.routes[f"/f{i}"] = tracker.route(outlet.base, f"/f{i}", 0.4)
        yield world, tracker


def _subscribe(db_url: str, world: World) -> None:
    store = Store(db_url)
    with store.session() as session:
        for i in range(FEEDS):
            repo.add_feed(session, world["slow"].url(f"/f{i}"))
    store.close()


class TestOverlappingRuns:
    """Two `wirefeed ingest --all` processes at once, as two cron jobs or cron beside a daemon would be."""

    def test_never_the_same_feed_at_once(self, db_url: str, tracked: tuple[World, Tracker]) -> None:
        """Both runs finish cleanly; no feed is ever requested twice at the same time; every feed is read."""
        world, tracker = tracked
        _subscribe(db_url, world)
        runs = [_ingest(db_url), _ingest(db_url)]
        for proc in runs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err.decode()[-2000:]
        assert set(tracker.hits) == {f"/f{i}" for i in range(FEEDS)}
        assert max(tracker.max_in_flight.values()) == 1
        store = Store(db_url)
        with store.session() as session:
            assert session.scalar(select(func.count()).select_from(FeedItem)) == FEEDS * 3
            assert session.scalar(select(func.count()).select_from(Feed).where(Feed.lease_owner.is_not(None))) == 0
        store.close()


class TestInterruptedRun:
    """A run killed midway leaves leases that block others only until they expire."""

    def test_leases_expire(self, db_url: str, tracked: tuple[World, Tracker]) -> None:
        """After SIGKILL the killed run's leases stand; once expired (lease_seconds later), any worker claims them."""
        world, _ = tracked
        _subscribe(db_url, world)
        proc = _ingest(db_url, lease_seconds=3)
        store = Store(db_url)
        deadline = time.monotonic() + 60
        leased = 0
        while time.monotonic() < deadline and not leased:
            with store.session() as session:
                leased = int(session.scalar(
                    select(func.count()).select_from(Feed).where(Feed.lease_owner.is_not(None))) or 0)
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=10)  # also closes its pipes
        assert leased > 0
        with store.session() as session:
            held = set(session.scalars(select(Feed.id).where(Feed.lease_owner.is_not(None))))
            now = utcnow()
            stolen = repo.claim_feeds(session, "other", now=now, lease=timedelta(seconds=60), limit=FEEDS,
                                      include_not_due=True)
            assert held.isdisjoint(f.id for f in stolen)
            repo.release_feeds(session, "other")
        with store.session() as session:
            taken_over: list[int] = []
            later = repo.claim_feeds(session, "other", now=utcnow() + timedelta(seconds=4),
                                     lease=timedelta(seconds=60), limit=FEEDS, include_not_due=True,
                                     taken_over=taken_over)
            assert held <= {f.id for f in later}
            assert set(taken_over) == held  # the dead run's feeds, and only those, were taken over (metrics)
            repo.release_feeds(session, "other")
        store.close()
