"""The dedupe candidate index kept in SQL: LSH band keys per article, so it survives restarts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from dedupe.index import Entry
from dedupe.model import Doc
from store import repo
from store.models import Article, utcnow


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
