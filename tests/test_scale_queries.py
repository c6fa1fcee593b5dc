"""The hot queries rewritten for a large store (scripts/bench_pg_scale.py) answer as before, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from store import repo
from store.db import Store
from store.models import Article, LshBand, Story, StoryMember

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=1)

# (name, published, fetched): whether each is in the last day by published (fetched when undated).
ARTICLES = [
    ("dated-in", NOW - timedelta(hours=2), NOW - timedelta(hours=1)),  # in
    ("undated-in", None, NOW - timedelta(hours=3)),  # in, by its fetch time
    ("dated-before", NOW - timedelta(days=3), NOW - timedelta(hours=1)),  # out: published before, fetched in
    ("undated-before", None, NOW - timedelta(days=2)),  # out
    ("dated-after", NOW + timedelta(hours=5), NOW - timedelta(days=5)),  # in with no upper bound
]


def fill(store: Store) -> dict[str, int]:
    """One story per article (seq in insertion order), band keys timed at the fetch; name -> article id."""
    ids = {}
    with store.session() as session:
        for seq, (name, published, fetched) in enumerate(ARTICLES, start=1):
            article_id = repo.insert_article(session, {
                "canonical_url": f"https://a.example/{name}", "url": f"https://a.example/{name}", "site": "a.example",
                "title": name, "text": f"Text of {name}", "published": published, "fetched": fetched,
                "status": "ok",
            })
            assert article_id is not None
            ids[name] = article_id
            repo.join_story(session, story_id=f"s-{name}", article_id=article_id, title=name, relation="original",
                            duplicate_of=None, score=0.0, agency=None, seq=seq, new_story_dated=published or fetched)
            repo.add_bands(session, article_id, [seq * 10, seq * 10 + 1], fetched)
    return ids


def coalesce_story_ids(store: Store, since: datetime, until: datetime | None = None) -> set[str]:
    """The stories chosen by the plain definition: coalesce(published, fetched) in [since, until)."""
    moment = func.coalesce(Article.published, Article.fetched)
    query = select(StoryMember.story_id).join(Article, Article.id == StoryMember.article_id).where(moment >= since)
    if until is not None:
        query = query.where(moment < until)
    with store.session() as session:
        return set(session.scalars(query))


class TestStoriesByPublished:
    """`stories --by published` reads two indexed ranges instead of computing coalesce for every article."""

    def test_same_stories_as_the_coalesce(self, store: Store) -> None:
        """Dated articles by their date, undated ones by their fetch time, with and without an upper bound."""
        fill(store)
        for until in (None, NOW):
            with store.session() as session:
                found = {story.id for story, _ in repo.stories_since(session, SINCE, until=until, by="published")}
            assert found == coalesce_story_ids(store, SINCE, until)
        assert coalesce_story_ids(store, SINCE) == {"s-dated-in", "s-undated-in", "s-dated-after"}

    def test_order_is_the_sql_order(self, store: Store) -> None:
        """Read from the window, the stories keep `first_published DESC NULLS LAST, id`: ties and undated ones too."""
        fill(store)
        with store.session() as session:
            session.execute(update(Story).where(Story.id == "s-undated-in").values(first_published=None))
            session.execute(update(Story).where(Story.id == "s-dated-after").values(first_published=NOW))
            session.execute(update(Story).where(Story.id == "s-dated-in").values(first_published=NOW))
        with store.session() as session:
            found = [story.id for story, _ in repo.stories_since(session, SINCE, by="published")]
            ordered = list(session.scalars(select(Story.id).where(Story.id.in_(found))
                                           .order_by(Story.first_published.desc().nulls_last(), Story.id)))
        assert found == ordered == ["s-dated-after", "s-dated-in", "s-undated-in"]

    def test_export_by_published_uses_the_same_window(self, store: Store) -> None:
        """export --by published keeps the same articles as the coalesce definition."""
        fill(store)
        with store.session() as session:
            exported = {row["title"] for row in repo.export_rows(session, SINCE, until=NOW, by="published")}
        assert exported == {"dated-in", "undated-in"}


class TestStoriesMembers:
    """Members are read 500 stories a statement: the same members, in the same order, original first."""

    def test_members_of_many_stories(self, store: Store) -> None:
        """Each story gets its own members only; the original comes first, then by publication."""
        ids = fill(store)
        with store.session() as session:
            extra = repo.insert_article(session, {
                "canonical_url": "https://b.example/copy", "url": "https://b.example/copy", "site": "b.example",
                "title": "copy", "text": "Copy", "published": NOW - timedelta(hours=1), "fetched": NOW,
                "status": "ok"})
            assert extra is not None
            repo.join_story(session, story_id="s-dated-in", article_id=extra, title="dated-in",
                            relation="near_duplicate", duplicate_of=ids["dated-in"], score=0.9, agency=None,
                            seq=99)
            stories = {story.id: [article.title for _, article in members]
                       for story, members in repo.stories_since(session, None)}
        assert stories["s-dated-in"] == ["dated-in", "copy"]
        assert stories["s-undated-in"] == ["undated-in"]
        assert sum(len(titles) for titles in stories.values()) == len(ARTICLES) + 1


class TestReplayWindow:
    """The start-up replay reads its first seq on its own, then the window's decisions by the seq index."""

    def test_from_the_first_placed_in_the_window(self, store: Store) -> None:
        """With `since`, decisions from the first whose band keys arrived at or after it, in seq order."""
        ids = fill(store)
        with store.session() as session:
            replayed = [p.article_id for p in repo.placements_after(session, 0, since=SINCE)]
            first_in = min(seq for seq, (_, _, fetched) in enumerate(ARTICLES, start=1) if fetched >= SINCE)
            assert replayed == [ids[name] for name, _, _ in ARTICLES[first_in - 1:]]
            assert [p.article_id for p in repo.placements_after(session, first_in, since=SINCE)] == \
                [ids[name] for name, _, _ in ARTICLES[first_in:]]

    def test_nothing_in_the_window(self, store: Store) -> None:
        """No band key at or after `since`: nothing to replay (as the subquery's NULL bound gave)."""
        fill(store)
        with store.session() as session:
            assert repo.placements_after(session, 0, since=NOW + timedelta(days=1)) == []
            session.execute(LshBand.__table__.delete())
            assert repo.placements_after(session, 0, since=SINCE) == []
            assert len(repo.placements_after(session, 0)) == len(ARTICLES)
