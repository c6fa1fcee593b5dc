"""Per-source quality telemetry through real passes: a site whose page template changes mid-run is flagged."""

from __future__ import annotations

import html
import json
import random
import time
from collections.abc import Iterator

import pytest
from structlog.testing import capture_logs

from config.settings import Settings, load_settings
from ingest.cli.app import main
from ingest.ops import metrics, quality, telemetry
from store import repo
from store.db import Store
from tests.world import HostedWorld, page, rss, run_pass

WORDS = ("council", "river", "budget", "minister", "harbour", "strike", "museum", "election", "court", "storm",
         "village", "bridge", "hospital", "school", "market", "energy", "report", "season", "festival", "police")
SITE = "127.14.1.1"


@pytest.fixture(autouse=True)
def _reset_telemetry() -> Iterator[None]:
    """Pending counts and judgements are per process: each test starts without any."""
    telemetry.reset()
    yield
    telemetry.reset()


@pytest.fixture
def settings(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Loopback outlets allowed, one extraction worker, one-second buckets, sources judged on few pages."""
    for key, value in {
        "WIREFEED_FETCH__ALLOWED_NETWORKS": '["127.14.0.0/16"]', "WIREFEED_FETCH__PER_HOST_DELAY": "0",
        "WIREFEED_EXTRACT__WORKERS": "1", "WIREFEED_METRICS__BUCKET_SECONDS": "1",
        "WIREFEED_METRICS__RECENT_PAGES": "8", "WIREFEED_METRICS__BASELINE_PAGES": "16",
    }.items():
        monkeypatch.setenv(key, value)
    return load_settings(database_url=sqlite_url)


def healthy_page(n: int) -> str:
    """An article of five paragraphs of its own words."""
    rng = random.Random(n)
    paragraphs = [" ".join(rng.choice(WORDS) for _ in range(40)).capitalize() + f" ({n}.{i})." for i in range(5)]
    return page(f"Story number {n} about the {rng.choice(WORDS)}", paragraphs)


def redesigned_page(n: int) -> str:
    """The new template: the text is rendered by a script; the HTML holds the headline and one line."""
    blob = json.dumps({"body": healthy_page(n)})
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Story number {n}</title></head>'
        f'<body><div id="app"><h1>Story number {n}</h1><p>Loading {html.escape(WORDS[n % 20])}...</p></div>'
        f'<script type="application/json">{html.escape(blob)}</script></body></html>'
    )


class TemplateSite:
    """One outlet whose feed grows by a few items per pass (or run), in the old template or the new one."""

    def __init__(self, world: HostedWorld) -> None:
        self.outlet = world["news"]
        self.items: list[dict[str, str]] = []

    def publish(self, count: int, *, redesigned: bool) -> None:
        for _ in range(count):
            n = len(self.items)
            self.outlet.static(f"/story/{n}", redesigned_page(n) if redesigned else healthy_page(n))
            self.items.append({"title": f"Story {n}", "link": self.outlet.url(f"/story/{n}"), "guid": f"story-{n}",
                               "published": f"2026-12-01T{n % 24:02d}:00:00+00:00"})
        self.outlet.static("/feed.xml", rss("News", self.items), "application/rss+xml")


def _passes(settings: Settings, *, redesign: bool) -> list[dict[str, object]]:
    """Two passes: 20 pages in the old template, then 10 in the old or the new one; the degraded events logged."""
    store = Store(settings.database.url)
    with HostedWorld(news=SITE) as world:
        site = TemplateSite(world)
        site.publish(20, redesigned=False)
        with store.session() as session:
            repo.add_feed(session, site.outlet.url("/feed.xml"))
        with capture_logs() as logs:
            run_pass(store, settings)
            time.sleep(1.1)  # the next pages fall in later one-second buckets
            site.publish(10, redesigned=redesign)
            run_pass(store, settings)
    store.close()
    return [entry for entry in logs if entry["event"] in {"source_degraded", "telemetry_failed"}]


def _sources(settings: Settings, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main(["--db", settings.database.url.get_secret_value(), "sources", "--json"]) == 0
    report: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return report


class TestTemplateChange:
    """The flag fires when a site changes its page template mid-run, and only then."""

    def test_redesign_is_flagged_once(self, settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
        """Bodies turned to one line: source_degraded is logged once for the feed and once for the site."""
        events = _passes(settings, redesign=True)
        assert sorted(e["scope"] for e in events) == ["feed", "site"], events
        for event in events:
            assert event["event"] == "source_degraded"
            assert "body_length_halved" in event["reasons"]
            assert "short_jump" in event["reasons"]
        assert metrics.REGISTRY.get_sample_value("wirefeed_sources_degraded", {"scope": "site"}) == 1
        report = {entry["scope"]: entry for entry in _sources(settings, capsys)}
        assert report["site"]["source"] == f"{SITE}:{report['site']['source'].split(':')[-1]}"
        for entry in report.values():
            assert entry["degraded"] is True
            assert "body_length_halved" in entry["degraded_reasons"]
            assert entry["pages"] == 30
            assert entry["stored"] + entry["not_article_by_reason"].get("too_little_text", 0) \
                + entry["not_article_by_reason"].get("no_text", 0) == 30

    def test_healthy_run_is_not_flagged(self, settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
        """The same passes with the old template throughout: no source_degraded, no flag in `wirefeed sources`."""
        assert _passes(settings, redesign=False) == []
        report = _sources(settings, capsys)
        assert {entry["scope"] for entry in report} == {"feed", "site"}
        for entry in report:
            assert entry["degraded"] is False
            assert entry["stored"] == 30
            assert entry["median_chars"] > 1000
            assert entry["not_article_share"] == 0.0

    def test_site_filter_and_table(self, settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
        """--site keeps that site and its feeds; the table names the flag and its reasons."""
        _passes(settings, redesign=True)
        capsys.readouterr()
        db = settings.database.url.get_secret_value()
        assert main(["--db", db, "sources", "--site", "elsewhere.example"]) == 0
        assert "no pages or polls" in capsys.readouterr().out
        assert main(["--db", db, "sources", "--site", SITE, "--since", "1h"]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[0].split()[:3] == ["SCOPE", "SOURCE", "PAGES"]
        assert len(lines) == 3
        assert all("DEGRADED: body_length_halved" in line for line in lines[1:])


class TestJudge:
    """The judgement compares a source with its own history."""

    @staticmethod
    def _rows(*buckets: dict[str, int]) -> list[dict[str, object]]:
        return [{"bucket": n, **counts} for n, counts in enumerate(buckets)]

    def test_median_read_from_buckets(self) -> None:
        """The median length falls inside the bucket holding the middle page."""
        counts = quality.total(self._rows({"pages": 10, "len_4": 10}))
        median = quality.median_chars(counts)
        assert median is not None
        assert 1000 <= median < 2000
        assert quality.median_chars(quality.total(self._rows({"pages": 3, "len_0": 3}))) == 0

    def test_not_article_jump(self) -> None:
        """A source whose pages turn into listing pages is flagged; a steady share is not."""
        history = {"pages": 40, "stored": 38, "not_article": 2, "na_listing_page": 2, "len_4": 40}
        listing = {"pages": 20, "stored": 4, "not_article": 16, "na_listing_page": 16, "len_4": 20}
        steady = {"pages": 20, "stored": 19, "not_article": 1, "na_listing_page": 1, "len_4": 20}
        settings = load_settings().metrics.model_copy(update={"recent_pages": 20, "baseline_pages": 40})
        assert telemetry.judgement(self._rows(history, listing), settings).reasons == ("not_article_jump",)
        assert telemetry.judgement(self._rows(history, steady), settings).reasons == ()

    def test_too_few_pages_are_not_judged(self) -> None:
        """Without enough history a source is not judged at all."""
        settings = load_settings().metrics
        judged = telemetry.judgement(self._rows({"pages": 5, "len_4": 5}, {"pages": 30, "len_0": 30}), settings)
        assert judged.reasons == ()
        assert judged.recent is None


class TestStoredCounts:
    """Telemetry rows are only added to, on SQLite and PostgreSQL."""

    @pytest.mark.parametrize("database", ["sqlite_url", pytest.param("pg_url", marks=pytest.mark.postgres)])
    def test_flushes_add_up(self, database: str, request: pytest.FixtureRequest) -> None:
        """Two flushes of the same source and bucket add their counts; other columns stay 0."""
        from datetime import UTC, datetime, timedelta

        from store import telemetry as stored

        store = Store(request.getfixturevalue(database))
        bucket = datetime(2026, 12, 3, 7, tzinfo=UTC)
        row = {"scope": "site", "source": "example.org", "bucket": bucket, "pages": 3, "stored": 2, "len_4": 2}
        for _ in range(2):
            with store.session() as session:
                stored.add_counts(session, [row, {**row, "scope": "feed", "source": "1"}])
        with store.session() as session:
            rows = stored.source_rows(session, bucket - timedelta(hours=1), scope="site")
        store.close()
        assert len(rows) == 1
        assert (rows[0]["pages"], rows[0]["stored"], rows[0]["len_4"], rows[0]["failed"]) == (6, 4, 4, 0)
