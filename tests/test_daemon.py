"""`wirefeed run` as a real process: it polls, and on SIGTERM stops claiming, finishes or releases, exits 0."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from store import repo
from store.db import Store
from store.models import Feed
from tests.world import World, rss, slow

ROOT = Path(__file__).parents[1]


def _daemon(db: str, grace: float) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update({
        "WIREFEED_FETCH__ALLOWED_NETWORKS": '["127.0.0.1/32"]',
        "WIREFEED_FETCH__PER_HOST_DELAY": "0",
        "WIREFEED_FETCH__FETCH_ARTICLES": "false",
        "WIREFEED_FETCH__TIMEOUT": "30",
        "WIREFEED_EXTRACT__WORKERS": "1",
        "WIREFEED_SCHEDULE__TICK": "1",
        "WIREFEED_SCHEDULE__SHUTDOWN_GRACE": str(grace),
        "WIREFEED_LOG__FORMAT": "json",
    })
    return subprocess.Popen([sys.executable, "-m", "ingest.cli", "--db", db, "run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def _events(output: bytes) -> list[str]:
    events = []
    for line in output.decode(errors="replace").splitlines():
        try:
            events.append(json.loads(line)["event"])
        except (ValueError, KeyError, TypeError):
            continue
    return events


@pytest.fixture
def world() -> Iterator[World]:
    """A fast feed and a feed that takes seconds to answer."""
    with World("site") as w:
        site = w["site"]
        body = rss("Feed", [{"title": "t", "link": site.url("/a"), "guid": "a"}]).encode()
        site.routes["/fast.xml"] = lambda r: (200, {"Content-Type": "application/rss+xml"}, body)
        site.routes["/slow.xml"] = slow(lambda r: (200, {"Content-Type": "application/rss+xml"}, body), 3)
        yield w


def _start(sqlite_url: str, world: World, grace: float) -> tuple[Store, subprocess.Popen[bytes]]:
    store = Store(sqlite_url)
    with store.session() as session:
        repo.add_feed(session, world["site"].url("/fast.xml"))
        repo.add_feed(session, world["site"].url("/slow.xml"))
    proc = _daemon(sqlite_url, grace)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not world["site"].hits("/slow.xml"):
        time.sleep(0.05)
    assert world["site"].hits("/slow.xml"), "the daemon never polled"
    return store, proc


def _leased(store: Store) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(Feed).where(Feed.lease_owner.is_not(None))) or 0)


class TestShutdown:
    """SIGTERM in the middle of a poll."""

    def test_in_flight_work_finishes_within_grace(self, sqlite_url: str, world: World) -> None:
        """With a long grace, the slow feed is finished and recorded, then the daemon exits 0 with no lease held."""
        store, proc = _start(sqlite_url, world, grace=20)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out.decode()[-2000:]
        events = _events(out)
        assert "daemon_stopping" in events
        assert "daemon_stopped" in events
        assert "pass_abandoned" not in events
        with store.session() as session:
            slow_feed = repo.feed_by_url(session, world["site"].url("/slow.xml"))
            assert slow_feed is not None
            assert slow_feed.last_fetched_at is not None
        assert _leased(store) == 0
        store.close()

    def test_grace_over_releases_leases(self, sqlite_url: str, world: World) -> None:
        """With a short grace, the slow poll is abandoned, its lease released, and the exit code is still 0."""
        store, proc = _start(sqlite_url, world, grace=0.2)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out.decode()[-2000:]
        assert "pass_abandoned" in _events(out)
        assert _leased(store) == 0
        with store.session() as session:
            slow_feed = repo.feed_by_url(session, world["site"].url("/slow.xml"))
            assert slow_feed is not None
            assert slow_feed.last_fetched_at is None  # not recorded: it will be polled again
        store.close()


class TestDatabaseDown:
    """The database fails under a running daemon: one JSON line per failure, traceback as a field."""

    def test_health_and_pass_failures_are_json_lines(self, pg_url: str, world: World) -> None:
        """With its PostgreSQL database dropped, health_failed and pass_failed are single JSON lines."""
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        store = Store(pg_url)
        with store.session() as session:
            repo.add_feed(session, world["site"].url("/fast.xml"))
        store.close()
        proc = _daemon(pg_url, grace=1)
        # Drain the output as a service manager does: nobody reading a full pipe would block the daemon's log
        # writes, and a signal landing in a write blocked on a full pipe cuts that line short (not our doing).
        chunks: list[bytes] = []
        reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: proc.stdout.read1(65536), b"")))
        reader.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not world["site"].hits("/fast.xml"):
            time.sleep(0.05)
        assert world["site"].hits("/fast.xml"), "the daemon never polled"
        admin = create_engine(make_url(pg_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{make_url(pg_url).database}" WITH (FORCE)'))
        admin.dispose()
        time.sleep(8)  # the health job first runs 5 s after start; ticks run every second
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        reader.join(timeout=60)
        proc.stdout.close()
        out = b"".join(chunks)
        lines = out.decode(errors="replace").splitlines()
        records = [json.loads(line) for line in lines]  # every line is one JSON object: no bare traceback
        failures: dict[str, dict[str, object]] = {}
        for r in records:  # the first of each: a pass failing again with the same error says it without traceback
            if r["event"] in {"health_failed", "pass_failed"}:
                failures.setdefault(r["event"], r)
        assert set(failures) == {"health_failed", "pass_failed"}, lines[-20:]
        for record in failures.values():
            assert record["error"]
            assert str(record["traceback"]).startswith("Traceback (most recent call last)")
        again = [r for r in records if r["event"] == "pass_failed"][1:]
        assert all("traceback" not in r and int(r["in_a_row"]) >= 2 for r in again)
        assert "leases_not_released" in _events(out)
        assert proc.returncode == 1  # the leases could not be released: they expire after lease_seconds
