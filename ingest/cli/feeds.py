"""`wirefeed feeds add|import|export|list|enable|disable|remove`: the subscriptions."""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.cli.context import (
    App,
    UsageError,
    add_command,
    add_group,
    dump_json,
    feed_url,
    iso,
    local_time,
    note,
    poll_interval,
    read_file,
    report_error,
    table,
)
from ingest.urls import MASK, mask_secrets, mask_url

if TYPE_CHECKING:
    from store.models import Feed

URLS_HELP = "feed URLs, as `wirefeed feeds list` shows them (a password masked as *** too)"
# What `resolve_feed_urls` notes when the URL is definitely no feed: gone (404, 410) or a page without one.
# Anything else it notes (a timeout, a refusal, a 5xx, a 429) may pass tomorrow: the URL is added as given.
_NOT_A_FEED = re.compile(r"not checked: (HTTP 404|HTTP 410)|warning: (an HTML page that announces no feed)")
INTERVAL_HELP = "poll interval for these feeds: seconds or a duration (600, 10m, 1h; 10s to 30d)"


def add_feeds_parser(sub: Any) -> None:
    """The `feeds` subcommand and its actions."""
    feeds_sub = add_group(
        sub,
        "feeds",
        "Manage subscriptions: add, import, export, list, enable, disable, remove.",
        "wirefeed feeds add https://example.org/rss.xml && wirefeed feeds list",
    )
    p = add_command(
        feeds_sub,
        "add",
        cmd_feeds_add,
        "Subscribe to feeds; given a home page, discover its feed from <link rel=alternate>. A URL that is "
        "definitely no feed (HTTP 404 or 410, an HTML page announcing none) is refused (exit 1) unless --force; "
        "one that cannot be checked now (timeout, refused, 5xx) is added with a warning.",
        "wirefeed feeds add https://example.org/rss.xml --interval 10m",
    )
    p.add_argument("urls", nargs="+", metavar="URL", help="feed or home page URLs (http or https)")
    p.add_argument("--interval", type=poll_interval, metavar="DURATION", help=INTERVAL_HELP)
    p.add_argument("--no-discover", action="store_true", help="add the URLs as given, without fetching them")
    p.add_argument(
        "--force",
        action="store_true",
        help="add a URL even when it answers that it is no feed (HTTP 404 or 410, an HTML page announcing none)",
    )
    p = add_command(
        feeds_sub,
        "import",
        cmd_feeds_import,
        "Subscribe to every feed of an OPML file; entries that `feeds add` would refuse are skipped and listed.",
        "wirefeed feeds import subscriptions.opml",
    )
    p.add_argument("file", metavar="FILE.opml", help="an OPML file (`-`: standard input)")
    p.add_argument("--interval", type=poll_interval, metavar="DURATION", help=INTERVAL_HELP)
    add_command(
        feeds_sub,
        "export",
        cmd_feeds_export,
        "Print the subscriptions as OPML on stdout.",
        "wirefeed feeds export > subscriptions.opml",
        read_only=True,
    )
    p = add_command(
        feeds_sub,
        "list",
        cmd_feeds_list,
        "List feeds with status, last error and next poll.",
        "wirefeed feeds list --json",
        read_only=True,
    )
    p.add_argument("--json", action="store_true", help="a JSON list of feed records (times in UTC ISO 8601)")
    p = add_command(
        feeds_sub,
        "enable",
        cmd_feeds_enable,
        "Re-enable disabled feeds and poll them at once.",
        "wirefeed feeds enable https://example.org/rss.xml",
        existing_only=True,  # nothing to change in a new database: a mistyped --db is an error, not a new file
    )
    p.add_argument("urls", nargs="+", metavar="URL", help=URLS_HELP)
    p = add_command(
        feeds_sub,
        "disable",
        cmd_feeds_disable,
        "Pause feeds: they are no longer polled, their articles stay; `feeds enable` resumes them.",
        "wirefeed feeds disable https://example.org/rss.xml",
        existing_only=True,  # nothing to change in a new database: a mistyped --db is an error, not a new file
    )
    p.add_argument("urls", nargs="+", metavar="URL", help=URLS_HELP)
    p = add_command(
        feeds_sub,
        "remove",
        cmd_feeds_remove,
        "Unsubscribe: the feeds and their item history go, the articles they brought stay.",
        "wirefeed feeds remove https://example.org/rss.xml",
        existing_only=True,  # nothing to change in a new database: a mistyped --db is an error, not a new file
    )
    p.add_argument("urls", nargs="+", metavar="URL", help=URLS_HELP)


def cmd_feeds_add(app: App) -> int:
    """Subscribe to feeds, discovering the feed of a home page."""
    import asyncio

    from ingest.feeds.subscribe import resolve_feed_urls
    from store import repo

    valid: list[str] = []
    failed = 0
    for given in app.args.urls:
        try:
            valid.append(feed_url(given))
        except argparse.ArgumentTypeError as exc:
            # One bad URL is reported on its own line (a usage error, status 2); the others are subscribed.
            print(mask_secrets(f"wirefeed: error: {exc}"), file=sys.stderr)
            failed += 1
    resolved = asyncio.run(resolve_feed_urls(valid, app.settings.fetch, discover=not app.args.no_discover))
    refused = 0
    with app.store.session() as session:
        for given, url, extra_note in resolved:
            answer = _NOT_A_FEED.fullmatch(extra_note or "")
            if answer and not app.args.force:
                # The others are still subscribed; this one is named with what it answered, and how to insist.
                print(mask_secrets(f"wirefeed: error: not added: {given} is not a feed "
                                   f"({answer.group(1) or answer.group(2)}); give the feed's URL, "
                                   "or add it anyway with --force"), file=sys.stderr)
                refused += 1
                continue
            created = repo.add_feed(session, url, app.args.interval)
            state = "added" if created else "already subscribed"
            extra = f" ({extra_note})" if extra_note else ""
            shown = url if url == given else f"{url} (from {given})"
            print(mask_secrets(f"{state}: {shown}{extra}"))
    return 2 if failed else 1 if refused else 0


def cmd_feeds_import(app: App) -> int:
    """Subscribe to every feed of an OPML file that `feeds add` would take; say what was skipped and why."""
    from ingest.feeds.opml import OPMLError, read_opml
    from store import repo

    path = Path(app.args.file)
    body = read_file(path)
    try:
        subs = read_opml(body)
    except OPMLError as exc:  # a file we cannot read, not a mistyped command: status 1
        return report_error(str(exc), 1)
    without_url, repeated = _opml_skips(body)
    accepted = []
    skipped = []
    for entry in subs:
        try:
            accepted.append((feed_url(entry.url), entry.title))
        except argparse.ArgumentTypeError as exc:
            skipped.append(str(exc))
    added = 0
    if accepted:
        with app.store.session() as session:
            for url, title in accepted:
                added += repo.add_feed(session, url, app.args.interval, title)
    for reason in skipped:
        note(f"skipped: {reason}")
    extra = [f"{len(skipped)} skipped (not http(s) URLs that can be requested)"] if skipped else []
    if without_url:
        extra.append(f"{without_url} outline(s) without an xmlUrl ignored")
    if repeated:
        extra.append(f"{repeated} repeated URL(s) counted once")
    print(
        f"imported {len(accepted)} feeds from {path}: {added} new, {len(accepted) - added} already subscribed"
        + ("; " + ", ".join(extra) if extra else "")
    )
    return 1 if skipped and not accepted else 0


def _opml_skips(body: bytes) -> tuple[int, int]:
    """What `read_opml` leaves out silently: feed outlines (no children) without an xmlUrl, repeated xmlUrls."""
    import defusedxml.ElementTree as SafeET

    root = SafeET.fromstring(body)  # read_opml has parsed it already: it parses
    seen: set[str] = set()
    without_url = repeated = 0
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not url:
            without_url += len(outline) == 0 and (outline.get("type") or "rss").lower() in {"rss", "atom"}
        elif url in seen:
            repeated += 1
        seen.add(url)
    return without_url, repeated


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
        failed = repo.failed_pages_by_feed(session)
    if app.args.json:
        print(dump_json([_feed_record(f, failed.get(f.id)) for f in feeds]))
        return 0
    if not feeds:
        print("no feeds yet: add one with `wirefeed feeds add URL`")
        return 0
    headers = ["STATE", "HTTP", "NEXT POLL", "PAGES FAILED", "URL", "LAST ERROR"]
    for line in table(headers, (_feed_row(f, failed.get(f.id)) for f in feeds)):
        print(mask_secrets(line.rstrip()))
    return 0


def _feed_record(f: Feed, failed: tuple[int, str | None] | None) -> dict[str, object]:
    """One feed of `feeds list --json` (`pages_failed`: its pages recorded as failed, with the latest error)."""
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
        "pages_failed": failed[0] if failed else 0,
        "last_page_error": mask_secrets(failed[1]) if failed and failed[1] else None,
    }


def _feed_row(f: Feed, failed: tuple[int, str | None] | None) -> list[object]:
    """One feed of `feeds list`: state, last HTTP status, next poll (local time), failed pages, URL, last error.

    A feed that answers but whose pages fail (blocked, timing out) shows them, and the latest page's error.
    """
    state = "disabled" if f.disabled else ("failing" if f.error_count else "ok")
    error = f"[{f.last_error_kind}] {f.last_error}" if f.last_error else ""
    if failed and failed[1] and not error:
        error = f"last failed page: {failed[1]}"
    if f.failing_since is not None:
        error += f" (failing since {local_time(f.failing_since)})"
    if f.disabled and f.disabled_reason:
        error = f"{error} ({f.disabled_reason})".strip()
    next_poll = "-" if f.disabled else local_time(f.next_fetch_at)
    pages_failed = failed[0] if failed else 0
    status = f.last_status if f.last_status is not None else "-"
    return [state, status, next_poll, pages_failed, mask_url(f.url), error]


def cmd_feeds_enable(app: App) -> int:
    """Re-enable disabled feeds and poll them at once."""
    from store import repo
    from store.models import utcnow

    with app.store.session() as session:
        for feed_id, url in _subscribed(session, app.args.urls, "enabled"):
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
        for feed_id, url in _subscribed(session, app.args.urls, "disabled"):
            repo.update_feed(session, feed_id, disabled=True, disabled_reason="disabled by the operator")
            print(f"disabled: {mask_url(url)}")
    return 0


def cmd_feeds_remove(app: App) -> int:
    """Unsubscribe: the feed rows go (with their items and fetch log); articles stay, without a feed."""
    from store import repo

    with app.store.session() as session:
        for feed_id, url in _subscribed(session, app.args.urls, "removed"):
            repo.remove_feed(session, feed_id)
            print(f"removed: {mask_url(url)}")
    return 0


def _subscribed(session: Any, urls: list[str], done: str) -> list[tuple[int, str]]:
    """The ids and stored URLs of these subscribed feeds, each given in full or as `feeds list` shows it.

    A URL that is not subscribed is a usage error naming every such URL, and nothing is changed (`done`:
    what the command would have done, "removed").
    """
    from store import repo

    found = []
    unknown = []
    listed: list[Feed] | None = None
    for url in urls:
        # Bytes that are not UTF-8 on the command line arrive as lone surrogates: no stored URL holds one.
        feed = None
        if url.isascii() or _encodable(url):
            feed = repo.feed_by_url(session, url)
            if feed is None:  # as `feeds add` stored it: scheme and host lower-cased, no fragment
                with contextlib.suppress(argparse.ArgumentTypeError):
                    feed = repo.feed_by_url(session, feed_url(url))
        if feed is None and MASK in url:  # copied from `feeds list`, the password masked
            listed = repo.list_feeds(session) if listed is None else listed
            same = [f for f in listed if mask_url(f.url) == url]
            if len(same) > 1:
                raise UsageError(f"{url} is the masked URL of {len(same)} subscribed feeds (their passwords "
                                 f"differ): give the URL with its password; nothing {done}")
            feed = same[0] if same else None
        if feed is None:
            unknown.append(url)
        else:
            found.append((feed.id, feed.url))
    if unknown:
        nothing = f"nothing {done}; " if len(urls) > 1 else ""
        raise UsageError(f"not subscribed: {', '.join(mask_url(url) for url in unknown)} "
                         f"({nothing}see `wirefeed feeds list`)")
    return found


def _encodable(text: str) -> bool:
    """Whether a string is valid Unicode (an argument's undecodable bytes are lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
