"""`wirefeed feeds add|import|export|list|enable|disable|remove`: the subscriptions."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from ingest.cli.context import (
    App,
    UsageError,
    add_command,
    dump_json,
    feed_url,
    iso,
    poll_interval,
    read_file,
    report_error,
)
from ingest.urls import mask_secrets, mask_url
from store.models import Feed


def add_feeds_parser(sub: Any) -> None:
    """The `feeds` subcommand and its actions."""
    feeds = sub.add_parser(
        "feeds",
        help="Manage subscriptions: add, import, export, list, enable, disable, remove.",
        description="Manage feed subscriptions: add, import, export, list, enable, disable, remove.\n\n"
        "example:\n  wirefeed feeds add https://example.org/rss.xml && wirefeed feeds list",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    feeds_sub = feeds.add_subparsers(dest="feeds_command", metavar="ACTION", required=True)
    p = add_command(
        feeds_sub,
        "add",
        cmd_feeds_add,
        "Subscribe to feeds; given a home page, discover its feed from <link rel=alternate>.",
        "wirefeed feeds add https://example.org/rss.xml --interval 600",
    )
    p.add_argument("urls", nargs="+", metavar="URL")
    p.add_argument("--interval", type=poll_interval, metavar="SECONDS", help="poll interval for these feeds")
    p.add_argument("--no-discover", action="store_true", help="add the URLs as given, without fetching them")
    p = add_command(
        feeds_sub,
        "import",
        cmd_feeds_import,
        "Subscribe to every feed of an OPML file.",
        "wirefeed feeds import subscriptions.opml",
    )
    p.add_argument("file", metavar="FILE.opml")
    p.add_argument("--interval", type=poll_interval, metavar="SECONDS")
    add_command(
        feeds_sub,
        "export",
        cmd_feeds_export,
        "Print the subscriptions as OPML on stdout.",
        "wirefeed feeds export > subscriptions.opml",
    )
    p = add_command(
        feeds_sub,
        "list",
        cmd_feeds_list,
        "List feeds with status, last error and next poll.",
        "wirefeed feeds list --json",
    )
    p.add_argument("--json", action="store_true", help="a JSON list of feed records")
    p = add_command(
        feeds_sub,
        "enable",
        cmd_feeds_enable,
        "Re-enable disabled feeds and poll them at once.",
        "wirefeed feeds enable https://example.org/rss.xml",
    )
    p.add_argument("urls", nargs="+", metavar="URL")
    p = add_command(
        feeds_sub,
        "disable",
        cmd_feeds_disable,
        "Pause feeds: they are no longer polled, their articles stay; `feeds enable` resumes them.",
        "wirefeed feeds disable https://example.org/rss.xml",
    )
    p.add_argument("urls", nargs="+", metavar="URL")
    p = add_command(
        feeds_sub,
        "remove",
        cmd_feeds_remove,
        "Unsubscribe: the feeds and their item history go, the articles they brought stay.",
        "wirefeed feeds remove https://example.org/rss.xml",
    )
    p.add_argument("urls", nargs="+", metavar="URL")


def cmd_feeds_add(app: App) -> int:
    """Subscribe to feeds, discovering the feed of a home page."""
    from ingest.feeds.subscribe import resolve_feed_urls
    from store import repo

    valid: list[str] = []
    failed = 0
    for given in app.args.urls:
        try:
            valid.append(feed_url(given))
        except (argparse.ArgumentTypeError, ValueError) as exc:
            # One bad URL is reported on its own line (a usage error, status 2); the others are subscribed.
            reason = exc if isinstance(exc, argparse.ArgumentTypeError) else f"not a URL: {given!r} ({exc})"
            print(mask_secrets(f"wirefeed: error: {reason}"), file=sys.stderr)
            failed += 1
    resolved = asyncio.run(resolve_feed_urls(valid, app.settings.fetch, discover=not app.args.no_discover))
    with app.store.session() as session:
        for given, url, note in resolved:
            created = repo.add_feed(session, url, app.args.interval)
            state = "added" if created else "already subscribed"
            extra = f" ({note})" if note else ""
            shown = url if url == given else f"{url} (from {given})"
            print(mask_secrets(f"{state}: {shown}{extra}"))
    return 2 if failed else 0


def cmd_feeds_import(app: App) -> int:
    """Subscribe to every feed of an OPML file."""
    from ingest.feeds.opml import OPMLError, read_opml
    from store import repo

    path = Path(app.args.file)
    body = read_file(path)
    try:
        subs = read_opml(body)
    except OPMLError as exc:  # a file we cannot read, not a mistyped command: status 1
        return report_error(str(exc), 1)
    added = 0
    with app.store.session() as session:
        for sub in subs:
            added += repo.add_feed(session, sub.url, app.args.interval, sub.title)
    print(f"imported {len(subs)} feeds from {path}: {added} new, {len(subs) - added} already subscribed")
    return 0


def cmd_feeds_export(app: App) -> int:
    """Print the subscriptions as OPML."""
    from ingest.feeds.opml import Subscription, write_opml
    from store import repo

    with app.store.session() as session:
        subs = [Subscription(mask_url(f.url), f.title) for f in repo.list_feeds(session)]
    sys.stdout.write(write_opml(subs))
    return 0


def cmd_feeds_list(app: App) -> int:
    """Show feeds with their health."""
    from store import repo

    with app.store.session() as session:
        feeds = repo.list_feeds(session)
    if app.args.json:
        print(dump_json([_feed_record(f) for f in feeds]))
        return 0
    if not feeds:
        print("no feeds yet: add one with `wirefeed feeds add URL`")
    for f in feeds:
        print(_feed_line(f))
    return 0


def _feed_record(f: Feed) -> dict[str, object]:
    """One feed of `feeds list --json`."""
    return {
        "url": mask_url(f.url),
        "title": f.title,
        "last_status": f.last_status,
        "last_error": mask_secrets(f.last_error) if f.last_error else f.last_error,
        "error_kind": f.last_error_kind,
        "error_count": f.error_count,
        "failing_since": iso(f.failing_since),
        "next_fetch_at": iso(f.next_fetch_at),
        "last_fetched_at": iso(f.last_fetched_at),
        "disabled": f.disabled,
        "disabled_reason": mask_secrets(f.disabled_reason) if f.disabled_reason else f.disabled_reason,
        "interval": f.interval,
    }


def _feed_line(f: Feed) -> str:
    """One feed of `feeds list`: state, last status, next poll, URL and last error."""
    state = "disabled" if f.disabled else ("failing" if f.error_count else "ok")
    status = f.last_status if f.last_status is not None else "-"
    error = f"  [{f.last_error_kind}] {f.last_error}" if f.last_error else ""
    if f.failing_since is not None:
        error += f" (failing since {iso(f.failing_since)})"
    return mask_secrets(f"{state:8} {status!s:>4} next {iso(f.next_fetch_at)}  {mask_url(f.url)}{error}")


def cmd_feeds_enable(app: App) -> int:
    """Re-enable disabled feeds and poll them at once."""
    from store import repo
    from store.models import utcnow

    with app.store.session() as session:
        for feed_id, url in _subscribed(session, app.args.urls):
            repo.update_feed(
                session,
                feed_id,
                disabled=False,
                disabled_reason=None,
                error_count=0,
                failing_since=None,
                next_fetch_at=utcnow(),
                retry_after=None,
            )
            print(f"enabled: {mask_url(url)}")
    return 0


def cmd_feeds_disable(app: App) -> int:
    """Pause feeds: no longer polled, kept with their history."""
    from store import repo

    with app.store.session() as session:
        for feed_id, url in _subscribed(session, app.args.urls):
            repo.update_feed(session, feed_id, disabled=True, disabled_reason="disabled by the operator")
            print(f"disabled: {mask_url(url)}")
    return 0


def cmd_feeds_remove(app: App) -> int:
    """Unsubscribe: the feed rows go (with their items and fetch log); articles stay, without a feed."""
    from store import repo

    with app.store.session() as session:
        for feed_id, url in _subscribed(session, app.args.urls):
            repo.remove_feed(session, feed_id)
            print(f"removed: {mask_url(url)}")
    return 0


def _subscribed(session: Any, urls: list[str]) -> list[tuple[int, str]]:
    """The ids of these subscribed feeds; a URL that is not subscribed is a usage error (nothing is changed)."""
    from store import repo

    found = []
    for url in urls:
        feed = repo.feed_by_url(session, url)
        if feed is None:
            raise UsageError(f"not subscribed: {mask_url(url)} (see `wirefeed feeds list`)")
        found.append((feed.id, url))
    return found

