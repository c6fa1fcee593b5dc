"""A pass killed with SIGKILL midway and run again leaves the same store as an uninterrupted pass."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from store.db import Store
from store.models import Article, Feed, FeedItem, RawPage
from tests.world import Request, World, page, rss

TOPICS = ["harbour", "tramway", "library", "orchestra", "bridge", "vineyard"]


def _paragraphs(topic: str) -> list[str]:
    return [
        f"The {topic} committee met on Monday to review the {topic} budget, which has grown by a third since "
        f"the last review, and heard from residents who use the {topic} every week.",
        f"Members said the {topic} plan would be published in full next month, with a public consultation "
        f"on the {topic} schedule and the cost of keeping the {topic} open in the evenings.",
        f"A spokesperson for the {topic} said the changes were overdue and that staff had asked for them "
        f"for several years, citing rising demand and an ageing {topic} building.",
    ]


def _env(lease_seconds: int = 2) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "WIREFEED_FETCH__ALLOWED_NETWORKS": '["127.0.0.1/32"]',
            "WIREFEED_FETCH__PER_HOST_DELAY": "0",
            "WIREFEED_EXTRACT__WORKERS": "1",
            "WIREFEED_SCHEDULE__LEASE_SECONDS": str(lease_seconds),
            "WIREFEED_LOG__FORMAT": "json",
            "WIREFEED_FETCH__TIMEOUT": "60",
        }
    )
    return env


def _ingest(db: str, cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "ingest.cli", "--db", db, "ingest", "--all"],
        cwd=cwd,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _subscribe(db: str, url: str, cwd: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "ingest.cli", "--db", db, "feeds", "add", "--no-discover", url],
        check=True, env=_env(), cwd=cwd, capture_output=True,
    )


def _ingest_to_end(db: str, cwd: Path) -> None:
    """Run a whole `ingest --all` pass and require a clean exit."""
    proc = _ingest(db, cwd)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()[-2000:]


def _snapshot(db: str) -> dict[str, object]:
    store = Store(db)
    try:
        with store.session() as s:
            articles = s.execute(select(Article.canonical_url, Article.content_hash, Article.status)).all()
            stories = s.execute(select(Article.canonical_url, Article.story_id)).all()
            return {
                "articles": sorted((u.split(":", 2)[2].split("/", 1)[1], h, st) for u, h, st in articles),
                "stories": _partition(stories),
                "items": s.scalar(select(func.count()).select_from(FeedItem)),
                "raw": s.scalar(select(func.count()).select_from(RawPage)),
                "leases": s.scalar(
                    select(func.count()).select_from(Feed).where(Feed.lease_owner.is_not(None))
                ),
            }
    finally:
        store.close()


def _partition(rows: object) -> list[list[str]]:
    groups: dict[str, list[str]] = {}
    for url, story in rows:  # type: ignore[attr-defined]
        groups.setdefault(story, []).append(url.split(":", 2)[2].split("/", 1)[1])
    return sorted(sorted(g) for g in groups.values())


@pytest.fixture
def world() -> Iterator[World]:
    """One feed of six articles; the fourth page hangs until released."""
    with World("site") as w:
        site = w["site"]
        items = []
        for n, topic in enumerate(TOPICS):
            path = f"/{topic}.html"
            site.static(path, page(f"The {topic} review", _paragraphs(topic)))
            items.append(
                {
                    "title": topic,
                    "link": site.url(path),
                    "guid": f"g{n}",
                    "published": f"2026-11-20T0{n}:00:00+00:00",
                }
            )
        site.static("/rss.xml", rss("Site", items), "application/rss+xml")
        yield w


class TestKilledPass:
    """SIGKILL midway, then a rerun."""

    def test_rerun_after_kill_matches_uninterrupted_run(
        self, world: World, db_url: str, tmp_path: Path
    ) -> None:
        """Killed after two pages were stored, the rerun stores the other four and nothing twice."""
        site = world["site"]
        hanging = site.routes["/library.html"]
        released = {"go": False}

        def hang(request: Request) -> tuple[int, dict[str, str], bytes]:
            while not released["go"]:
                time.sleep(0.05)
            return hanging(request)

        site.routes["/library.html"] = hang
        reference_url = f"sqlite:///{tmp_path}/reference.db"
        _subscribe(db_url, site.url("/rss.xml"), tmp_path)
        proc = _ingest(db_url, tmp_path)
        store = Store(db_url)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with store.session() as s:
                    if (s.scalar(select(func.count()).select_from(Article)) or 0) >= 2:
                        break
                time.sleep(0.1)
        finally:
            store.close()
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=10)
        killed = _snapshot(db_url)
        # Stored in feed order: the two pages before the hanging one are in, nothing after it.
        assert [a[0] for a in killed["articles"]] == ["harbour.html", "tramway.html"]  # type: ignore[attr-defined]
        assert killed["leases"] == 1  # the dead worker's lease is left behind ...

        released["go"] = True
        time.sleep(2.5)  # ... and expires (lease_seconds=2 here)
        _ingest_to_end(db_url, tmp_path)

        _subscribe(reference_url, site.url("/rss.xml"), tmp_path)
        _ingest_to_end(reference_url, tmp_path)

        after, reference = _snapshot(db_url), _snapshot(reference_url)
        assert len(after["articles"]) == 6  # type: ignore[arg-type]
        assert after["items"] == 6
        assert after["raw"] == 6
        assert after["leases"] == 0
        assert after["articles"] == reference["articles"]
        assert after["stories"] == reference["stories"]
        # Once by the killed run, once by the reference run: the rerun did not fetch a stored page again.
        assert len(site.hits("/harbour.html")) == 2
