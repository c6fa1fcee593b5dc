"""Metrics of one-shot commands: `ingest --metrics-file` writes a textfile node_exporter can read."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from config.settings import load_settings
from ingest.ops import metrics, telemetry
from store import repo
from store.db import Store
from tests.world import HostedWorld, page, rss

ROOT = Path(__file__).parents[1]


@pytest.fixture(autouse=True)
def _reset_telemetry() -> Iterator[None]:
    telemetry.reset()
    yield
    telemetry.reset()


def _cli(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WIREFEED_FETCH__ALLOWED_NETWORKS": '["127.14.0.0/16"]',
           "WIREFEED_FETCH__PER_HOST_DELAY": "0", "WIREFEED_EXTRACT__WORKERS": "1", "WIREFEED_LOG__FORMAT": "json"}
    return subprocess.run([sys.executable, "-m", "ingest.cli", "--db", db, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


class TestTextfile:
    """`--metrics-file` for cron jobs."""

    def test_ingest_writes_a_valid_textfile(self, sqlite_url: str, tmp_path: Path) -> None:
        """The textfile parses, counts the run's pages and fetches, and carries no process_* series."""
        with HostedWorld(news="127.14.4.1") as world:
            site = world["news"]
            site.static("/a", page("An article", ["A paragraph of the article " * 30, "Another one " * 40]))
            site.static("/b", b"boom")  # served as HTML without an article
            site.static("/feed.xml", rss("News", [
                {"title": "A", "link": site.url("/a"), "guid": "a"},
                {"title": "Gone", "link": site.url("/missing"), "guid": "m"},
            ]), "application/rss+xml")
            store = Store(sqlite_url)
            with store.session() as session:
                repo.add_feed(session, site.url("/feed.xml"))
            store.close()
            (tmp_path / "textfiles").mkdir()
            out = tmp_path / "textfiles" / "wirefeed.prom"
            done = _cli(sqlite_url, "ingest", "--metrics-file", str(out))
        assert done.returncode == 0, done.stderr[-2000:]
        families = {f.name: f for f in text_string_to_metric_families(out.read_text())}
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
        assert samples[("wirefeed_pages_total", (("outcome", "stored"),))] == 1
        assert samples[("wirefeed_pages_failed_total", (("kind", "http_4xx"),))] == 1
        assert samples[("wirefeed_fetches_total", (("kind", "http_4xx"), ("status_class", "4xx"),
                                                   ("target", "page")))] == 1
        assert samples[("wirefeed_command_finished_timestamp_seconds", (("command", "ingest"),))] > 0
        assert "wirefeed_build_info" in families
        assert not [name for name in families if name.startswith("process_")]
        assert list(out.parent.iterdir()) == [out]  # written through a temporary file, renamed

    def test_unwritable_textfile_is_one_line(self, sqlite_url: str, tmp_path: Path) -> None:
        """A metrics file that cannot be written ends the command with exit 1 and one line naming it."""
        target = tmp_path / "no" / "such" / "dir" / "w.prom"
        done = _cli(sqlite_url, "ingest", "--metrics-file", str(target))
        assert done.returncode == 1
        assert f"cannot write {target}: No such file or directory" in done.stderr.strip().splitlines()[-1]


class TestLabels:
    """Label values come from closed sets."""

    def test_unknown_values_are_other(self) -> None:
        """A failure kind or reason nobody listed is counted as `other`, never as itself."""
        assert metrics.bounded("http://example.org/x", metrics.FAILURE_KINDS) == "other"
        assert metrics.bounded("timeout", metrics.FAILURE_KINDS) == "timeout"
        assert metrics.status_class(503) == "5xx"
        assert metrics.status_class(None) == "none"

    def test_disabled_counts_nothing(self, sqlite_url: str) -> None:
        """With `[metrics] enabled = false` no counter moves and no telemetry is kept."""
        telemetry.configure(load_settings().metrics.model_copy(update={"enabled": False}))
        before = metrics.REGISTRY.get_sample_value("wirefeed_fetches_total",
                                                   {"target": "feed", "status_class": "2xx", "kind": "ok"}) or 0
        metrics.count_fetch("feed", 200, "ok", 0.1)
        after = metrics.REGISTRY.get_sample_value("wirefeed_fetches_total",
                                                  {"target": "feed", "status_class": "2xx", "kind": "ok"}) or 0
        assert after == before
        assert telemetry.evaluate(Store(sqlite_url)) == {}
