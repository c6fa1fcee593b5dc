"""Tests for dedupe.index.InMemoryIndex against the CandidateIndex contract, and for store.index.SqlIndex
placing groups of articles as the live pipeline does."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dedupe.cluster import Clusterer, Prepared
from dedupe.index import CandidateIndex, Entry, InMemoryIndex
from dedupe.lineage import InMemoryLineage
from dedupe.model import Decision, Doc
from store import repo
from store.db import Store
from store.index import SqlIndex, SqlLineage
from tests.test_dedupe_cluster import FOOTER, HISTOIRE, STORY, body, doc

T0 = datetime(2024, 5, 6, tzinfo=UTC)


def entry(doc_id: str, keys: tuple[int, ...], hours: float | None = 0.0) -> Entry:
    """Build an entry published `hours` after T0 (undated when None)."""
    published = None if hours is None else T0 + timedelta(hours=hours)
    return Entry(Doc(doc_id, doc_id, doc_id, None, published), "s" + doc_id, keys)


class TestInMemoryIndex:
    """InMemoryIndex."""

    def test_is_a_candidate_index(self) -> None:
        """The in-memory index satisfies the protocol the SQL index implements."""
        index: CandidateIndex = InMemoryIndex()
        assert index.candidates([1], None) == []

    def test_candidates_share_a_key_in_insertion_order_once(self) -> None:
        """Entries sharing any key come back once each, oldest insertion first."""
        index = InMemoryIndex()
        for e in (entry("a", (1, 2)), entry("b", (3,)), entry("c", (2, 1, 4))):
            index.add(e, e.doc.id)
        assert [e.doc.id for e in index.candidates([1, 2, 4], None)] == ["a", "c"]

    def test_since_filters_by_arrival(self) -> None:
        """Entries that arrived before `since` are not candidates."""
        index = InMemoryIndex()
        index.add(entry("a", (1,)), "a", T0)
        index.add(entry("b", (1,)), "b", T0 + timedelta(hours=10))
        found = index.candidates([1], T0 + timedelta(hours=5))
        assert [e.doc.id for e in found] == ["b"]

    def test_by_hash_returns_the_first_entry(self) -> None:
        """The exact path finds the earliest entry with a text hash."""
        index = InMemoryIndex()
        index.add(entry("a", (1,)), "h")
        index.add(entry("b", (2,)), "h")
        found = index.by_hash("h")
        assert found is not None
        assert found.doc.id == "a"
        assert index.by_hash("other") is None

    def test_evict_drops_old_entries(self) -> None:
        """evict() removes entries that arrived before the cut-off from keys and hashes and counts them."""
        index = InMemoryIndex()
        index.add(entry("a", (1,)), "ha", T0)
        index.add(entry("b", (1,)), "hb", T0 + timedelta(hours=10))
        assert index.evict(T0 + timedelta(hours=5)) == 1
        assert len(index) == 1
        assert [e.doc.id for e in index.candidates([1], None)] == ["b"]
        assert index.by_hash("ha") is None

    def test_entries_without_an_arrival_time_arrive_now(self) -> None:
        """An entry added without an arrival time is timed by the wall clock, whatever its publication date."""
        index = InMemoryIndex()
        before = datetime.now(UTC)
        index.add(entry("old", (1,), hours=-24 * 365 * 30), "o")
        index.add(entry("undated", (1,), hours=None), "u")
        assert index.evict(before) == 0
        assert index.evict(datetime.now(UTC) + timedelta(seconds=1)) == 2

    def test_hot_keys_are_capped(self) -> None:
        """A key shared by more than max_per_key entries keeps only the most recent ones."""
        index = InMemoryIndex(max_per_key=3)
        for i in range(5):
            index.add(entry(f"d{i}", (7,)), f"h{i}", T0 + timedelta(hours=i))
        assert [e.doc.id for e in index.candidates([7], None)] == ["d2", "d3", "d4"]

    def test_a_key_of_one_entry_keeps_one(self) -> None:
        """With max_per_key=1 a key keeps its latest entry only; fewer than one is refused."""
        index = InMemoryIndex(max_per_key=1)
        for i in range(3):
            index.add(entry(f"d{i}", (7, 10 + i)), f"h{i}", T0 + timedelta(hours=i))
        assert [e.doc.id for e in index.candidates([7], None)] == ["d2"]
        assert [e.doc.id for e in index.candidates([10, 11, 12], None)] == ["d0", "d1", "d2"]
        with pytest.raises(ValueError, match="max_per_key"):
            InMemoryIndex(max_per_key=0)

    def test_eviction_empties_keys_of_one_entry_and_shared_ones(self) -> None:
        """Evicted entries leave both the keys they alone had and those they shared, which then go too."""
        index = InMemoryIndex()
        index.add(entry("a", (1, 2)), "ha", T0)
        index.add(entry("b", (2, 3)), "hb", T0 + timedelta(hours=1))
        index.add(entry("c", (3, 4)), "hc", T0 + timedelta(hours=2))
        assert index.evict(T0 + timedelta(minutes=30)) == 1
        assert index.candidates([1], None) == []
        assert [e.doc.id for e in index.candidates([1, 2, 3], None)] == ["b", "c"]
        assert index.evict(T0 + timedelta(hours=3)) == 2
        assert index.candidates([1, 2, 3, 4], None) == []
        assert not index._buckets


class TestArrivalTime:
    """InMemoryIndex timed by arrival."""

    def test_entries_are_timed_by_arrival_not_publication(self) -> None:
        """An entry added with an arrival time is filtered and evicted by it, whatever its publication date."""
        index = InMemoryIndex()
        index.add(entry("recent", (1,), hours=100), "r", T0 + timedelta(hours=100))
        index.add(entry("old", (1,), hours=-24 * 365), "o", T0 + timedelta(hours=100))
        index.add(entry("future", (1,), hours=24 * 365 * 7000), "f", T0 + timedelta(hours=100))
        assert [e.doc.id for e in index.candidates([1], T0 + timedelta(hours=99))] == ["recent", "old", "future"]
        assert index.evict(T0 + timedelta(hours=99)) == 0
        assert index.evict(T0 + timedelta(hours=101)) == 3

    def test_an_earlier_arrival_counts_as_the_latest(self) -> None:
        """An entry added with an arrival time before the latest one is timed at the latest (times only grow)."""
        index = InMemoryIndex()
        index.add(entry("a", (1,)), "a", T0 + timedelta(hours=10))
        index.add(entry("b", (1,)), "b", T0)
        assert index.evict(T0 + timedelta(hours=10)) == 0
        assert index.evict(T0 + timedelta(hours=11)) == 2

    def test_size_cap_drops_the_oldest_arrivals(self) -> None:
        """Beyond max_entries the oldest arrivals leave the keys and the hashes, whatever their dates."""
        index = InMemoryIndex(max_entries=3)
        for i, hours in enumerate([5, -1000, 24 * 365 * 7000, None, 0]):
            index.add(entry(f"d{i}", (7, i), hours=hours), f"h{i}", T0 + timedelta(minutes=i))
        assert len(index) == 3
        assert [e.doc.id for e in index.candidates([7, 0, 1], None)] == ["d2", "d3", "d4"]
        assert index.by_hash("h1") is None
        assert index.by_hash("h2") is not None


# What a group prefetches: every key of its articles (as `PageStore._place_group` does), the keys `add` will
# look them up by, or none (each lookup then reads the band rows itself).
_PREFETCH: dict[str, Callable[[Clusterer, Prepared], Sequence[int]]] = {
    "all": lambda _, ready: ready.keys,
    "query": lambda clusterer, ready: clusterer.query_keys(ready),
    "none": lambda _, ready: (),
}


def _stream() -> list[Doc]:
    """Two stories with copies, trimmed copies and briefs, all carrying one outlet's footer."""
    briefs = [f"The council of Town{i} approved a budget of {i * 3 + 10} million for its {i} schools." for i in
              range(6)]
    docs = [doc("a", body([*STORY, FOOTER])), doc("b", body([*HISTOIRE, FOOTER]), hours=1)]
    docs += [doc(f"n{i}", body([brief, FOOTER]), hours=1 + i / 4) for i, brief in enumerate(briefs)]
    docs += [doc("c", body([*STORY[:5], FOOTER]), hours=3), doc("d", body(HISTOIRE[:3]), hours=4),
             doc("e", body([STORY[0].replace("Thursday", "Friday"), *STORY[1:]]), hours=5),
             doc("f", body([*HISTOIRE, FOOTER]), hours=6), doc("g", body(STORY[:2]), hours=7)]
    return docs


def _place(store: Store, docs: list[Doc], group: int, prefetch: str | None) -> list[Decision]:
    """Place the documents in groups of `group`, as `PageStore._place_group` places a writer's group; with
    `prefetch` None, one at a time with unbuffered indexes. Decisions name documents by their own ids."""
    arrived = datetime(2026, 1, 5, tzinfo=UTC)
    clusterer = Clusterer(InMemoryIndex(), lineage=InMemoryLineage())  # indexes bound per transaction
    ids: dict[str, str] = {}
    decisions = []
    for start in range(0, len(docs), group):
        members = docs[start : start + group]
        with store.session() as session:
            inserted = repo.insert_articles(session, [
                {"canonical_url": f"https://x.example/{d.id}", "url": f"https://x.example/{d.id}", "title": d.title,
                 "text": d.text, "published": d.published, "fetched": arrived, "status": "ok"} for d in members])
            stored = [replace(d, id=str(inserted[f"https://x.example/{d.id}"])) for d in members]
            ids.update({s.id: d.id for s, d in zip(stored, members, strict=True)})
            clusterer.index = index = SqlIndex(session, buffered=prefetch is not None)
            clusterer.lineage = lineage = SqlLineage(session, buffered=prefetch is not None)
            ready = [clusterer.prepare(d) for d in stored]
            if prefetch is not None:
                since = clusterer.horizon(arrived) if clusterer.clock is not None else None
                index.prefetch([k for r in ready for k in _PREFETCH[prefetch](clusterer, r)],
                               [r.features.text_hash for r in ready], since)
            joined = []
            for d, r in zip(stored, ready, strict=True):
                made = clusterer.add(d, arrived, r)
                decisions.append(made)
                joined.append(repo.Joined(
                    story_id=made.cluster, article_id=int(d.id), title=d.title, relation=made.relation,
                    duplicate_of=int(made.duplicate_of) if made.duplicate_of else None, score=made.score, agency=None,
                    seq=len(decisions), new_story_dated=d.published if made.relation == "original" else None,
                    diff=None))
            repo.join_stories(session, joined)
            index.flush()
            lineage.flush()
    firsts = {d.cluster: ids[d.id] for d in decisions if d.relation == "original"}
    return [replace(d, id=ids[d.id], cluster=firsts.get(d.cluster, d.cluster),
                    duplicate_of=ids[d.duplicate_of] if d.duplicate_of else None) for d in decisions]


class TestSqlIndexGroups:
    """SqlIndex, buffered, placing a group of articles in one transaction."""

    @pytest.mark.parametrize("prefetch", sorted(_PREFETCH))
    def test_a_group_decides_as_articles_placed_one_at_a_time(
        self, store: Store, tmp_path: Path, prefetch: str
    ) -> None:
        """Whatever keys a group read ahead, its decisions are those of unbuffered indexes, article by article."""
        docs = _stream()
        alone_store = Store(f"sqlite:///{tmp_path}/alone.db")
        try:
            alone = _place(alone_store, docs, 1, None)
        finally:
            alone_store.close()
        stories = {d.id: d.cluster for d in alone}
        assert stories["c"] == stories["e"] == stories["g"] == "a"  # the stream has copies to find
        assert stories["f"] == "b"
        assert _place(store, docs, 4, prefetch) == alone
