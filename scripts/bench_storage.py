"""Bytes per article in the store, per table and per archive file, on real pages; a year's projection.

Backfills the real pages of ../shared/data/fundus-eval (80 pages of 16 publishers), each served by
MIRRORS hosts (so dedupe places copies and every table fills as in production), into fresh SQLite
databases twice in the same run: raw pages in the database (`[store] raw_storage = "database"`) and in
WARC files (`"archive"`). Table sizes come from SQLite's `dbstat` (pages of each table and of its
indexes), the archive from the files' sizes. Then projects 10k, 100k and 1M articles a day over a year,
with no retention and with `raw_retention_days` (the dedupe windows bound `lsh_bands` and
`lineage_keys` either way when pruned).

    python scripts/bench_storage.py [--mirrors 8] [--retention 30] [--markdown]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import io
import json
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.settings import DatabaseSettings, DedupeSettings, ExtractSettings, Settings, StoreSettings
from ingest.backfill.run import Backfill, BackfillOptions
from ingest.logs import configure_logging
from ingest.pipeline import Pipeline
from store.db import Store
from store.sizes import sqlite_table_bytes

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "fundus-eval"
DAYS = 365
RATES = (10_000, 100_000, 1_000_000)


def real_pages(data: Path) -> list[tuple[str, bytes]]:
    """(url, html) of fundus-eval's pages."""
    truth = json.loads((data / "ground_truth.json").read_text(encoding="utf-8"))
    return [(str(truth[name]["url"]), gzip.decompress((data / "html" / name).read_bytes())) for name in sorted(truth)]


def write_input(path: Path, pages: list[tuple[str, bytes]], mirrors: int) -> int:
    """A WARC of every page on each mirror host, a minute apart; the number of records."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    count = 0
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for mirror in range(mirrors):
            for url, html in pages:
                moved = urlsplit(url)._replace(netloc=f"m{mirror}.{urlsplit(url).netloc}").geturl()
                headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                           protocol="HTTP/1.1")
                when = (start + timedelta(minutes=count)).strftime("%Y-%m-%dT%H:%M:%SZ")
                writer.write_record(writer.create_warc_record(moved, "response", payload=io.BytesIO(html),
                                                              length=len(html), http_headers=headers,
                                                              warc_headers_dict={"WARC-Date": when}))
                count += 1
    return count


def backfill(db: Path, warc: Path, mode: str, archive: Path) -> int:
    """Backfill into a fresh database in one raw storage mode; the articles stored."""
    settings = Settings(
        database=DatabaseSettings(url=SecretStr(f"sqlite:///{db}")), extract=ExtractSettings(workers=2),
        dedupe=DedupeSettings(),
        store=StoreSettings(raw_storage=mode, archive_dir=str(archive) if mode == "archive" else None),  # type: ignore[arg-type]
    )
    store = Store(settings.database.url)
    pipeline = Pipeline(store, settings)
    try:
        summary = asyncio.run(Backfill(pipeline, BackfillOptions(warcs=[str(warc)])).run())
    finally:
        pipeline.close()
        store.close()
    return summary.stored


def human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000 or unit == "PB":
            return f"{n:,.1f} {unit}" if unit != "B" else f"{n:,.0f} B"
        n /= 1000
    return str(n)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirrors", type=int, default=8, help="hosts serving each page (default 8)")
    parser.add_argument("--retention", type=int, default=30, help="raw_retention_days projected (default 30)")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    if not (args.data / "ground_truth.json").exists():
        print(f"no real pages at {args.data}: skipped", file=sys.stderr)
        return 0
    configure_logging("json", "warning")
    pages = real_pages(args.data)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        records = write_input(root / "in.warc.gz", pages, args.mirrors)
        html = sum(len(h) for _, h in pages) * args.mirrors
        results = {}
        for mode in ("database", "archive"):
            db = root / f"{mode}.db"
            stored = backfill(db, root / "in.warc.gz", mode, root / "archive")
            tables = sqlite_table_bytes(db)
            files = sorted((root / "archive").glob("*.warc.gz")) if mode == "archive" else []
            results[mode] = (stored, tables, db.stat().st_size, sum(f.stat().st_size for f in files), len(files))
    print(f"input: {len(pages)} real pages (fundus-eval) x {args.mirrors} mirrors = {records} records, "
          f"{human(html / records)} of HTML a page on average")
    for mode, (stored, tables, db_size, archive_size, nfiles) in results.items():
        print(f"\n## raw_storage = {mode}: {stored} articles; database file {human(db_size)} "
              f"({human(db_size / stored)} an article)" + (f"; archive {nfiles} file(s) {human(archive_size)} "
                                                          f"({human(archive_size / stored)} an article)"
                                                          if mode == "archive" else ""))
        print("| table (with its indexes) | bytes | bytes an article |")
        print("|---|---:|---:|")
        for table, size in sorted(tables.items(), key=lambda kv: -kv[1]):
            print(f"| {table} | {size:,} | {size / stored:,.0f} |")
    stored, tables, _, archive_size, _ = results["archive"]
    per = {t: s / stored for t, s in tables.items()}
    raw_db = results["database"][1].get("raw_pages", 0) / results["database"][0]
    bands, lineage = per.get("lsh_bands", 0.0), per.get("lineage_keys", 0.0)
    rest = sum(per.values()) - bands - lineage  # articles, stories, members, items, raw_pages refs ...
    raw_file = archive_size / stored
    window, lineage_days = DedupeSettings().window_days, DedupeSettings().lineage_days
    print(f"\nper article: database rows without bands/lineage {human(rest)}, lsh_bands {human(bands)}, "
          f"lineage_keys {human(lineage)}; raw page in the database {human(raw_db)}, in a WARC file {human(raw_file)}")
    print(f"\n## a year ({DAYS} days): database / archive files")
    print(f"| articles a day | raw in the database, no retention | archive mode, no retention "
          f"| archive mode, raw_retention_days={args.retention}, dedupe rows pruned |")
    print("|---:|---|---|---|")
    for rate in RATES:
        n = rate * DAYS
        in_db = n * (rest + bands + lineage + raw_db)
        archive_db, archive_files = n * (rest + bands + lineage), n * raw_file
        kept_db = n * rest + rate * window * bands + rate * min(DAYS, lineage_days) * lineage
        kept_files = rate * min(DAYS, args.retention) * raw_file
        print(f"| {rate:,} | {human(in_db)} | {human(archive_db)} + {human(archive_files)} "
              f"| {human(kept_db)} + {human(kept_files)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
