"""The store on SQLite and PostgreSQL: schema, idempotent writes, leases, stories, export, timestamps."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text, update
from sqlalchemy.exc import StatementError

from store import repo
from store.db import Store, StoreError, alembic_config, ensure_schema
from store.models import Article, BackfillItem, BackfillRun, Base, Feed, FeedItem, Story, StoryMember

T0 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
EXPORT_FIELDS = ["id", "story_id", "url", "canonical_url", "feed_url", "guid", "title", "text", "author",
                 "published", "fetched", "language", "diff"]


def add_article(store: Store, url: str, *, published: datetime | None, status: str = "ok",
                feed_url: str | None = None, **extra: Any) -> int:
    """Insert one article row and return its id."""
    with store.session() as session:
        feed_id = None
        if feed_url is not None:
            repo.add_feed(session, feed_url)
            feed = repo.feed_by_url(session, feed_url)
            assert feed is not None
            feed_id = feed.id
        values = {"canonical_url": url, "url": url + "?utm_source=rss", "feed_id": feed_id, "guid": url,
                  "site": url.split("/")[2], "title": f"Title of {url}", "text": f"Text of {url}",
                  "published": published, "fetched": T0 + timedelta(hours=12), "status": status,
                  "language": "en", **extra}
        article_id = repo.insert_article(session, values)
    assert article_id is not None
    return article_id


def join(store: Store, story_id: str, article_id: int, agency: str | None = None) -> Story:
    """Put an article into a story and return the story as stored."""
    with store.session() as session:
        article = session.get(Article, article_id)
        assert article is not None
        repo.join_story(session, story_id=story_id, article_id=article_id, title=article.title,
                        relation="near_duplicate", duplicate_of=None, score=0.9, agency=agency,
                        seq=repo.latest_seq(session) + 1)
    with store.session() as session:
        story = session.get(Story, story_id)
        assert story is not None
        return story


class TestSchema:
    """The schema is created on first use and kept at head."""

    def test_created_automatically(self, store: Store) -> None:
        """Opening a fresh database creates every table at the newest migration."""
        tables = set(inspect(store.engine).get_table_names())
        assert {"feeds", "fetch_log", "feed_items", "articles", "raw_pages", "stories", "story_members",
                "lsh_bands", "alembic_version"} <= tables
        head = ScriptDirectory.from_config(alembic_config(store.engine)).get_current_head()
        with store.engine.connect() as conn:
            assert list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars()) == [head]

    def test_ensure_schema_idempotent(self, store: Store, db_url: str) -> None:
        """A second upgrade applies nothing and reopening keeps the data."""
        assert ensure_schema(store.engine) is False
        with store.session() as session:
            repo.add_feed(session, "https://a.example/rss")
        again = Store(db_url)
        try:
            assert ensure_schema(again.engine) is False
            with again.session() as session:
                assert [f.url for f in repo.list_feeds(session)] == ["https://a.example/rss"]
        finally:
            again.close()

    def test_fresh_database_reports_applied(self, db_url: str) -> None:
        """On an empty database ensure_schema says it applied migrations."""
        fresh = Store(db_url, migrate=False)
        try:
            assert ensure_schema(fresh.engine) is True
            assert ensure_schema(fresh.engine) is False
        finally:
            fresh.close()

    def test_migrations_match_the_models(self, store: Store) -> None:
        """The migrations build exactly the schema the models describe (no change left without a revision)."""
        with store.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []

    def test_database_of_the_first_release_is_upgraded_with_its_data(self, db_url: str) -> None:
        """A database at revision 0001 (what the first release created) upgrades in place, rows kept."""
        old = Store(db_url, migrate=False)
        try:
            command.upgrade(alembic_config(old.engine), "0001")
            with old.engine.begin() as conn:
                conn.execute(text("INSERT INTO backfill_runs (key, args, started_at, position) "
                                  "VALUES ('k', '{}', '2026-11-01 00:00:00', 7)"))
            assert ensure_schema(old.engine) is True
            with old.session() as session:
                run = session.scalars(select(BackfillRun)).one()
                assert (run.key, run.position, run.owner, run.lease_until) == ("k", 7, None, None)
                session.add(BackfillItem(run_id=run.id, item_key="https://a.example/1", outcome="stored"))
            # Down and up again keeps the run and its items (no table rebuild cascading into the items).
            command.downgrade(alembic_config(old.engine), "0001")
            command.upgrade(alembic_config(old.engine), "head")
            with old.session() as session:
                assert session.scalar(select(func.count()).select_from(BackfillItem)) == 1
                assert session.scalars(select(BackfillRun.position)).one() == 7
        finally:
            old.close()


class TestFeeds:
    """Subscriptions are idempotent."""

    def test_add_feed_idempotent(self, store: Store) -> None:
        """Adding a feed twice keeps one row and reports the second as already there."""
        with store.session() as session:
            assert repo.add_feed(session, "https://a.example/rss", title="A") is True
        with store.session() as session:
            assert repo.add_feed(session, "https://a.example/rss") is False
        with store.session() as session:
            feeds = repo.list_feeds(session)
        assert [(f.url, f.title) for f in feeds] == [("https://a.example/rss", "A")]
        assert feeds[0].error_count == 0
        assert feeds[0].disabled is False

    def test_readding_updates_interval(self, store: Store) -> None:
        """Adding an existing feed with --interval changes its interval; without it, keeps it."""
        with store.session() as session:
            repo.add_feed(session, "https://a.example/rss", 600)
            repo.add_feed(session, "https://a.example/rss", 1200)
            repo.add_feed(session, "https://a.example/rss")
        with store.session() as session:
            feed = repo.feed_by_url(session, "https://a.example/rss")
        assert feed is not None
        assert feed.interval == 1200

    def test_list_in_subscription_order(self, store: Store) -> None:
        """Feeds are listed oldest subscription first; an unknown URL is None."""
        with store.session() as session:
            for url in ("https://c.example/rss", "https://a.example/rss", "https://b.example/rss"):
                repo.add_feed(session, url)
        with store.session() as session:
            assert [f.url for f in repo.list_feeds(session)] == [
                "https://c.example/rss", "https://a.example/rss", "https://b.example/rss"]
            assert repo.feed_by_url(session, "https://nope.example/") is None


class TestInsertIgnore:
    """INSERT ... ON CONFLICT DO NOTHING never doubles a row."""

    def test_same_row_twice(self, store: Store) -> None:
        """The second insert of the same key inserts nothing and reports 0."""
        row = {"url": "https://a.example/rss", "next_fetch_at": T0, "error_count": 0, "disabled": False,
               "created_at": T0}
        with store.session() as session:
            assert repo.insert_ignore(session, Feed, [row], ["url"]) == 1
        with store.session() as session:
            assert repo.insert_ignore(session, Feed, [row], ["url"]) == 0
            assert session.scalar(select(func.count()).select_from(Feed)) == 1

    def test_mixed_batch_counts_only_new(self, store: Store) -> None:
        """In a batch with known and new keys only the new rows are inserted and counted."""
        with store.session() as session:
            repo.add_feed(session, "https://a.example/rss")
            feed = repo.feed_by_url(session, "https://a.example/rss")
            assert feed is not None
            items = [{"feed_id": feed.id, "guid": g, "seen_at": T0} for g in ("g1", "g2")]
            assert repo.insert_ignore(session, FeedItem, items, ["feed_id", "guid"]) == 2
            items += [{"feed_id": feed.id, "guid": "g3", "seen_at": T0}]
            assert repo.insert_ignore(session, FeedItem, items, ["feed_id", "guid"]) == 1
            assert sorted(session.scalars(select(FeedItem.guid))) == ["g1", "g2", "g3"]

    def test_empty_batch(self, store: Store) -> None:
        """No rows is a no-op returning 0."""
        with store.session() as session:
            assert repo.insert_ignore(session, Feed, [], ["url"]) == 0

    def test_article_and_item_writes_idempotent(self, store: Store) -> None:
        """insert_article and record_item return None/False for a known canonical URL or GUID."""
        first = add_article(store, "https://a.example/1", published=T0)
        with store.session() as session:
            again = repo.insert_article(session, {"canonical_url": "https://a.example/1", "url": "x",
                                                  "fetched": T0, "status": "ok"})
            assert again is None
            repo.add_feed(session, "https://a.example/rss")
            feed = repo.feed_by_url(session, "https://a.example/rss")
            assert feed is not None
            assert repo.record_item(session, feed.id, {"guid": "g1", "url": "https://a.example/1"}, first)
            assert not repo.record_item(session, feed.id, {"guid": "g1", "url": "https://a.example/1"}, first)
            assert repo.seen_guids(session, feed.id, ["g1", "g2"]) == {"g1"}
            assert session.scalar(select(func.count()).select_from(Article)) == 1


class TestLeases:
    """claim_feeds hands each due feed to one worker at a time."""

    LEASE = timedelta(minutes=10)

    @pytest.fixture
    def feeds(self, store: Store) -> list[int]:
        """Three enabled feeds due at T0."""
        with store.session() as session:
            for name in ("a", "b", "c"):
                repo.add_feed(session, f"https://{name}.example/rss")
            session.execute(Feed.__table__.update().values(next_fetch_at=T0))
            return [f.id for f in repo.list_feeds(session)]

    def claim(self, store: Store, owner: str, now: datetime, **kw: Any) -> list[int]:
        with store.session() as session:
            return [f.id for f in repo.claim_feeds(session, owner, now=now, lease=self.LEASE, limit=10, **kw)]

    def test_leased_feed_not_given_to_another(self, store: Store, feeds: list[int]) -> None:
        """Feeds leased by one owner are not returned to another while the lease runs."""
        assert self.claim(store, "w1", T0) == feeds
        assert self.claim(store, "w2", T0 + timedelta(minutes=5)) == []
        with store.session() as session:
            owners = {f.lease_owner for f in repo.list_feeds(session)}
            until = {f.lease_until for f in repo.list_feeds(session)}
        assert owners == {"w1"}
        assert until == {T0 + self.LEASE}

    def test_expired_lease_reclaimable(self, store: Store, feeds: list[int]) -> None:
        """Once the lease has expired (a crashed worker), another owner gets the feeds."""
        assert self.claim(store, "w1", T0) == feeds
        assert self.claim(store, "w2", T0 + self.LEASE + timedelta(seconds=1)) == feeds
        with store.session() as session:
            assert {f.lease_owner for f in repo.list_feeds(session)} == {"w2"}

    def test_release(self, store: Store, feeds: list[int]) -> None:
        """release_feeds gives back one owner's leases (some or all), and never another's."""
        assert self.claim(store, "w1", T0) == feeds
        with store.session() as session:
            assert repo.release_feeds(session, "w2") == 0
            assert repo.release_feeds(session, "w1", [feeds[0]]) == 1
        assert self.claim(store, "w2", T0) == [feeds[0]]
        with store.session() as session:
            assert repo.release_feeds(session, "w1") == 2
        assert self.claim(store, "w3", T0) == feeds[1:]

    def test_limit(self, store: Store, feeds: list[int]) -> None:
        """A worker takes at most `limit` feeds and leaves the rest to others."""
        with store.session() as session:
            first = [f.id for f in repo.claim_feeds(session, "w1", now=T0, lease=self.LEASE, limit=2)]
        assert len(first) == 2
        assert self.claim(store, "w2", T0) == [i for i in feeds if i not in first]

    def test_not_due_disabled_and_retry_after(self, store: Store, feeds: list[int]) -> None:
        """Not-due feeds wait (unless --all); disabled feeds never come; Retry-After holds even with --all."""
        later, disabled, retry = feeds
        with store.session() as session:
            repo.update_feed(session, later, next_fetch_at=T0 + timedelta(hours=1))
            repo.update_feed(session, disabled, disabled=True)
            repo.update_feed(session, retry, retry_after=T0 + timedelta(hours=1))
        assert self.claim(store, "w1", T0) == []
        assert self.claim(store, "w1", T0, include_not_due=True) == [later]
        with store.session() as session:
            repo.release_feeds(session, "w1")
        assert self.claim(store, "w2", T0 + timedelta(minutes=30), include_not_due=True) == [later]
        with store.session() as session:
            repo.release_feeds(session, "w2")
        assert self.claim(store, "w3", T0 + timedelta(hours=2)) == [later, retry]

    def test_all_skips_feeds_fetched_this_pass(self, store: Store, feeds: list[int]) -> None:
        """With --all, a feed already fetched since the pass began is not claimed again."""
        with store.session() as session:
            repo.update_feed(session, feeds[0], last_fetched_at=T0 + timedelta(seconds=30))
        got = self.claim(store, "w1", T0 + timedelta(minutes=1), include_not_due=True, fetched_before=T0)
        assert got == feeds[1:]

    @pytest.mark.postgres
    def test_concurrent_claims_postgres(self, pg_url: str) -> None:
        """On PostgreSQL a claim in an open transaction skips rows another open transaction holds."""
        store = Store(pg_url)
        try:
            with store.session() as session:
                repo.add_feed(session, "https://a.example/rss")
                session.execute(Feed.__table__.update().values(next_fetch_at=T0))
            with store.session() as first, store.session() as second:
                got1 = repo.claim_feeds(first, "w1", now=T0, lease=self.LEASE, limit=10)
                got2 = repo.claim_feeds(second, "w2", now=T0, lease=self.LEASE, limit=10)
                assert [f.url for f in got1] == ["https://a.example/rss"]
                assert got2 == []
        finally:
            store.close()


class TestStories:
    """join_story and refresh_story keep a story's summary right."""

    def test_original_is_earliest_copy(self, store: Store) -> None:
        """Without an agency copy the earliest published copy is the original; size counts all copies."""
        late = add_article(store, "https://b.example/1", published=T0 + timedelta(hours=2))
        early = add_article(store, "https://a.example/1", published=T0)
        join(store, "s1", late)
        story = join(store, "s1", early)
        assert story.size == 2
        assert story.original_article_id == early
        assert story.title == "Title of https://a.example/1"
        assert story.first_published == T0
        assert story.agency is None

    def test_new_story_written_directly_equals_recomputed(self, store: Store) -> None:
        """A story started by a new article, written without a lookup, equals the recomputed summary."""
        first = add_article(store, "https://a.example/1", published=T0)
        second = add_article(store, "https://b.example/1", published=None)  # dated by its fetch time
        with store.session() as session:
            for story_id, article_id in (("direct", first), ("direct2", second)):
                article = session.get(Article, article_id)
                assert article is not None
                repo.join_story(session, story_id=story_id, article_id=article_id, title=article.title,
                                relation="original", duplicate_of=None, score=0.0, agency="AFP",
                                seq=repo.latest_seq(session) + 1,
                                new_story_dated=article.published or article.fetched)
        with store.session() as session:
            for story_id in ("direct", "direct2"):
                direct = session.get(Story, story_id)
                assert direct is not None
                written = (direct.size, direct.original_article_id, direct.title, direct.agency,
                           direct.first_published)
                repo.refresh_story(session, direct)
                assert written == (direct.size, direct.original_article_id, direct.title, direct.agency,
                                   direct.first_published)
            assert session.get(Story, "direct2").first_published == T0 + timedelta(hours=12)  # type: ignore[union-attr]

    def test_agency_copy_preferred(self, store: Store) -> None:
        """An agency's own copy is the original even when an outlet published first."""
        outlet = add_article(store, "https://outlet.example/1", published=T0)
        agency = add_article(store, "https://agency.example/1", published=T0 + timedelta(hours=1))
        other = add_article(store, "https://other.example/1", published=T0 + timedelta(hours=3))
        join(store, "s1", outlet)
        join(store, "s1", agency, agency="AFP")
        story = join(store, "s1", other)
        assert story.original_article_id == agency
        assert story.agency == "AFP"
        assert story.first_published == T0  # still the earliest of all copies
        assert story.size == 3

    def test_fetched_time_when_unpublished(self, store: Store) -> None:
        """A copy without a published time counts by its fetch time."""
        undated = add_article(store, "https://a.example/1", published=None)  # fetched T0+12h
        dated = add_article(store, "https://b.example/1", published=T0 + timedelta(hours=13))
        join(store, "s1", dated)
        story = join(store, "s1", undated)
        assert story.original_article_id == undated
        assert story.first_published == T0 + timedelta(hours=12)

    def test_members_and_article_link(self, store: Store) -> None:
        """Joining writes one member row per article and sets the article's story_id."""
        first = add_article(store, "https://a.example/1", published=T0)
        second = add_article(store, "https://b.example/1", published=T0 + timedelta(hours=1))
        join(store, "s1", first)
        join(store, "s1", second)
        with store.session() as session:
            members = session.scalars(select(StoryMember).order_by(StoryMember.article_id)).all()
            stories = repo.stories_since(session, None)
            assert {a.story_id for a in session.scalars(select(Article))} == {"s1"}
        assert [m.article_id for m in members] == [first, second]
        assert [(s.id, [a.id for _, a in members]) for s, members in stories] == [("s1", [first, second])]


class TestExport:
    """export_rows: one record per stored article."""

    def test_order_and_fields(self, store: Store) -> None:
        """Rows come oldest id first, with exactly the export fields, feed URL joined, failures left out."""
        first = add_article(store, "https://a.example/1", published=T0, feed_url="https://a.example/rss",
                            author="Ann")
        add_article(store, "https://a.example/broken", published=None, status="failed")
        second = add_article(store, "https://b.example/1", published=None)
        join(store, "s1", first)
        with store.session() as session:
            rows = list(repo.export_rows(session, None))
        assert [r["id"] for r in rows] == [first, second]
        assert all(list(r) == EXPORT_FIELDS for r in rows)
        assert rows[0] == {
            "id": first, "story_id": "s1", "url": "https://a.example/1?utm_source=rss",
            "canonical_url": "https://a.example/1", "feed_url": "https://a.example/rss",
            "guid": "https://a.example/1", "title": "Title of https://a.example/1",
            "text": "Text of https://a.example/1", "author": "Ann", "published": T0,
            "fetched": T0 + timedelta(hours=12), "language": "en", "diff": None,
        }
        assert rows[1]["feed_url"] is None
        assert rows[1]["story_id"] is None

    def test_since(self, store: Store) -> None:
        """--since keeps articles fetched at or after the given time."""
        add_article(store, "https://a.example/old", published=None, fetched=T0)
        new = add_article(store, "https://a.example/new", published=None, fetched=T0 + timedelta(days=2))
        with store.session() as session:
            rows = list(repo.export_rows(session, T0 + timedelta(days=1)))
        assert [r["id"] for r in rows] == [new]


class TestTimestamps:
    """Times go in and come out timezone-aware, in UTC."""

    def test_read_back_aware_utc(self, store: Store) -> None:
        """A time written with another offset comes back as the same instant in UTC."""
        paris = timezone(timedelta(hours=1))
        published = datetime(2026, 11, 20, 7, 0, tzinfo=paris)
        article_id = add_article(store, "https://a.example/1", published=published)
        with store.session() as session:
            article = session.get(Article, article_id)
            feed_times = [f.next_fetch_at for f in repo.list_feeds(session)]
        assert article is not None
        assert article.published == T0
        assert article.published.utcoffset() == timedelta(0)
        assert article.fetched.tzinfo is not None
        with store.session() as session:
            repo.add_feed(session, "https://a.example/rss")
            feed_times = [f.next_fetch_at for f in repo.list_feeds(session)]
        assert all(t.utcoffset() == timedelta(0) for t in feed_times)

    def test_naive_time_refused(self, store: Store) -> None:
        """A naive datetime is refused rather than stored with a guessed zone."""
        with pytest.raises(StatementError, match="naive datetime"), store.session() as session:
            repo.update_feed(session, 1, next_fetch_at=datetime(2026, 11, 20, 6, 0))


class TestSqliteConnection:
    """SQLite is opened for concurrent use."""

    def test_pragmas(self, sqlite_url: str) -> None:
        """Every connection has WAL, foreign keys on and a busy timeout."""
        store = Store(sqlite_url)
        try:
            with store.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        finally:
            store.close()

    def test_foreign_keys_enforced(self, sqlite_url: str) -> None:
        """A feed item pointing at a missing feed is refused."""
        store = Store(sqlite_url)
        try:
            with pytest.raises(Exception, match="FOREIGN KEY"), store.session() as session:
                session.add(FeedItem(feed_id=999, guid="g", seen_at=T0))
        finally:
            store.close()


class TestOpenErrors:
    """A database that cannot be used is a StoreError with a one-line reason."""

    def test_missing_directory(self, tmp_path: Path) -> None:
        """A SQLite path in a directory that does not exist is reported, not created."""
        with pytest.raises(StoreError, match="does not exist"):
            Store(f"sqlite:///{tmp_path}/no/such/dir/x.db")

    def test_tilde_is_not_the_home_directory(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A `~` in a SQLite URL is checked as pysqlite opens it (a folder named `~`), not as the home."""
        home, work = tmp_path / "home", tmp_path / "work"
        home.mkdir()
        work.mkdir()
        monkeypatch.setenv("HOME", str(home))
        monkeypatch.chdir(work)
        with pytest.raises(StoreError, match=re.escape(f"directory {work / '~'} does not exist")):
            Store("sqlite:///~/x.db")
        assert not (home / "x.db").exists()

    def test_not_a_database_file(self, tmp_path: Path) -> None:
        """A file that is not a SQLite database is a StoreError, not a raw driver exception."""
        path = tmp_path / "notes.db"
        path.write_text("these are my notes, not a database\n" * 100, encoding="utf-8")
        with pytest.raises(StoreError, match="file is not a database"):
            Store(f"sqlite:///{path}")

    def test_unreachable_server(self) -> None:
        """A PostgreSQL server that refuses connections is 'database unreachable'."""
        with pytest.raises(StoreError, match="database unreachable") as info:
            Store("postgresql+psycopg://postgres@127.0.0.1:1/x")
        assert "\n" not in str(info.value)

    def test_postgres_scheme_uses_psycopg3(self, db_url: str) -> None:
        """postgres:// and postgresql:// URLs get the psycopg 3 driver."""
        from store.db import normalise_url

        assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
        assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
        assert normalise_url(db_url) == db_url or db_url.startswith("postgresql+psycopg://")


class TestPeek:
    """`wirefeed stats` without SQLAlchemy reads the same numbers as the session does."""

    def test_same_numbers_as_the_session(self, store: Store, db_url: str) -> None:
        """On SQLite and PostgreSQL: a failing feed, a disabled one, an article."""
        from store import peek

        with store.session() as session:
            repo.add_feed(session, "https://a.example/rss")
            repo.add_feed(session, "https://b.example/rss")
            session.execute(update(Feed).where(Feed.url == "https://a.example/rss").values(error_count=2))
            session.execute(update(Feed).where(Feed.url == "https://b.example/rss").values(disabled=True))
        add_article(store, "https://a.example/1", published=None)
        with store.session() as session:
            expected = repo.stats(session)
        assert (expected["feeds"], expected["feeds_failing"], expected["feeds_disabled"]) == (2, 1, 1)
        assert expected["articles"] == 1
        assert peek.stats(db_url) == expected

    def test_unsure_means_none(self, tmp_path: Path) -> None:
        """No file, an empty file, no schema, another driver: None, and the general path answers."""
        from store import peek

        assert peek.stats(f"sqlite:///{tmp_path / 'missing.db'}") is None
        assert not (tmp_path / "missing.db").exists()
        (tmp_path / "empty.db").write_bytes(b"")
        assert peek.stats(f"sqlite:///{tmp_path / 'empty.db'}") is None
        assert (tmp_path / "empty.db").read_bytes() == b""
        import sqlite3

        sqlite3.connect(tmp_path / "other.db").execute("CREATE TABLE t (x)").connection.close()
        assert peek.stats(f"sqlite:///{tmp_path / 'other.db'}") is None
        assert peek.stats("mysql+pymysql://u@localhost/news") is None

    def test_feed_counts(self, store: Store) -> None:
        """What a pass that polled nothing is explained by: feeds subscribed and of them disabled."""
        with store.session() as session:
            assert repo.feed_counts(session) == (0, 0)
            repo.add_feed(session, "https://a.example/rss")
            repo.add_feed(session, "https://b.example/rss")
            session.execute(update(Feed).where(Feed.url == "https://b.example/rss").values(disabled=True))
        with store.session() as session:
            assert repo.feed_counts(session) == (2, 1)
