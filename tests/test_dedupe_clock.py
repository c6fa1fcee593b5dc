"""The dedupe clock: any date is accepted, no date evicts the window or reorders history.

Eviction runs on arrival by the wall clock; publication dates only decide what may match. A set of
2019 copies clusters the same whether or not unrelated 2026 articles came before or among them, and
an unrelated article dated tomorrow (or 2024-06-01 among 2024-01-01 copies) evicts nothing: through
`cluster_docs`, `wirefeed dedupe`, ingest passes and backfills into a store of 2026 articles (SQLite
and PostgreSQL).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dedupe.cluster import Clusterer, cluster_docs
from dedupe.index import InMemoryIndex
from dedupe.model import RELATIONS, Decision, Doc
from ingest.backfill.run import Backfill, BackfillOptions, BackfillSummary
from ingest.cli.app import main
from ingest.pipeline import Pipeline
from store import repo
from store.db import Store
from store.index import SqlIndex
from store.models import Article, LshBand
from tests.test_backfill import settings_for, write_warc
from tests.world import World, page, rss

# Three 2019 stories, each run by three outlets (the original, a trimmed copy, a copy with a dateline).
OLD_STORIES = {
    "dam": [
        "Engineers began lowering the water level behind the Kessel dam on Tuesday after inspectors found a "
        "crack in the spillway wall, the regional water authority said in a statement.",
        "The authority said there was no immediate danger to the villages downstream but that the reservoir "
        "would be kept two metres below its usual level until repairs are finished next spring.",
        "Residents of Lindau and Ostrach were told to expect higher river levels for several days while the "
        "sluices stay open, and fishing on the lower river has been suspended until further notice.",
        "The dam, built in 1962, was last renovated eleven years ago at a cost of forty million euros.",
    ],
    "orchestra": [
        "The city orchestra will perform its first open-air concert in the old harbour on the last Saturday "
        "of June, its new conductor announced, promising a programme of film music and folk songs.",
        "Tickets will be free but must be reserved online, because the quay can hold only about four "
        "thousand people safely, the organisers said, adding that the concert will also be streamed.",
        "The conductor, who arrived from Porto in January, said she wanted the orchestra to play where "
        "people live and work rather than waiting for them to come to the concert hall.",
    ],
    "vaccine": [
        "Pharmacies in the province will be allowed to give flu vaccinations from October, the health "
        "ministry said on Friday, in an effort to reach older people who rarely see a doctor.",
        "Pharmacists will need a two-day training course and a separate room for the injections, and the "
        "vaccine will remain free for everyone over sixty-five and for people with chronic illnesses.",
        "Doctors' associations welcomed the change but warned that pharmacies should report every "
        "vaccination to the patient's family doctor so that medical records stay complete.",
    ],
}
# Four unrelated 2026 stories.
NEW_STORIES = {
    "tram": [
        "The new tram line between the central station and the university opened on Monday morning, two "
        "years late and twenty percent over budget, with the mayor riding the first car.",
        "Trams will run every six minutes at peak hours, and the city expects fifty thousand passengers a "
        "day once the last three stops are finished near the hospital at the end of next year.",
    ],
    "library": [
        "The national library has finished digitising its collection of nineteenth-century newspapers, "
        "putting more than two million pages online for anyone to search free of charge.",
        "Volunteers helped check the automatic transcription of the oldest titles, whose worn type and "
        "gothic letters confused the software, the library's director said at the launch.",
    ],
    "wolves": [
        "A pair of wolves has been photographed in the northern forest for the first time in a century, "
        "wildlife officials said, after a hiker's camera trap caught them crossing a logging road.",
        "Farmers in the area have been offered subsidies for electric fences and guard dogs, and officials "
        "asked the public not to approach or feed the animals if they meet them.",
    ],
    "bakery": [
        "A bakery that has made rye bread in the same stone oven since 1890 will close at the end of the "
        "month because its owners could find nobody to take it over, they told customers this week.",
        "Queues formed outside the shop on Saturday as regulars came to buy a last loaf, and several asked "
        "whether the recipe for the dark caraway bread would be written down and kept.",
    ],
}
T2019 = datetime(2019, 3, 4, 8, 0, tzinfo=UTC)
T2026 = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)


def old_docs() -> tuple[list[Doc], list[Doc]]:
    """The 2019 originals, then their copies (a trimmed one and one with a dateline), hours apart."""
    originals, copies = [], []
    for n, (name, paragraphs) in enumerate(OLD_STORIES.items()):
        when = T2019 + timedelta(hours=3 * n)
        originals.append(Doc(f"{name}-0", name.title(), "\n\n".join(paragraphs), None, when))
        copies.append(Doc(f"{name}-1", name.title(), "\n\n".join(paragraphs[:-1]), None, when + timedelta(hours=1)))
        copies.append(Doc(f"{name}-2", f"{name.title()} (wire)", "BERLIN (dpa) - " + "\n\n".join(paragraphs), None,
                          when + timedelta(hours=2)))
    return originals, copies


def new_docs() -> list[Doc]:
    """The unrelated 2026 articles, a few hours apart (each moves the clock on to a new hour)."""
    return [Doc(name, name.title(), "\n\n".join(paragraphs), None, T2026 + timedelta(hours=5 * n))
            for n, (name, paragraphs) in enumerate(NEW_STORIES.items())]


def arrangements() -> dict[str, list[Doc]]:
    """The 2019 set alone, after the 2026 articles, and interleaved with them (a 2026 article first)."""
    originals, copies = old_docs()
    recent = new_docs()
    old = originals + copies
    return {
        "alone": old,
        "2026 first": recent + old,
        "2026 interleaved": [d for pair in zip(recent, old[: len(recent)], strict=True) for d in pair]
        + old[len(recent) :],
    }


def wire_copies() -> tuple[Doc, Doc, Doc]:
    """A (2024-01-01), an unrelated B (2024-06-01) and C, a trimmed copy of A (2024-01-01, an hour later)."""
    jan = datetime(2024, 1, 1, 9, tzinfo=UTC)
    return (Doc("a", "Orchestra", "\n\n".join(OLD_STORIES["orchestra"]), None, jan),
            Doc("b", "Library", "\n\n".join(NEW_STORIES["library"]), None, datetime(2024, 6, 1, 9, tzinfo=UTC)),
            Doc("c", "Orchestra", "\n\n".join(OLD_STORIES["orchestra"][:2]), None, jan + timedelta(hours=1)))


def decisions_for(decisions: Iterable[Decision], ids: set[str]) -> list[Decision]:
    """The decisions about the given documents, in order."""
    return [d for d in decisions if d.id in ids]


def partition(groups: dict[str, str]) -> set[frozenset[str]]:
    """Turn item -> group into the set of groups (story ids differ between stores; their members do not)."""
    found: dict[str, set[str]] = {}
    for item, group in groups.items():
        found.setdefault(group, set()).add(item)
    return {frozenset(members) for members in found.values()}


# Any datetime: naive or aware, any offset up to a day, year 1 to 9999.
offsets = st.integers(min_value=-24 * 60 + 1, max_value=24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
any_datetime = st.datetimes(min_value=datetime.min, max_value=datetime.max, timezones=st.one_of(st.none(), offsets))
texts = st.sampled_from(["\n\n".join(p) for p in (*OLD_STORIES.values(), *NEW_STORIES.values())]
                        + ["\n\n".join(OLD_STORIES["dam"][:2]), "short text", ""])


class TestAnyDate:
    """Clusterer.add and cluster_docs with arbitrary dates."""

    @given(st.lists(st.tuples(texts, st.one_of(st.none(), any_datetime)), max_size=12))
    def test_cluster_docs_accepts_any_datetime(self, items: list[tuple[str, datetime | None]]) -> None:
        """Documents dated anywhere from year 1 to 9999, naive or with any offset, get a decision each."""
        docs = [Doc(str(i), "t", text, None, when) for i, (text, when) in enumerate(items)]
        decisions = cluster_docs(docs)
        assert [d.id for d in decisions] == [d.id for d in docs]
        assert all(d.relation in RELATIONS for d in decisions)

    @given(st.lists(any_datetime, min_size=1, max_size=8))
    def test_clusterer_add_accepts_any_datetime(self, moments: list[datetime]) -> None:
        """A clusterer fed one story at many dates never overflows; its clock stays the wall clock."""
        clusterer = Clusterer(InMemoryIndex(), window_days=3)
        text = "\n\n".join(OLD_STORIES["dam"])
        for i, moment in enumerate(moments):
            assert clusterer.add(Doc(str(i), "Dam", text, None, moment)).relation in RELATIONS
        assert clusterer.clock is not None
        assert clusterer.clock <= datetime.now(UTC)

    @pytest.mark.parametrize("moment", [datetime.min, datetime.max, datetime.min.replace(tzinfo=UTC),
                                        datetime.max.replace(tzinfo=UTC),
                                        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=23))),
                                        datetime(9999, 12, 31, 23, tzinfo=timezone(-timedelta(hours=23)))])
    def test_extreme_dates_then_copies(self, moment: datetime) -> None:
        """After a document dated at either end of time, a copy of an earlier article still joins it."""
        now = datetime.now(UTC).replace(microsecond=0)
        text = "\n\n".join(OLD_STORIES["orchestra"])
        a, _, c = cluster_docs([Doc("a", "Concert", text, None, now - timedelta(hours=2)),
                                Doc("x", "Odd", "\n\n".join(NEW_STORIES["wolves"]), None, moment),
                                Doc("c", "Concert", text[: len(text) * 2 // 3], None, now)])
        assert (c.cluster, c.duplicate_of) == (a.cluster, "a")


class TestArrivalClock:
    """Matching by publication date, forgetting by arrival (the wall clock)."""

    @pytest.mark.parametrize("name", ["2026 first", "2026 interleaved"])
    def test_2019_copies_cluster_as_if_alone(self, name: str) -> None:
        """The 2019 decisions are exactly those of the 2019 set alone, whatever 2026 articles arrive around them."""
        originals, copies = old_docs()
        ids = {d.id for d in originals + copies}
        alone = cluster_docs(arrangements()["alone"])
        assert sum(d.relation != "original" for d in alone) == len(copies)  # every copy found its story
        assert decisions_for(cluster_docs(arrangements()[name]), ids) == alone

    def test_one_far_future_date_does_not_wipe_the_index(self) -> None:
        """An article dated 9999 does not move the clock: today's index survives it."""
        now = datetime.now(UTC)
        index = InMemoryIndex()
        clusterer = Clusterer(index, window_days=3)
        clusterer.add(Doc("a", "Dam", "\n\n".join(OLD_STORIES["dam"]), None, now - timedelta(hours=3)))
        clusterer.add(Doc("b", "Tram", "\n\n".join(NEW_STORIES["tram"]), None, now - timedelta(hours=2)))
        clusterer.add(Doc("z", "Odd", "\n\n".join(NEW_STORIES["bakery"]), None, datetime(9999, 12, 31, tzinfo=UTC)))
        assert len(index) == 3
        assert clusterer.clock is not None
        assert clusterer.clock <= datetime.now(UTC)
        copy = clusterer.add(Doc("c", "Dam", "\n\n".join(OLD_STORIES["dam"][:3]), None, now))
        assert copy.duplicate_of == "a"

    def test_late_old_article_stays_for_a_window_of_arrivals(self) -> None:
        """An old article arriving after newer ones is kept until it arrived more than a window ago."""
        index = InMemoryIndex()
        clusterer = Clusterer(index, window_days=3)
        now = T2026 + timedelta(days=30)
        clusterer.add(Doc("new", "Tram", "\n\n".join(NEW_STORIES["tram"]), None, T2026), arrived=now)
        clusterer.add(Doc("old", "Dam", "\n\n".join(OLD_STORIES["dam"]), None, T2019), arrived=now)
        clusterer.add(Doc("next", "Wolves", "\n\n".join(NEW_STORIES["wolves"]), None, T2026 + timedelta(days=400)),
                      arrived=now + timedelta(days=2))
        assert len(index) == 3
        clusterer.add(Doc("later", "Bakery", "\n\n".join(NEW_STORIES["bakery"]), None, T2019),
                      arrived=now + timedelta(days=4))
        assert len(index) == 2  # "new" and "old" arrived more than a window ago; "next" and "later" stay

    def test_matching_is_symmetric_in_time(self) -> None:
        """An older copy arriving second joins within the window, and beyond it only as a re-run, either way round."""
        text = "\n\n".join(OLD_STORIES["vaccine"])
        trimmed = "\n\n".join(OLD_STORIES["vaccine"][:2])
        older = Doc("b", "Flu", trimmed, None, T2019)
        near = cluster_docs([Doc("a", "Flu", text, None, T2019 + timedelta(days=2)), older])
        far = cluster_docs([Doc("a", "Flu", text, None, T2019 + timedelta(days=4)), older])
        assert (near[1].duplicate_of, near[1].relation) == ("a", "near_duplicate")
        assert (far[1].duplicate_of, far[1].relation) == ("a", "rerun")
        alone = cluster_docs([Doc("a", "Flu", text, None, T2019 + timedelta(days=4)), older], lineage=None)
        assert alone[1].relation == "original"

    def test_exact_copy_outside_the_window_is_a_rerun(self) -> None:
        """The exact-text path obeys the same window as the others: beyond it an exact copy is a re-run."""
        text = "\n\n".join(OLD_STORIES["dam"])
        a, b = cluster_docs([Doc("a", "Dam", text, None, T2026), Doc("b", "Dam", text, None, T2019)])
        assert (b.relation, b.cluster, b.duplicate_of, b.score) == ("rerun", a.cluster, "a", 1.0)
        _, alone = cluster_docs([Doc("a", "Dam", text, None, T2026), Doc("b", "Dam", text, None, T2019)], lineage=None)
        assert alone.relation == "original"

    def test_unrelated_later_date_between_copies(self) -> None:
        """A (2024-01-01), unrelated B (2024-06-01), C a copy of A (2024-01-01): C joins A, as without B."""
        a, b, c = wire_copies()
        with_b = cluster_docs([a, b, c])
        assert [(d.relation, d.duplicate_of) for d in with_b] == [("original", None), ("original", None),
                                                                 ("near_duplicate", "a")]
        assert decisions_for(with_b, {"a", "c"}) == cluster_docs([a, c])

    def test_article_dated_two_days_ahead_evicts_nothing(self) -> None:
        """An unrelated article dated now + 47 h leaves a 2-day-old story findable by its copy, arriving later."""
        index = InMemoryIndex()
        clusterer = Clusterer(index, window_days=3)
        now = datetime.now(UTC)
        dam = "\n\n".join(OLD_STORIES["dam"])
        clusterer.add(Doc("a", "Dam", dam, None, now - timedelta(days=2)), arrived=now)
        clusterer.add(Doc("f", "Bakery", "\n\n".join(NEW_STORIES["bakery"]), None, now + timedelta(hours=47)),
                      arrived=now + timedelta(minutes=1))
        copy = Doc("c", "Dam", "\n\n".join(OLD_STORIES["dam"][:3]), None, now - timedelta(days=2, hours=-1))
        decision = clusterer.add(copy, arrived=now + timedelta(hours=2))
        assert (decision.relation, decision.duplicate_of) == ("near_duplicate", "a")
        assert len(index) == 3

    def test_a_run_never_evicts_by_time(self) -> None:
        """cluster_docs files a run as arriving at its start: articles of other years between copies evict nothing."""
        a, _, c = wire_copies()
        others = [Doc(f"x{year}", name.title(), "\n\n".join(text), None, datetime(year, 3, 1, tzinfo=UTC))
                  for year, (name, text) in zip([2025, 1995, 2026, 2010], NEW_STORIES.items(), strict=True)]
        decisions = cluster_docs([a, *others, c])
        assert (decisions[-1].relation, decisions[-1].duplicate_of) == ("near_duplicate", "a")


def run_dedupe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: Sequence[dict[str, object]]
) -> list[dict[str, object]]:
    """Run `wirefeed dedupe` on JSONL rows; return its output records (the exit status must be 0)."""
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    code = main(["dedupe", str(source)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Traceback" not in captured.err
    return [json.loads(line) for line in captured.out.splitlines()]


def row(doc: Doc) -> dict[str, object]:
    """A dedupe JSONL record for a document."""
    return {"id": doc.id, "title": doc.title, "text": doc.text,
            "published": doc.published.isoformat() if doc.published else None}


class TestDedupeCommand:
    """wirefeed dedupe with dates from anywhere."""

    def test_2019_copies_cluster_as_if_alone(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The 2019 records get the same output with or without 2026 records before and among them."""
        ids = {d.id for d in arrangements()["alone"]}
        alone = run_dedupe(tmp_path, capsys, [row(d) for d in arrangements()["alone"]])
        mixed = run_dedupe(tmp_path, capsys, [row(d) for d in arrangements()["2026 interleaved"]])
        assert [r for r in mixed if r["id"] in ids] == alone

    def test_unrelated_later_record_between_copies(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A (2024-01-01), unrelated B (2024-06-01), C a copy of A: 2 stories, A and C as without B."""
        a, b, c = wire_copies()
        with_b = run_dedupe(tmp_path, capsys, [row(a), row(b), row(c)])
        assert [(r["id"], r["duplicate_of"]) for r in with_b] == [("a", None), ("b", None), ("c", "a")]
        assert [r for r in with_b if r["id"] != "b"] == run_dedupe(tmp_path, capsys, [row(a), row(c)])

    def test_record_dated_two_days_ahead(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A record dated now + 47 h between a 2-day-old record and its copy: the copy joins it."""
        now = datetime.now(UTC).replace(microsecond=0)
        dam = OLD_STORIES["dam"]
        rows = [row(Doc("a", "Dam", "\n\n".join(dam), None, now - timedelta(days=2))),
                row(Doc("f", "Bakery", "\n\n".join(NEW_STORIES["bakery"]), None, now + timedelta(hours=47))),
                row(Doc("c", "Dam", "\n\n".join(dam[:3]), None, now - timedelta(days=2, hours=-1)))]
        out = run_dedupe(tmp_path, capsys, rows)
        assert [(r["id"], r["duplicate_of"]) for r in out] == [("a", None), ("f", None), ("c", "a")]

    @pytest.mark.parametrize("published", ["0001-01-01", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59Z",
                                           "9999-12-31T23:59:59-05:00"])
    def test_dates_at_the_ends_of_time(self, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       published: str) -> None:
        """A record dated year 1 or 9999 gets its decision, the date is reported as ignored, no traceback."""
        text = "\n\n".join(OLD_STORIES["dam"])
        source = tmp_path / "in.jsonl"
        source.write_text(json.dumps({"id": "odd", "title": "Dam", "text": text, "published": published}) + "\n"
                          + json.dumps({"id": "copy", "title": "Dam", "text": text, "published": "2019-03-04"}) + "\n",
                          encoding="utf-8")
        assert main(["dedupe", str(source)]) == 0
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err
        assert "1 'published' dates ignored as implausible" in captured.err
        odd, copy = (json.loads(line) for line in captured.out.splitlines())
        assert (odd["id"], odd["relation"]) == ("odd", "original")
        assert (copy["duplicate_of"], copy["relation"]) == ("odd", "exact")


def clustered(session: Session, clusterer: Clusterer, doc: Doc, seq: int) -> Decision:
    """Place a stored article with the clusterer and record the decision as the pipeline does."""
    decision = clusterer.add(doc)
    duplicate_of = int(decision.duplicate_of) if decision.duplicate_of else None
    repo.join_story(session, story_id=decision.cluster, article_id=int(doc.id), title=doc.title,
                    relation=decision.relation, duplicate_of=duplicate_of, score=decision.score, agency=None,
                    seq=seq, new_story_dated=doc.published if decision.relation == "original" else None)
    return decision


class TestSqlIndexClock:
    """The clock over the lsh_bands table."""

    def test_far_future_item_keeps_the_band_rows(self, store: Store) -> None:
        """An article dated 9999 deletes no lsh_bands row of today's window, and a later copy still joins."""
        now = datetime.now(UTC).replace(microsecond=0)
        items = [("dam", "\n\n".join(OLD_STORIES["dam"]), now - timedelta(hours=5)),
                 ("tram", "\n\n".join(NEW_STORIES["tram"]), now - timedelta(hours=4)),
                 ("odd", "\n\n".join(NEW_STORIES["bakery"]), datetime(9999, 12, 31, tzinfo=UTC)),
                 ("copy", "\n\n".join(OLD_STORIES["dam"][:3]), now)]
        decisions = []
        with store.session() as session:
            clusterer = Clusterer(SqlIndex(session), window_days=3)
            for seq, (name, text, published) in enumerate(items, 1):
                article_id = repo.insert_article(session, {
                    "canonical_url": f"https://news.example/{name}", "url": f"https://news.example/{name}",
                    "site": "news.example", "title": name, "text": text, "published": published, "fetched": now,
                    "status": "ok", "content_hash": name})
                assert article_id is not None
                if name == "copy":
                    bands_before = session.scalar(select(func.count()).select_from(LshBand))
                decisions.append(clustered(session, clusterer, Doc(str(article_id), name, text, None, published), seq))
        assert bands_before is not None
        assert bands_before > 0
        assert decisions[3].duplicate_of == decisions[0].id
        with store.session() as session:
            assert (session.scalar(select(func.count()).select_from(LshBand)) or 0) > bands_before


    def test_replay_starts_at_the_first_arrival_inside_the_window(self, store: Store) -> None:
        """placements_after(since) returns the decisions placed since the horizon, each with its arrival time."""
        now = datetime.now(UTC).replace(microsecond=0)
        arrivals = {"dam": now - timedelta(days=4), "tram": now - timedelta(days=2), "wolves": now - timedelta(hours=1)}
        texts = {"dam": OLD_STORIES["dam"], "tram": NEW_STORIES["tram"], "wolves": NEW_STORIES["wolves"]}
        with store.session() as session:
            clusterer = Clusterer(SqlIndex(session), window_days=3)
            for seq, (name, arrived) in enumerate(arrivals.items(), 1):
                text = "\n\n".join(texts[name])
                article_id = repo.insert_article(session, {
                    "canonical_url": f"https://news.example/{name}", "url": f"https://news.example/{name}",
                    "site": "news.example", "title": name, "text": text, "published": T2026, "fetched": now,
                    "status": "ok", "content_hash": name})
                assert article_id is not None
                decision = clusterer.add(Doc(str(article_id), name, text, None, T2026), arrived=arrived)
                repo.join_story(session, story_id=decision.cluster, article_id=article_id, title=name,
                                relation=decision.relation, duplicate_of=None, score=0.0, agency=None, seq=seq,
                                new_story_dated=T2026)
        with store.session() as session:
            replayed = repo.placements_after(session, 0, since=clusterer.horizon(now))
        assert [(p.title, p.arrived) for p in replayed] == [("tram", arrivals["tram"]), ("wolves", arrivals["wolves"])]
        with store.session() as session:  # the latest of them only (a new process replays 2 x max_entries)
            assert [p.title for p in repo.placements_after(session, 0, since=clusterer.horizon(now), last=1)] == [
                "wolves"]
            assert [p.title for p in repo.placements_after(session, 0, last=2)] == ["tram", "wolves"]
            assert [p.title for p in repo.placements_after(session, 0, since=clusterer.horizon(now), last=5)] == [
                "tram", "wolves"]


# Through real ingest passes -----------------------------------------------------------------------


def one_pass(pipeline: Pipeline) -> None:
    """One ingest pass over every feed."""
    asyncio.run(pipeline.run_pass(all_feeds=True))


def feed_of(store: Store, world: World, name: str, items: Sequence[tuple[str, datetime]]) -> None:
    """Serve a feed listing pages of the "news" outlet with their dates, and subscribe to it."""
    outlet = world["news"]
    listed = [{"title": path, "link": outlet.url(path), "guid": path, "published": when.isoformat()}
              for path, when in items]
    outlet.static(f"/{name}.xml", rss(name, listed), "application/rss+xml")
    with store.session() as session:
        repo.add_feed(session, outlet.url(f"/{name}.xml"))


class TestIngestPasses:
    """Ingest passes: an article dated two days ahead (plausible) evicts nothing from the story index."""

    def test_article_dated_two_days_ahead(self, store: Store) -> None:
        """A is 2 days old, unrelated F dated now + 47 h: copies of A in later passes and after a restart join A."""
        now = datetime.now(UTC).replace(microsecond=0)
        dam = OLD_STORIES["dam"]
        with World("news") as world:
            outlet = world["news"]
            outlet.static("/a.html", page("Dam", dam))
            outlet.static("/f.html", page("Bakery", NEW_STORIES["bakery"]))
            outlet.static("/c.html", page("Dam (wire)", dam[:3]))
            outlet.static("/d.html", page("Dam lowered", ["BERLIN (dpa) - " + dam[0], *dam[1:]]))
            feed_of(store, world, "a", [("/a.html", now - timedelta(days=2))])
            pipeline = Pipeline(store, settings_for(store.url))
            try:
                one_pass(pipeline)
                feed_of(store, world, "f", [("/f.html", now + timedelta(hours=47))])
                one_pass(pipeline)
                feed_of(store, world, "c", [("/c.html", now - timedelta(days=2, hours=-1))])
                one_pass(pipeline)
            finally:
                pipeline.close()
            # A new process (cron's next `wirefeed ingest`) rebuilds its clusterer from the store.
            feed_of(store, world, "d", [("/d.html", now - timedelta(days=2, hours=-2))])
            restarted = Pipeline(store, settings_for(store.url))
            try:
                one_pass(restarted)
            finally:
                restarted.close()
        with store.session() as session:
            stories = dict(session.execute(select(Article.url, Article.story_id)).all())
            a_id = session.scalar(select(Article.id).where(Article.url.endswith("/a.html")))
            a_bands = session.scalar(select(func.count()).select_from(LshBand).where(LshBand.article_id == a_id))
        story = {url.rsplit("/", 1)[-1]: story for url, story in stories.items()}
        assert story["a.html"] is not None
        assert story["c.html"] == story["d.html"] == story["a.html"] != story["f.html"]
        assert a_bands  # A's band keys are still indexed


# Through real backfills ----------------------------------------------------------------------------


def backfill(store: Store, options: BackfillOptions) -> BackfillSummary:
    """One backfill run through a fresh pipeline, as `wirefeed backfill` does (a new process each time)."""
    pipeline = Pipeline(store, settings_for(store.url))
    try:
        return asyncio.run(Backfill(pipeline, options, progress_every=60).run())
    finally:
        pipeline.close()


def url_list(path: Path, entries: Sequence[tuple[str, datetime]]) -> str:
    """Write a JSONL URL list with publication dates; return its path."""
    path.write_text("".join(json.dumps({"url": url, "published": when.isoformat()}) + "\n" for url, when in entries),
                    encoding="utf-8")
    return str(path)


def stories_of(store: Store, marker: str) -> set[frozenset[str]]:
    """The partition into stories of the stored articles whose URL contains `marker`."""
    with store.session() as session:
        rows = session.execute(select(Article.url, Article.story_id).where(Article.url.contains(marker)))
        groups = {url.split("/", 3)[-1]: story for url, story in rows if story is not None}
    return partition(groups)


class TestBackfillIntoLiveStore:
    """A backfill of 2019 pages into a store of 2026 articles clusters them as an empty store does."""

    def run(self, store: Store, tmp_path: Path, world: World, *, with_2026: bool) -> set[frozenset[str]]:
        """Backfill (2026 articles,) the 2019 originals, then their copies in a separate run; return 2019 stories."""
        outlet = world["news"]
        if with_2026:
            recent = [(outlet.url(f"/2026/{d.id}.html"), d.published or T2026) for d in new_docs()]
            assert backfill(store, BackfillOptions(urls=url_list(tmp_path / "recent.jsonl", recent))).stored == 4
        originals, copies = old_docs()
        listed = [(outlet.url(f"/2019/{d.id}.html"), d.published or T2019) for d in originals]
        assert backfill(store, BackfillOptions(urls=url_list(tmp_path / "originals.jsonl", listed))).stored == 3
        # The copies come in a second run (a new pipeline replays the stored decisions first).
        listed = [(outlet.url(f"/2019/{d.id}.html"), d.published or T2019) for d in copies]
        assert backfill(store, BackfillOptions(urls=url_list(tmp_path / "copies.jsonl", listed))).stored == 6
        return stories_of(store, "/2019/")

    def test_url_lists(self, db_url: str, tmp_path: Path) -> None:
        """`backfill --urls` twice: the 2019 copies join their originals in a 2026 store exactly as in an empty one."""
        with World("news") as world:
            for d in (*old_docs()[0], *old_docs()[1]):
                world["news"].static(f"/2019/{d.id}.html", page(d.title, d.text.split("\n\n")))
            for d in new_docs():
                world["news"].static(f"/2026/{d.id}.html", page(d.title, d.text.split("\n\n")))
            live = Store(db_url)
            try:
                in_live_store = self.run(live, tmp_path, world, with_2026=True)
            finally:
                live.close()
            empty = Store(f"sqlite:///{tmp_path}/empty.db")
            try:
                in_empty_store = self.run(empty, tmp_path, world, with_2026=False)
            finally:
                empty.close()
        assert in_live_store == in_empty_store
        assert in_empty_store == {frozenset({f"2019/{name}-{i}.html" for i in range(3)}) for name in OLD_STORIES}

    def test_url_list_then_warc(self, db_url: str, tmp_path: Path) -> None:
        """Originals by `backfill --urls`, copies by `backfill --warc` (fetched in 2019): as in an empty store."""
        originals, copies = old_docs()
        warc = write_warc(tmp_path / "copies.warc.gz",
                          [(f"http://copies.example/2019/{d.id}.html", page(d.title, d.text.split("\n\n")))
                           for d in copies], date="2019-03-04T12:00:00Z")
        results = []
        with World("news") as world:
            outlet = world["news"]
            for d in (*originals, *new_docs()):
                outlet.static(f"/{d.id}.html", page(d.title, d.text.split("\n\n")))
            for url, with_2026 in ((db_url, True), (f"sqlite:///{tmp_path}/empty.db", False)):
                store = Store(url)
                try:
                    if with_2026:
                        recent = [(outlet.url(f"/{d.id}.html"), d.published or T2026) for d in new_docs()]
                        backfill(store, BackfillOptions(urls=url_list(tmp_path / "recent.jsonl", recent)))
                    listed = [(outlet.url(f"/{d.id}.html"), d.published or T2019) for d in originals]
                    assert backfill(store, BackfillOptions(urls=url_list(tmp_path / "old.jsonl", listed))).stored == 3
                    assert backfill(store, BackfillOptions(warcs=[str(warc)])).stored == 6
                    with store.session() as session:
                        rows = session.execute(select(Article.url, Article.story_id))
                        ids = {d.id for d in (*originals, *copies)}
                        groups = {name: story for url, story in rows
                                  if (name := url.rsplit("/", 1)[-1].removesuffix(".html")) in ids and story}
                    results.append(partition(groups))
                finally:
                    store.close()
        in_live_store, in_empty_store = results
        assert in_live_store == in_empty_store
        assert in_empty_store == {frozenset({f"{name}-0", f"{name}-1", f"{name}-2"}) for name in OLD_STORIES}
