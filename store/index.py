"""The dedupe indexes kept in SQL, so they survive restarts: LSH band keys of the window, lineage fingerprints."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, insert, select
from sqlalchemy.orm import Session

from dedupe.index import Entry
from dedupe.lineage import MAX_PER_KEY
from dedupe.model import Doc
from store import repo
from store.models import Article, LineageKey, utcnow


class SqlIndex:
    """CandidateIndex over the `lsh_bands` and `articles` tables, inside the caller's transaction.

    Buffered (`buffered=True`), it writes nothing until `flush`: a group of pages placed in one
    transaction adds its band keys with one executemany, and the group's own articles are answered from
    memory (their rows get their story only when the group's placements are written). `prefetch` reads
    the band keys and text hashes of the whole group in two queries instead of two per page. Either way
    the answers are those of the unbuffered index over the same placements.
    """

    def __init__(self, session: Session, *, max_candidates: int = 200, buffered: bool = False) -> None:
        self.session = session
        self.max_candidates = max_candidates
        self.buffered = buffered
        self._pending: list[dict[str, Any]] = []  # lsh_bands rows not written yet
        self._by_key: dict[int, list[int]] = {}  # band key -> pending article ids, in placement order
        self._entries: dict[int, tuple[Entry, datetime]] = {}  # pending article id -> its entry, arrival
        self._hashes: dict[str, int] = {}  # text hash -> the first pending article with it
        self._matches: dict[int, list[int]] | None = None  # prefetched band key -> article ids
        self._since: datetime | None = None  # the `since` the matches were read for
        self._first: dict[str, Entry | None] = {}  # prefetched text hash -> earliest clustered article
        self._rows: dict[int, Any] = {}  # prefetched article id -> its candidate row (clustered articles only)

    def prefetch(self, keys: Sequence[int], hashes: Sequence[str], since: datetime | None) -> None:
        """Read once what the group's `candidates` (with this `since`) and `by_hash` calls will ask.

        An eviction (the clock's hour changed, so `since` moves) drops what was read for candidates.
        """
        self._since = since
        self._matches = {key: [] for key in set(keys)}
        for article_id, key in repo.band_rows(self.session, sorted(self._matches), since):
            self._matches[key].append(article_id)
        # The rows `candidates` will read, in one query for the group (it was one query a page, most of
        # its cost): a group's pages match a few articles each. Too many (keys shared by a whole outlet) are
        # left to `candidates`, which keeps only the most recent `max_candidates` of them.
        matched = sorted({i for ids in self._matches.values() for i in ids})
        self._rows = {}
        if len(matched) <= _PREFETCH_ROWS:
            for start in range(0, len(matched), 500):
                for candidate in self.session.connection().execute(_CANDIDATES, {"ids": matched[start : start + 500]}):
                    self._rows[candidate.id] = candidate
        unique = sorted(set(hashes))
        self._first = dict.fromkeys(unique)
        for start in range(0, len(unique), 500):
            for row in self.session.connection().execute(_BY_HASHES, {"hashes": unique[start : start + 500]}):
                if self._first.get(row.content_hash) is None:
                    self._first[row.content_hash] = _entry(row)

    def candidates(self, keys: Sequence[int], since: datetime | None) -> list[Entry]:
        """Stored articles sharing a band key, indexed at or after `since`, oldest first."""
        prefetched = self._prefetched(keys, since)
        shared = self._stored_matches(keys) if prefetched else repo.band_matches(self.session, keys, since)
        for key in set(keys):
            for article_id in self._by_key.get(key, ()):
                if since is None or self._entries[article_id][1] >= since:
                    shared.setdefault(article_id, set()).add(key)
        # A key shared by very many articles is boilerplate or a template: keep the most recent ones.
        ids = sorted(shared)[-self.max_candidates :]
        stored = [i for i in ids if i not in self._entries]
        # Prefetched rows answer for the ids they cover: an id missing from a complete prefetch is not clustered.
        rows = self._rows if prefetched else {}
        entries = {i: _entry(rows[i], tuple(sorted(shared[i]))) for i in stored if i in rows}
        unread = [] if rows else stored
        if unread:
            entries.update({row.id: _entry(row, tuple(sorted(shared[row.id])))
                            for row in self.session.connection().execute(_CANDIDATES, {"ids": unread})})
        for i in ids:
            if i in self._entries:
                entry = self._entries[i][0]
                entries[i] = Entry(doc=entry.doc, cluster=entry.cluster, keys=tuple(sorted(shared[i])))
        # Each entry carries the keys it shares with the query: the clusterer ranks candidates by them.
        return [entries[i] for i in ids if i in entries]

    def _prefetched(self, keys: Sequence[int], since: datetime | None) -> bool:
        """Whether `prefetch` read every key of these for this `since` (its rows too, when it read any)."""
        return self._matches is not None and since == self._since and all(key in self._matches for key in keys)

    def _stored_matches(self, keys: Sequence[int]) -> dict[int, set[int]]:
        """Article id -> shared band keys among the stored rows, from what `prefetch` read."""
        assert self._matches is not None
        shared: dict[int, set[int]] = {}
        for key in set(keys):
            for article_id in self._matches[key]:
                shared.setdefault(article_id, set()).add(key)
        return shared

    def by_hash(self, text_hash: str) -> Entry | None:
        """The earliest clustered article with this normalised-text hash."""
        if text_hash in self._first:
            found = self._first[text_hash]
        else:
            row = self.session.connection().execute(_BY_HASH, {"text_hash": text_hash}).first()
            found = _entry(row) if row is not None else None
        if found is None and text_hash in self._hashes:
            found = self._entries[self._hashes[text_hash]][0]
        return found

    def add(self, entry: Entry, text_hash: str, added: datetime | None = None) -> None:
        """Index the article's band keys at its arrival time, now by default (the article row is stored)."""
        when = added or utcnow()
        article_id = int(entry.doc.id)
        if not self.buffered:
            repo.add_bands(self.session, article_id, entry.keys, when)
            return
        self._entries[article_id] = (Entry(doc=entry.doc, cluster=entry.cluster, keys=()), when)
        self._hashes.setdefault(text_hash, article_id)
        for key in sorted(set(entry.keys)):
            self._by_key.setdefault(key, []).append(article_id)
            self._pending.append({"key": key, "article_id": article_id, "added": when})

    def evict(self, before: datetime) -> int:
        """Forget band keys that arrived before `before` (a window before the wall clock's hour)."""
        self._matches = None  # read for another `since`
        self._rows = {}
        return repo.evict_bands(self.session, before)

    def flush(self) -> None:
        """Write the buffered band keys (one executemany); the index then reads them from the store."""
        repo.insert_bands(self.session, self._pending)
        self._pending = []
        self._by_key.clear()
        self._entries.clear()
        self._hashes.clear()
        self._matches = None
        self._first = {}
        self._rows = {}


class SqlLineage:
    """LineageIndex over the `lineage_keys` and `articles` tables, inside the caller's transaction.

    Buffered, it writes nothing until `flush` and answers the group's own articles from memory: they are
    the latest of each fingerprint, so they rank first, as their rows would.
    """

    def __init__(self, session: Session, *, buffered: bool = False) -> None:
        self.session = session
        self.buffered = buffered
        self._pending: list[dict[str, Any]] = []
        self._by_key: dict[int, list[int]] = {}  # fingerprint -> pending article ids, latest first
        self._entries: dict[int, tuple[Entry, datetime]] = {}

    def candidates(self, keys: Sequence[int], limit: int) -> list[Entry]:
        """Clustered articles sharing a fingerprint (the latest MAX_PER_KEY per key), most shared first."""
        if not keys:
            return []
        shared: dict[int, set[int]] = {}
        for key in set(keys):
            for article_id in self._by_key.get(key, ())[:MAX_PER_KEY]:
                shared.setdefault(article_id, set()).add(key)
        connection = self.session.connection()
        rows = connection.execute(_LINEAGE, {"keys": sorted(set(keys)), "cap": MAX_PER_KEY})
        for article_id, key, rank in rows:
            if rank + len(self._by_key.get(int(key), ())) <= MAX_PER_KEY:
                shared.setdefault(int(article_id), set()).add(int(key))
        ids = sorted(shared, key=lambda i: (-len(shared[i]), i))[:limit]
        if not ids:
            return []
        stored = [i for i in ids if i not in self._entries]
        found = {row.id: row for row in connection.execute(_CANDIDATES, {"ids": stored})} if stored else {}
        entries = []
        for i in ids:
            if i in self._entries:
                entry = self._entries[i][0]
                entries.append(Entry(doc=entry.doc, cluster=entry.cluster, keys=tuple(sorted(shared[i]))))
            elif i in found:
                entries.append(_entry(found[i], tuple(sorted(shared[i]))))
        return entries

    def add(self, entry: Entry, added: datetime | None = None) -> None:
        """File the article's fingerprints at its arrival time, now by default."""
        when = added or utcnow()
        article_id = int(entry.doc.id)
        rows = [{"key": k, "article_id": article_id, "added": when} for k in sorted(set(entry.keys))]
        if not self.buffered:
            if rows:
                self.session.execute(insert(LineageKey), rows)
            return
        self._entries[article_id] = (Entry(doc=entry.doc, cluster=entry.cluster, keys=()), when)
        for key in sorted(set(entry.keys)):
            self._by_key.setdefault(key, []).insert(0, article_id)
        self._pending.extend(rows)

    def evict(self, before: datetime) -> int:
        """Forget fingerprints that arrived before `before` (`[dedupe] lineage_days` before the wall clock)."""
        result = self.session.execute(delete(LineageKey).where(LineageKey.added < before))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def flush(self) -> None:
        """Write the buffered fingerprints (one executemany)."""
        repo.insert_many(self.session, _table(LineageKey), self._pending)
        self._pending = []
        self._by_key.clear()
        self._entries.clear()


def _table(model: type[LineageKey]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def doc_of(article: Article) -> Doc:
    """The article as dedupe sees it; an undated article counts from when it was fetched."""
    return Doc(
        id=str(article.id),
        title=article.title or "",
        text=article.text or "",
        url=article.url,
        published=article.published or article.fetched,
    )


# Plain columns rather than ORM objects, run on the session's connection (Core): candidates are read on
# every placement, and loading them as entities (identity map, change tracking), or even as rows through
# the ORM's execution, cost more than the query.
_ENTRY_COLUMNS = (Article.id, Article.title, Article.text, Article.url, Article.published, Article.fetched,
                  Article.story_id)
_PREFETCH_ROWS = 2_000  # candidate rows a group's prefetch reads at most (some 3 KB of text each)
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
_LINEAGE = select(_RANKED.c.article_id, _RANKED.c.key, _RANKED.c.rank).where(_RANKED.c.rank <= bindparam("cap"))
_BY_HASHES = (
    select(*_ENTRY_COLUMNS, Article.content_hash)
    .where(Article.content_hash.in_(bindparam("hashes", expanding=True)), Article.story_id.is_not(None))
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
