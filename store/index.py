"""The dedupe indexes kept in SQL, so they survive restarts: LSH band keys of the window, lineage fingerprints."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.orm import Session

from dedupe.index import Entry
from dedupe.lineage import MAX_PER_KEY
from dedupe.model import Doc
from store import repo
from store.models import Article, LineageKey, utcnow


class SqlIndex:
    """CandidateIndex over the `lsh_bands` and `articles` tables, inside the caller's transaction."""

    def __init__(self, session: Session, *, max_candidates: int = 200) -> None:
        self.session = session
        self.max_candidates = max_candidates

    def candidates(self, keys: Sequence[int], since: datetime | None) -> list[Entry]:
        """Stored articles sharing a band key, indexed at or after `since`, oldest first."""
        shared = repo.band_matches(self.session, keys, since)
        # A key shared by very many articles is boilerplate or a template: keep the most recent ones.
        ids = sorted(shared)[-self.max_candidates :]
        if not ids:
            return []
        rows = self.session.execute(_CANDIDATES, {"ids": ids})
        # Each entry carries the keys it shares with the query: the clusterer ranks candidates by them.
        return [_entry(row, tuple(sorted(shared[row.id]))) for row in rows]

    def by_hash(self, text_hash: str) -> Entry | None:
        """The earliest clustered article with this normalised-text hash."""
        row = self.session.execute(_BY_HASH, {"text_hash": text_hash}).first()
        return _entry(row) if row is not None else None

    def add(self, entry: Entry, text_hash: str, added: datetime | None = None) -> None:
        """Index the article's band keys at its arrival time, now by default (the article row is stored)."""
        repo.add_bands(self.session, int(entry.doc.id), entry.keys, added or utcnow())

    def evict(self, before: datetime) -> int:
        """Forget band keys that arrived before `before` (a window before the wall clock's hour)."""
        return repo.evict_bands(self.session, before)


class SqlLineage:
    """LineageIndex over the `lineage_keys` and `articles` tables, inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def candidates(self, keys: Sequence[int], limit: int) -> list[Entry]:
        """Clustered articles sharing a fingerprint (the latest MAX_PER_KEY per key), most shared first."""
        if not keys:
            return []
        shared: dict[int, set[int]] = {}
        for article_id, key in self.session.execute(_LINEAGE, {"keys": sorted(set(keys)), "cap": MAX_PER_KEY}):
            shared.setdefault(int(article_id), set()).add(int(key))
        ids = sorted(shared, key=lambda i: (-len(shared[i]), i))[:limit]
        if not ids:
            return []
        rows = {row.id: row for row in self.session.execute(_CANDIDATES, {"ids": ids})}
        return [_entry(rows[i], tuple(sorted(shared[i]))) for i in ids if i in rows]

    def add(self, entry: Entry, added: datetime | None = None) -> None:
        """File the article's fingerprints at its arrival time, now by default."""
        when = added or utcnow()
        rows = [{"key": k, "article_id": int(entry.doc.id), "added": when} for k in sorted(set(entry.keys))]
        if rows:
            self.session.execute(insert(LineageKey), rows)

    def evict(self, before: datetime) -> int:
        """Forget fingerprints that arrived before `before` (`[dedupe] lineage_days` before the wall clock)."""
        result = self.session.execute(delete(LineageKey).where(LineageKey.added < before))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def doc_of(article: Article) -> Doc:
    """The article as dedupe sees it; an undated article counts from when it was fetched."""
    return Doc(
        id=str(article.id),
        title=article.title or "",
        text=article.text or "",
        url=article.url,
        published=article.published or article.fetched,
    )


# Plain columns rather than ORM objects: candidates are read on every placement, and loading them as
# entities (identity map, change tracking) cost more than the query.
_ENTRY_COLUMNS = (Article.id, Article.title, Article.text, Article.url, Article.published, Article.fetched,
                  Article.story_id)
# Built once: constructing a statement per call cost as much as running it.
_CANDIDATES = (
    select(*_ENTRY_COLUMNS)
    .where(Article.id.in_(bindparam("ids", expanding=True)), Article.story_id.is_not(None))
    .order_by(Article.id)
)
# Per fingerprint, its latest MAX_PER_KEY articles: a fingerprint shared by more is boilerplate.
_RANKED = (
    select(
        LineageKey.article_id,
        LineageKey.key,
        func.row_number().over(partition_by=LineageKey.key, order_by=LineageKey.id.desc()).label("rank"),
    )
    .where(LineageKey.key.in_(bindparam("keys", expanding=True)))
    .subquery()
)
_LINEAGE = select(_RANKED.c.article_id, _RANKED.c.key).where(_RANKED.c.rank <= bindparam("cap"))
_BY_HASH = (
    select(*_ENTRY_COLUMNS)
    .where(Article.content_hash == bindparam("text_hash"), Article.story_id.is_not(None))
    .order_by(Article.id)
    .limit(1)
)


def _entry(row: Any, keys: tuple[int, ...] = ()) -> Entry:
    doc = Doc(id=str(row.id), title=row.title or "", text=row.text or "", url=row.url,
              published=row.published or row.fetched)
    return Entry(doc=doc, cluster=row.story_id or "", keys=keys)


def table_bytes(session: Session, table_name: str) -> int | None:
    """Bytes a table takes on disk with its indexes; None when the database cannot tell.

    PostgreSQL: `pg_total_relation_size` (heap, indexes, TOAST, free-space and visibility maps). SQLite:
    the pages of the table and of its indexes in the `dbstat` virtual table, when SQLite was compiled with it.
    """
    from sqlalchemy import text

    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        size = session.execute(text("SELECT pg_total_relation_size(CAST(:name AS regclass))"), {"name": table_name})
        return int(size.scalar_one())
    if dialect != "sqlite":
        return None
    has_dbstat = session.execute(
        text("SELECT 1 FROM pragma_compile_options WHERE compile_options = 'ENABLE_DBSTAT_VTAB'")
    ).first()
    if has_dbstat is None:
        return None
    pages = session.execute(
        text(
            "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN "
            "(SELECT name FROM sqlite_master WHERE tbl_name = :name AND type IN ('table', 'index'))"
        ),
        {"name": table_name},
    )
    return int(pages.scalar_one())
