"""Per-source telemetry: what the cleaning removed, by reason; degraded flags that outlive the process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingest.extract.page import EXTRACTOR, EXTRACTOR_VERSION, OPTIONS, Extracted, Removed
from ingest.jobs import PageJob, PageOutcome, PageStatus
from ingest.ops import telemetry
from store import repo
from store import telemetry as stored
from store.db import Store
from store.telemetry import SourceKey
from tests.test_pipeline import COMMITTEE_TOPICS, committee_page
from tests.test_sources import TemplateSite
from tests.world import HostedWorld, json_events, rss

ROOT = Path(__file__).parents[1]
SITE = "127.14.1.2"


@pytest.fixture(autouse=True)
def _reset_telemetry() -> Iterator[None]:
    """Pending counts are per process: each test starts without any."""
    telemetry.reset()
    yield
    telemetry.reset()


def _extracted(text: str, *whys: str) -> Extracted:
    return Extracted(
        url="https://example.org/a", canonical_url=None, title="A", text=text, author=None, published=None,
        modified=None, language="en", site_name=None, description=None,
        removed=tuple(Removed(text=f"block {n}", why=why) for n, why in enumerate(whys)), is_article=True,
        not_article_reason=None, extractor=EXTRACTOR, extractor_version=EXTRACTOR_VERSION, options=OPTIONS,
    )


def _cli(db: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """wirefeed in a process of its own (a cron run, or a restarted daemon's first pass)."""
    base = {**os.environ, "WIREFEED_FETCH__ALLOWED_NETWORKS": '["127.14.0.0/16"]',
            "WIREFEED_FETCH__PER_HOST_DELAY": "0", "WIREFEED_EXTRACT__WORKERS": "1", "WIREFEED_LOG__FORMAT": "json",
            "WIREFEED_METRICS__BUCKET_SECONDS": "1", "WIREFEED_METRICS__RECENT_PAGES": "8",
            "WIREFEED_METRICS__BASELINE_PAGES": "16", **(env or {})}
    done = subprocess.run([sys.executable, "-m", "ingest.cli", "--db", db, *args], cwd=ROOT, env=base,
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


class TestRemovals:
    """Each block the cleaning removed is counted under its reason and in its group."""

    def test_reasons_and_groups(self) -> None:
        """Teasers, captions, furniture, the site model and an unknown reason: each counted once, grouped."""
        job = PageJob(url="https://example.org/a", feed_id=7, guid="a")
        outcome = PageOutcome(job, PageStatus.STORED)
        extracted = _extracted("x" * 700, "repeated_teaser", "title_repeated", "photo_caption", "navigation",
                               "share_prompt", "byline", "site_boilerplate", "site_boilerplate", "a_new_rule")
        counts = dict(telemetry.source_counts(outcome, extracted))
        assert set(counts) == {SourceKey("site", "example.org"), SourceKey("feed", "7")}
        mine = counts[SourceKey("site", "example.org")]
        assert (mine["removed_teaser"], mine["removed_caption"], mine["removed_other"]) == (2, 1, 1)
        assert mine["removed_boilerplate"] == 5  # navigation, share prompt, site model (2), unknown
        assert (mine["rm_repeated_teaser"], mine["rm_title_repeated"], mine["rm_photo_caption"]) == (1, 1, 1)
        assert (mine["rm_navigation"], mine["rm_share_prompt"], mine["rm_byline"]) == (1, 1, 1)
        assert (mine["rm_site_boilerplate"], mine["rm_unknown"]) == (2, 1)

    def test_site_model_removals_are_counted(self, sqlite_url: str) -> None:
        """A footer the site's boilerplate model drops at store time shows in `sources` as site_boilerplate."""
        with HostedWorld(news=SITE) as world:
            outlet, items = world["news"], []
            for n, topic in enumerate(COMMITTEE_TOPICS):
                outlet.static(f"/story/{n}", committee_page(n, topic))
                items.append({"title": f"Story {n}", "link": outlet.url(f"/story/{n}"), "guid": f"story-{n}",
                              "published": f"2026-12-01T{n:02d}:00:00+00:00"})
            outlet.static("/feed.xml", rss("News", items), "application/rss+xml")
            store = Store(sqlite_url)
            with store.session() as session:
                repo.add_feed(session, outlet.url("/feed.xml"))
            store.close()
            _cli(sqlite_url, "ingest", "--all")
        report = json.loads(_cli(sqlite_url, "sources", "--json").stdout)
        site = next(entry for entry in report if entry["scope"] == "site")
        assert site["pages"] == 12
        # The model knows the footer once 10 articles of the site hold it: the last 2 pages lose it.
        assert site["removed_by_reason"]["site_boilerplate"] == round(2 / 12, 2)
        assert site["removed_per_page"]["boilerplate"] >= round(2 / 12, 2)


def _flag_events(done: subprocess.CompletedProcess[str]) -> list[tuple[str, str]]:
    events = json_events(done.stdout + done.stderr)
    return sorted((e["event"], e["scope"]) for e in events if e["event"] in {"source_degraded", "source_recovered"})


class TestFlagAcrossRestarts:
    """The degraded flag is stored: each process is a restart, and a known break is not logged again."""

    def test_logged_once_across_restarts(self, sqlite_url: str) -> None:
        """Template changes mid-run: degraded logged by one process, not by the next; recovery logged once."""
        store = Store(sqlite_url)
        runs: list[list[tuple[str, str]]] = []
        with HostedWorld(news=SITE) as world:
            site = TemplateSite(world)
            site.publish(20, redesigned=False)
            with store.session() as session:
                repo.add_feed(session, site.outlet.url("/feed.xml"))
            for count, redesigned in ((0, False), (10, True), (5, True), (10, False), (5, False)):
                site.publish(count, redesigned=redesigned)
                runs.append(_flag_events(_cli(sqlite_url, "ingest", "--all")))
                if count == 10 and redesigned:
                    with store.session() as session:
                        flagged = stored.flags(session)
                    assert {key.scope for key in flagged} == {"feed", "site"}
                    assert all("body_length_halved" in reasons for reasons, _ in flagged.values())
                time.sleep(1.1)  # the next run's pages fall in later one-second buckets
        with store.session() as session:
            left = stored.flags(session)
        store.close()
        assert runs == [
            [],
            [("source_degraded", "feed"), ("source_degraded", "site")],
            [],  # a new process, the source still broken: known, not logged again
            [("source_recovered", "feed"), ("source_recovered", "site")],
            [],
        ]
        assert left == {}

    def test_sources_shows_since_when(self, sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
        """`sources --json` gives degraded_since for a flagged source, None for the others."""
        store = Store(sqlite_url)
        since = datetime(2026, 12, 3, 9, tzinfo=UTC)
        now = datetime.now(UTC)
        with store.session() as session:
            stored.add_counts(session, [{"scope": "site", "source": host, "bucket": now - timedelta(hours=1),
                                         "pages": 3, "len_4": 3} for host in ("a.example", "b.example")])
            assert stored.raise_flag(session, SourceKey("site", "a.example"), ("short_jump",), since)
        store.close()
        from ingest.cli.app import main

        capsys.readouterr()
        assert main(["--db", sqlite_url, "sources", "--json"]) == 0
        report: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
        assert {e["source"]: e["degraded_since"] for e in report} == {
            "a.example": "2026-12-03T09:00:00+00:00", "b.example": None}


class TestStoredFlags:
    """Raising and clearing a flag says whether this call changed it; pruning drops flags of silent sources."""

    @pytest.mark.parametrize("database", ["sqlite_url", pytest.param("pg_url", marks=pytest.mark.postgres)])
    def test_raise_clear_prune(self, database: str, request: pytest.FixtureRequest) -> None:
        """The second raise and the second clear change nothing; a source without rows loses its flag."""
        store = Store(request.getfixturevalue(database))
        key, other = SourceKey("feed", "1"), SourceKey("site", "quiet.example")
        now = datetime.now(UTC)
        with store.session() as session:
            assert stored.raise_flag(session, key, ("short_jump", "body_length_halved"), now)
            assert not stored.raise_flag(session, key, ("short_jump",), now)
            assert stored.raise_flag(session, other, ("failed_jump",), now)
            stored.add_counts(session, [{"scope": "feed", "source": "1", "bucket": now, "pages": 1}])
        with store.session() as session:
            assert stored.flags(session)[key][0] == ("short_jump", "body_length_halved")
            stored.prune(session, now - timedelta(days=30))
            assert set(stored.flags(session)) == {key}
            assert stored.clear_flag(session, key)
            assert not stored.clear_flag(session, key)
            assert stored.flags(session) == {}
        store.close()
