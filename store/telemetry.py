"""Statements for operating wirefeed: source telemetry rows, degraded-source flags, the readiness check, gauges.

Telemetry rows (`source_stats`) are only ever added to (`INSERT ... ON CONFLICT DO UPDATE SET n = n + new`),
so two workers flushing the same source and bucket never lose a count, and a flush needs no read. A flag
(`source_flags`) is raised by the insert that creates it and cleared by the delete that removes it, so of
several processes (or a restarted one) exactly one sees each change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, delete, func, or_, select
from sqlalchemy.orm import Session

from store.models import SOURCE_COUNTERS, Feed, FetchLog, source_flags, source_stats
from store.peek import head_revision
from store.repo import _dialect

KEY = ("scope", "source", "bucket")


@dataclass(frozen=True, slots=True)
class SourceKey:
    """One source: a feed (its id as text) or a site (its host)."""

    scope: str
    source: str


# The upsert of each dialect, built once: building its ~80 `n = n + excluded.n` expressions and their
# cache key on every flush cost more than the flush's execution (0.15 ms a page on real pages).
_UPSERTS: dict[str, Any] = {}


def _upsert(session: Session) -> Any:
    name = session.get_bind().dialect.name
    stmt = _UPSERTS.get(name)
    if stmt is None:
        insert = _dialect(session).insert(source_stats)
        stmt = _UPSERTS[name] = insert.on_conflict_do_update(
            index_elements=list(KEY),
            set_={counter: source_stats.c[counter] + insert.excluded[counter] for counter in SOURCE_COUNTERS},
        )
    return stmt


def add_counts(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Add counts to their (scope, source, bucket) rows, creating the missing ones; one statement."""
    if not rows:
        return
    full = [{**dict.fromkeys(SOURCE_COUNTERS, 0), **row} for row in rows]
    session.connection().execute(_upsert(session), full)


def source_rows(
    session: Session, since: datetime, *, scope: str | None = None, keys: Sequence[SourceKey] | None = None,
) -> list[dict[str, Any]]:
    """Telemetry rows from `since` on (of one scope, or of the sources listed), oldest bucket first."""
    query = select(source_stats).where(source_stats.c.bucket >= since)
    if scope is not None:
        query = query.where(source_stats.c.scope == scope)
    if keys is not None:
        if not keys:
            return []
        query = query.where(or_(*(and_(source_stats.c.scope == k.scope, source_stats.c.source == k.source)
                                  for k in keys)))
    query = query.order_by(source_stats.c.scope, source_stats.c.source, source_stats.c.bucket)
    # A bucket that reads as None is a value no wirefeed wrote (SQLite keeps anything): no bucket to count it in.
    return [dict(row._mapping) for row in session.execute(query) if row.bucket is not None]


def prune(session: Session, before: datetime) -> int:
    """Drop telemetry buckets older than `before`, and the flags of sources left without any; rows gone."""
    result = session.execute(delete(source_stats).where(source_stats.c.bucket < before))
    has_rows = select(source_stats.c.scope).where(source_stats.c.scope == source_flags.c.scope,
                                                 source_stats.c.source == source_flags.c.source).exists()
    session.execute(delete(source_flags).where(~has_rows))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def flags(session: Session) -> dict[SourceKey, tuple[tuple[str, ...], datetime]]:
    """Every source flagged degraded now: its reasons (as first found) and since when."""
    return {SourceKey(scope, source): (tuple(reasons.split(",")), since)
            for scope, source, reasons, since in session.execute(select(source_flags))}


def raise_flag(session: Session, key: SourceKey, reasons: Sequence[str], since: datetime) -> bool:
    """Flag a source degraded; True when this call raised it (False: it was flagged already)."""
    stmt = _dialect(session).insert(source_flags).values(
        scope=key.scope, source=key.source, reasons=",".join(reasons)[:300], since=since,
    ).on_conflict_do_nothing(index_elements=["scope", "source"]).returning(source_flags.c.scope)
    return session.connection().execute(stmt).first() is not None


def clear_flag(session: Session, key: SourceKey) -> bool:
    """Clear a source's flag; True when this call cleared it."""
    stmt = delete(source_flags).where(source_flags.c.scope == key.scope, source_flags.c.source == key.source)
    return session.connection().execute(stmt.returning(source_flags.c.scope)).first() is not None


def feed_figures(session: Session, since: datetime) -> dict[int, dict[str, Any]]:
    """Per feed: URL, consecutive failures, and its polls since `since` (count, mean fetch time, failures)."""
    figures: dict[int, dict[str, Any]] = {}
    for feed_id, url, errors, disabled in session.execute(
            select(Feed.id, Feed.url, Feed.error_count, Feed.disabled)):
        figures[feed_id] = {"url": url, "consecutive_failures": errors, "disabled": disabled,
                            "polls": 0, "poll_ms": 0, "polls_failed": 0}
    ok = FetchLog.outcome.in_(("ok", "not_modified", "unchanged"))
    query = (select(FetchLog.feed_id, func.count(), func.sum(FetchLog.duration_ms),
                    func.sum(case((ok, 0), else_=1)))
             .where(FetchLog.started_at >= since).group_by(FetchLog.feed_id))
    for feed_id, polls, total_ms, failed in session.execute(query):
        if feed_id in figures:
            figures[feed_id].update(polls=int(polls), poll_ms=int(total_ms or 0), polls_failed=int(failed or 0))
    return figures


def failing_by_kind(session: Session) -> dict[str, int]:
    """Enabled feeds whose last poll failed, by failure kind."""
    query = (select(Feed.last_error_kind, func.count())
             .where(Feed.disabled.is_(False), Feed.error_count > 0)
             .group_by(Feed.last_error_kind))
    return {kind or "unknown": int(count) for kind, count in session.execute(query)}


def expired_leases(session: Session, now: datetime) -> int:
    """Feed leases past their end and not given back: a worker died or stalled holding them."""
    query = select(func.count()).select_from(Feed).where(Feed.lease_owner.is_not(None), Feed.lease_until < now)
    return int(session.scalar(query) or 0)


def schema_state(session: Session) -> tuple[str | None, str | None]:
    """The database's schema revision and the newest one this code knows (None when unknown)."""
    current = session.connection().exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    return (str(current) if current is not None else None), head_revision()
