"""Prometheus metrics: names `wirefeed_*`, `_total` counters, `_seconds` histograms, bounded label values.

Counters live in memory (one registry per process). The daemon serves them (`ingest/health.py`); one-shot
commands write them to a textfile for node_exporter's textfile collector (`write_textfile`). No label
carries a URL or a host: failure kinds, not-article reasons and relations are closed sets, anything else
is counted as `other`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import structlog
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client import write_to_textfile as _write_to_textfile

from config.errors import WirefeedError

if TYPE_CHECKING:
    from store.db import Store

T = TypeVar("T")
P = ParamSpec("P")

# No `_created` series beside each counter and histogram: nothing here reads them, and they double the output.
disable_created_metrics()  # type: ignore[no-untyped-call]
REGISTRY = CollectorRegistry()
# The process's own figures (CPU, memory, open files) are served by the daemon but kept out of textfiles:
# node_exporter exports its own process_* series, and a textfile must not collide with them.
PROCESS_REGISTRY = CollectorRegistry()
ProcessCollector(registry=PROCESS_REGISTRY)

# Failure kinds of pages and fetches (ingest/errors.py, plus the store's and the page claims'): a closed set.
FAILURE_KINDS = frozenset({
    "timeout", "dns", "refused", "tls", "network", "http_4xx", "http_5xx", "too_large", "redirects", "blocked",
    "robots", "invalid_url", "deferred", "claimed", "not_a_feed", "encoding", "parse_error", "extract_error",
    "extract_timeout", "store", "internal",
})
NOT_ARTICLE_REASONS = frozenset({"home_page", "listing_page", "video_page", "no_text", "too_little_text"})
RELATIONS = frozenset({"original", "exact", "near_duplicate", "updated", "rerun", "same_text"})

_FAST = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_SLOW = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)

BUILD = Info("wirefeed_build", "Version of wirefeed and of its extractor", registry=REGISTRY)
FEEDS = Gauge("wirefeed_feeds", "Feeds by state (due, in_flight, failing, disabled), as of the last look",
              ["state"], registry=REGISTRY)
FEEDS_FAILING = Gauge("wirefeed_feeds_failing_by_kind", "Enabled feeds whose last poll failed, by failure kind",
                      ["kind"], registry=REGISTRY)
LEASES_EXPIRED = Gauge("wirefeed_feed_leases_expired", "Feed leases past their end and not released",
                       registry=REGISTRY)
FETCHES = Counter("wirefeed_fetches", "HTTP fetches by target (feed, page), status class and failure kind",
                  ["target", "status_class", "kind"], registry=REGISTRY)
FETCH_SECONDS = Histogram("wirefeed_fetch_duration_seconds", "Time of a fetch (redirects and body included)",
                          ["target"], buckets=_FAST, registry=REGISTRY)
PAGES = Counter("wirefeed_pages", "Article pages by outcome (stored, duplicate_url, duplicate_text, not_article, "
                "failed, deferred, ...)", ["outcome"], registry=REGISTRY)
NOT_ARTICLE = Counter("wirefeed_pages_not_article", "Pages that are no article, by reason", ["reason"],
                      registry=REGISTRY)
FAILED = Counter("wirefeed_pages_failed", "Pages that failed, by failure kind", ["kind"], registry=REGISTRY)
EXTRACT_SECONDS = Histogram("wirefeed_extraction_duration_seconds", "Extraction of one page, as the pipeline waits "
                            "for it (queueing in the pool included)", buckets=_FAST, registry=REGISTRY)
POOL_RESTARTS = Counter("wirefeed_extraction_pool_restarts", "Extraction workers killed and replaced (a page over "
                        "its time limit, out of memory, or a crash)", registry=REGISTRY)
CLUSTER_SECONDS = Histogram("wirefeed_clustering_duration_seconds", "Story placement of one store group",
                            buckets=_FAST, registry=REGISTRY)
STORIES = Counter("wirefeed_stories_created", "Stories started", registry=REGISTRY)
RELATION = Counter("wirefeed_story_relations", "Articles placed in stories, by relation", ["relation"],
                   registry=REGISTRY)
LEASE_CLAIMS = Counter("wirefeed_lease_claims", "Leases taken (kind: feed)", ["kind"], registry=REGISTRY)
LEASE_TAKEOVERS = Counter("wirefeed_lease_takeovers",
                          "Claims taken over from a dead process (kind: page, feed, backfill_run)",
                          ["kind"], registry=REGISTRY)
LEASE_EXPIRIES = Counter("wirefeed_lease_expiries", "Leases of this process found expired when renewed",
                         ["kind"], registry=REGISTRY)
DB_ERRORS = Counter("wirefeed_database_errors", "Database errors, by operation (pass, health, ready, telemetry)",
                    ["operation"], registry=REGISTRY)
PASSES = Counter("wirefeed_passes", "Polling passes, by result (ok, failed)", ["result"], registry=REGISTRY)
PASS_SECONDS = Histogram("wirefeed_pass_duration_seconds", "Time of a polling pass", buckets=_SLOW,
                         registry=REGISTRY)
LAST_PASS = Gauge("wirefeed_last_pass_success_timestamp_seconds", "When the last polling pass ended well",
                  registry=REGISTRY)
LAST_TICK = Gauge("wirefeed_scheduler_last_tick_timestamp_seconds", "When the daemon's scheduler last ticked",
                  registry=REGISTRY)
FINISHED = Gauge("wirefeed_command_finished_timestamp_seconds", "When a one-shot command (ingest, backfill) ended",
                 ["command"], registry=REGISTRY)
DEGRADED = Gauge("wirefeed_sources_degraded", "Sources whose figures changed sharply against their own history",
                 ["scope"], registry=REGISTRY)
DEGRADED_EVENTS = Counter("wirefeed_source_degraded_events", "Sources found degraded, by scope and reason",
                          ["scope", "reason"], registry=REGISTRY)

_state = {"enabled": True}
# Labelled children by (metric, label values): `labels()` takes a lock and checks its arguments on every
# call; the hot paths (a call or two per page and per fetch) look them up here instead.
_children: dict[tuple[int, tuple[str, ...]], Any] = {}


def configure(*, enabled: bool) -> None:
    """Count or not (`[metrics] enabled`; off only to measure the cost of counting)."""
    _state["enabled"] = enabled


def enabled() -> bool:
    """Whether metrics and telemetry are counted."""
    return _state["enabled"]


def child(metric: Any, *values: str) -> Any:
    """`metric.labels(*values)`, looked up once per label set."""
    key = (id(metric), values)
    found = _children.get(key)
    if found is None:
        found = _children[key] = metric.labels(*values)
    return found


def bounded(value: str | None, allowed: frozenset[str]) -> str:
    """A label value from a closed set, or `other`."""
    return value if value in allowed else "other"


def status_class(status: int | None) -> str:
    """`2xx`... for an HTTP status; `none` when no answer came."""
    return f"{status // 100}xx" if status is not None and 100 <= status < 600 else "none"


def set_build_info() -> None:
    """wirefeed_build_info{version, extractor_version}."""
    from importlib.metadata import PackageNotFoundError, version

    from ingest.extract.page import EXTRACTOR_VERSION

    try:
        mine = version("wirefeed")
    except PackageNotFoundError:
        mine = "unknown"
    BUILD.info({"version": mine, "extractor_version": EXTRACTOR_VERSION})


def count_fetch(target: str, status: int | None, kind: str, seconds: float | None) -> None:
    """One fetch of a feed or a page: `kind` is `ok` or the failure kind."""
    if not _state["enabled"]:
        return
    child(FETCHES, target, status_class(status), kind if kind == "ok" else bounded(kind, FAILURE_KINDS)).inc()
    if seconds is not None:
        child(FETCH_SECONDS, target).observe(seconds)


async def timed_extraction(work: Awaitable[T]) -> T:
    """Await an extraction, observing its time (also when it fails)."""
    started = time.perf_counter()
    try:
        return await work
    finally:
        if _state["enabled"]:
            EXTRACT_SECONDS.observe(time.perf_counter() - started)


def clustering(place: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run the story placement of one store group, observing its time."""
    started = time.perf_counter()
    try:
        return place(*args, **kwargs)
    finally:
        if _state["enabled"]:
            CLUSTER_SECONDS.observe(time.perf_counter() - started)


def count_takeovers(kind: str, claims: int) -> None:
    """Claims of a dead process taken over (kind: page, feed, backfill_run)."""
    if _state["enabled"] and claims:
        child(LEASE_TAKEOVERS, kind).inc(claims)


def set_feed_states(counts: dict[str, int], failing: dict[str, int], expired: int) -> None:
    """The gauges of the daemon's health look (repo.health_counts, failing feeds by kind, expired leases)."""
    for key, value in counts.items():
        FEEDS.labels(key.removeprefix("feeds_")).set(value)
    FEEDS_FAILING.clear()
    for kind, value in failing.items():
        FEEDS_FAILING.labels(bounded(kind, FAILURE_KINDS | {"malformed"})).inc(value)
    LEASES_EXPIRED.set(expired)


def exposition(registries: Iterable[CollectorRegistry] = (REGISTRY, PROCESS_REGISTRY)) -> bytes:
    """The text exposition format of the registries."""
    from prometheus_client import generate_latest

    return b"".join(generate_latest(registry) for registry in registries)


def write_textfile(path: str | os.PathLike[str], command: str) -> None:
    """Write this process's metrics for node_exporter's textfile collector (atomically: temp file, rename)."""
    FINISHED.labels(command).set_to_current_time()
    _write_to_textfile(os.fspath(path), REGISTRY)


class MetricsFileError(WirefeedError):
    """The metrics textfile cannot be written."""

    kind = "file"


def finish_command(store: Store, command: str, metrics_file: str | None) -> None:
    """End of a one-shot command: write its pending telemetry, and its metrics textfile when one was asked for."""
    from ingest.ops import telemetry

    try:
        telemetry.flush(store)
    except Exception as exc:  # the command's own work is done; its last counts are what is lost
        DB_ERRORS.labels("telemetry").inc()
        structlog.get_logger("wirefeed.telemetry").warning("telemetry_failed", error=f"{type(exc).__name__}: {exc}")
    if metrics_file:
        set_build_info()
        try:
            write_textfile(metrics_file, command)
        except OSError as exc:
            raise MetricsFileError(f"cannot write {metrics_file}: {exc.strerror or exc}") from None
