"""Queries and idempotent writes: everything the pipeline and the CLI ask of the store."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, Table, and_, bindparam, delete, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store import peek
from store.models import (
    Article,
    Base,
    Feed,
    FeedItem,
    FetchLog,
    LshBand,
    OriginWait,
    PageClaim,
    RawPage,
    SiteBlock,
    SiteStat,
    Story,
    StoryMember,
    utcnow,
)


def _table(model: type[Base]) -> Table:
    """A model's Core table, for statements that should skip the ORM's per-object machinery."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


ARTICLES, STORIES, STORY_MEMBERS = _table(Article), _table(Story), _table(StoryMember)
SITE_STATS, SITE_BLOCKS, LSH_BANDS = _table(SiteStat), _table(SiteBlock), _table(LshBand)

# One lock id for the story-assignment critical section on PostgreSQL (SQLite serialises writers itself).
DEDUPE_LOCK_ID = 0x77697265
# SQLAlchemy 2.1 leaves rowcount at -1 for an INSERT on psycopg unless asked to keep it.
COUNT_ROWS = {"preserve_rowcount": True}


def insert_ignore(
    session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]], keys: Sequence[str]
) -> int:
    """INSERT ... ON CONFLICT (keys) DO NOTHING; return how many rows were inserted."""
    if not rows:
        return 0
    table = _table(model)
    dialect = _dialect(session)
    # One cached statement executed with parameter sets: building a multi-VALUES clause per call costs
    # more than the insert itself (SQLAlchemy coerces every value).
    stmt = dialect.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    if len(rows) == 1:
        result = session.execute(stmt, dict(rows[0]), execution_options=COUNT_ROWS)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
    inserted = 0
    for row in rows:  # executemany gives no reliable per-row count for ON CONFLICT; rows here are few
        inserted += int(session.execute(stmt, dict(row), execution_options=COUNT_ROWS).rowcount or 0)  # type: ignore[attr-defined]
    return inserted


def insert_many(session: Session, table: Table, rows: Sequence[Mapping[str, Any]], *, suffix: str = "") -> None:
    """INSERT rows (all with the same keys) through the driver's executemany; `suffix` is an ON CONFLICT clause.

    The columns' own types convert the values (once per column, not per row and statement), then the
    driver gets plain tuples: for the thousands of small rows of a group (band keys, fingerprints,
    paragraph counts) SQLAlchemy's per-row parameter handling cost more than the database's insert.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    convert = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    quote = dialect.identifier_preparer.quote
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
           f"VALUES ({', '.join([mark] * len(names))}){suffix}")
    columns = [[row[name] for row in rows] for name in names]
    for index, fn in enumerate(convert):
        if fn is not None:
            columns[index] = _converted(fn, columns[index])
    connection.exec_driver_sql(sql, list(zip(*columns, strict=True)))


def _converted(fn: Any, values: list[Any]) -> list[Any]:
    """Values through a type's bind processor, each distinct (hashable) value once: times repeat per article."""
    seen: dict[Any, Any] = {}
    out = []
    for value in values:
        try:
            done = seen[value]
        except KeyError:
            done = seen[value] = fn(value)
        except TypeError:  # unhashable (a JSON document)
            done = fn(value)
        out.append(done)
    return out


def _dialect(session: Session) -> Any:
    """The dialect module whose `insert` has ON CONFLICT support for this session's database."""
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


def lock_for_dedupe(session: Session) -> None:
    """Serialise story assignment across workers so clustering sees every earlier article."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": DEDUPE_LOCK_ID})


# Feeds ---------------------------------------------------------------------------------------------


def add_feed(session: Session, url: str, interval: int | None = None, title: str | None = None) -> bool:
    """Subscribe to a feed; return False when it was already there (its interval is then updated)."""
    inserted = insert_ignore(
        session,
        Feed,
        [
            {
                "url": url,
                "interval": interval,
                "title": title,
                "next_fetch_at": utcnow(),
                "error_count": 0,
                "disabled": False,
                "created_at": utcnow(),
            }
        ],
        ["url"],
    )
    if not inserted and interval is not None:
        session.execute(update(Feed).where(Feed.url == url).values(interval=interval))
    return bool(inserted)


def list_feeds(session: Session) -> list[Feed]:
    """All feeds, oldest subscription first."""
    return list(session.scalars(select(Feed).order_by(Feed.id)))


def feed_by_url(session: Session, url: str) -> Feed | None:
    """The feed with this URL, or None."""
    return session.scalars(select(Feed).where(Feed.url == url)).first()


def claim_feeds(
    session: Session,
    owner: str,
    *,
    now: datetime,
    lease: timedelta,
    limit: int,
    include_not_due: bool = False,
    fetched_before: datetime | None = None,
    taken_over: list[int] | None = None,
) -> list[Feed]:
    """Lease up to `limit` feeds to one worker; a feed leased by another live worker is never returned.

    Due feeds only, unless `include_not_due` (ingest --all), which still honours a server's Retry-After
    and skips feeds fetched since `fetched_before` (the start of this pass). The ids of feeds whose
    expired lease another worker still held (it died or stalled) are appended to `taken_over`.
    """
    query: Select[int, str | None] = select(Feed.id, Feed.lease_owner).where(
        Feed.disabled.is_(False),
        or_(Feed.lease_until.is_(None), Feed.lease_until < now),
        or_(Feed.retry_after.is_(None), Feed.retry_after <= now),
    )
    if include_not_due:
        if fetched_before is not None:
            query = query.where(or_(Feed.last_fetched_at.is_(None), Feed.last_fetched_at < fetched_before))
    else:
        query = query.where(Feed.next_fetch_at <= now)
    query = query.order_by(Feed.next_fetch_at, Feed.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    found = session.execute(query).all()
    if not found:
        return []
    ids = [feed_id for feed_id, _ in found]
    claimed = (
        session.execute(
            update(Feed)
            .where(Feed.id.in_(ids), or_(Feed.lease_until.is_(None), Feed.lease_until < now))
            .values(lease_owner=owner, lease_until=now + lease)
            .returning(Feed.id)
        )
        .scalars()
        .all()
    )
    session.flush()
    if taken_over is not None:
        mine = set(claimed)
        taken_over.extend(feed_id for feed_id, held_by in found if held_by not in (None, owner) and feed_id in mine)
    # populate_existing: rows already in the session are overwritten with the lease just written (one
    # SELECT for the batch instead of a refresh per feed).
    feeds = session.scalars(
        select(Feed).where(Feed.id.in_(claimed)).order_by(Feed.id).execution_options(populate_existing=True)
    ).all()
    return list(feeds)


def release_feeds(session: Session, owner: str, feed_ids: Iterable[int] | None = None) -> int:
    """Give back leases held by one worker (all of them, or the listed feeds)."""
    stmt = update(Feed).where(Feed.lease_owner == owner)
    if feed_ids is not None:
        stmt = stmt.where(Feed.id.in_(list(feed_ids)))
    result = session.execute(stmt.values(lease_owner=None, lease_until=None))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def feed_lease_owners(session: Session, now: datetime) -> list[str]:
    """The workers holding a live feed lease (one row each, whatever the number of feeds)."""
    query = select(Feed.lease_owner).where(Feed.lease_owner.is_not(None), Feed.lease_until >= now).distinct()
    return sorted(owner for owner in session.scalars(query) if owner is not None)


def renew_leases(session: Session, owner: str, until: datetime) -> int:
    """Extend every lease one worker holds."""
    result = session.execute(update(Feed).where(Feed.lease_owner == owner).values(lease_until=until))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def update_feed(session: Session, feed_id: int, **values: Any) -> None:
    """Write fields of one feed row."""
    session.execute(update(Feed).where(Feed.id == feed_id).values(**values))


# Items and articles --------------------------------------------------------------------------------


def seen_guids(session: Session, feed_id: int, guids: Sequence[str]) -> set[str]:
    """Which of these GUIDs this feed has already produced."""
    seen: set[str] = set()
    for start in range(0, len(guids), 500):
        chunk = guids[start : start + 500]
        seen.update(
            session.scalars(
                select(FeedItem.guid).where(FeedItem.feed_id == feed_id, FeedItem.guid.in_(chunk))
            )
        )
    return seen


def articles_by_canonical(session: Session, urls: Sequence[str]) -> dict[str, Article]:
    """Stored articles keyed by canonical URL."""
    found: dict[str, Article] = {}
    for start in range(0, len(urls), 500):
        chunk = urls[start : start + 500]
        for article in session.scalars(select(Article).where(Article.canonical_url.in_(chunk))):
            found[article.canonical_url] = article
    return found


_BY_SITE_HASH = select(Article.id, Article.story_id).where(
    Article.site == bindparam("site"), Article.content_hash == bindparam("content_hash")
)


@dataclass(frozen=True, slots=True)
class Known:
    """An article already stored: its id and story."""

    id: int
    story_id: str | None


def article_by_hash(session: Session, site: str, content_hash: str) -> Known | None:
    """The article of this site with this normalised-text hash, or None."""
    row = session.execute(_BY_SITE_HASH, {"site": site, "content_hash": content_hash}).first()
    return Known(int(row.id), row.story_id) if row is not None else None


def record_item(session: Session, feed_id: int, item: Mapping[str, Any], article_id: int | None) -> bool:
    """Remember a feed entry (GUID per feed) and the article it produced; idempotent."""
    row = dict(item, feed_id=feed_id, article_id=article_id, seen_at=utcnow())
    return bool(insert_ignore(session, FeedItem, [row], ["feed_id", "guid"]))


def insert_article(session: Session, values: Mapping[str, Any]) -> int | None:
    """Insert an article unless its canonical URL is already stored; return the new id."""
    stmt = _dialect(session).insert(ARTICLES).on_conflict_do_nothing(index_elements=["canonical_url"])
    article_id = session.scalar(stmt.returning(ARTICLES.c.id), dict(values))
    return int(article_id) if article_id is not None else None


def save_raw_page(
    session: Session,
    article_id: int,
    *,
    url: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    fetched: datetime,
) -> None:
    """Keep the raw page (zlib-compressed) with its headers."""
    insert_ignore(
        session,
        RawPage,
        [
            {
                "article_id": article_id,
                "url": url,
                "status": status,
                "headers": dict(headers),
                "body": zlib.compress(body, 1),  # level 1: 4x faster than 6 for ~15% more bytes on HTML
                "fetched": fetched,
            }
        ],
        ["article_id"],
    )


def raw_page_body(page: RawPage) -> bytes:
    """The decompressed HTML of a raw page kept in the database (store/archive.py reads the other ones)."""
    if page.body is None:
        raise ValueError(f"raw page of article {page.article_id} is not in the database")
    return zlib.decompress(page.body)


def raw_page_for(session: Session, article_id: int) -> tuple[Article, RawPage, bytes] | None:
    """An article with its raw page and the decompressed HTML, or None when no raw page was kept."""
    article = session.get(Article, article_id)
    page = session.get(RawPage, article_id)
    if article is None or page is None:
        return None
    return article, page, raw_page_body(page)


def articles_for_reextraction(
    session: Session, since: datetime | None, until: datetime | None, site: str | None
) -> list[int]:
    """Ids of articles with a raw page, fetched within [since, until] and of one site when given, oldest first."""
    query = select(Article.id).join(RawPage, RawPage.article_id == Article.id).order_by(Article.id)
    if since is not None:
        query = query.where(Article.fetched >= since)
    if until is not None:
        query = query.where(Article.fetched <= until)
    if site is not None:
        name = site.lower().removeprefix("www.")
        same = Article.site == name
        if ":" not in name:  # a host alone names its sites on any port, as `sources --site` takes it
            same = or_(same, Article.site.like(_like_literal(name) + ":%", escape="\\"))
        query = query.where(same)
    return [int(i) for i in session.scalars(query)]


# Stories -------------------------------------------------------------------------------------------


def latest_seq(session: Session) -> int:
    """The highest story membership seq handed out so far (0 when nothing is clustered)."""
    return int(session.scalar(select(func.coalesce(func.max(StoryMember.seq), 0))) or 0)


def join_story(
    session: Session,
    *,
    story_id: str,
    article_id: int,
    title: str | None,
    relation: str,
    duplicate_of: int | None,
    score: float,
    agency: str | None,
    seq: int,
    new_story_dated: datetime | None = None,
    diff: Mapping[str, Any] | None = None,
) -> None:
    """Put an article in a story, creating the story when it starts one; `diff` is what a copy changed.

    Callers hold the dedupe lock (`lock_for_dedupe`) and hand out `seq` numbers one at a time. With
    `new_story_dated` the caller vouches that no story has this id yet: the article is its only member,
    dated then, and the story is written directly instead of looked up and recomputed.
    """
    now = utcnow()
    # Core statements on the tables: the ORM's unit of work cost more than the inserts themselves here.
    if new_story_dated is not None:
        session.execute(insert(STORIES).values(
            id=story_id, title=title, original_article_id=article_id, agency=agency, size=1,
            first_published=new_story_dated, created_at=now, updated_at=now,
        ))
        story = None
    else:
        story = session.get(Story, story_id)
        if story is None:
            story = Story(id=story_id, title=title, size=0, created_at=now, updated_at=now)
            session.add(story)
            session.flush()  # the membership below refers to it
    session.execute(insert(STORY_MEMBERS).values(
        article_id=article_id, story_id=story_id, duplicate_of=duplicate_of, score=score, relation=relation,
        agency=agency, seq=seq, diff=dict(diff) if diff is not None else None,
    ))
    session.execute(update(ARTICLES).where(ARTICLES.c.id == article_id).values(story_id=story_id))
    if story is not None:
        refresh_story(session, story)


@dataclass(frozen=True, slots=True)
class Placement:
    """A stored clustering decision, for replay into a clusterer: the article, where it went and when."""

    seq: int
    article_id: int
    title: str | None
    text: str | None
    url: str
    when: datetime  # publication date (fetched time when undated): what matching compares
    story_id: str
    duplicate_of: int | None
    score: float
    relation: str
    arrived: datetime | None = None  # when it was placed (its lsh_bands rows' time); None without rows
    diff: dict[str, Any] | None = None  # what the copy changed (`CopyDiff.as_dict()`); None for an original


# When an article was placed: the time on its band keys (an article without keys has none).
_ARRIVED = (
    select(func.min(LshBand.added)).where(LshBand.article_id == StoryMember.article_id).scalar_subquery()
)


# The articles placed in the window (their band keys' time), each looked up by its key in story_members:
# the window's size of work, where a join would read every decision of the store (bench_pg_scale.py).
_WINDOW = select(LshBand.article_id).where(LshBand.added >= bindparam("since")).distinct().subquery()
_FIRST_SEQ = (
    select(StoryMember.seq)
    .where(StoryMember.article_id == _WINDOW.c.article_id, StoryMember.seq > bindparam("seq"))
    .scalar_subquery()
)


def placements_after(session: Session, seq: int, *, since: datetime | None = None,
                     last: int | None = None) -> list[Placement]:
    """Decisions with a seq above `seq`, in clustering order; with `since`, from the first placed at or after it;
    with `last`, only the latest `last` of those.

    Arrival times grow with seq (they are the wall clock at placement), so the decisions from that first
    one on are those that arrived at or after `since`, including any without band keys to date them.
    """
    query = (
        select(StoryMember, Article.title, Article.text, Article.url, Article.published, Article.fetched,
               _ARRIVED.label("arrived"))
        .join(Article, Article.id == StoryMember.article_id)
        .where(StoryMember.seq > seq)
        .order_by(StoryMember.seq)
    )
    if since is not None:
        # Read first, on its own: as a subquery its value is unknown when the plan is made, and PostgreSQL
        # then joins every article; a known bound reads the window's decisions by the seq index.
        first = session.scalar(select(func.min(_FIRST_SEQ)).select_from(_WINDOW),
                               {"seq": seq, "since": since})
        if first is None:
            return []
        query = query.where(StoryMember.seq >= first)
    if last is not None:
        # The seq index read backwards, `last` entries: the bound of the latest `last` decisions.
        bound = session.scalar(select(StoryMember.seq).where(StoryMember.seq > seq)
                               .order_by(StoryMember.seq.desc()).offset(max(last, 1) - 1).limit(1))
        if bound is not None:
            query = query.where(StoryMember.seq >= bound)
    return [
        Placement(member.seq, member.article_id, title, text, url, published or fetched, member.story_id,
                  member.duplicate_of, member.score, member.relation, _aware(arrived), member.diff)
        for member, title, text, url, published, fetched, arrived in session.execute(query)
    ]


def _aware(moment: datetime | str | None) -> datetime | None:
    """A computed timestamp as an aware UTC datetime (SQLite may hand back its raw text, without offset)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def leave_story(session: Session, article: Article) -> None:
    """Take an article out of its story (before re-clustering it); an emptied story is deleted."""
    if article.story_id is None:
        return
    story = session.get(Story, article.story_id)
    session.execute(delete(StoryMember).where(StoryMember.article_id == article.id))
    session.execute(delete(LshBand).where(LshBand.article_id == article.id))
    article.story_id = None
    session.flush()
    if story is not None:
        refresh_story(session, story)
        if story.size == 0:
            session.delete(story)


def refresh_story(session: Session, story: Story) -> None:
    """Recompute size, first publication and the original: earliest copy, the agency's own preferred."""
    rows = session.execute(
        select(Article.id, Article.published, Article.fetched, StoryMember.agency, Article.title)
        .join(StoryMember, StoryMember.article_id == Article.id)
        .where(StoryMember.story_id == story.id)
    ).all()
    story.size = len(rows)
    story.updated_at = utcnow()
    if not rows:
        return

    def when(row: Any) -> datetime:
        return row.published or row.fetched  # type: ignore[no-any-return]

    agency_rows = [row for row in rows if row.agency]
    pool = agency_rows or rows
    original = min(pool, key=lambda row: (when(row), row.id))
    story.original_article_id = original.id
    story.title = original.title
    story.agency = original.agency
    story.first_published = min(when(row) for row in rows)


# Per-site boilerplate counts -------------------------------------------------------------------------


# Built once: constructing a statement per call cost as much as running it.
_SITE_ARTICLES = select(SiteStat.articles).where(SiteStat.site == bindparam("site"))
_SITE_BLOCKS = select(SiteBlock.block, SiteBlock.count).where(
    SiteBlock.site == bindparam("site"), SiteBlock.block.in_(bindparam("keys", expanding=True))
)


def site_counts(session: Session, site: str, keys: Sequence[str]) -> tuple[int, dict[str, int]]:
    """(articles seen for the site, block key -> number of its articles containing it) for some keys."""
    articles = session.scalar(_SITE_ARTICLES, {"site": site})
    if articles is None or not keys:
        return int(articles or 0), {}
    rows = session.execute(_SITE_BLOCKS, {"site": site, "keys": sorted(set(keys))}).all()
    return int(articles), {str(block): int(count) for block, count in rows}


def count_site_blocks(session: Session, site: str, keys: Iterable[str]) -> None:
    """Add one article's distinct paragraph keys to its site's counts (two upserts)."""
    dialect, stats, blocks = _dialect(session), SITE_STATS, SITE_BLOCKS
    stat = dialect.insert(stats).values(site=site, articles=1)
    session.execute(stat.on_conflict_do_update(index_elements=["site"], set_={"articles": stats.c.articles + 1}))
    unique = sorted(set(keys))
    if unique:
        block = dialect.insert(blocks)
        session.execute(
            block.on_conflict_do_update(index_elements=["site", "block"], set_={"count": blocks.c.count + 1}),
            [{"site": site, "block": k, "count": 1} for k in unique],
        )


# LSH band index --------------------------------------------------------------------------------------


def add_bands(session: Session, article_id: int, keys: Iterable[int], added: datetime) -> None:
    """Index an article's LSH band keys, timed at its arrival (`added`, the wall clock at placement)."""
    rows = [{"key": k, "article_id": article_id, "added": added} for k in sorted(set(keys))]
    if rows:
        session.execute(insert(LSH_BANDS), rows)  # Core executemany, not the ORM's bulk insert


_BANDS = select(LshBand.article_id, LshBand.key).where(LshBand.key.in_(bindparam("keys", expanding=True)))
_BANDS_SINCE = _BANDS.where(LshBand.added >= bindparam("since"))


def band_matches(session: Session, keys: Sequence[int], since: datetime | None) -> dict[int, set[int]]:
    """Article id -> the band keys it shares with `keys`, for articles indexed at or after `since`."""
    if not keys:
        return {}
    query, params = _BANDS, dict[str, Any](keys=sorted(set(keys)))
    if since is not None:
        query, params = _BANDS_SINCE, {**params, "since": since}
    shared: dict[int, set[int]] = {}
    for article_id, key in session.connection().execute(query, params):
        shared.setdefault(article_id, set()).add(key)
    return shared


def evict_bands(session: Session, before: datetime) -> int:
    """Drop band keys that arrived before `before` (the dedupe window, by the wall clock)."""
    result = session.execute(delete(LshBand).where(LshBand.added < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# Reading -------------------------------------------------------------------------------------------


def feed_counts(session: Session) -> tuple[int, int]:
    """(feeds subscribed, of which disabled): what a pass that polled nothing is explained by, without the
    whole-table counts of `stats` (seconds at 10M articles on PostgreSQL)."""
    total, disabled = session.execute(
        select(func.count(), func.count().filter(Feed.disabled.is_(True))).select_from(Feed)
    ).one()
    return int(total), int(disabled)


def stats(session: Session) -> dict[str, Any]:
    """Counts a user wants at a glance: `peek.STATS`, the statements `wirefeed stats` runs without SQLAlchemy."""
    numbers: dict[str, Any] = {}
    for names, statement in peek.STATS:
        numbers.update(peek.numbers_of(names, session.execute(text(statement)).one()))
    return numbers


def stories_since(
    session: Session,
    since: datetime | None,
    *,
    until: datetime | None = None,
    by: str = "updated",
) -> list[tuple[Story, list[Any]]]:
    """Stories in a window of time, newest first, each with its members (original first).

    `by`: `updated` (when the story last changed), `fetched` or `published` (a member fetched or published
    in the window; `published` falls back to the fetch time of a page without a date).
    """
    query = select(Story).order_by(Story.first_published.desc().nulls_last(), Story.id)
    if by == "updated":
        stories = list(session.scalars(_within(query, Story.updated_at, since, until)))
    elif since is not None or until is not None:
        stories = _stories_with_members_in(session, by, since, until)
    else:
        stories = list(session.scalars(query))
    # The members of 500 stories a statement (a day of news is tens of thousands of stories).
    members: dict[str, list[Any]] = {story.id: [] for story in stories}
    ids = list(members)
    for start in range(0, len(ids), 500):
        for row in session.execute(
            select(StoryMember, Article)
            .join(Article, Article.id == StoryMember.article_id)
            .where(StoryMember.story_id.in_(ids[start : start + 500]))
            .order_by(Article.published.nulls_last(), Article.id)
        ):
            members[row[0].story_id].append(row)
    return [(story, sorted(members[story.id], key=lambda pair: pair[1].id != story.original_article_id))
            for story in stories]


def _stories_with_members_in(session: Session, by: str, since: datetime | None, until: datetime | None) -> list[Story]:
    """The stories with a member in the window, in `stories_since`'s order, looked up from the window.

    `Story.id IN (members in the window)` let PostgreSQL scan every story and every membership for a hash
    semi-join (66,000 and 81,000 pages at 10M articles): the window's story ids are read from the window's
    articles alone (`articles.story_id`, which `join_story` and `leave_story` keep with the membership),
    then their stories by primary key.
    """
    window = (select(Article.story_id).where(Article.story_id.is_not(None), *_article_window(by, since, until))
              .distinct())
    ids = sorted(story for story in session.scalars(window) if story is not None)
    stories: list[Story] = []
    for start in range(0, len(ids), 500):
        stories += session.scalars(select(Story).where(Story.id.in_(ids[start : start + 500])))
    stories.sort(key=lambda story: story.id)
    # Newest first, undated last, ties by id (stable): the order of `Story.first_published DESC NULLS LAST, id`.
    stories.sort(key=lambda story: (story.first_published is not None, story.first_published or datetime.min),
                 reverse=True)
    return stories


def _article_time(by: str) -> Any:
    """An article's time for a window: `published` (the fetch time without one), `fetched`, or its story's update."""
    if by == "published":
        return func.coalesce(Article.published, Article.fetched)
    if by == "fetched":
        return Article.fetched
    if by == "updated":
        return func.coalesce(select(Story.updated_at).where(Story.id == Article.story_id).scalar_subquery(),
                             Article.fetched)
    raise ValueError(f"unknown time: {by!r}")


def _article_window(by: str, since: datetime | None, until: datetime | None) -> list[Any]:
    """Conditions for since <= `_article_time(by)` < until, written so that an index serves each.

    By `published`, `coalesce(published, fetched)` would be computed for every article: the same window is
    the dated articles by `published` or the undated ones by `fetched`, two indexed ranges.
    """
    def bounds(column: Any) -> list[Any]:
        return [*([column >= since] if since is not None else []), *([column < until] if until is not None else [])]

    if since is None and until is None:
        return []
    if by == "published":
        return [or_(and_(Article.published.is_not(None), *bounds(Article.published)),
                    and_(Article.published.is_(None), *bounds(Article.fetched)))]
    return bounds(_article_time(by))


def _within(query: Any, column: Any, since: datetime | None, until: datetime | None) -> Any:
    """`query` restricted to since <= column < until (either bound optional)."""
    if since is not None:
        query = query.where(column >= since)
    if until is not None:
        query = query.where(column < until)
    return query


def removal_counts(session: Session) -> dict[str, int]:
    """How many blocks the cleaning removed from stored articles, by reason."""
    counts: dict[str, int] = {}
    for removed in session.scalars(select(Article.removed).where(Article.removed.is_not(None))):
        for block in removed or []:
            counts[block["why"]] = counts.get(block["why"], 0) + 1
    return counts


def export_rows(
    session: Session, since: datetime | None, *, until: datetime | None = None, by: str = "fetched"
) -> Iterator[dict[str, Any]]:
    """One record per stored article, oldest first, streamed; `by` as in `stories_since` (default fetched)."""
    query = (
        select(Article, Feed.url, StoryMember.diff)
        .outerjoin(Feed, Feed.id == Article.feed_id)
        .outerjoin(StoryMember, StoryMember.article_id == Article.id)
        .where(Article.status == "ok")
        .order_by(Article.id)
        .execution_options(yield_per=500)
    )
    query = query.where(*_article_window(by, since, until))
    for article, feed_url, diff in session.execute(query):
        yield {
            "id": article.id,
            "story_id": article.story_id,
            "url": article.url,
            "canonical_url": article.canonical_url,
            "feed_url": feed_url,
            "guid": article.guid,
            "title": article.title,
            "text": article.text,
            "author": article.author,
            "published": article.published,
            "fetched": article.fetched,
            "language": article.language,
            "diff": diff,  # what the copy changed against the copy it joined; None for an original
        }


def failed_pages_by_feed(session: Session) -> dict[int, tuple[int, str | None]]:
    """Per feed: how many of its pages are recorded as failed, and the latest one's error."""
    rows = session.execute(
        select(Article.feed_id, func.count(), func.max(Article.id))
        .where(Article.status == "failed", Article.feed_id.is_not(None))
        .group_by(Article.feed_id)
    ).all()
    latest = select(Article.id, Article.error).where(Article.id.in_([row[2] for row in rows]))
    errors = {row.id: row.error for row in session.execute(latest)}
    return {feed_id: (int(count), errors.get(last)) for feed_id, count, last in rows if feed_id is not None}


# Feed health and scheduling (issue 3) ----------------------------------------------------------------


def record_items(session: Session, rows: Sequence[Mapping[str, Any]]) -> int:
    """Remember many feed entries at once (GUID per feed, no article); idempotent; return how many were new."""
    if not rows:
        return 0
    now = utcnow()
    full = [dict(row, article_id=None, seen_at=now) for row in rows]
    table = FeedItem.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # One compiled statement, executed for many parameter sets (a multi-VALUES literal with thousands of
    # bound parameters costs more to compile than to run).
    stmt = dialect.insert(table).on_conflict_do_nothing(index_elements=["feed_id", "guid"])
    result = session.connection().execute(stmt, full)
    return max(int(result.rowcount or 0), 0)


def _like_literal(text: str) -> str:
    """Text as a LIKE pattern that matches only itself (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _origin_patterns(scheme: str, host: str, port: int) -> list[str]:
    """LIKE patterns matching the feed URLs of one origin, with the port written out or left implicit."""
    escaped = _like_literal(host)
    prefixes = [f"{scheme}://{escaped}:{port}"]
    if port == {"http": 80, "https": 443}.get(scheme):
        prefixes.append(f"{scheme}://{escaped}")
    return [p + end for p in prefixes for end in ("", "/%", "?%", "#%")]


def defer_origin(
    session: Session, origin: tuple[str, str, int], until: datetime, *, except_feed: int | None = None
) -> int:
    """Hold every feed of one origin (scheme, host, port) until a time (its Retry-After); return how many."""
    scheme, host, port = origin
    patterns = _origin_patterns(scheme.lower(), host.lower(), port)
    stmt = update(Feed).where(
        or_(*(func.lower(Feed.url).like(p, escape="\\") for p in patterns)),
        or_(Feed.retry_after.is_(None), Feed.retry_after < until),
    )
    if except_feed is not None:
        stmt = stmt.where(Feed.id != except_feed)
    result = session.execute(stmt.values(retry_after=until))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def health_counts(session: Session, now: datetime) -> dict[str, int]:
    """Feeds due, in flight (leased), failing and disabled: the daemon's health line."""
    def count(*where: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(Feed).where(*where)) or 0)

    return {
        "feeds_due": count(Feed.disabled.is_(False), Feed.next_fetch_at <= now),
        "feeds_in_flight": count(Feed.lease_until.is_not(None), Feed.lease_until > now),
        "feeds_failing": count(Feed.disabled.is_(False), Feed.error_count > 0),
        "feeds_disabled": count(Feed.disabled.is_(True)),
    }


def update_feeds(session: Session, updates: Sequence[tuple[int, Mapping[str, Any]]]) -> None:
    """Write fields of many feed rows: one executemany per set of columns, not one UPDATE per feed."""
    table = Feed.__table__
    assert isinstance(table, Table)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for feed_id, values in updates:
        row = {f"v_{k}": v for k, v in values.items()}
        row["k_id"] = feed_id
        groups.setdefault(tuple(sorted(values)), []).append(row)
    for keys, rows in groups.items():
        stmt = table.update().where(table.c.id == bindparam("k_id")).values({k: bindparam(f"v_{k}") for k in keys})
        session.connection().execute(stmt, rows)


def log_fetches(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append many fetch outcomes to the fetch log at once."""
    if rows:
        session.connection().execute(insert(FetchLog), [dict(r) for r in rows])


# Page claims ------------------------------------------------------------------------------------------


def claim_pages(session: Session, owner: str, url_hashes: Sequence[str], *, now: datetime, until: datetime) -> set[str]:
    """Claim pages for fetching; return the hashes this owner now holds (lost ones are being fetched elsewhere).

    An insert that loses quietly to a live claim of another worker; an expired claim, or one of this
    owner, is taken over.
    """
    if not url_hashes:
        return set()
    table = _table(PageClaim)
    stmt = _dialect(session).insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["url_hash"],
        set_={"owner": stmt.excluded.owner, "until": stmt.excluded.until},
        where=or_(table.c.until < now, table.c.owner == stmt.excluded.owner),
    ).returning(table.c.url_hash)
    won: set[str] = set()
    for start in range(0, len(url_hashes), 500):
        rows = [{"url_hash": h, "owner": owner, "until": until} for h in sorted(set(url_hashes[start : start + 500]))]
        won.update(session.scalars(stmt, rows))
    return won


def page_claim_owners(session: Session, url_hashes: Sequence[str]) -> dict[str, str]:
    """Who holds the claims on these pages."""
    table = _table(PageClaim)
    found: dict[str, str] = {}
    for start in range(0, len(url_hashes), 500):
        chunk = list(url_hashes[start : start + 500])
        query = select(table.c.url_hash, table.c.owner).where(table.c.url_hash.in_(chunk))
        for url_hash, owner in session.execute(query):
            found[url_hash] = owner
    return found


def drop_page_claims(session: Session, url_hashes: Sequence[str], owners: Sequence[str]) -> None:
    """Drop the claims of these owners (processes known to be gone) on these pages."""
    table = _table(PageClaim)
    for start in range(0, len(url_hashes), 500):
        chunk = list(url_hashes[start : start + 500])
        session.execute(delete(table).where(table.c.url_hash.in_(chunk), table.c.owner.in_(list(owners))))


def release_pages(session: Session, owner: str, url_hashes: Sequence[str], *, now: datetime) -> None:
    """Drop this owner's claims on these pages, and every expired claim."""
    table = _table(PageClaim)
    for start in range(0, len(url_hashes), 500):
        chunk = list(url_hashes[start : start + 500])
        session.execute(delete(table).where(table.c.owner == owner, table.c.url_hash.in_(chunk)))
    session.execute(delete(table).where(table.c.until < now))


def delete_failed_article(session: Session, article_id: int) -> None:
    """Remove the row of a page recorded as failed (only such a row: it holds no text, story or raw page)."""
    session.execute(delete(Article).where(Article.id == article_id, Article.status == "failed"))


def count_failed_attempt(session: Session, article_id: int, error: str | None) -> None:
    """One more failed fetch or extraction of a page already recorded as failed."""
    session.execute(
        update(Article)
        .where(Article.id == article_id)
        .values(attempts=Article.attempts + 1, error=error, fetched=utcnow())
    )


# Origins that asked us to wait -------------------------------------------------------------------------


def origin_waits(session: Session, now: datetime) -> dict[str, datetime]:
    """Origins still asking us to wait, and until when."""
    table = _table(OriginWait)
    rows = session.execute(select(table.c.origin, table.c.until).where(table.c.until > now))
    return {str(origin): until for origin, until in rows}


def save_origin_waits(session: Session, waits: Mapping[str, datetime], now: datetime) -> None:
    """Remember origins' waits (the later deadline wins); forget those that have passed."""
    table = _table(OriginWait)
    if waits:
        stmt = _dialect(session).insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=["origin"], set_={"until": stmt.excluded.until}, where=table.c.until < stmt.excluded.until)
        session.execute(stmt, [{"origin": o[:300], "until": u} for o, u in sorted(waits.items())])
    session.execute(delete(table).where(table.c.until <= now))



def upsert_article(session: Session, values: Mapping[str, Any], *, retrying: bool) -> int | None:
    """Insert a new article, or complete a previously failed one; None when the URL is already stored."""
    if not retrying:
        article_id = insert_article(session, values)
        if article_id is not None:
            return article_id
    canonical = values["canonical_url"]
    existing = articles_by_canonical(session, [canonical]).get(canonical)
    if existing is None:
        return insert_article(session, values)
    if existing.status != "failed":
        return None
    for key, value in values.items():
        setattr(existing, key, value)
    existing.attempts = existing.attempts + 1
    session.flush()
    return existing.id


def article_by_id(session: Session, article_id: int) -> Article | None:
    """The stored article with this id, or None."""
    return session.get(Article, article_id)


def rewrite_article(session: Session, article: Article, values: Mapping[str, Any]) -> None:
    """Write new column values (a re-extraction's) over a stored article."""
    for key, value in values.items():
        setattr(article, key, value)
    session.flush()


def remove_feed(session: Session, feed_id: int) -> None:
    """Unsubscribe one feed: its items and fetch log go with it; its articles stay, without a feed."""
    session.execute(delete(Feed).where(Feed.id == feed_id))



# A group of pages stored at once (issue 13): one statement per table per group --------------------------------


def articles_by_hashes(session: Session, hashes: Sequence[str]) -> dict[tuple[str, str], Known]:
    """Stored articles by (site, normalised-text hash), for some hashes (any site)."""
    found: dict[tuple[str, str], Known] = {}
    unique = sorted(set(hashes))
    for start in range(0, len(unique), 500):
        rows = session.execute(_BY_HASHES, {"hashes": unique[start : start + 500]})
        for row in rows:
            found.setdefault((row.site, row.content_hash), Known(int(row.id), row.story_id))
    return found


_BY_HASHES = select(Article.id, Article.story_id, Article.site, Article.content_hash).where(
    Article.content_hash.in_(bindparam("hashes", expanding=True))
).order_by(Article.id)


def insert_articles(session: Session, rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Insert new articles in the order given (ids ascend with it); canonical URL -> id of those inserted.

    One INSERT for the rows (SQLAlchemy's "insertmanyvalues", ids in parameter order); a row whose
    canonical URL is already stored is left out of the answer.
    """
    if not rows:
        return {}
    stmt = _dialect(session).insert(ARTICLES).on_conflict_do_nothing(index_elements=["canonical_url"])
    stmt = stmt.returning(ARTICLES.c.id, ARTICLES.c.canonical_url, sort_by_parameter_order=True)
    result = session.execute(stmt, [dict(row) for row in rows])
    return {str(canonical): int(article_id) for article_id, canonical in result}


def save_raw_pages(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Keep many raw pages at once; each row's `body` is already compressed (`raw_page_body` reads it)."""
    if rows:
        stmt = _dialect(session).insert(_table(RawPage)).on_conflict_do_nothing(index_elements=["article_id"])
        session.execute(stmt, [dict(row) for row in rows])


def record_linked_items(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Remember many feed entries with the article each produced (GUID per feed); idempotent."""
    if rows:
        now = utcnow()
        stmt = _dialect(session).insert(_table(FeedItem)).on_conflict_do_nothing(index_elements=["feed_id", "guid"])
        session.execute(stmt, [dict(row, seen_at=now) for row in rows])


_SITE_STATS_IN = select(SiteStat.site, SiteStat.articles).where(SiteStat.site.in_(bindparam("sites", expanding=True)))


def site_articles(session: Session, sites: Sequence[str]) -> dict[str, int]:
    """Articles counted for each of these sites (a site never counted is absent)."""
    found: dict[str, int] = {}
    unique = sorted(set(sites))
    for start in range(0, len(unique), 500):
        for site, articles in session.execute(_SITE_STATS_IN, {"sites": unique[start : start + 500]}):
            found[str(site)] = int(articles)
    return found


def site_block_counts(session: Session, site: str, keys: Sequence[str]) -> dict[str, int]:
    """Block key -> number of the site's articles containing it, for the keys counted at least once."""
    found: dict[str, int] = {}
    unique = sorted(set(keys))
    for start in range(0, len(unique), 500):
        for block, count in session.execute(_SITE_BLOCKS, {"site": site, "keys": unique[start : start + 500]}):
            found[str(block)] = int(count)
    return found


def add_site_counts(session: Session, articles: Mapping[str, int], blocks: Mapping[tuple[str, str], int]) -> None:
    """Add articles to sites' counts and to their paragraph keys' counts (two upserts, executemany)."""
    insert_many(session, SITE_STATS, [{"site": s, "articles": n} for s, n in sorted(articles.items())],
                suffix=" ON CONFLICT (site) DO UPDATE SET articles = site_stats.articles + excluded.articles")
    insert_many(session, SITE_BLOCKS, [{"site": s, "block": k, "count": n} for (s, k), n in sorted(blocks.items())],
                suffix=' ON CONFLICT (site, block) DO UPDATE SET "count" = site_blocks."count" + excluded."count"')


@dataclass(frozen=True, slots=True)
class Joined:
    """One placement of a group (see `join_story`), written with the others by `join_stories`."""

    story_id: str
    article_id: int
    title: str | None
    relation: str
    duplicate_of: int | None
    score: float
    agency: str | None
    seq: int
    new_story_dated: datetime | None = None
    diff: Mapping[str, Any] | None = None


_SET_STORY = ARTICLES.update().where(ARTICLES.c.id == bindparam("k_id")).values(story_id=bindparam("v_story"))
_REFRESH = STORIES.update().where(STORIES.c.id == bindparam("k_id")).values(
    size=bindparam("v_size"), updated_at=bindparam("v_updated"), original_article_id=bindparam("v_original"),
    title=bindparam("v_title"), agency=bindparam("v_agency"), first_published=bindparam("v_first"),
)


def join_stories(session: Session, placements: Sequence[Joined]) -> None:
    """Write a group's placements (in seq order) as `join_story` would one by one, in a few statements.

    Stories started in the group are inserted as written; every story an article joined (started before
    the group or in it) is recomputed once from its members, as `refresh_story` does.
    """
    if not placements:
        return
    now = utcnow()
    started = [p for p in placements if p.new_story_dated is not None]
    if started:
        session.execute(insert(STORIES), [
            {"id": p.story_id, "title": p.title, "original_article_id": p.article_id, "agency": p.agency, "size": 1,
             "first_published": p.new_story_dated, "created_at": now, "updated_at": now} for p in started])
    insert_many(session, STORY_MEMBERS, [
        {"article_id": p.article_id, "story_id": p.story_id, "duplicate_of": p.duplicate_of, "score": p.score,
         "relation": p.relation, "agency": p.agency, "seq": p.seq, "diff": dict(p.diff) if p.diff is not None else None}
        for p in placements])
    session.execute(_SET_STORY, [{"k_id": p.article_id, "v_story": p.story_id} for p in placements])
    joined = sorted({p.story_id for p in placements if p.new_story_dated is None})
    if joined:
        _refresh_stories(session, joined, now)


def _refresh_stories(session: Session, story_ids: Sequence[str], now: datetime) -> None:
    """`refresh_story` for many stories: one query for their members, one executemany update."""
    members: dict[str, list[Any]] = {}
    for start in range(0, len(story_ids), 500):
        result = session.execute(
            select(StoryMember.story_id, Article.id, Article.published, Article.fetched, StoryMember.agency,
                   Article.title)
            .join(Article, Article.id == StoryMember.article_id)
            .where(StoryMember.story_id.in_(list(story_ids[start : start + 500])))
        )
        for row in result:
            members.setdefault(row.story_id, []).append(row)
    updates = []
    for story_id in story_ids:
        rows = members.get(story_id, [])
        if not rows:  # joined stories have a member: the one that just joined
            continue
        original = min([r for r in rows if r.agency] or rows, key=lambda r: (r.published or r.fetched, r.id))
        updates.append({"k_id": story_id, "v_size": len(rows), "v_updated": now, "v_original": original.id,
                        "v_title": original.title, "v_agency": original.agency,
                        "v_first": min(r.published or r.fetched for r in rows)})
    if updates:
        session.execute(_REFRESH, updates)


def band_rows(session: Session, keys: Sequence[int], since: datetime | None) -> list[tuple[int, int]]:
    """(article id, key) of every band key among `keys` indexed at or after `since`.

    Rows of the session's connection (Core), as the driver gives them: both columns are integers, and a
    group reads a thousand rows or more.
    """
    found: list[tuple[int, int]] = []
    unique = sorted(set(keys))
    query = _BANDS if since is None else _BANDS_SINCE
    connection = session.connection()
    for start in range(0, len(unique), 500):
        params: dict[str, Any] = {"keys": unique[start : start + 500]}
        if since is not None:
            params["since"] = since
        found.extend(connection.execute(query, params))
    return found


def insert_bands(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Index many articles' band keys at once (rows of key, article_id, added)."""
    insert_many(session, LSH_BANDS, rows)
