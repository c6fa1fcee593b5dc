"""The database goes away under `wirefeed ingest` and `wirefeed run`: one line and exit 1, or wait and resume;
no feed or page blamed for it, nothing lost once it is back."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

import store.db
from config.settings import DatabaseSettings, ExtractSettings, FetchSettings, Settings
from ingest.pipeline import Pipeline
from store import repo
from store.db import Store, StoreError
from store.models import Article, Feed, utcnow
from tests.conftest import PG_URL
from tests.world import HostedWorld, page, rss, slow

ROOT = Path(__file__).resolve().parent.parent
RSS = "application/rss+xml"
TOPICS = ["harbour", "tramway", "library", "orchestra", "bridge", "vineyard", "market", "stadium", "museum",
          "airport", "hospital", "school"]
OUTLETS = {"north": "127.0.0.93", "south": "127.0.0.93", "east": "127.0.0.94"}
ALL = len(OUTLETS) * len(TOPICS)


def paragraphs(outlet: str, topic: str) -> list[str]:
    return [
        f"The {topic} committee of {outlet} met on Monday to review the {topic} budget, which has grown by a "
        f"third since the last review, and heard from residents who use the {topic} every week.",
        f"Members said the {outlet} {topic} plan would be published in full next month, with a public "
        f"consultation on the {topic} schedule and the cost of keeping the {topic} open in the evenings.",
    ]


@pytest.fixture
def world() -> Iterator[HostedWorld]:
    """Three outlets (two hosts), twelve articles each; every page takes 0.2 s, so a pass lasts a few seconds."""
    with HostedWorld(**OUTLETS) as w:
        for name in OUTLETS:
            outlet = w[name]
            items = []
            for n, topic in enumerate(TOPICS):
                path = f"/{name}/{topic}.html"
                outlet.static(path, page(f"{name} {topic} review", paragraphs(name, topic)))
                outlet.routes[path] = slow(outlet.routes[path], 0.2)
                items.append({"title": f"{name} {topic}", "link": outlet.url(path), "guid": f"{name}-{topic}",
                              "published": f"2026-11-20T{n:02d}:00:00+00:00"})
            outlet.static(f"/{name}/rss.xml", rss(name, items), RSS)
        yield w


def subscribe(url: str, world: HostedWorld) -> None:
    opened = Store(url)
    try:
        with opened.session() as session:
            for name in OUTLETS:
                repo.add_feed(session, world[name].url(f"/{name}/rss.xml"))
    finally:
        opened.close()


def environ(**extra: str) -> dict[str, str]:
    env = dict(os.environ)  # keeps WIREFEED_STORE__ARCHIVE_DIR, set by the pg_url fixture
    env.update({
        "PYTHONPATH": str(ROOT),
        "WIREFEED_FETCH__ALLOWED_NETWORKS": '["127.0.0.0/8"]',
        "WIREFEED_FETCH__PER_HOST_DELAY": "0",
        "WIREFEED_FETCH__OBEY_ROBOTS": "false",
        "WIREFEED_EXTRACT__WORKERS": "1",
        "WIREFEED_LOG__FORMAT": "json",
    }, **extra)
    return env


def wirefeed(url: str, *args: str, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "ingest.cli", "--db", url, *args], cwd=ROOT,
                            env=environ(**env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def finished(url: str, *args: str) -> tuple[int, str, str]:
    proc = wirefeed(url, *args)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out.decode(), err.decode()


def plain_lines(err: str) -> list[str]:
    """The lines of a process's stderr that are not JSON log lines (what a person or cron mail reads)."""
    return [line for line in err.splitlines() if not line.startswith("{")]


def articles(url: str) -> dict[str, int]:
    opened = Store(url)
    try:
        with opened.session() as session:
            counts: dict[str, int] = {}
            for status in session.scalars(select(Article.status)):
                counts[status] = counts.get(status, 0) + 1
            return counts
    finally:
        opened.close()


def feed_rows(url: str) -> list[tuple[int, str | None, bool, str | None]]:
    """(error_count, last_error_kind, disabled, lease_owner) of every feed."""
    opened = Store(url)
    try:
        with opened.session() as session:
            return [(f.error_count, f.last_error_kind, f.disabled, f.lease_owner)
                    for f in session.scalars(select(Feed).order_by(Feed.id))]
    finally:
        opened.close()


def wait_for(check: Any, what: str, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


@contextlib.contextmanager
def unavailable(url: str) -> Iterator[None]:
    """The PostgreSQL database refuses connections and its sessions are cut, until the block ends."""
    name = make_url(url).database
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
        yield
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()


class TestLeasesOfADeadProcess:
    """A process that died with the database could not release its feed leases; the rerun takes them over."""

    def test_rerun_polls_feeds_leased_by_a_dead_process(
        self, sqlite_url: str, world: HostedWorld
    ) -> None:
        """Feeds leased for 10 minutes by a process of this host that is gone are polled by `ingest --all` now."""
        subscribe(sqlite_url, world)
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()
        opened = Store(sqlite_url)
        try:
            with opened.session() as session:
                claimed = repo.claim_feeds(session, f"{socket.gethostname()}:{gone.pid}:0badf00d", now=utcnow(),
                                           lease=timedelta(minutes=10), limit=10)
            assert len(claimed) == len(OUTLETS)
        finally:
            opened.close()
        code, out, err = finished(sqlite_url, "ingest", "--all")
        assert code == 0, err[-2000:]
        assert f"new items {ALL}: stored {ALL}," in out
        assert articles(sqlite_url) == {"ok": ALL}
        assert [row[3] for row in feed_rows(sqlite_url)] == [None] * len(OUTLETS)

    def test_live_process_keeps_its_leases(self, sqlite_url: str, world: HostedWorld) -> None:
        """A lease of a process of this host that still runs (this one) is left alone: its feed is not polled."""
        subscribe(sqlite_url, world)
        owner = f"{socket.gethostname()}:{os.getpid()}:0badf00d"
        opened = Store(sqlite_url)
        try:
            with opened.session() as session:
                assert len(repo.claim_feeds(session, owner, now=utcnow(), lease=timedelta(minutes=10), limit=1)) == 1
        finally:
            opened.close()
        code, out, err = finished(sqlite_url, "ingest", "--all")
        assert code == 0, err[-2000:]
        assert f"new items {ALL - len(TOPICS)}:" in out
        assert [row[3] for row in feed_rows(sqlite_url)].count(owner) == 1


@pytest.mark.postgres
class TestIngestWhenPostgresGoesAway:
    """`wirefeed ingest --all` (cron) with its PostgreSQL database gone midway."""

    def test_one_line_exit_1_and_the_rerun_stores_everything(self, pg_url: str, world: HostedWorld) -> None:
        """Exit 1 with one plain line; no feed blamed; once the database is back the next run stores every item."""
        subscribe(pg_url, world)
        proc = wirefeed(pg_url, "ingest", "--all")
        wait_for(lambda: sum(articles(pg_url).values()) >= 4, "four articles stored")
        with unavailable(pg_url):
            out, err = proc.communicate(timeout=120)
        assert proc.returncode == 1, err.decode()[-2000:]
        assert out == b""
        [line] = plain_lines(err.decode())
        assert line.startswith("wirefeed: error: database error: ")
        rows = feed_rows(pg_url)
        assert [row[:3] for row in rows] == [(0, None, False)] * len(OUTLETS)
        assert all(row[3] is not None for row in rows)  # left behind: the database was gone
        code, _out, err_again = finished(pg_url, "ingest", "--all")
        assert code == 0, err_again[-2000:]
        assert articles(pg_url) == {"ok": ALL}
        assert feed_rows(pg_url) == [(0, None, False, None)] * len(OUTLETS)


def pass_settings(url: str) -> Settings:
    return Settings(
        database=DatabaseSettings(url=SecretStr(url)),
        fetch=FetchSettings(allowed_networks=["127.0.0.0/8"], per_host_delay=0, per_host_concurrency=8,
                            timeout=10, obey_robots=False),
        extract=ExtractSettings(workers=1, timeout=30),
    )


@pytest.mark.postgres
class TestLockedTable:
    """Another session holds `LOCK TABLE articles IN ACCESS EXCLUSIVE MODE` (a forgotten psql, a migration)."""

    def test_pass_gives_up_instead_of_waiting_forever(
        self, pg_url: str, world: HostedWorld, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The pass stops with a StoreError after the lock timeout; no feed is blamed; the next pass stores all."""
        monkeypatch.setattr(store.db, "LOCK_TIMEOUT_MS", 1000)
        subscribe(pg_url, world)
        held, done = threading.Event(), threading.Event()

        def hold_lock() -> None:
            engine = create_engine(pg_url)
            with engine.connect() as conn:
                conn.execute(text("LOCK TABLE articles IN ACCESS EXCLUSIVE MODE"))
                held.set()
                done.wait(20)  # as long as the pass waits, but not forever if it waits forever
                conn.rollback()
            engine.dispose()

        locker = threading.Thread(target=hold_lock, daemon=True)
        opened = Store(pg_url)
        pipeline = Pipeline(opened, pass_settings(pg_url))
        try:
            locker.start()
            assert held.wait(30)
            with pytest.raises(StoreError, match="lock timeout"):
                asyncio.run(pipeline.run_pass(all_feeds=True))
            done.set()
            locker.join(30)
            assert [row[:3] for row in feed_rows(pg_url)] == [(0, None, False)] * len(OUTLETS)
            summary = asyncio.run(pipeline.run_pass(all_feeds=True))
        finally:
            done.set()
            pipeline.close()
            opened.close()
        assert summary.failures == {}
        assert articles(pg_url) == {"ok": ALL}


class TestServerThatNeverAnswers:
    """A PostgreSQL address that accepts connections and never answers (a hung server, a pooler without one)."""

    def test_store_gives_up_on_connecting(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Opening the store fails with `database unreachable` after the connect timeout, instead of hanging."""
        monkeypatch.setattr(store.db, "CONNECT_TIMEOUT", 2)  # libpq's smallest
        listener = socket.create_server(("127.0.0.96", 0))  # never accepts: the kernel completes the handshake
        port = listener.getsockname()[1]
        result: list[BaseException | Store] = []

        def open_store() -> None:
            try:
                result.append(Store(f"postgresql://wirefeed@127.0.0.96:{port}/wirefeed"))
            except BaseException as exc:
                result.append(exc)

        opener = threading.Thread(target=open_store, daemon=True)
        try:
            opener.start()
            opener.join(60)  # not a timing: without a connect timeout it never returns
            assert not opener.is_alive(), "still connecting to a server that never answers"
        finally:
            listener.close()
        [error] = result
        assert isinstance(error, StoreError)
        assert str(error).startswith("database unreachable: ")


def get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


@pytest.mark.postgres
class TestDaemonOutage:
    """`wirefeed run` while its PostgreSQL database goes away for a few seconds and comes back."""

    def test_daemon_survives_and_reports_outage_and_recovery(self, pg_url: str, world: HostedWorld) -> None:
        """/readyz 503 while it is gone, 200 after; /healthz stays 200; every item stored after; exit 0."""
        subscribe(pg_url, world)
        with socket.create_server(("127.0.0.95", 0)) as probe:  # a free port (`listen` takes no port 0)
            port = probe.getsockname()[1]
        proc = wirefeed(pg_url, "run", WIREFEED_SCHEDULE__TICK="1", WIREFEED_SCHEDULE__SHUTDOWN_GRACE="5",
                        WIREFEED_METRICS__LISTEN=f"127.0.0.95:{port}")
        lines: list[str] = []

        def read(stream: Any) -> None:
            for raw in stream:
                lines.append(raw.decode(errors="replace").rstrip("\n"))

        readers = [threading.Thread(target=read, args=(s,), daemon=True) for s in (proc.stdout, proc.stderr)]
        for reader in readers:
            reader.start()
        try:
            wait_for(lambda: any('"metrics_listening"' in line for line in list(lines)), "the endpoints listen")
            base = f"http://127.0.0.95:{port}"
            wait_for(lambda: sum(articles(pg_url).values()) >= 4, "four articles stored")
            with unavailable(pg_url):
                status, body = wait_for(lambda: (r := get(f"{base}/readyz"))[0] == 503 and r, "/readyz 503")
                assert body["status"] == "unavailable"
                assert body["error"]
                wait_for(lambda: sum('"pass_failed"' in line for line in list(lines)) >= 2, "two passes failed")
                assert get(f"{base}/healthz")[0] == 200
                assert proc.poll() is None
            wait_for(lambda: articles(pg_url) == {"ok": ALL}, "every item stored after the outage")
            status, body = get(f"{base}/readyz")
            assert (status, body["status"]) == (200, "ok")
            assert get(f"{base}/healthz")[0] == 200
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
            for reader in readers:
                reader.join(30)
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
        assert proc.returncode == 0, lines[-20:]
        assert all(line.startswith("{") for line in lines), [line for line in lines if not line.startswith("{")]
        assert feed_rows(pg_url) == [(0, None, False, None)] * len(OUTLETS)
