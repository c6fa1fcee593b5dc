"""`wirefeed stories`, `export` and `stats`: what is stored, read back."""

from __future__ import annotations

import csv
import math
import sys
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ingest.cli.context import (
    App,
    add_command,
    check_window,
    dump_json,
    iso,
    local_time,
    output,
    shown,
    table,
    when_options,
)
from ingest.urls import mask_secrets, mask_url

if TYPE_CHECKING:
    from store.db import Store
    from store.models import Article, StoryMember

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
    "diff",
]
URL_FIELDS = frozenset({"url", "canonical_url", "feed_url"})


def add_stories_parsers(sub: Any) -> None:
    """The `stories`, `export` and `stats` subcommands."""
    p = add_command(
        sub,
        "stories",
        cmd_stories,
        "Show stories with their outlets, times, original and sizes (times in local time; --json: UTC).",
        "wirefeed stories --since 24h",
        read_only=True,
    )
    when_options(p, "stories with a copy")
    p.add_argument("--json", action="store_true", help="a JSON list of stories with their members")
    p = add_command(
        sub,
        "export",
        cmd_export,
        "Export stored articles, one record each, with their story_id.",
        "wirefeed export --format csv --since 7d -o articles.csv",
        read_only=True,
    )
    p.add_argument("--format", choices=["jsonl", "csv"], default="jsonl",
                   help="jsonl (default: one JSON object a line) or csv (with a header row)")
    when_options(p, "articles")
    p.add_argument("-o", "--output", metavar="FILE", help="output file, written in full or not at all (default stdout)")
    p = add_command(
        sub, "stats", cmd_stats, "Counts of feeds, articles, stories and raw pages.", "wirefeed stats", read_only=True
    )
    p.add_argument("--json", action="store_true", help="the counts as one JSON object")


def cmd_stories(app: App) -> int:
    """Show stories with their outlets, times, original and sizes."""
    args = app.args
    check_window(args.since, args.until)
    rows = story_records(app.store, args.since, until=args.until, by=args.by)
    if not rows and not args.json and (args.since or args.until):
        print(f"no stories {_window(args.since, args.until, args.by)}")
        return 0
    print_records(rows, as_json=args.json)
    return 0


def _window(since: datetime | None, until: datetime | None, by: str, *, empty: bool = True) -> str:
    """'published since 2026-11-20 07:00:00 and before ...'; for an empty result, what else to try."""
    parts = [f"since {local_time(since)}"] if since else []
    parts += [f"before {local_time(until)}"] if until else []
    hint = "; --by fetched or --by updated look at other times" if empty and by == "published" else ""
    return f"{by} {' and '.join(parts)}{hint}"


def print_stories(store: Store, since: datetime | None = None, as_json: bool = False) -> None:
    """The stories updated since `since` (all without it), as a JSON list or as text; `demo` ends with it."""
    print_records(story_records(store, since, by="updated"), as_json=as_json)


def print_records(rows: list[dict[str, Any]], as_json: bool = False) -> None:
    """Stories as a JSON list, or for people: each story's line, then a table of its copies."""
    if as_json:
        print(dump_json(rows))
        return
    if not rows:
        print("no stories yet")
        return
    lines = table(
        ["", "PUBLISHED", "OUTLET", "RELATION", "SCORE", "CHARS", "URL"],
        (_member_row(row, m) for row in rows for m in row["members"]),
    )
    print(f"   {lines[0]}".rstrip())
    members = iter(lines[1:])
    for row in rows:
        outlets = sorted({m["outlet"] for m in row["members"]})
        agency = f" [{row['agency']}]" if row["agency"] else ""
        print(shown(
            f"{row['story_id']}  {row['size']} cop{'y' if row['size'] == 1 else 'ies'}, "
            f"{len(outlets)} outlet{'s' if len(outlets) != 1 else ''}{agency}: {row['title']}"
        ))
        for m in row["members"]:
            changed = shown(diff_summary(m["diff"]))
            print(f"   {next(members)}" + (f"  ({changed})" if changed else ""))


def _member_row(row: dict[str, Any], m: dict[str, Any]) -> list[object]:
    """One copy of a story: the original marked *, its local time, and its canonical URL (no utm_*)."""
    original = m["article_id"] == row["original"]
    return [
        "*" if original else " ",
        local_time(m["published"] or m["fetched"]),
        m["outlet"],
        m["relation"],
        "-" if original or m["score"] is None else f"{m['score']:.2f}",
        m["chars"],
        m.get("canonical_url") or m["url"],
    ]


def diff_summary(diff: Mapping[str, Any] | None) -> str:
    """A copy diff on one line: "headline rewritten, 2 ¶ cut, 1 ¶ added top, reuses 84%, own 6%"; "" without one."""
    if not diff or not isinstance(diff, Mapping):  # a stored diff of another shape says nothing we can show
        return ""
    parts = ["headline rewritten"] if diff.get("headline_rewritten") is True else []
    if cut := _count(diff.get("paragraphs_cut")):
        parts.append(f"{cut} ¶ cut")
    if added := _count(diff.get("paragraphs_added")):
        where = diff.get("added_at")
        places = [str(p) for p in where] if isinstance(where, list) else []
        parts.append(f"{added} ¶ added {'/'.join(places)}".rstrip())
    parts.append(f"reuses {_share(diff.get('reused'))}")
    parts.append(f"own {_share(diff.get('own'))}")
    return ", ".join(parts)


def _count(value: object) -> int:
    """A stored diff's count, 0 for anything else (the diff column is JSON that another program may write)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _share(value: object) -> str:
    """A stored diff's share as a percentage; '?' when it is no finite number."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return f"{value:.0%}"
    return "0%" if value is None else "?"


def story_records(
    store: Store, since: datetime | None, *, until: datetime | None = None, by: str = "updated"
) -> list[dict[str, Any]]:
    """`stories --json`: each story with its members, the original first."""
    from store import repo

    with store.session() as session:
        return [
            {
                "story_id": story.id,
                "title": story.title,
                "size": story.size,
                "agency": story.agency,
                "first_published": iso(story.first_published),
                "original": story.original_article_id,
                "members": [_member_record(m, a) for m, a in members],
            }
            for story, members in repo.stories_since(session, since, until=until, by=by)
        ]


def _member_record(m: StoryMember, a: Article) -> dict[str, Any]:
    from ingest.urls import site_of

    return {
        "article_id": a.id,
        "outlet": a.site_name or site_of(a.url),
        "url": mask_url(a.url),
        "canonical_url": mask_url(a.canonical_url),
        "title": a.title,
        "published": iso(a.published),
        "fetched": iso(a.fetched),
        "relation": m.relation,
        "score": _score(m.score),
        "duplicate_of": m.duplicate_of,
        "agency": m.agency,
        "chars": len(a.text or ""),
        "diff": m.diff,  # what the copy changed against duplicate_of (`CopyDiff.as_dict()`); None for an original
    }


def _score(score: object) -> float | None:
    """A copy's similarity for output: None for what SQLite may hold instead of a finite number."""
    if isinstance(score, int | float) and math.isfinite(score):
        return round(score, 4)
    return None


def cmd_export(app: App) -> int:
    """Write one record per stored article (JSONL or CSV)."""
    from store import repo

    check_window(app.args.since, app.args.until)  # before the output file is made
    count = 0
    with app.store.session() as session, output(app.args.output) as out:
        found = repo.export_rows(session, app.args.since, until=app.args.until, by=app.args.by)
        rows = (_urls_masked(row) for row in found)
        if app.args.format == "csv":
            writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _csv_value(v) for k, v in row.items()})
                count += 1
        else:
            for row in rows:
                out.write(dump_json(row) + "\n")
                count += 1
    args = app.args
    window = f" {_window(args.since, args.until, args.by, empty=not count)}" if args.since or args.until else ""
    print(f"exported {count} articles{window}", file=sys.stderr)
    return 0


def _csv_value(value: object) -> object:
    """A record's value in a CSV cell: times in ISO 8601, the diff object as JSON."""
    if isinstance(value, datetime):
        return iso(value)
    return dump_json(value) if isinstance(value, dict) else value


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


def cmd_stats(app: App) -> int:
    """Counts of feeds, articles, stories and raw pages."""
    from store import peek

    # The driver alone when it can (cron and monitoring pay start-up on every run); else the general path,
    # which also says what is wrong with the database.
    numbers = peek.stats(app.database_url)
    if numbers is None:
        from store import repo

        with app.store.session() as session:
            numbers = repo.stats(session)
    from store.sizes import archive_usage

    numbers = {**numbers, **archive_usage(app.settings)}  # the archive files: names and sizes, no reading
    if app.args.json:
        print(dump_json(numbers))
    else:
        for key, value in numbers.items():
            print(f"{key:22} {value}")
    return 0
