"""Copy diffs kept in the store and shown by `stories`, `stories --json` and `export`, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import func, select

from dedupe.diff import diff_of
from dedupe.model import CopyDiff
from ingest.cli.stories import diff_summary
from store import repo
from store.db import Store, alembic_config
from store.models import StoryMember
from tests.test_backfill import settings_for
from tests.test_cli import wirefeed
from tests.test_copy_diff import UPDATE
from tests.test_dedupe_cluster import STORY
from tests.world import World, page, rss, run_pass

T0 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
DIFF = CopyDiff(headline_rewritten=True, paragraphs_cut=2, paragraphs_added=1, added_at=("top",), reused=0.84,
                own=0.06)
EXPORT_FIELDS = ["id", "story_id", "url", "canonical_url", "feed_url", "guid", "title", "text", "author",
                 "published", "fetched", "language", "diff"]


def place(store: Store, diff: CopyDiff | None = DIFF) -> tuple[int, int]:
    """Store an original and a copy of it placed in one story, the copy with `diff`; return both ids."""
    ids = []
    with store.session() as session:
        for n, site in enumerate(["agency.example", "outlet.example"]):
            article_id = repo.insert_article(session, {
                "canonical_url": f"https://{site}/story", "url": f"https://{site}/story", "site": site,
                "title": f"Headline at {site}", "text": f"Text at {site}", "published": T0 + timedelta(hours=n),
                "fetched": T0 + timedelta(hours=n), "status": "ok",
            })
            assert article_id is not None
            ids.append(article_id)
        original, copy = ids
        repo.join_story(session, story_id="s1", article_id=original, title="Headline", relation="original",
                        duplicate_of=None, score=0.0, agency=None, seq=1, new_story_dated=T0)
        repo.join_story(session, story_id="s1", article_id=copy, title="Headline", relation="near_duplicate",
                        duplicate_of=original, score=0.8, agency=None, seq=2,
                        diff=diff.as_dict() if diff is not None else None)
    return original, copy


class TestStore:
    """story_members.diff: written with the placement, read back by every reader."""

    def test_round_trip(self, store: Store) -> None:
        """The copy's diff reads back as written; the original has none (SQL NULL, not JSON null)."""
        original, copy = place(store)
        with store.session() as session:
            ((_, members),) = repo.stories_since(session, None)
            diffs = {article.id: member.diff for member, article in members}
            nulls = session.scalar(select(func.count()).select_from(StoryMember).where(StoryMember.diff.is_(None)))
        assert diffs == {original: None, copy: DIFF.as_dict()}
        assert nulls == 1

    def test_replayed_placements_keep_the_diff(self, store: Store) -> None:
        """placements_after carries the stored diff, which reads back as the CopyDiff that was placed."""
        place(store)
        with store.session() as session:
            original, copy = repo.placements_after(session, 0)
        assert original.diff is None
        assert diff_of(copy.diff) == DIFF

    def test_export_rows(self, store: Store) -> None:
        """Each exported article carries its diff (None for the original)."""
        original, copy = place(store)
        with store.session() as session:
            rows = {row["id"]: row for row in repo.export_rows(session, None)}
        assert rows[original]["diff"] is None
        assert rows[copy]["diff"] == DIFF.as_dict()

    def test_migration_down_and_up_keeps_the_members(self, store: Store) -> None:
        """Down to 0005 drops the column and keeps the memberships; up again they have no diff."""
        place(store)
        config = alembic_config(store.engine)
        command.downgrade(config, "0005")
        command.upgrade(config, "head")
        with store.session() as session:
            assert session.execute(select(StoryMember.seq, StoryMember.diff).order_by(StoryMember.seq)).all() == [
                (1, None), (2, None)]


class TestCommands:
    """`stories`, `stories --json` and `export` show the diff of each copy."""

    def test_stories_json(self, store: Store) -> None:
        """Each member gets a "diff": the copy's object, null for the original; the other fields stay."""
        original, copy = place(store)
        result = wirefeed("--db", store.url, "stories", "--json")
        assert result.code == 0
        ((story),) = json.loads(result.out)
        members = {m["article_id"]: m for m in story["members"]}
        assert members[original]["diff"] is None
        assert members[copy]["diff"] == {"headline_rewritten": True, "paragraphs_cut": 2, "paragraphs_added": 1,
                                         "added_at": ["top"], "reused": 0.84, "own": 0.06}
        assert {"article_id", "outlet", "url", "title", "published", "fetched", "relation", "score",
                "duplicate_of", "agency", "chars"} < set(members[copy])

    def test_stories_text(self, store: Store) -> None:
        """The copy's line ends with its diff in words; the original's line has none."""
        place(store)
        result = wirefeed("--db", store.url, "stories")
        assert result.code == 0
        copy_line = next(line for line in result.out.splitlines() if "outlet.example" in line)
        original_line = next(line for line in result.out.splitlines() if "agency.example/story" in line)
        assert copy_line.endswith("(headline rewritten, 2 ¶ cut, 1 ¶ added top, reuses 84%, own 6%)")
        assert "near_duplicate" in copy_line
        assert "(" not in original_line

    def test_export_jsonl_and_csv(self, store: Store) -> None:
        """JSONL records end with the diff object; CSV has a diff column holding it as JSON."""
        original, copy = place(store)
        records = {r["id"]: r for r in map(json.loads, wirefeed("--db", store.url, "export").out.splitlines())}
        assert all(list(r) == EXPORT_FIELDS for r in records.values())
        assert (records[original]["diff"], records[copy]["diff"]) == (None, DIFF.as_dict())
        rows = list(csv.DictReader(io.StringIO(wirefeed("--db", store.url, "export", "--format", "csv").out)))
        assert list(rows[0]) == EXPORT_FIELDS
        cells = {int(row["id"]): row["diff"] for row in rows}
        assert cells[original] == ""
        assert json.loads(cells[copy]) == DIFF.as_dict()


class TestDiffOf:
    """diff_of: the JSON form back to a CopyDiff."""

    def test_round_trip(self) -> None:
        """as_dict then diff_of gives the diff back (shares at 3 places)."""
        assert diff_of(DIFF.as_dict()) == DIFF
        assert diff_of(json.loads(json.dumps(DIFF.as_dict()))) == DIFF

    def test_not_a_diff(self) -> None:
        """None, a list or a record with missing or unreadable fields give None."""
        broken = dict(DIFF.as_dict(), paragraphs_cut="two")
        records: list[object] = [None, [], {"reused": 1.0}, broken]
        assert [diff_of(record) for record in records] == [None, None, None, None]


class TestSummary:
    """diff_summary: one line for `stories`."""

    def test_everything(self) -> None:
        """Headline, cuts, additions with their places, reuse and own share."""
        diff = CopyDiff(True, 3, 4, ("top", "middle", "bottom"), 0.5, 0.254)
        assert diff_summary(diff.as_dict()) == (
            "headline rewritten, 3 ¶ cut, 4 ¶ added top/middle/bottom, reuses 50%, own 25%")

    def test_unchanged_copy(self) -> None:
        """An exact copy says only that it reuses everything."""
        assert diff_summary(CopyDiff(False, 0, 0, (), 1.0, 0.0).as_dict()) == "reuses 100%, own 0%"

    def test_no_diff(self) -> None:
        """An original (or a copy placed before diffs existed) has no summary."""
        assert diff_summary(None) == ""


# Through real ingest passes -----------------------------------------------------------------------


def publish(store: Store, world: World, name: str, title: str, paragraphs: list[str], *, hours: int) -> None:
    """Serve one article page and a feed listing it at the outlet `name`, and subscribe to the feed."""
    outlet = world[name]
    outlet.static("/story.html", page(title, paragraphs))
    when = (T0 + timedelta(hours=hours)).isoformat()
    item = {"title": title, "link": outlet.url("/story.html"), "guid": f"{name}-1", "published": when}
    outlet.static("/feed.xml", rss(name, [item]), "application/rss+xml")
    with store.session() as session:
        repo.add_feed(session, outlet.url("/feed.xml"))


class TestIngest:
    """`ingest` passes place copies with their diffs; `stories` shows them."""

    def test_copies_carry_their_diffs(self, store: Store) -> None:
        """A trimmed copy with a new headline and an updated copy, each in its own pass, store what they changed."""
        cfg = settings_for(store.url)
        with World("agency", "trimmed", "updated") as world:
            publish(store, world, "agency", "ECB holds rates but signals June cut",
                    ["FRANKFURT (Reuters) - " + STORY[0], *STORY[1:]], hours=0)
            run_pass(store, cfg)
            publish(store, world, "trimmed", "Lagarde hints at a first rate cut in June", STORY[:5], hours=1)
            run_pass(store, cfg)
            publish(store, world, "updated", "ECB holds rates but signals June cut", [*UPDATE, *STORY], hours=2)
            run_pass(store, cfg)
        ((story),) = json.loads(wirefeed("--db", store.url, "stories", "--json").out)
        members = {m["url"].split("/")[2]: m for m in story["members"]}
        agency, trimmed, updated = (members[world[name].base.split("/")[2]] for name in world.outlets)
        assert agency["diff"] is None
        assert trimmed["diff"]["headline_rewritten"] is True
        assert (trimmed["diff"]["paragraphs_cut"], trimmed["diff"]["paragraphs_added"], trimmed["diff"]["own"]) == (
            3, 0, 0.0)
        assert (updated["diff"]["headline_rewritten"], updated["diff"]["paragraphs_cut"]) == (False, 0)
        assert (updated["diff"]["paragraphs_added"], updated["diff"]["added_at"]) == (2, ["top"])
        assert updated["diff"]["reused"] == 1.0
        lines = wirefeed("--db", store.url, "stories").out.splitlines()
        (line,) = [line for line in lines if trimmed["url"] in line]
        assert line.endswith(f"(headline rewritten, 3 ¶ cut, reuses {trimmed['diff']['reused']:.0%}, own 0%)")
