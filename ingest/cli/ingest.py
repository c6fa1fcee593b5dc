"""`wirefeed ingest` (one pass, for cron) and `wirefeed run` (the polling daemon)."""

from __future__ import annotations

import sys
from typing import Any

from ingest.cli.context import App, add_command, note


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
    p.add_argument("--metrics-file", metavar="FILE", help="write the run's metrics (Prometheus text format) to "
                   "FILE for node_exporter's textfile collector")
    add_command(
        sub,
        "run",
        cmd_run,
        "Run the polling daemon until SIGTERM/SIGINT.",
        "wirefeed --config /etc/wirefeed.toml run",
    )


def cmd_ingest(app: App) -> int:
    """One pass over due feeds, then exit."""
    import asyncio

    from ingest.ops.metrics import finish_command
    from ingest.pipeline import Pipeline

    pipeline = Pipeline(app.store, app.settings, store_pages=app.settings.fetch.fetch_articles)
    try:
        summary = asyncio.run(pipeline.run_pass(all_feeds=app.args.all))
    finally:
        pipeline.close()
        finish_command(app.store, "ingest", app.args.metrics_file)
    print(
        f"feeds {summary.feeds} (failed {summary.feeds_failed}, not modified {summary.not_modified}); "
        f"new items {summary.items_new}: stored {summary.stored}, duplicates {summary.duplicates}, "
        f"not articles {summary.not_article}, failed {summary.pages_failed}{_reasons(summary.failures)}; "
        f"new stories {summary.stories_new}"
    )
    if summary.failures.get("blocked"):
        note(f"blocked pages: {BLOCKED_HINT}")
    if summary.feeds_failed:
        note("see why with `wirefeed feeds list`")
    if summary.feeds == 0:
        note(_nothing_polled(app))
    return 0


BLOCKED_HINT = (
    "their addresses are not allowed; allow a network with [fetch] allowed_networks "
    "(WIREFEED_FETCH__ALLOWED_NETWORKS='[\"10.0.0.0/8\"]'), or private ones with [fetch] allow_private_networks"
)


def _reasons(failures: dict[str, int]) -> str:
    """' (blocked 3, timeout 1)' for the failed pages of a pass; '' when none failed."""
    if not failures:
        return ""
    return " (" + ", ".join(f"{kind} {count}" for kind, count in sorted(failures.items())) + ")"


def _nothing_polled(app: App) -> str:
    """Why a pass polled no feed, and the command that changes it."""
    from store import repo
    from store.models import utcnow

    with app.store.session() as session:
        feeds, disabled = repo.feed_counts(session)
        leased = repo.feed_lease_owners(session, utcnow())
    if not feeds:
        return "no feeds subscribed: add one with `wirefeed feeds add URL` or `wirefeed feeds import FILE.opml`"
    if feeds == disabled:
        return "every feed is disabled: `wirefeed feeds list` shows why, `wirefeed feeds enable URL` resumes one"
    if leased:  # `--all` too leaves a feed another live process is polling to it
        return (f"the feeds are being polled by {len(leased)} other wirefeed process(es) ({', '.join(leased[:3])}), "
                "which hold their leases; this run leaves them to it")
    return "no feed is due yet: `wirefeed ingest --all` polls every enabled feed now"


def cmd_run(app: App) -> int:
    """Run the scheduler until SIGTERM or SIGINT (a second Ctrl-C leaves at once)."""
    from ingest.daemon import run_daemon

    store = app.store
    if sys.stdin.isatty():
        note("running; Ctrl-C stops after the pages in flight, a second Ctrl-C at once")
    return run_daemon(store, app.settings)
