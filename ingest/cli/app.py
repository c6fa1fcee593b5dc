"""The `wirefeed` command line: thin callers of the pipeline and the store."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import structlog
from sqlalchemy.exc import SQLAlchemyError

from config.settings import MAX_INTERVAL, ConfigError, Settings, load_settings
from ingest import dates
from ingest.logs import configure_logging
from ingest.urls import mask_secrets, mask_url
from store.db import Store, StoreError, describe, secret_value

log = structlog.get_logger("wirefeed.cli")

DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MIN_INTERVAL = 10


class UsageError(Exception):
    """Bad command-line input: reported in one line, exit status 2."""


def parse_duration(value: str) -> timedelta:
    """'90s', '15m', '24h', '7d', '2w' -> timedelta."""
    match = DURATION.match(value)
    if not match:
        raise argparse.ArgumentTypeError(f"not a duration: {value!r} (use e.g. 90s, 15m, 24h, 7d, 2w)")
    return timedelta(seconds=float(match.group(1)) * UNITS[match.group(2)])


def feed_url(value: str) -> str:
    """A URL to subscribe to: http(s) with a host, surrounding whitespace dropped."""
    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise argparse.ArgumentTypeError(f"not an http(s) URL: {value!r}")
    return url


def poll_interval(value: str) -> int:
    """--interval: whole seconds, at least MIN_INTERVAL (the floor [schedule] intervals have too)."""
    try:
        seconds = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if seconds < MIN_INTERVAL:
        raise argparse.ArgumentTypeError(f"must be at least {MIN_INTERVAL} seconds, got {seconds}")
    if seconds > MAX_INTERVAL:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_INTERVAL} seconds (30 days), got {seconds}")
    return seconds


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with a UTC offset, or None."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return iso(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dump_json(value: object) -> str:
    """Compact, UTF-8, ISO dates."""
    return json.dumps(value, ensure_ascii=False, default=_json_default)


@contextmanager
def output(path: str | None) -> Iterator[IO[str]]:
    """stdout, or a file written in full or not at all (temp file, then rename)."""
    if path is None or path == "-":
        yield sys.stdout
        return
    target = Path(path)
    if not target.parent.is_dir():
        raise UsageError(f"cannot write {target}: directory {target.parent} does not exist")
    tmp = target.with_name(f".{target.name}.partial")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            yield handle
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


class App:
    """What every command needs: settings, and the store opened on demand."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.settings: Settings = load_settings(args.config, args.db)
        dates.configure(self.settings.dates.earliest, self.settings.dates.max_ahead_days)
        fmt = args.log_format or self.settings.log.format
        configure_logging(fmt, "debug" if args.verbose else self.settings.log.level)
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        """The store, its schema created or upgraded on first use."""
        if self._store is None:
            self._store = Store(self.settings.database.url)
        return self._store

    def close(self) -> None:
        """Release the database."""
        if self._store is not None:
            self._store.close()


# Commands ------------------------------------------------------------------------------------------


def cmd_init(app: App) -> int:
    """Create or upgrade the schema."""
    store = Store(app.settings.database.url, migrate=False)
    from store.db import ensure_schema

    applied = ensure_schema(store.engine)
    store.close()
    print(
        f"database ready: {mask_url(secret_value(app.settings.database.url))}"
        + (" (schema created/upgraded)" if applied else "")
    )
    return 0


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
    from ingest.feeds.opml import read_opml
    from store import repo

    path = Path(app.args.file)
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    subs = read_opml(path.read_bytes())
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
        rows = [
            {
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
            for f in feeds
        ]
        print(dump_json(rows))
        return 0
    if not feeds:
        print("no feeds yet: add one with `wirefeed feeds add URL`")
    for f in feeds:
        state = "disabled" if f.disabled else ("failing" if f.error_count else "ok")
        status = f.last_status if f.last_status is not None else "-"
        error = f"  [{f.last_error_kind}] {f.last_error}" if f.last_error else ""
        if f.failing_since is not None:
            error += f" (failing since {iso(f.failing_since)})"
        print(mask_secrets(f"{state:8} {status!s:>4} next {iso(f.next_fetch_at)}  {mask_url(f.url)}{error}"))
    return 0


def cmd_feeds_enable(app: App) -> int:
    """Re-enable disabled feeds and poll them at once."""
    from store import repo
    from store.models import utcnow

    with app.store.session() as session:
        for url in app.args.urls:
            feed = repo.feed_by_url(session, url)
            if feed is None:
                raise UsageError(f"not subscribed: {mask_url(url)}")
            repo.update_feed(
                session,
                feed.id,
                disabled=False,
                disabled_reason=None,
                error_count=0,
                failing_since=None,
                next_fetch_at=utcnow(),
                retry_after=None,
            )
            print(f"enabled: {mask_url(url)}")
    return 0


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


def cmd_extract(app: App) -> int:
    """Extract one page (file or URL) to clean text."""
    from ingest.extract.page import extract_page

    source: str = app.args.source
    headers: dict[str, str] = {}
    url = app.args.url
    if re.match(r"^https?://", source):
        from ingest.fetch.client import Fetcher

        async def fetch() -> tuple[bytes, dict[str, str], str]:
            async with Fetcher(app.settings.fetch) as fetcher:
                response = await fetcher.get(source, trusted=True)
                return response.body, response.headers, response.url

        body, headers, final = asyncio.run(fetch())
        url = url or final
    else:
        path = Path(source)
        if not path.is_file():
            raise UsageError(f"no such file: {path}")
        body = path.read_bytes()
        if path.suffix == ".gz":
            import gzip

            body = gzip.decompress(body)
    result = extract_page(body, url=url, headers=headers)
    if app.args.json:
        print(
            dump_json(
                {
                    "url": result.url,
                    "canonical_url": result.canonical_url,
                    "title": result.title,
                    "text": result.text,
                    "author": result.author,
                    "published": result.published,
                    "modified": result.modified,
                    "language": result.language,
                    "site_name": result.site_name,
                    "description": result.description,
                    "is_article": result.is_article,
                    "not_article_reason": result.not_article_reason,
                    "removed": [{"text": r.text, "why": r.why} for r in result.removed],
                    "extractor": result.extractor,
                    "extractor_version": result.extractor_version,
                }
            )
        )
    else:
        if result.title:
            print(result.title, end="\n\n")
        print(result.text)
    return 0


def cmd_dedupe(app: App) -> int:
    """Cluster a JSONL corpus offline, without a database."""
    from dedupe.cluster import cluster_docs
    from dedupe.model import Doc

    path = Path(app.args.input)
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    docs: list[Doc] = []
    ids: set[str] = set()
    undated: list[int] = []  # lines whose 'published' was ignored
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise UsageError(f"{path}:{number}: not UTF-8 (byte {exc.start}: {exc.reason})") from exc
            if number == 1:
                line = line.removeprefix("\ufeff")  # a byte order mark, as Windows editors write
            if not line.strip():
                continue
            docs.append(_doc_from_line(line, number, path, ids, undated))
    if undated:
        bounds = app.settings.dates
        print(f"{len(undated)} 'published' dates ignored as implausible or unparseable (before {bounds.earliest}, "
              f"more than {bounds.max_ahead_days:g} days ahead, or neither ISO 8601 nor RFC 2822), first on line "
              f"{undated[0]}", file=sys.stderr)
    settings = app.settings.dedupe
    decisions = cluster_docs(docs, threshold=settings.threshold, window_days=settings.window_days)
    with output(app.args.output) as out:
        for d in decisions:
            out.write(
                dump_json(
                    {
                        "id": d.id,
                        "cluster": d.cluster,
                        "duplicate_of": d.duplicate_of,
                        "score": round(d.score, 4),
                        "relation": d.relation,
                    }
                )
                + "\n"
            )
    stories = len({d.cluster for d in decisions})
    print(f"{len(docs)} documents, {stories} stories", file=sys.stderr)
    return 0


def _doc_from_line(line: str, number: int, path: Path, ids: set[str], undated: list[int]) -> Any:
    from dedupe.model import Doc

    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{number}: not JSON: {exc.msg}") from exc
    except RecursionError:  # `[[[[...` deeper than the parser's recursion allows
        raise UsageError(f"{path}:{number}: not JSON: nested too deeply") from None
    if not isinstance(row, dict) or "id" not in row or "text" not in row:
        raise UsageError(f"{path}:{number}: each line needs at least 'id' and 'text'")
    if not isinstance(row["text"], str):
        raise UsageError(f"{path}:{number}: 'text' must be a string, not {type(row['text']).__name__}")
    doc_id = str(row["id"])
    if doc_id in ids:
        raise UsageError(f"{path}:{number}: duplicate id {doc_id!r}")
    ids.add(doc_id)
    published = None
    if row.get("published"):
        # The one date rule: a date that does not parse ("1.5", "2024-001") or lies outside the bounds (year 1,
        # year 9999) is ignored and the record is undated, as for every date from outside.
        published = dates.parse_datetime(str(row["published"]))
        if published is None:
            undated.append(number)
    return Doc(
        id=doc_id,
        title=str(row.get("title") or ""),
        text=str(row["text"]),
        url=row.get("url"),
        published=published,
    )


def _since(app: App) -> datetime | None:
    duration: timedelta | None = app.args.since
    return datetime.now(UTC) - duration if duration is not None else None


def cmd_stories(app: App) -> int:
    """Show stories with their outlets, times, original and sizes."""
    from ingest.urls import site_of
    from store import repo

    with app.store.session() as session:
        stories = repo.stories_since(session, _since(app))
        rows: list[dict[str, Any]] = []
        for story, members in stories:
            rows.append(
                {
                    "story_id": story.id,
                    "title": story.title,
                    "size": story.size,
                    "agency": story.agency,
                    "first_published": iso(story.first_published),
                    "original": story.original_article_id,
                    "members": [
                        {
                            "article_id": a.id,
                            "outlet": a.site_name or site_of(a.url),
                            "url": mask_url(a.url),
                            "title": a.title,
                            "published": iso(a.published),
                            "fetched": iso(a.fetched),
                            "relation": m.relation,
                            "score": round(m.score, 4),
                            "duplicate_of": m.duplicate_of,
                            "agency": m.agency,
                            "chars": len(a.text or ""),
                        }
                        for m, a in members
                    ],
                }
            )
    if app.args.json:
        print(dump_json(rows))
        return 0
    if not rows:
        print("no stories yet")
    for row in rows:
        outlets = sorted({m["outlet"] for m in row["members"]})
        agency = f" [{row['agency']}]" if row["agency"] else ""
        print(
            f"{row['story_id']}  {row['size']} cop{'y' if row['size'] == 1 else 'ies'}, "
            f"{len(outlets)} outlet{'s' if len(outlets) != 1 else ''}{agency}: {row['title']}"
        )
        for m in row["members"]:
            mark = "*" if m["article_id"] == row["original"] else " "
            print(
                f"   {mark} {m['published'] or m['fetched']}  {m['outlet']:<28} {m['relation']:<14} "
                f"{m['score']:.2f} {m['chars']:>6} chars  {m['url']}"
            )
    return 0


EXPORT_FIELDS = [
    "id",
    "story_id",
    "url",
    "canonical_url",
    "feed_url",
    "guid",
    "title",
    "text",
    "author",
    "published",
    "fetched",
    "language",
]


def cmd_export(app: App) -> int:
    """Write one record per stored article (JSONL or CSV)."""
    from store import repo

    count = 0
    with app.store.session() as session, output(app.args.output) as out:
        rows = (_urls_masked(row) for row in repo.export_rows(session, _since(app)))
        if app.args.format == "csv":
            writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: iso(v) if isinstance(v, datetime) else v for k, v in row.items()})
                count += 1
        else:
            for row in rows:
                out.write(dump_json(row) + "\n")
                count += 1
    print(f"exported {count} articles", file=sys.stderr)
    return 0


def _urls_masked(row: dict[str, Any]) -> dict[str, Any]:
    """An export record with the password of every URL masked (a feed subscribed as user:pass@host)."""
    return {key: _field_masked(key, value) for key, value in row.items()}


def _field_masked(key: str, value: object) -> object:
    if not isinstance(value, str):
        return value
    if key in URL_FIELDS:
        return mask_url(value)
    # A GUID is often a URL (a permalink, or one resolved against the feed's URL), but not always: only a
    # `//user:password@` in it is masked, so `tag:` and `urn:` GUIDs with an `@` stay as they are.
    return mask_secrets(value) if key == "guid" else value


URL_FIELDS = frozenset({"url", "canonical_url", "feed_url"})


def cmd_stats(app: App) -> int:
    """Counts of feeds, articles, stories and raw pages."""
    from store import repo

    with app.store.session() as session:
        numbers = repo.stats(session)
    if app.args.json:
        print(dump_json(numbers))
    else:
        for key, value in numbers.items():
            print(f"{key:22} {value}")
    return 0


def cmd_demo(app: App) -> int:
    """Serve the bundled sample feeds on 127.0.0.1, ingest them and print the stories."""
    from ingest.cli.demo import run_demo

    return run_demo(app)


def cmd_backfill(app: App) -> int:
    """Backfill from sitemaps, URL lists or WARC files, or re-extract stored pages; resumable."""
    from ingest.backfill.run import Backfill, BackfillError, BackfillOptions, format_summary
    from ingest.pipeline import Pipeline

    args = app.args
    now = datetime.now(UTC)

    def when(value: str | None, name: str) -> datetime | None:
        if value is None:
            return None
        try:
            return now - parse_duration(value)
        except argparse.ArgumentTypeError:
            pass
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise UsageError(f"{name}: not a duration (7d) or an ISO date (2024-05-01): {value!r}") from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    options = BackfillOptions(
        sitemaps=args.sitemap or [], urls=args.urls, warcs=args.warc or [], reextract=args.reextract,
        since=when(args.since, "--since"), until=when(args.until, "--until"), since_text=args.since,
        until_text=args.until, site=args.site, chunk_size=args.chunk_size,
    )
    pipeline = Pipeline(app.store, app.settings)
    try:
        backfill = Backfill(pipeline, options, progress_bar=not args.no_progress and sys.stderr.isatty())
        summary = asyncio.run(backfill.run())
    except BackfillError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        pipeline.close()
    for line in format_summary(summary, reextract=options.reextract):
        print(line)
    # Every readable item was processed; a source that could not be read in full gives a non-zero exit.
    return 1 if summary.source_errors else 0


def add_backfill_parser(sub: Any) -> None:
    """The `backfill` subcommand's arguments."""
    p = _command(
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
    p.add_argument("--until", metavar="WHEN", help="a duration (1d) or ISO date")
    p.add_argument("--site", metavar="HOST", help="only pages of this site")
    p.add_argument("--no-progress", action="store_true", help="no progress bar: periodic progress logs")
    p.add_argument("--chunk-size", type=int, default=100, metavar="N",
                   help="items per committed chunk (default 100); at most one chunk is re-checked on resume")


# Parser --------------------------------------------------------------------------------------------


def _command(
    sub: Any,
    name: str,
    func: Callable[[App], int],
    help_text: str,
    example: str,
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help_text,
        description=f"{help_text}\n\nexample:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=func)
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser."""
    parser = argparse.ArgumentParser(
        prog="wirefeed",
        description="Ingest news feeds, extract clean article text and group republished copies into stories.",
        epilog="example:\n  wirefeed feeds add https://example.org/rss.xml && wirefeed ingest && wirefeed stories",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config", metavar="FILE", help="TOML config file (see config/wirefeed.example.toml)"
    )
    parser.add_argument(
        "--db", metavar="URL", help="database URL (overrides env and config; default sqlite:///wirefeed.db)"
    )
    parser.add_argument(
        "--log-format", choices=["auto", "console", "json"], help="log format (default: auto)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    _command(
        sub,
        "init",
        cmd_init,
        "Create or upgrade the database schema.",
        "wirefeed --db sqlite:///news.db init",
    )

    feeds = sub.add_parser(
        "feeds",
        help="Manage subscriptions: add, import, export, list, enable.",
        description="Manage feed subscriptions: add, import, export, list, enable.\n\n"
        "example:\n  wirefeed feeds add https://example.org/rss.xml && wirefeed feeds list",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    feeds_sub = feeds.add_subparsers(dest="feeds_command", metavar="ACTION", required=True)
    p = _command(
        feeds_sub,
        "add",
        cmd_feeds_add,
        "Subscribe to feeds; given a home page, discover its feed from <link rel=alternate>.",
        "wirefeed feeds add https://example.org/rss.xml --interval 600",
    )
    p.add_argument("urls", nargs="+", metavar="URL")
    p.add_argument("--interval", type=poll_interval, metavar="SECONDS", help="poll interval for these feeds")
    p.add_argument("--no-discover", action="store_true", help="add the URLs as given, without fetching them")
    p = _command(
        feeds_sub,
        "import",
        cmd_feeds_import,
        "Subscribe to every feed of an OPML file.",
        "wirefeed feeds import subscriptions.opml",
    )
    p.add_argument("file", metavar="FILE.opml")
    p.add_argument("--interval", type=poll_interval, metavar="SECONDS")
    _command(
        feeds_sub,
        "export",
        cmd_feeds_export,
        "Print the subscriptions as OPML on stdout.",
        "wirefeed feeds export > subscriptions.opml",
    )
    p = _command(
        feeds_sub,
        "list",
        cmd_feeds_list,
        "List feeds with status, last error and next poll.",
        "wirefeed feeds list --json",
    )
    p.add_argument("--json", action="store_true", help="a JSON list of feed records")
    p = _command(
        feeds_sub,
        "enable",
        cmd_feeds_enable,
        "Re-enable disabled feeds and poll them at once.",
        "wirefeed feeds enable https://example.org/rss.xml",
    )
    p.add_argument("urls", nargs="+", metavar="URL")

    p = _command(
        sub,
        "ingest",
        cmd_ingest,
        "One ingestion pass over due feeds, then exit (for cron). Failing feeds are recorded; exit 0.",
        "wirefeed ingest --all",
    )
    p.add_argument(
        "--all", action="store_true", help="poll every enabled feed, ignoring intervals (not Retry-After)"
    )
    _command(
        sub,
        "run",
        cmd_run,
        "Run the polling daemon until SIGTERM/SIGINT.",
        "wirefeed --config /etc/wirefeed.toml run",
    )
    p = _command(
        sub,
        "extract",
        cmd_extract,
        "Extract one page (file or URL) to clean text.",
        "wirefeed extract page.html --url https://example.org/a --json",
    )
    p.add_argument("source", metavar="PATH|URL")
    p.add_argument("--url", help="the page's URL (for relative links and metadata) when extracting a file")
    p.add_argument("--json", action="store_true", help="JSON with metadata and the removed blocks")
    p = _command(
        sub,
        "dedupe",
        cmd_dedupe,
        "Cluster a JSONL corpus ({id, title, text, [url], [published]}) without a database.",
        "wirefeed dedupe corpus.jsonl -o clusters.jsonl",
    )
    p.add_argument("input", metavar="IN.jsonl")
    p.add_argument("-o", "--output", metavar="OUT.jsonl", help="output file (default stdout)")
    p = _command(
        sub,
        "stories",
        cmd_stories,
        "Show stories with their outlets, times, original and sizes.",
        "wirefeed stories --since 24h",
    )
    p.add_argument("--since", type=parse_duration, metavar="DURATION", help="e.g. 90m, 24h, 7d")
    p.add_argument("--json", action="store_true")
    p = _command(
        sub,
        "export",
        cmd_export,
        "Export stored articles, one record each, with their story_id.",
        "wirefeed export --format csv --since 7d -o articles.csv",
    )
    p.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    p.add_argument("--since", type=parse_duration, metavar="DURATION")
    p.add_argument("-o", "--output", metavar="FILE", help="output file (default stdout)")
    p = _command(
        sub, "stats", cmd_stats, "Counts of feeds, articles, stories and raw pages.", "wirefeed stats"
    )
    p.add_argument("--json", action="store_true")
    _command(
        sub,
        "demo",
        cmd_demo,
        "Serve bundled sample feeds on 127.0.0.1, ingest them into the database and print the stories.",
        "wirefeed demo",
    )
    add_backfill_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run one command; errors that stop the run are one line on stderr, no traceback."""
    parser = build_parser()
    args = parser.parse_args(argv)
    app: App | None = None
    try:
        app = App(args)
        return int(args.func(app))
    except (ConfigError, UsageError) as exc:
        return _fail(str(exc), 2)
    except StoreError as exc:
        return _fail(str(exc), 1)
    except SQLAlchemyError as exc:  # what Store.session leaves to its caller (refused data, bad SQL)
        return _fail(f"database error: {describe(exc)}", 1)
    except KeyboardInterrupt:
        print("wirefeed: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        from ingest.errors import WirefeedError

        if isinstance(exc, WirefeedError):
            return _fail(f"{exc.kind}: {exc}", 1)
        if isinstance(exc, ValueError | OSError):
            return _fail(str(exc), 1)
        raise
    finally:
        if app is not None:
            app.close()


def _fail(message: str, status: int) -> int:
    """Report an error that stops the run: one line on stderr, credentials masked."""
    lines = message.strip().splitlines()
    print(f"wirefeed: error: {mask_secrets(lines[0] if lines else message)}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
