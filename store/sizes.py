"""Bytes each table of a SQLite store takes on disk (for scripts/bench_storage.py and docs/scaling.md)."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from pathlib import Path


def sqlite_table_bytes(path: str | Path) -> dict[str, int]:
    """Bytes of each table with rows, its indexes counted with it (dbstat pages), after a VACUUM."""
    with sqlite3.connect(path) as conn:
        conn.execute("VACUUM")
        owner = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')"))
        sizes: dict[str, int] = defaultdict(int)
        for name, size in conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
            sizes[owner.get(name, name)] += int(size)
        # Table names come from sqlite_master itself, quoted.
        rows = {table: int(conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
                for table in sizes if table in owner and not table.startswith("sqlite_")}
    return {table: size for table, size in sizes.items() if rows.get(table, 0) or table == "raw_pages"}
