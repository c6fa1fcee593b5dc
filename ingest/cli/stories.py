"""`wirefeed stories`, `export` and `stats`: what is stored, read back."""

from __future__ import annotations

import csv
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ingest.cli.context import App, add_command, dump_json, iso, output, parse_duration
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
        "Show stories with their outlets, times, original and sizes.",
        "wirefeed stories --since 24h",
    )
    p.add_argument("--since", type=parse_duration, metavar="DURATION", help="e.g. 90m, 24h, 7d")
    p.add_argument("--json", action="store_true")
    p = add_command(
        sub,
        "export",
        cmd_export,
        "Export stored articles, one record each, with their story_id.",
        "wirefeed export --format csv --since 7d -o articles.csv",
    )
    p.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    p.add_argument("--since", type=parse_duration, metavar="DURATION")
    p.add_argument("-o", "--output", metavar="FILE", help="output file (default stdout)")
    p = add_command(
        sub, "stats", cmd_stats, "Counts of feeds, articles, stories and raw pages.", "wirefeed stats"
    )
    p.add_argument("--json", action="store_true")


def _since(duration: timedelta | None) -> datetime | None:
    return datetime.now(UTC) - duration if duration is not None else None


def cmd_stories(app: App) -> int:
    """Show stories with their outlets, times, original and sizes."""
    print_stories(app.store, since=_since(app.args.since), as_json=app.args.json)
    return 0


def print_stories(store: Store, since: datetime | None = None, as_json: bool = False) -> None:
    """The stories updated since `since` (all without it), as a JSON list or as text; `demo` ends with it."""
    rows = story_records(store, since)
    if as_json:
        print(dump_json(rows))
        return
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
            changed = diff_summary(m["diff"])
            print(
                f"   {mark} {m['published'] or m['fetched']}  {m['outlet']:<28} {m['relation']:<14} "
                f"{m['score']:.2f} {m['chars']:>6} chars  {m['url']}" + (f"  ({changed})" if changed else "")
            )


def diff_summary(diff: Mapping[str, Any] | None) -> str:
    """A copy diff on one line: "headline rewritten, 2 ¶ cut, 1 ¶ added top, reuses 84%, own 6%"; "" without one."""
    if not diff:
        return ""
    parts = ["headline rewritten"] if diff.get("headline_rewritten") else []
    if diff.get("paragraphs_cut"):
        parts.append(f"{diff['paragraphs_cut']} ¶ cut")
    if diff.get("paragraphs_added"):
        parts.append(f"{diff['paragraphs_added']} ¶ added {'/'.join(diff.get('added_at') or ())}".rstrip())
    parts.append(f"reuses {float(diff.get('reused', 0.0)):.0%}")
    parts.append(f"own {float(diff.get('own', 0.0)):.0%}")
    return ", ".join(parts)


def story_records(store: Store, since: datetime | None) -> list[dict[str, Any]]:
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
            for story, members in repo.stories_since(session, since)
        ]


def _member_record(m: StoryMember, a: Article) -> dict[str, Any]:
    from ingest.urls import site_of

    return {
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
        "diff": m.diff,  # what the copy changed against duplicate_of (`CopyDiff.as_dict()`); None for an original
    }


def cmd_export(app: App) -> int:
    """Write one record per stored article (JSONL or CSV)."""
    from store import repo

    count = 0
    with app.store.session() as session, output(app.args.output) as out:
        rows = (_urls_masked(row) for row in repo.export_rows(session, _since(app.args.since)))
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
    print(f"exported {count} articles", file=sys.stderr)
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
    from store import repo

    with app.store.session() as session:
        numbers = repo.stats(session)
    if app.args.json:
        print(dump_json(numbers))
    else:
        for key, value in numbers.items():
            print(f"{key:22} {value}")
    return 0
