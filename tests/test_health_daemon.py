"""A real `wirefeed run` with `[metrics] listen`: /metrics read by prometheus_client's parser, /healthz, /readyz."""

from __future__ import annotations

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
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from store import repo
from store.db import Store
from tests.world import HostedWorld, page, rss

ROOT = Path(__file__).parents[1]
SITE, METRICS = "127.14.2.1", "127.14.2.2"


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _families(body: bytes) -> dict[str, Any]:
    return {family.name: family for family in text_string_to_metric_families(body.decode())}


def _value(families: dict[str, Any], name: str, sample: str, **labels: str) -> float:
    family = families.get(name)
    if family is None:
        return 0.0
    return sum(s.value for s in family.samples if s.name == sample and all(s.labels.get(k) == v
                                                                          for k, v in labels.items()))


@pytest.fixture
def world() -> Iterator[HostedWorld]:
    """A site with a feed of five articles, on a loopback address of its own."""
    with HostedWorld(news=SITE) as w:
        site = w["news"]
        items = []
        for n in range(5):
            words = " ".join(f"word{n}x{i}" for i in range(120))
            site.static(f"/a/{n}", page(f"Article {n}", [f"First paragraph {n}: {words}.", f"Second {n}: {words}."]))
            items.append({"title": f"A{n}", "link": site.url(f"/a/{n}"), "guid": f"a{n}",
                          "published": "2026-12-01T10:00:00+00:00"})
        site.static("/feed.xml", rss("News", items), "application/rss+xml")
        yield w


class TestDaemonEndpoints:
    """`curl` against a running daemon shows the metrics and both health endpoints."""

    def test_scrape_health_and_ready(self, sqlite_url: str, world: HostedWorld) -> None:
        """Metrics parse and count the pass's fetches and pages; /healthz and /readyz answer 200 with JSON."""
        store = Store(sqlite_url)
        with store.session() as session:
            repo.add_feed(session, world["news"].url("/feed.xml"))
        store.close()
        port = _free_port(METRICS)
        env = {**os.environ, "WIREFEED_FETCH__ALLOWED_NETWORKS": '["127.14.0.0/16"]',
               "WIREFEED_FETCH__PER_HOST_DELAY": "0", "WIREFEED_EXTRACT__WORKERS": "1",
               "WIREFEED_SCHEDULE__TICK": "1", "WIREFEED_LOG__FORMAT": "json",
               "WIREFEED_METRICS__LISTEN": f"{METRICS}:{port}"}
        proc = subprocess.Popen([sys.executable, "-m", "ingest.cli", "--db", sqlite_url, "run"], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        chunks: list[bytes] = []  # drained as a service manager does
        reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: proc.stdout.read1(65536), b"")))
        reader.start()
        base = f"http://{METRICS}:{port}"
        try:
            families = self._scrape_until_stored(base, proc)
            self._check_metrics(families)
            status, body = _get(f"{base}/healthz")
            assert status == 200
            assert json.loads(body)["status"] == "ok"
            status, body = _get(f"{base}/readyz")
            ready = json.loads(body)
            assert status == 200, ready
            assert ready["database"] == "ok"
            assert ready["schema"] == ready["schema_expected"]
            assert _get(f"{base}/nothing")[0] == 404
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            reader.join(timeout=60)
            proc.stdout.close()
        assert proc.returncode == 0, b"".join(chunks).decode(errors="replace")[-3000:]
        events = [json.loads(line)["event"] for line in b"".join(chunks).decode().splitlines() if line.startswith("{")]
        assert "metrics_listening" in events

    @staticmethod
    def _scrape_until_stored(base: str, proc: subprocess.Popen[bytes]) -> dict[str, Any]:
        """Scrape until the five pages are stored and the health job has set the feed gauges."""
        deadline = time.monotonic() + 90
        families: dict[str, Any] = {}
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, body = _get(f"{base}/metrics")
            except OSError:  # not listening yet
                status, body = 0, b""
            if status == 200:
                families = _families(body)
                stored = _value(families, "wirefeed_pages", "wirefeed_pages_total", outcome="stored")
                if stored >= 5 and "state" in str(families.get("wirefeed_feeds", "")):
                    return families
            time.sleep(0.5)
        pytest.fail(f"never saw 5 stored pages and the feed gauges: {sorted(families)}")

    @staticmethod
    def _check_metrics(families: dict[str, Any]) -> None:
        for name in ("wirefeed_build_info", "wirefeed_fetches", "wirefeed_fetch_duration_seconds", "wirefeed_pages",
                     "wirefeed_extraction_duration_seconds", "wirefeed_clustering_duration_seconds",
                     "wirefeed_story_relations", "wirefeed_stories_created", "wirefeed_lease_claims",
                     "wirefeed_passes", "wirefeed_pass_duration_seconds", "wirefeed_feeds",
                     "wirefeed_scheduler_last_tick_timestamp_seconds", "process_cpu_seconds"):
            assert name in families, name
        assert _value(families, "wirefeed_fetches", "wirefeed_fetches_total", target="feed", kind="ok") >= 1
        assert _value(families, "wirefeed_fetches", "wirefeed_fetches_total", target="page", status_class="2xx") == 5
        assert _value(families, "wirefeed_fetch_duration_seconds", "wirefeed_fetch_duration_seconds_count",
                      target="page") == 5
        assert _value(families, "wirefeed_stories_created", "wirefeed_stories_created_total") == 5
        assert _value(families, "wirefeed_lease_claims", "wirefeed_lease_claims_total", kind="feed") >= 1
        assert _value(families, "wirefeed_feeds", "wirefeed_feeds", state="disabled") == 0
        assert _value(families, "wirefeed_passes", "wirefeed_passes_total", result="ok") >= 1
        build = families["wirefeed_build_info"].samples[0].labels
        assert set(build) == {"version", "extractor_version"}
        for family in families.values():  # bounded labels: no URL, no host
            for sample in family.samples:
                for value in sample.labels.values():
                    assert "://" not in value
                    assert "127.14." not in value
