"""`wirefeed ingest` (one pass, for cron) and `wirefeed run` (the polling daemon)."""

from __future__ import annotations

import asyncio
from typing import Any

from ingest.cli.context import App, add_command


def add_ingest_parsers(sub: Any) -> None:
    """The `ingest` and `run` subcommands."""
    p = add_command(
        sub,
        "ingest",
        cmd_ingest,
        "One ingestion pass over due feeds, then exit (for cron). Failing feeds are recorded; exit 0.",
        "wirefeed ingest --all",
    )
    p.add_argument(
        "--all", action="store_true", help="poll every enabled feed, ignoring intervals (not Retry-After)"
    )
    add_command(
        sub,
        "run",
        cmd_run,
        "Run the polling daemon until SIGTERM/SIGINT.",
        "wirefeed --config /etc/wirefeed.toml run",
    )


def cmd_ingest(app: App) -> int:
    """One pass over due feeds, then exit."""
    from ingest.pipeline import Pipeline

    pipeline = Pipeline(app.store, app.settings)
    try:
        summary = asyncio.run(pipeline.run_pass(all_feeds=app.args.all))
    finally:
        pipeline.close()
    print(
        f"feeds {summary.feeds} (failed {summary.feeds_failed}, not modified {summary.not_modified}); "
        f"new items {summary.items_new}: stored {summary.stored}, duplicates {summary.duplicates}, "
        f"not articles {summary.not_article}, failed {summary.pages_failed}; new stories {summary.stories_new}"
    )
    return 0


def cmd_run(app: App) -> int:
    """Run the scheduler until SIGTERM or SIGINT."""
    from ingest.daemon import run_daemon

    return run_daemon(app.store, app.settings)
