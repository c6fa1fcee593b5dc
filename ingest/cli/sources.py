"""`wirefeed sources`: per-source quality telemetry (per feed and per site) over a window, and broken sources."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from ingest.cli.context import App, add_command, dump_json, local_time, parse_when, table

DEFAULT_SINCE = "7d"


def add_sources_parser(sub: Any) -> None:
    """The `sources` subcommand."""
    p = add_command(
        sub,
        "sources",
        cmd_sources,
        "Quality of each feed and site over a window: articles a day, pages that are no article or fail, "
        "short bodies, median length, duplicates, GUID churn, undated items, what cleaning removed, fetch "
        "time; a source whose figures changed sharply against its own history is flagged DEGRADED.",
        "wirefeed sources --since 7d --site example.org",
        read_only=True,
    )
    p.add_argument("--since", metavar="WHEN", default=DEFAULT_SINCE,
                   help="the window: a duration back from now (24h, 7d) or a date (default 7d)")
    p.add_argument("--site", metavar="HOST",
                   help="only this site and the feeds on it (host, www. ignored; any port unless given)")
    p.add_argument("--json", action="store_true",
                   help="a JSON list, one object a source: {scope, source, degraded, degraded_reasons, degraded_since, "
                        "pages, ..., removed_per_page, removed_by_reason, ...}")


def cmd_sources(app: App) -> int:
    """Print each source's figures over the window, flagged sources first."""
    import argparse

    from ingest.cli.context import UsageError

    try:
        since = parse_when(app.args.since)
    except argparse.ArgumentTypeError as exc:
        raise UsageError(f"--since: {exc}") from None
    report = sources_report(app, since)
    if app.args.json:
        print(dump_json(report))
    elif not report:
        print(f"no pages or polls since {local_time(since)}"
              + (f" for {app.args.site}" if app.args.site else ""))
    else:
        for line in table(HEADERS, (row_cells(entry) for entry in report)):
            print(line)
    return 0


def sources_report(app: App, since: datetime) -> list[dict[str, Any]]:
    """One entry a source with pages or polls in the window: its figures and its judgement."""
    from config.secrets import mask_url
    from ingest.ops import quality, telemetry
    from ingest.urls import on_site, site_of
    from store import telemetry as stored

    settings = app.settings.metrics
    now = datetime.now(UTC)
    history = min(since, now - timedelta(days=settings.history_days))
    with app.store.session() as session:
        rows = stored.source_rows(session, history)
        feeds = stored.feed_figures(session, since)
        flags = stored.flags(session)
    site = app.args.site.lower().removeprefix("www.") if app.args.site else None
    days = max((now - since).total_seconds() / 86400, 1 / 24)
    grouped = telemetry.by_source(rows)
    report = []
    for key in sorted(set(grouped) | {stored.SourceKey("feed", str(i)) for i, f in feeds.items() if f["polls"]},
                      key=lambda k: (k.scope != "feed", k.source)):
        feed = feeds.get(_feed_id(key.source) or 0) if key.scope == "feed" else None
        if key.scope == "feed" and feed is None:
            continue  # the feed was removed (or the row names no feed id: written by another program)
        if site is not None and not on_site(key.source if feed is None else site_of(feed["url"]), site):
            continue
        mine = grouped.get(key, [])
        window = quality.figures(quality.total([r for r in mine if r["bucket"] >= since]))
        judged = telemetry.judgement(mine, settings)
        entry = {"scope": key.scope, "source": mask_url(feed["url"]) if feed else key.source,
                 "degraded": bool(judged.reasons), "degraded_reasons": list(judged.reasons),
                 # when the running pipeline flagged it (logged source_degraded); None when it is not flagged
                 "degraded_since": _iso(flags[key][1]) if key in flags else None,
                 **window.as_dict(), "articles_per_day": round(window.stored / days, 2)}
        if feed is not None:
            entry.update(feed_id=int(key.source), polls=feed["polls"], polls_failed=feed["polls_failed"],
                         poll_ms=round(feed["poll_ms"] / feed["polls"], 1) if feed["polls"] else None,
                         consecutive_failures=feed["consecutive_failures"], disabled=feed["disabled"])
        if window.pages or (feed is not None and feed["polls"]):
            report.append(entry)
    return sorted(report, key=lambda e: not e["degraded"])


def _feed_id(source: str) -> int | None:
    """The feed id a feed-scope telemetry row names; None when it names none (no feed has id 0 either)."""
    try:
        return int(source)
    except ValueError:
        return None


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")


HEADERS = ("SCOPE", "SOURCE", "PAGES", "ART/DAY", "NOT-ART", "FAILED", "SHORT", "MEDIAN", "EXACT", "NEAR",
           "CHURN", "UNDATED", "REMOVED/PAGE", "FETCH MS", "FAILS", "FLAG")


def _pct(value: float, pages: int) -> str:
    return f"{value:.0%}" if pages else "-"


def row_cells(entry: Mapping[str, Any]) -> Sequence[object]:
    """A report entry as the table's cells."""
    pages = entry["pages"]
    removed = entry["removed_per_page"]
    fetch = entry["page_fetch_ms"] if entry["page_fetch_ms"] is not None else entry.get("poll_ms")
    flag = "DEGRADED: " + ", ".join(entry["degraded_reasons"]) if entry["degraded"] else "ok"
    return (
        entry["scope"], entry["source"], pages, entry["articles_per_day"], _pct(entry["not_article_share"], pages),
        _pct(entry["failed_share"], pages), _pct(entry["short_share"], pages), entry["median_chars"],
        _pct(entry["exact_share"], entry["stored"]), _pct(entry["near_duplicate_share"], entry["stored"]),
        _pct(entry["guid_churn_share"], pages), _pct(entry["undated_share"], pages),
        "/".join(f"{removed[k]:.1f}" for k in ("teaser", "caption", "boilerplate")) if pages else "-",
        fetch, entry.get("consecutive_failures"), flag,
    )
