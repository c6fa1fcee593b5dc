"""Per-source quality telemetry: page counts per feed and per site, kept per time bucket, judged for breakage.

The pipeline hands each store group's results and outcomes to `page_outcomes` (one call per group, on the
database thread). Counts are added up in memory and written with one upsert at most every FLUSH_SECONDS
(and at the end of a pass or command, `flush`): no query per page. `evaluate` compares the sources touched
since its last call with their own history and logs `source_degraded` once when one breaks (`judge`); the
flag is stored (`source_flags`), so once means once across restarts and processes.
"""

from __future__ import annotations

import bisect
import time
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from config.settings import MetricsSettings
from ingest.jobs import PageOutcome, PageStatus
from ingest.ops import metrics, quality
from ingest.ops.quality import LENGTH_EDGES
from ingest.urls import site_of
from store import telemetry as rows_of
from store.db import Store
from store.models import REMOVAL_REASONS, SOURCE_COUNTERS, utcnow
from store.telemetry import SourceKey

log = structlog.get_logger("wirefeed.telemetry")

FLUSH_SECONDS = 2.0
PRUNE_EVERY = 6 * 3600.0
# The cleaning's removal reasons (ingest/extract/clean.py, page.apply_site_boilerplate) in the four
# `removed_*` groups kept since migration 0008; anything else is boilerplate. Each reason is also counted
# on its own (`rm_<reason>`, `rm_unknown` for one not in REMOVAL_REASONS).
REMOVED = {"repeated_teaser": "teaser", "title_repeated": "teaser", "photo_caption": "caption",
           "byline": "other", "date_line": "other", "author_bio": "other"}
_REMOVED_COLUMNS = {why: (f"removed_{REMOVED.get(why, 'boilerplate')}", f"rm_{why}")
                    for why in REMOVAL_REASONS if why != "unknown"}
FETCH_KINDS = frozenset({"timeout", "dns", "refused", "tls", "network", "http_4xx", "http_5xx", "too_large",
                         "redirects", "blocked", "invalid_url"})

_COLUMNS = frozenset(SOURCE_COUNTERS)
Counts = dict[str, int]


@dataclass(slots=True)
class _Pending:
    """One database's counts not yet written, the sources written since the last judging, and those found broken."""

    counts: dict[tuple[str, str, datetime], Counts] = field(default_factory=dict)
    touched: set[SourceKey] = field(default_factory=set)
    last_flush: float = field(default_factory=time.monotonic)
    last_prune: float = 0.0


_pending: weakref.WeakKeyDictionary[Engine, _Pending] = weakref.WeakKeyDictionary()
_settings = {"current": MetricsSettings()}


def configure(settings: MetricsSettings) -> None:
    """Take the `[metrics]` settings (bucket size, judging); metrics count or not with them."""
    _settings["current"] = settings
    metrics.configure(enabled=settings.enabled)


def reset() -> None:
    """Forget every pending count and judgement (tests)."""
    _pending.clear()
    configure(MetricsSettings())


def _for(store: Store) -> _Pending:
    found = _pending.get(store.engine)
    if found is None:
        found = _pending[store.engine] = _Pending()
    return found


def bucket_of(moment: datetime, seconds: int) -> datetime:
    """The start of the time bucket holding `moment`."""
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


# Counting --------------------------------------------------------------------------------------------


def page_outcomes(store: Store, results: Sequence[object], outcomes: Sequence[PageOutcome]) -> None:
    """Count one store group's pages (metrics and telemetry); write the counts when FLUSH_SECONDS have passed.

    `results` are what fetching and extracting gave, one per outcome: a PageOutcome, or (response, ready
    page) for an extracted page. Never raises: a bug here must not cost the pages.
    """
    if not metrics.enabled():
        return
    try:
        pending = _for(store)
        bucket = bucket_of(utcnow(), _settings["current"].bucket_seconds)
        for result, outcome in zip(results, outcomes, strict=False):
            count_page_metrics(outcome)
            extracted = outcome.extracted
            if extracted is None and isinstance(result, tuple):  # not decided at store time (a failed group)
                extracted = getattr(result[1], "extracted", None)
            for key, counts in source_counts(outcome, extracted):
                _add(pending, (key.scope, key.source, bucket), counts)
        if pending.counts and time.monotonic() - pending.last_flush >= FLUSH_SECONDS:
            flush(store)
    except Exception as exc:  # counting is not worth a page
        log.error("telemetry_failed", error=f"{type(exc).__name__}: {exc}", exc_info=exc)


def _add(pending: _Pending, key: tuple[str, str, datetime], counts: Counts) -> None:
    into = pending.counts.setdefault(key, {})
    for name, value in counts.items():
        into[name] = into.get(name, 0) + value


def count_page_metrics(outcome: PageOutcome) -> None:
    """The Prometheus counters of one page outcome (fetch, outcome, reason or kind, relation)."""
    status, job = outcome.status, outcome.job
    metrics.child(metrics.PAGES, str(status)).inc()
    if status == PageStatus.NOT_ARTICLE:
        metrics.child(metrics.NOT_ARTICLE, metrics.bounded(outcome.error, metrics.NOT_ARTICLE_REASONS)).inc()
    elif status == PageStatus.FAILED:
        kind = outcome.failure_kind
        metrics.child(metrics.FAILED, metrics.bounded(kind, metrics.FAILURE_KINDS)).inc()
        error = outcome.error or ""
        if kind == "extract_timeout" or (kind == "extract_error" and ("died" in error or "memory" in error)):
            metrics.POOL_RESTARTS.inc()
    elif status == PageStatus.STORED and outcome.relation is not None:
        metrics.child(metrics.RELATION, metrics.bounded(outcome.relation, metrics.RELATIONS)).inc()
        if outcome.relation == "original":
            metrics.STORIES.inc()
    response = job.response
    if response is not None and response.elapsed > 0:  # fetched now (a WARC record or a stored page was not)
        metrics.count_fetch("page", response.status, "ok", response.elapsed)
    elif status == PageStatus.FAILED and not outcome.shared and outcome.failure_kind in FETCH_KINDS:
        kind = outcome.failure_kind
        metrics.count_fetch("page", {"http_4xx": 400, "http_5xx": 500}.get(kind), kind, None)


def source_counts(outcome: PageOutcome, extracted: Any) -> list[tuple[SourceKey, Counts]]:
    """What one page adds to its feed's and its site's telemetry (nothing for a page not attempted)."""
    status, job = outcome.status, outcome.job
    if status == PageStatus.DEFERRED or outcome.shared:
        return []  # not an attempt, or counted once by the job whose fetch it shared
    counts: Counts = {"pages": 1}
    if status == PageStatus.FAILED:
        counts["failed"] = 1
        column = f"f_{outcome.failure_kind}"
        counts[column if column in _COLUMNS else "f_other"] = 1
    elif status == PageStatus.NOT_ARTICLE:
        counts["not_article"] = 1
        column = f"na_{outcome.error}"
        counts[column if column in _COLUMNS else "na_other"] = 1
    elif status in (PageStatus.STORED, PageStatus.DUPLICATE_URL, PageStatus.DUPLICATE_TEXT):
        counts[str(status)] = 1
        if status != PageStatus.STORED and job.feed_id is not None and job.guid is not None:
            counts["guid_churn"] = 1  # a GUID the feed never gave, for a page (or text) already stored
        if outcome.relation in ("exact", "near_duplicate"):
            counts[outcome.relation] = 1
    if extracted is not None:
        text = extracted.text or ""
        counts[f"len_{bisect.bisect_right(LENGTH_EDGES, len(text))}"] = 1
        if extracted.published is None and job.published is None:
            counts["undated"] = 1
        for removed in extracted.removed:
            group, reason = _REMOVED_COLUMNS.get(removed.why) or ("removed_boilerplate", "rm_unknown")
            counts[group] = counts.get(group, 0) + 1
            counts[reason] = counts.get(reason, 0) + 1
    response = job.response
    if response is not None and response.elapsed > 0:
        counts["fetches"] = 1
        counts["fetch_ms"] = int(response.elapsed * 1000)
    site = site_of(response.url if response is not None else job.url)
    keys = [SourceKey("site", site)] if site else []
    if job.feed_id is not None:
        keys.append(SourceKey("feed", str(job.feed_id)))
    return [(key, counts) for key in keys]


def flush(store: Store) -> None:
    """Write the pending counts of this database (one statement); kept for the next flush if that fails."""
    pending = _pending.get(store.engine)
    if pending is None or not pending.counts:
        return
    counts, pending.counts = pending.counts, {}
    rows = [{"scope": scope, "source": source[:300], "bucket": bucket, **values}
            for (scope, source, bucket), values in counts.items()]
    try:
        with store.session() as session:
            rows_of.add_counts(session, rows)
    except Exception:
        metrics.DB_ERRORS.labels("telemetry").inc()
        for key, values in counts.items():
            _add(pending, key, values)
        raise
    pending.last_flush = time.monotonic()
    pending.touched.update(SourceKey(scope, source) for scope, source, _ in counts)


# Judging ---------------------------------------------------------------------------------------------


def evaluate(store: Store) -> dict[SourceKey, tuple[str, ...]]:
    """Write pending counts, then judge the sources written since the last call; log each change once.

    `source_degraded` is logged when a source is found broken and was not flagged, `source_recovered` when a
    flagged one no longer is. The flags are stored (`source_flags`): the process whose statement changes a
    flag logs it, so a restarted daemon, or a second worker, does not log a known break again. The
    `wirefeed_sources_degraded` gauge counts the stored flags. Returns every source flagged now.
    """
    if not metrics.enabled():
        return {}
    flush(store)
    pending = _for(store)
    settings = _settings["current"]
    now = utcnow()
    since = now - timedelta(days=settings.history_days)
    keys, pending.touched = sorted(pending.touched, key=lambda k: (k.scope, k.source)), set()
    with store.session() as session:
        if time.monotonic() - pending.last_prune >= PRUNE_EVERY:
            rows_of.prune(session, since - timedelta(days=1))
            pending.last_prune = time.monotonic()
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), 200):
            found.extend(rows_of.source_rows(session, since, keys=keys[start:start + 200]))
        flagged = rows_of.flags(session) if keys else None
    if flagged is not None:
        changes = []
        for key, rows in by_source(found).items():
            judged = judgement(rows, settings)
            # Raised when broken and not flagged; cleared when flagged and judged healthy (not: too few pages).
            if (judged.reasons and key not in flagged) or (
                    not judged.reasons and key in flagged and judged.recent is not None):
                changes.append((key, judged))
        if changes:
            with store.session() as session:
                changed = [(key, judged) for key, judged in changes if _change_flag(session, key, judged, now)]
                flagged = rows_of.flags(session)
            for key, judged in changed:  # logged once the transaction holding the change committed
                _log_change(key, judged)
    else:
        with store.session() as session:
            flagged = rows_of.flags(session)
    for scope in ("feed", "site"):
        metrics.child(metrics.DEGRADED, scope).set(sum(1 for key in flagged if key.scope == scope))
    return {key: reasons for key, (reasons, _) in flagged.items()}


def _change_flag(session: Session, key: SourceKey, found: Judgement, now: datetime) -> bool:
    """Raise or clear a source's stored flag; whether this call changed it (another process may have)."""
    if found.reasons:
        return rows_of.raise_flag(session, key, found.reasons, now)
    return rows_of.clear_flag(session, key)


def _log_change(key: SourceKey, found: Judgement) -> None:
    if not found.reasons:
        log.info("source_recovered", scope=key.scope, source=key.source,
                 recent=found.recent.as_dict() if found.recent else None)
        return
    recent, baseline = found.recent, found.baseline
    log.warning("source_degraded", scope=key.scope, source=key.source, reasons=list(found.reasons),
                recent=recent.as_dict() if recent else None, baseline=baseline.as_dict() if baseline else None)
    for reason in found.reasons:
        metrics.child(metrics.DEGRADED_EVENTS, key.scope, reason).inc()


def by_source(rows: Iterable[Mapping[str, Any]]) -> dict[SourceKey, list[Mapping[str, Any]]]:
    """Telemetry rows grouped by source."""
    grouped: dict[SourceKey, list[Mapping[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(SourceKey(row["scope"], row["source"]), []).append(row)
    return grouped


@dataclass(frozen=True, slots=True)
class Judgement:
    """A source's recent figures against its baseline, and why it looks broken (empty: it does not)."""

    reasons: tuple[str, ...]
    recent: quality.Figures | None
    baseline: quality.Figures | None


def judgement(rows: Sequence[Mapping[str, Any]], settings: MetricsSettings) -> Judgement:
    """Judge one source on its rows (see ingest/ops/quality.py)."""
    parts = quality.split(rows, settings.recent_pages, settings.baseline_pages)
    if parts is None:
        return Judgement((), None, None)
    recent, baseline = quality.figures(parts[0]), quality.figures(parts[1])
    return Judgement(quality.judge(recent, baseline), recent, baseline)
