"""Database waits: a locked SQLite file costs no page its fetch timeout; leases of a pass that died are reclaimed."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sqlite3
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.engine import make_url

from config.settings import DatabaseSettings, ExtractSettings, FetchSettings, ScheduleSettings, Settings
from ingest.pipeline import PassSummary, Pipeline
from store import repo
from store.db import Store, StoreError
from store.models import Article, Feed, utcnow
from tests.world import Request, Route, World, page, rss

RSS = "application/rss+xml"
TOPICS = ["harbour", "tramway", "library", "orchestra", "bridge", "vineyard", "market", "stadium"]


def article(topic: str) -> str:
    return page(f"The {topic} review", [
        f"The {topic} committee met on Monday to review the {topic} budget, which has grown by a third since "
        f"the last review, and heard from residents who use the {topic} every week.",
        f"Members said the {topic} plan would be published in full next month, with a public consultation on "
        f"the {topic} schedule and the cost of keeping the {topic} open in the evenings.",
    ])


def settings(url: str, *, timeout: float = 1, lease_seconds: int = 600) -> Settings:
    return Settings(
        database=DatabaseSettings(url=SecretStr(url)),
        fetch=FetchSettings(allowed_networks=["127.0.0.1/32"], per_host_delay=0, per_host_concurrency=8,
                            timeout=timeout, max_redirects=0, obey_robots=False),
        schedule=ScheduleSettings(lease_seconds=lease_seconds),
        extract=ExtractSettings(workers=1, timeout=30),
    )


class WriteLock:
    """Another connection's write transaction on a SQLite file (BEGIN IMMEDIATE), held for a while in a thread."""

    def __init__(self, path: str, seconds: float) -> None:
        self.path, self.seconds = path, seconds
        self.held = threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self) -> None:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            self.held.set()
            threading.Event().wait(self.seconds)
            conn.execute("COMMIT")
        finally:
            conn.close()

    def start(self) -> None:
        """Take the lock now (returns once it is held)."""
        self.thread.start()
        assert self.held.wait(30)


@pytest.fixture
def world() -> Iterator[World]:
    with World("site") as w:
        yield w


class TestLockedSqlite:
    """Another writer holds the SQLite file while pages are being fetched."""

    def test_no_page_times_out_waiting_for_the_database(self, sqlite_url: str, world: World) -> None:
        """Pages answering at once, a 1 s timeout, a 4 s lock taken mid-fetch: no timeout, every page stored."""
        site = world["site"]
        path = make_url(sqlite_url).database
        assert path is not None
        lock = WriteLock(path, 4)
        for topic in TOPICS:
            site.static(f"/{topic}.html", article(topic))
        first: Route = site.routes["/harbour.html"]

        def lock_then_answer(request: Request) -> tuple[int, dict[str, str], bytes]:
            if not lock.held.is_set():
                lock.start()  # from now on, storing a page waits for the other writer
            return first(request)

        def after_lock(route: Route) -> Route:
            def wrapped(request: Request) -> tuple[int, dict[str, str], bytes]:
                lock.held.wait(30)
                threading.Event().wait(0.3)  # answered quickly, while the database is still locked
                return route(request)

            return wrapped

        site.routes["/harbour.html"] = lock_then_answer
        for topic in TOPICS[1:]:
            site.routes[f"/{topic}.html"] = after_lock(site.routes[f"/{topic}.html"])
        entries = [{"title": t, "link": site.url(f"/{t}.html"), "guid": t,
                    "published": (utcnow() - timedelta(hours=10 - n)).isoformat()} for n, t in enumerate(TOPICS)]
        site.static("/rss.xml", rss("Site", entries), RSS)
        store = Store(sqlite_url)
        try:
            with store.session() as session:
                repo.add_feed(session, site.url("/rss.xml"))
            pipeline = Pipeline(store, settings(sqlite_url))
            try:
                summary = asyncio.run(pipeline.run_pass(all_feeds=True))
            finally:
                pipeline.close()
            lock.thread.join(30)
            with store.session() as session:
                rows = {a.url: (a.status, a.error, a.attempts) for a in session.scalars(select(Article))}
        finally:
            store.close()
        assert summary.failures == {}
        assert rows == {site.url(f"/{t}.html"): ("ok", None, 1) for t in TOPICS}
        assert all(len(site.hits(f"/{t}.html")) == 1 for t in TOPICS)


def run(pipeline: Pipeline) -> PassSummary:
    return asyncio.run(pipeline.run_pass())


def leased(store: Store) -> dict[str, str | None]:
    with store.session() as session:
        return {f.url: f.lease_owner for f in session.scalars(select(Feed))}


class TestLeaseReclaim:
    """Leases this pipeline's owner still holds when a pass starts come from a pass that could not release them."""

    def test_own_leases_released_at_once(self, store: Store, world: World) -> None:
        """Feeds leased by this owner for 10 minutes are polled by its next pass, not 10 minutes later."""
        site = world["site"]
        site.static("/a.xml", rss("A", []), RSS)
        site.static("/b.xml", rss("B", []), RSS)
        with store.session() as session:
            repo.add_feed(session, site.url("/a.xml"))
            repo.add_feed(session, site.url("/b.xml"))
        cfg = settings(store.url)
        pipeline = Pipeline(store, cfg, owner="worker-1")
        try:
            with store.session() as session:  # what a pass that died with the database leaves behind
                claimed = repo.claim_feeds(session, "worker-1", now=utcnow(), lease=timedelta(minutes=10), limit=1)
            assert len(claimed) == 1
            run(pipeline)
        finally:
            pipeline.close()
        assert len(site.hits("/a.xml")) == 1
        assert len(site.hits("/b.xml")) == 1
        assert set(leased(store).values()) == {None}

    def test_other_owners_leases_are_kept(self, store: Store, world: World) -> None:
        """A live lease of another worker is left alone: its feed is not polled."""
        site = world["site"]
        site.static("/a.xml", rss("A", []), RSS)
        with store.session() as session:
            repo.add_feed(session, site.url("/a.xml"))
            repo.claim_feeds(session, "other-host:1:worker", now=utcnow(), lease=timedelta(minutes=10), limit=1)
        pipeline = Pipeline(store, settings(store.url), owner="worker-1")
        try:
            run(pipeline)
        finally:
            pipeline.close()
        assert site.hits("/a.xml") == []
        assert leased(store) == {site.url("/a.xml"): "other-host:1:worker"}


class Proxy:
    """A TCP proxy to PostgreSQL that the test can cut (every connection closed, new ones refused) and restore."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """The database goes away: open connections are reset, new ones closed at once."""
        self.up = False
        with self.lock:
            for s in self.sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self.sockets.clear()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.mark.postgres
class TestDatabaseOutage:
    """A real outage: PostgreSQL reached through a proxy that is cut in the middle of a pass."""

    def test_leases_reclaimed_when_the_database_is_back(self, pg_url: str, world: World) -> None:
        """The pass dies with the database and cannot release its lease; the next pass polls the feed at once."""
        site = world["site"]
        body = rss("Site", []).encode()
        release = threading.Event()
        proxy_box: list[Proxy] = []

        def cut_during_poll(request: Request) -> tuple[int, dict[str, str], bytes]:
            if len(site.hits("/rss.xml")) == 1:
                proxy_box[0].cut()  # the database goes away while the feed is being fetched
                release.set()
            return 200, {"Content-Type": RSS}, body

        site.routes["/rss.xml"] = cut_during_poll
        target = make_url(pg_url)
        proxy = Proxy(target.host or "127.0.0.1", target.port or 5432)
        proxy_box.append(proxy)
        proxied = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        direct = Store(pg_url)
        store = Store(proxied)
        try:
            with direct.session() as session:
                repo.add_feed(session, site.url("/rss.xml"))
            pipeline = Pipeline(store, settings(proxied), owner="daemon-1")
            try:
                with pytest.raises(StoreError):
                    run(pipeline)
                assert release.is_set()
                assert leased(direct) == {site.url("/rss.xml"): "daemon-1"}  # left behind by the dead pass
                proxy.restore()
                run(pipeline)  # the same daemon's next tick, the database back
            finally:
                pipeline.close()
            assert len(site.hits("/rss.xml")) == 2
            assert leased(direct) == {site.url("/rss.xml"): None}
            with direct.session() as session:
                feed = session.scalars(select(Feed)).one()
                assert feed.last_status == 200
        finally:
            store.close()
            direct.close()
            proxy.close()
