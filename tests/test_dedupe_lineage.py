"""Tests for late re-runs: the lineage index finds an original published weeks or months earlier."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe.cluster import Clusterer, cluster_docs
from dedupe.index import KEY_MASK, InMemoryIndex
from dedupe.lineage import MAX_FINGERPRINTS, InMemoryLineage, fingerprints
from dedupe.model import Doc
from dedupe.text import tokens
from tests.test_dedupe_cluster import FOOTER, STORY, body, football, weather

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
_WORDS = ["harbour", "council", "tram", "budget", "river", "school", "festival", "museum", "bridge", "library",
          "station", "market", "garden", "hospital", "stadium", "airport", "tunnel", "forest", "village", "county"]
# Unrelated articles: each its own vocabulary (a suffix per article), so no two share a word.
FILLER = [" ".join(random.Random(n).choice(_WORDS) + "ab"[n % 2] + "cdefghijklmnopqrst"[n // 2] for _ in range(60))
          for n in range(36)]


def at(days: float) -> datetime:
    """A publication (and arrival) time `days` after T0."""
    return T0 + timedelta(days=days)


def stream(clusterer: Clusterer, docs: list[Doc]) -> list[str]:
    """Add documents arriving at their publication times; return their relations."""
    return [clusterer.add(d, arrived=d.published).relation for d in docs]


def small_clusterer(docs: dict[str, Doc], *, lineage_days: int = 365) -> Clusterer:
    """A clusterer whose window caches hold 5 documents, with a lineage index that reloads texts by id."""
    lineage = InMemoryLineage(loader=docs.__getitem__)
    return Clusterer(InMemoryIndex(max_entries=5), max_entries=5, lineage=lineage, lineage_days=lineage_days)


def fillers(start: float) -> list[Doc]:
    """Unrelated articles, one a day from `start`, that push everything else out of the window caches."""
    return [Doc(f"f{i}", f"Buses {i}", FILLER[i], None, at(start + i)) for i in range(20)]


class TestReruns:
    """A copy republished long after its original joins the original's story as a re-run."""

    def test_rerun_months_later_joins_through_the_lineage(self) -> None:
        """The original left the window caches long ago; its fingerprints still find it."""
        rerun_text = "\n\n".join(STORY[:6]).replace("Lagarde", "Lagrade", 1) + "\n\n" + FOOTER
        docs = [Doc("a", "ECB holds", body(STORY), None, T0), *fillers(1),
                Doc("r", "ECB kept rates", rerun_text, None, at(120))]
        clusterer = small_clusterer({d.id: d for d in docs})
        assert set(stream(clusterer, docs[:-1])) == {"original"}
        assert "a" not in clusterer._features  # really out of the window caches
        assert clusterer.index.candidates(clusterer.keys_for(body(STORY)), None) == []
        assert stream(clusterer, docs[-1:]) == ["rerun"]

    def test_rerun_records_its_story_and_original(self) -> None:
        """The decision names the original and its story, with the content score."""
        a, b = cluster_docs([Doc("a", "t", body(STORY), None, T0), Doc("b", "u", body(STORY[1:]), None, at(60))])
        assert (b.relation, b.cluster, b.duplicate_of) == ("rerun", a.cluster, "a")
        assert 0.6 <= b.score <= 1.0

    def test_lineage_forgets_after_lineage_days(self) -> None:
        """An original older than `lineage_days` is forgotten: the late copy starts a story."""
        docs = [Doc("a", "ECB", body(STORY), None, T0), *fillers(1), Doc("r", "ECB", body(STORY), None, at(40))]
        clusterer = small_clusterer({d.id: d for d in docs}, lineage_days=30)
        assert stream(clusterer, docs)[-1] == "original"

    def test_template_months_later_is_not_a_rerun(self) -> None:
        """Next season's report of another match from the same template is another story."""
        first = football("Arsenal", "Chelsea", "2-1", "Bukayo Saka", minute=78, crowd="60,000")
        a = Doc("a", "Result", first, None, T0)
        second = football("Arsenal", "Chelsea", "1-3", "Cole Palmer", minute=55, crowd="60,100")
        b = Doc("b", "Result", second, None, at(200))
        c = Doc("c", "Weather", weather("Lyon", 24, 13, 20), None, at(1))
        d = Doc("d", "Weather", weather("Lyon", 25, 12, 30), None, at(366))
        assert [x.relation for x in cluster_docs([a, c, b, d])] == ["original"] * 4

    def test_follow_up_months_later_is_not_a_rerun(self) -> None:
        """A later story reusing the original's lead sentence is not a copy of it."""
        follow = body([
            STORY[0],
            "Six months on, the bank has cut rates twice and its chief economist said on Wednesday that "
            "further moves would depend on how quickly wage growth slows in the services sector.",
            "Investors now expect two more reductions before the end of the year, according to pricing in "
            "money markets, while some governors argue for a pause to assess the effect of the cuts so far.",
            "The bank's next meeting is in Vienna, one of the rare sessions held outside Frankfurt, where the "
            "council will also discuss a review of its strategy and of its communication.",
        ])
        a, b = cluster_docs([Doc("a", "ECB", body(STORY), None, T0), Doc("b", "ECB", follow, None, at(180))])
        assert (b.relation, a.relation) == ("original", "original")

    def test_copy_in_the_window_is_preferred_to_a_rerun(self) -> None:
        """A copy with both an old original and a recent copy joins the recent one as a near-duplicate."""
        decisions = cluster_docs([
            Doc("a", "ECB", body(STORY), None, T0),
            Doc("b", "ECB", body(STORY[:7]), None, at(90)),
            Doc("c", "ECB", body(STORY[:6]), None, at(90.5)),
        ])
        assert [d.relation for d in decisions] == ["original", "rerun", "near_duplicate"]
        assert decisions[2].duplicate_of == "b"
        assert len({d.cluster for d in decisions}) == 1


class TestFingerprints:
    """Fingerprints are few, deterministic, BIGINT-sized, and survive what republication does."""

    def test_a_trimmed_copy_with_a_footer_keeps_fingerprints(self) -> None:
        """Trimming and appending keep the fingerprints of the kept text."""
        full = fingerprints(tokens(body(STORY)).shingle_set)
        copy = fingerprints(tokens(body(STORY[:5]) + "\n\n" + FOOTER).shingle_set)
        assert set(full) & set(copy)

    @given(st.text(max_size=3000))
    @settings(max_examples=200, deadline=None)
    def test_any_text(self, text: str) -> None:
        """Any text gives at most MAX_FINGERPRINTS keys in [0, 2**63), the same each time."""
        prints = fingerprints(tokens(text).shingle_set)
        assert len(prints) <= MAX_FINGERPRINTS
        assert all(0 <= k <= KEY_MASK for k in prints)
        assert prints == fingerprints(tokens(text).shingle_set)

    @given(st.lists(st.integers(0, 2**64 - 1), max_size=500))
    def test_at_least_four_when_there_are(self, values: list[int]) -> None:
        """A text with 4+ distinct shingles always has 4+ fingerprints."""
        shingle_set = np.unique(np.array(values, dtype=np.uint64))
        assert len(fingerprints(shingle_set)) == min(len(shingle_set), max(4, len(fingerprints(shingle_set))))
        assert len(fingerprints(shingle_set)) >= min(4, len(shingle_set))


class TestInMemoryLineage:
    """The in-memory lineage index: loader, caps and eviction."""

    def test_loader_brings_the_text_back(self) -> None:
        """With a loader only the identity is kept; candidates come back with their text."""
        from dedupe.index import Entry

        doc = Doc("a", "ECB", body(STORY), None, T0)
        lineage = InMemoryLineage(loader={"a": doc}.__getitem__)
        lineage.add(Entry(doc=doc, cluster="s1", keys=(1, 2, 3)), T0)
        [found] = lineage.candidates([2, 9], limit=5)
        assert (found.doc, found.cluster) == (doc, "s1")
        assert lineage._order[0].entry.doc.text == ""
        assert lineage.evict(T0 + timedelta(seconds=1)) == 1
        assert lineage.candidates([2], limit=5) == []

    def test_most_shared_first_and_capped(self) -> None:
        """Candidates are ranked by shared fingerprints and cut at the limit; max_entries drops the oldest."""
        from dedupe.index import Entry

        lineage = InMemoryLineage(max_entries=3)
        for i, keys in enumerate([(1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)]):
            lineage.add(Entry(doc=Doc(str(i), "", "x"), cluster=f"s{i}", keys=keys), T0)
        assert [e.doc.id for e in lineage.candidates([1, 2, 3, 4], limit=2)] == ["3", "2"]
        assert len(lineage) == 3
        assert "0" not in {e.doc.id for e in lineage.candidates([1], limit=10)}

    def test_eviction_empties_fingerprints_of_one_entry_and_shared_ones(self) -> None:
        """An evicted entry leaves the fingerprints it alone had and those it shared; emptied ones go."""
        from dedupe.index import Entry

        lineage = InMemoryLineage()
        for i, keys in enumerate([(1, 2), (2, 3), (3, 4)]):
            lineage.add(Entry(doc=Doc(str(i), "", "x"), cluster=f"s{i}", keys=keys), T0 + timedelta(hours=i))
        assert lineage.evict(T0 + timedelta(minutes=30)) == 1
        assert lineage.candidates([1], limit=5) == []
        assert [e.doc.id for e in lineage.candidates([1, 2, 3], limit=5)] == ["1", "2"]
        assert lineage.evict(T0 + timedelta(hours=3)) == 2
        assert lineage.candidates([1, 2, 3, 4], limit=5) == []
        assert not lineage._buckets
