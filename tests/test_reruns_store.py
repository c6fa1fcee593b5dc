"""Late re-runs through the store: ingest passes, backfills and `wirefeed dedupe` (SQLite and PostgreSQL).

A copy republished months after its original joins the original's story as a `rerun`, found through the
lineage fingerprints once the original's band keys have left the window; after `[dedupe] lineage_days`
the original is forgotten and the copy starts a story of its own.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from ingest.backfill.run import BackfillOptions
from ingest.cli.app import main
from ingest.pipeline import Pipeline
from store.db import Store
from store.models import Article, LineageKey, LshBand, StoryMember
from tests.test_backfill import settings_for
from tests.test_dedupe_clock import NEW_STORIES, OLD_STORIES, backfill, feed_of, one_pass, url_list
from tests.world import World, page

DAM = OLD_STORIES["dam"]
# The re-run: new headline, a dateline, a typo, the last paragraph cut, a site footer appended.
RERUN = ["BERLIN (dpa) - " + DAM[0].replace("spillway", "spilway"), *DAM[1:3],
         "Subscribe to our newsletter for the best of the region's news every morning in your inbox."]


def diffs(store: Store) -> dict[str, dict[str, object] | None]:
    """Page name -> the stored copy diff of every clustered article."""
    with store.session() as session:
        rows = session.execute(select(Article.url, StoryMember.diff)
                               .join(StoryMember, StoryMember.article_id == Article.id))
        return {url.rsplit("/", 1)[-1]: diff for url, diff in rows}


def placed(store: Store) -> dict[str, tuple[str | None, str | None]]:
    """Page name -> (story id, relation) of every stored article."""
    with store.session() as session:
        rows = session.execute(select(Article.url, Article.story_id, StoryMember.relation)
                               .join(StoryMember, StoryMember.article_id == Article.id, isouter=True))
        return {url.rsplit("/", 1)[-1]: (story, relation) for url, story, relation in rows}


def age_indexes(store: Store, days: int) -> None:
    """Pretend every indexed article arrived `days` ago (band keys and lineage fingerprints alike)."""
    then = datetime.now(UTC) - timedelta(days=days)
    with store.session() as session:
        session.execute(update(LshBand).values(added=then))
        session.execute(update(LineageKey).values(added=then))


def ingest(store: Store, world: World, name: str, path: str, when: datetime) -> None:
    """Subscribe to a one-item feed and run one pass in a new process, as cron's next `wirefeed ingest` does."""
    feed_of(store, world, name, [(path, when)])
    pipeline = Pipeline(store, settings_for(store.url))
    try:
        one_pass(pipeline)
    finally:
        pipeline.close()


class TestIngest:
    """Ingest passes months apart."""

    def run(self, store: Store, *, aged: int) -> dict[str, tuple[str | None, str | None]]:
        """The original, `aged` days of arrivals later its re-run; return where each went."""
        now = datetime.now(UTC).replace(microsecond=0)
        with World("news") as world:
            outlet = world["news"]
            outlet.static("/a.html", page("Dam lowered", DAM))
            outlet.static("/f.html", page("Bakery", NEW_STORIES["bakery"]))
            outlet.static("/r.html", page("Kessel dam: water level lowered", RERUN))
            ingest(store, world, "a", "/a.html", now - timedelta(days=aged))
            age_indexes(store, aged)
            ingest(store, world, "f", "/f.html", now)  # evicts the window's band keys of A
            with store.session() as session:
                assert session.scalar(select(func.count()).select_from(LshBand).where(LshBand.added < now)) == 0
            ingest(store, world, "r", "/r.html", now)
        return placed(store)

    def test_rerun_months_later_joins_the_story(self, store: Store) -> None:
        """Ninety days on, the re-run joins the original's story with relation 'rerun'."""
        stories = self.run(store, aged=90)
        assert stories["a.html"][1] == "original"
        assert stories["r.html"] == (stories["a.html"][0], "rerun")
        assert stories["f.html"][0] != stories["a.html"][0]

    def test_original_older_than_lineage_days_is_forgotten(self, store: Store) -> None:
        """Past `[dedupe] lineage_days` (365) the fingerprints are gone and the copy starts a story."""
        stories = self.run(store, aged=400)
        assert stories["r.html"][1] == "original"
        with store.session() as session:
            year_ago = datetime.now(UTC) - timedelta(days=365)
            assert session.scalar(select(func.count()).select_from(LineageKey).where(LineageKey.added < year_ago)) == 0


def test_backfill_of_copies_months_later(db_url: str, tmp_path: Path) -> None:
    """`backfill --urls` of 2019 originals, then of copies published five months later: re-runs of them."""
    store = Store(db_url)
    try:
        with World("news") as world:
            outlet = world["news"]
            t2019 = datetime(2019, 3, 4, 8, tzinfo=UTC)
            for name, paragraphs in OLD_STORIES.items():
                outlet.static(f"/{name}-0.html", page(name.title(), paragraphs))
                outlet.static(f"/{name}-r.html", page(f"{name.title()} again", paragraphs[:2]))
            first = [(outlet.url(f"/{name}-0.html"), t2019 + timedelta(hours=n)) for n, name in enumerate(OLD_STORIES)]
            assert backfill(store, BackfillOptions(urls=url_list(tmp_path / "a.jsonl", first))).stored == 3
            later = [(outlet.url(f"/{name}-r.html"), t2019 + timedelta(days=150, hours=n))
                     for n, name in enumerate(OLD_STORIES)]
            assert backfill(store, BackfillOptions(urls=url_list(tmp_path / "r.jsonl", later))).stored == 3
        stories, stored_diffs = placed(store), diffs(store)
    finally:
        store.close()
    for name, paragraphs in OLD_STORIES.items():
        assert stories[f"{name}-r.html"] == (stories[f"{name}-0.html"][0], "rerun")
        # The re-run kept the first two paragraphs under a new headline: its copy diff says so (the extracted
        # text starts with the page's headline line, which may count as one more paragraph cut).
        diff = stored_diffs[f"{name}-r.html"]
        assert diff is not None
        assert stored_diffs[f"{name}-0.html"] is None
        assert (diff["headline_rewritten"], diff["paragraphs_added"], diff["own"]) == (True, 0, 0.0)
        assert diff["paragraphs_cut"] in (len(paragraphs) - 2, len(paragraphs) - 1)


def test_dedupe_command_links_reruns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`wirefeed dedupe` marks a copy published four months after its original as a re-run of it."""
    corpus = tmp_path / "in.jsonl"
    records = [
        {"id": "a", "title": "Dam", "text": "\n\n".join(DAM), "published": "2025-01-10T08:00:00Z"},
        {"id": "b", "title": "Bakery", "text": "\n\n".join(NEW_STORIES["bakery"]), "published": "2025-02-01T08:00:00Z"},
        {"id": "r", "title": "Dam again", "text": "\n\n".join(RERUN), "published": "2025-05-12T08:00:00Z"},
    ]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert main(["dedupe", str(corpus), "-o", str(tmp_path / "out.jsonl")]) == 0
    out = {r["id"]: r for r in map(json.loads, (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines())}
    assert (out["r"]["relation"], out["r"]["duplicate_of"], out["r"]["cluster"]) == ("rerun", "a", out["a"]["cluster"])
    assert out["b"]["relation"] == "original"

