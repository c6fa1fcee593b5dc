"""`wirefeed backfill`: history from sitemaps, URL lists or WARC files, or stored pages re-extracted."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config.durations import point_in_time as _point_in_time
from ingest.cli.context import App, FileAccessError, UsageError, add_command, check_window

if TYPE_CHECKING:
    from ingest.backfill.run import BackfillOptions


def add_backfill_parser(sub: Any) -> None:
    """The `backfill` subcommand's arguments."""
    p = add_command(
        sub, "backfill", cmd_backfill,
        "Backfill history (sitemaps, URL lists, WARC files) or re-extract stored pages, through the same "
        "pipeline as ingest. Resumable: after an interruption, run the same command again.",
        "wirefeed backfill --sitemap https://example.org/sitemap_index.xml --since 30d",
    )
    p.add_argument("--sitemap", nargs="+", metavar="URL",
                   help="sitemaps, sitemap indexes (news, gzipped) or site roots (robots.txt Sitemap: lines)")
    p.add_argument("--urls", metavar="FILE", help="one URL per line, or JSONL {url, [title], [published], [feed]}")
    p.add_argument("--warc", nargs="+", metavar="FILE", help="WARC files (gzipped or not); no network access")
    p.add_argument("--reextract", action="store_true",
                   help="re-run extraction and dedupe on stored raw pages (same extractor: nothing changes)")
    p.add_argument("--since", metavar="WHEN",
                   help="a duration (7d) or ISO date; sitemap/list/WARC dates, or fetch time with --reextract")
    p.add_argument("--until", metavar="WHEN", help="a duration (1d) or ISO date (UTC without an offset)")
    p.add_argument("--site", metavar="HOST", help="only pages of this site (a host alone: on any port)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar: periodic progress logs")
    p.add_argument("--chunk-size", type=int, default=100, metavar="N",
                   help="items per committed chunk (default 100); at most one chunk is re-checked on resume")
    p.add_argument("--metrics-file", metavar="FILE", help="write the run's metrics (Prometheus text format) to "
                   "FILE for node_exporter's textfile collector")


def point_in_time(value: str | None, name: str, now: datetime) -> datetime | None:
    """--since/--until: a duration back from `now` (7d) or an ISO date (2024-05-01, taken as UTC)."""
    if value is None:
        return None
    try:
        return _point_in_time(value, now)
    except ValueError as exc:
        raise UsageError(f"{name}: {exc}") from None


def cmd_backfill(app: App) -> int:
    """Backfill from sitemaps, URL lists or WARC files, or re-extract stored pages; resumable."""
    import asyncio

    from ingest.backfill.run import Backfill, BackfillOptions, format_summary
    from ingest.ops.metrics import finish_command
    from ingest.pipeline import Pipeline

    args = app.args
    now = datetime.now(UTC)
    options = BackfillOptions(
        sitemaps=args.sitemap or [], urls=args.urls, warcs=args.warc or [], reextract=args.reextract,
        since=point_in_time(args.since, "--since", now), until=point_in_time(args.until, "--until", now),
        since_text=args.since, until_text=args.until, site=args.site, chunk_size=args.chunk_size,
    )
    _check_options(options)  # before the database is opened: a mistyped command creates nothing
    pipeline = Pipeline(app.store, app.settings)
    try:
        backfill = Backfill(pipeline, options, progress_bar=not args.no_progress and sys.stderr.isatty())
        summary = asyncio.run(backfill.run())
    finally:
        pipeline.close()
        finish_command(app.store, "backfill", app.args.metrics_file)
    for line in format_summary(summary, reextract=options.reextract):
        print(line)
    if summary.resumed and not summary.items and summary.skipped and not summary.source_errors:
        # "(resumed)" above means the run existed; said plainly, a rerun of a finished one had nothing to do.
        print(f"  nothing left to do: run {summary.run_id} was complete ({summary.skipped} items done before)")
    # Every readable item was processed; a source that could not be read in full gives a non-zero exit.
    return 1 if summary.source_errors else 0


def _check_options(options: BackfillOptions) -> None:
    """Options that cannot run are a usage error (2); an input file that is missing or unreadable is not (1)."""
    from ingest.backfill.run import BackfillError

    for path in [*([options.urls] if options.urls else []), *options.warcs]:
        if not Path(path).is_file():
            raise FileAccessError(f"no such file: {path}" if not Path(path).exists() else f"not a file: {path}")
        if not os.access(path, os.R_OK):
            raise FileAccessError(f"cannot read {path}: permission denied")
    check_window(options.since, options.until)
    try:
        options.validate()
    except BackfillError as exc:
        raise UsageError(str(exc)) from None
