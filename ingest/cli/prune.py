"""`wirefeed prune [--dry-run]`: raw pages past `[store] raw_retention_days`, dedupe index rows past their windows."""

from __future__ import annotations

from typing import Any

from ingest.cli.context import App, add_command, dump_json


def add_prune_parser(sub: Any) -> None:
    """The `prune` subcommand."""
    p = add_command(
        sub,
        "prune",
        cmd_prune,
        "Delete raw pages older than [store] raw_retention_days (archive files, or bodies kept in the "
        "database; the articles stay), or with [store] raw_retention = \"move\" move the archive files to "
        "[store] cold_dir, and dedupe index rows past [dedupe] window_days (lsh_bands) and "
        "lineage_days (lineage_keys). The daemon runs it daily.",
        "wirefeed prune --dry-run",
    )
    p.add_argument("--dry-run", action="store_true", help="say what would be removed, remove nothing")
    p.add_argument("--json", action="store_true",
                   help="one JSON object: {dry_run, raw_before, raw_rows, raw_bytes, archive_files, archive_bytes, "
                        "archive_rows, files, archive_action, cold_dir, bands_before, lsh_bands, lineage_before, "
                        "lineage_keys}")


def cmd_prune(app: App) -> int:
    """Prune (or with --dry-run, plan) and print what goes."""
    from ingest.retention import prune_store

    if app.args.dry_run:
        # A plan reads only: opened as `stats` opens it, so a mistyped --db is "no database at PATH", not a
        # new empty file planned as "would remove 0". (A real prune upgrades an older schema, as it always did.)
        app.args.read_only = True
    found = prune_store(app.store, app.settings, dry_run=bool(app.args.dry_run))
    if app.args.json:
        print(dump_json(dict(found.as_dict(), dry_run=bool(app.args.dry_run))))
        return 0
    for line in describe(found.as_dict(), dry_run=app.args.dry_run):
        print(line)
    return 0


def describe(fields: dict[str, Any], *, dry_run: bool) -> list[str]:
    """The plan as lines a user reads."""
    verb = "would remove" if dry_run else "removed"
    lines = []
    if fields["raw_before"] is None:
        lines.append("raw pages: kept forever ([store] raw_retention_days = 0)")
    elif fields.get("archive_action") == "move":
        moving = "would move" if dry_run else "moved"
        lines.append(f"raw pages before {fields['raw_before']}: {moving} {fields['archive_files']} archive files "
                     f"({fields['archive_bytes']:,} bytes, {fields['archive_rows']} pages) to {fields['cold_dir']}, "
                     f"where they are still read; bodies in the database are kept")
    else:
        lines.append(f"raw pages before {fields['raw_before']}: {verb} {fields['archive_files']} archive files "
                     f"({fields['archive_bytes']:,} bytes, {fields['archive_rows']} pages) and "
                     f"{fields['raw_rows']} bodies in the database ({fields['raw_bytes']:,} bytes); the articles stay")
    if fields["raw_before"] is not None:  # the archive files, the first 20 by name
        lines.extend(f"  {name}" for name in fields["files"][:20])
        if len(fields["files"]) > 20:
            lines.append(f"  ... and {len(fields['files']) - 20} more")
    lines.append(f"lsh_bands before {fields['bands_before']} ([dedupe] window_days): {verb} {fields['lsh_bands']}")
    lines.append(f"lineage_keys before {fields['lineage_before']} ([dedupe] lineage_days): "
                 f"{verb} {fields['lineage_keys']}")
    return lines
