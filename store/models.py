"""SQLAlchemy models: feeds, fetch outcomes, feed items, articles, raw pages, stories and indexes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text  # `text` is an article's column name
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite keeps no offset of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware values")
        return value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        """SQLite's text to a datetime, as the impl reads it; a value no wirefeed wrote reads as None.

        SQLite keeps whatever another program put in a column ('yesterday', 12345, a year past 9999 once
        shifted to UTC): one such row must not stop `stories` or `feeds list` for all the others.
        """
        parse = self.impl_instance.result_processor(dialect, coltype)

        def process(value: Any) -> datetime | None:
            try:
                return self.process_result_value(value if parse is None else parse(value), dialect)
            except (TypeError, ValueError, OverflowError):
                return None

        return process

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class SafeString(TypeDecorator[str]):
    """VARCHAR(n) that stores any str: NUL characters dropped, the value cut to n characters.

    A net at the store boundary, not a policy: PostgreSQL refuses NUL in text and values longer than the
    column (SQLite takes both), so one odd value from outside would fail its whole transaction. Callers
    that care about a value's identity (GUIDs, URLs) make it fit before it gets here.
    """

    impl = String
    cache_ok = True

    def __init__(self, length: int | None = None) -> None:
        super().__init__(length)
        self.length = length  # part of the cache key: two lengths must not share compiled processors

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if isinstance(value, str):
            if "\x00" in value:
                value = value.replace("\x00", "")
            if self.length is not None and len(value) > self.length:
                return value[: self.length]
        return value

    def process_result_value(self, value: str | bytes | None, dialect: Dialect) -> str | None:
        return _as_text(value)


class SafeText(TypeDecorator[str]):
    """TEXT that stores any str: NUL characters dropped (PostgreSQL text cannot hold them)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if isinstance(value, str) and "\x00" in value:
            return value.replace("\x00", "")
        return value

    def process_result_value(self, value: str | bytes | None, dialect: Dialect) -> str | None:
        return _as_text(value)


def _as_text(value: str | bytes | None) -> str | None:
    """A stored text as str: SQLite returns a BLOB another program put in a text column as bytes."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def utcnow() -> datetime:
    """Now, timezone-aware in UTC."""
    return datetime.now(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with stable constraint names for migrations."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON, str: SafeString}


class Feed(Base):
    """A subscribed feed, with its HTTP validators, health and schedule."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(SafeString(2048), unique=True)
    title: Mapped[str | None] = mapped_column(SafeText)
    site_url: Mapped[str | None] = mapped_column(SafeString(2048))
    interval: Mapped[int | None] = mapped_column(Integer)  # operator override, seconds
    etag: Mapped[str | None] = mapped_column(SafeString(1024))
    last_modified: Mapped[str | None] = mapped_column(SafeString(256))
    body_hash: Mapped[str | None] = mapped_column(SafeString(64))
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(SafeText)
    last_error_kind: Mapped[str | None] = mapped_column(SafeString(32))
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[datetime | None]
    last_fetched_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    next_fetch_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    retry_after: Mapped[datetime | None]
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled_reason: Mapped[str | None] = mapped_column(SafeText)
    old_urls: Mapped[list[str] | None] = mapped_column(JSON)
    lease_owner: Mapped[str | None] = mapped_column(SafeString(128))
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # New items beyond `[fetch] max_articles_per_feed` at the last poll: taken on the following passes.
    items_waiting: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class PageClaim(Base):
    """A page some worker is fetching now, so concurrent workers on one database fetch it once.

    Keyed by a hash of the canonical URL (a 2,000-character URL makes a poor index key); a claim whose
    worker died expires and is taken over.
    """

    __tablename__ = "page_claims"

    url_hash: Mapped[str] = mapped_column(SafeString(40), primary_key=True)
    owner: Mapped[str] = mapped_column(SafeString(128))
    until: Mapped[datetime] = mapped_column(index=True)


class OriginWait(Base):
    """An origin (scheme://host:port) that answered a page request with Retry-After: until when we hold off.

    Kept in the store so that separate processes (cron runs a minute apart) honour it too.
    """

    __tablename__ = "origin_waits"

    origin: Mapped[str] = mapped_column(SafeString(300), primary_key=True)
    until: Mapped[datetime]


class FetchLog(Base):
    """One fetch attempt of a feed and its outcome."""

    __tablename__ = "fetch_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime]
    duration_ms: Mapped[int]
    status: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(SafeString(32))  # ok, not_modified, unchanged, or an error kind
    error: Mapped[str | None] = mapped_column(SafeText)
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    items_new: Mapped[int] = mapped_column(Integer, default=0)


class Article(Base):
    """One stored article: a page of one outlet, extracted and cleaned."""

    __tablename__ = "articles"
    # The same text under a changed URL of one site is one article; other outlets' copies are their own.
    __table_args__ = (
        UniqueConstraint("site", "content_hash"),
        # `wirefeed feeds`' failed pages by feed: only the failed articles (migration 0011).
        Index("ix_articles_failed_feed_id", "feed_id", postgresql_where=sql_text("status = 'failed'"),
              sqlite_where=sql_text("status = 'failed'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    canonical_url: Mapped[str] = mapped_column(SafeString(2048), unique=True)
    url: Mapped[str] = mapped_column(SafeString(2048))
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="SET NULL"), index=True)
    guid: Mapped[str | None] = mapped_column(SafeString(2048))
    site: Mapped[str | None] = mapped_column(SafeString(255), index=True)
    title: Mapped[str | None] = mapped_column(SafeText)
    text: Mapped[str | None] = mapped_column(SafeText)
    content_hash: Mapped[str | None] = mapped_column(SafeString(64), index=True)
    author: Mapped[str | None] = mapped_column(SafeText)
    published: Mapped[datetime | None] = mapped_column(index=True)
    modified: Mapped[datetime | None]
    fetched: Mapped[datetime] = mapped_column(index=True)
    language: Mapped[str | None] = mapped_column(SafeString(16))
    site_name: Mapped[str | None] = mapped_column(SafeText)
    description: Mapped[str | None] = mapped_column(SafeText)
    status: Mapped[str] = mapped_column(SafeString(16))  # ok, not_article, failed
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    error: Mapped[str | None] = mapped_column(SafeText)
    removed: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    extractor: Mapped[str | None] = mapped_column(SafeString(64))
    extractor_version: Mapped[str | None] = mapped_column(SafeString(128))
    extractor_options: Mapped[str | None] = mapped_column(SafeText)
    story_id: Mapped[str | None] = mapped_column(ForeignKey("stories.id"), index=True)


class FeedItem(Base):
    """An entry seen in a feed: GUID per feed, pointing at the article it produced."""

    __tablename__ = "feed_items"
    __table_args__ = (UniqueConstraint("feed_id", "guid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    guid: Mapped[str] = mapped_column(SafeString(2048))
    url: Mapped[str | None] = mapped_column(SafeString(2048))
    canonical_url: Mapped[str | None] = mapped_column(SafeString(2048), index=True)
    title: Mapped[str | None] = mapped_column(SafeText)
    published: Mapped[datetime | None]
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))


class RawPage(Base):
    """The raw HTML of an article page with the response headers: zlib-compressed in `body`, or in a WARC file.

    In archive mode (`[store] raw_storage = "archive"`, store/archive.py) `body` is NULL and the page's
    request and response records are `archive_length` bytes at `archive_offset` of `archive_file`; a
    row with neither was pruned (`[store] raw_retention_days`).
    """

    __tablename__ = "raw_pages"
    # The prune's database-mode bodies past the retention: only rows that still have one (migration 0011).
    __table_args__ = (Index("ix_raw_pages_fetched_with_body", "fetched", postgresql_where=sql_text("body IS NOT NULL"),
                            sqlite_where=sql_text("body IS NOT NULL")),)

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    url: Mapped[str] = mapped_column(SafeString(2048))
    status: Mapped[int] = mapped_column(Integer)
    headers: Mapped[dict[str, Any]] = mapped_column(JSON)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    fetched: Mapped[datetime]
    archive_file: Mapped[str | None] = mapped_column(String(255), index=True)
    archive_offset: Mapped[int | None] = mapped_column(BigInteger)
    archive_length: Mapped[int | None] = mapped_column(Integer)


class Story(Base):
    """A story: one text republished by one or more outlets."""

    __tablename__ = "stories"

    id: Mapped[str] = mapped_column(SafeString(32), primary_key=True)
    title: Mapped[str | None] = mapped_column(SafeText)
    original_article_id: Mapped[int | None] = mapped_column(Integer)
    agency: Mapped[str | None] = mapped_column(SafeString(32))
    size: Mapped[int] = mapped_column(Integer, default=0)
    first_published: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class StoryMember(Base):
    """An article's place in its story: how it relates, how similar it is and what it changed."""

    __tablename__ = "story_members"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    story_id: Mapped[str] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    duplicate_of: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    relation: Mapped[str] = mapped_column(SafeString(16))
    agency: Mapped[str | None] = mapped_column(SafeString(32))
    # Clustering order across all workers: a process replays decisions it did not make in this order.
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    # What the copy changed against duplicate_of (`CopyDiff.as_dict()`); None for an original, or when
    # placed before copy diffs existed.
    diff: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class LshBand(Base):
    """A MinHash LSH band key of an article, for candidate retrieval within the dedupe window."""

    __tablename__ = "lsh_bands"
    __table_args__ = (Index("ix_lsh_bands_key", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[int] = mapped_column(BigInteger)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    added: Mapped[datetime] = mapped_column(index=True)


class LineageKey(Base):
    """A lineage fingerprint of an article (dedupe/lineage.py), kept for `[dedupe] lineage_days` to find re-runs."""

    __tablename__ = "lineage_keys"
    __table_args__ = (Index("ix_lineage_keys_key", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[int] = mapped_column(BigInteger)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    added: Mapped[datetime] = mapped_column(index=True)


class SiteBlock(Base):
    """How many articles of one site contain one paragraph: the per-site boilerplate model."""

    __tablename__ = "site_blocks"

    site: Mapped[str] = mapped_column(SafeString(255), primary_key=True)
    block: Mapped[str] = mapped_column(SafeString(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class SiteStat(Base):
    """Per-site article count, the denominator of the boilerplate model."""

    __tablename__ = "site_stats"

    site: Mapped[str] = mapped_column(SafeString(255), primary_key=True)
    articles: Mapped[int] = mapped_column(Integer, default=0)


class BackfillRun(Base):
    """A backfill job, identified by its arguments, so a rerun resumes it."""

    __tablename__ = "backfill_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(SafeString(64), unique=True)
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    position: Mapped[int] = mapped_column(Integer, default=0)
    # The process working on the run (host:pid:nonce) and until when its claim holds; a second
    # invocation with the same arguments is refused while the claim holds and its process lives.
    owner: Mapped[str | None] = mapped_column(SafeString(128))
    lease_until: Mapped[datetime | None]


class BackfillItem(Base):
    """One unit of backfill work and its outcome."""

    __tablename__ = "backfill_items"
    __table_args__ = (UniqueConstraint("run_id", "item_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("backfill_runs.id", ondelete="CASCADE"))
    item_key: Mapped[str] = mapped_column(SafeString(2048))
    outcome: Mapped[str] = mapped_column(SafeString(32))
    error: Mapped[str | None] = mapped_column(SafeText)
    article_id: Mapped[int | None] = mapped_column(Integer)


# Per-source quality telemetry (ingest/ops/telemetry.py, store/telemetry.py): page counts per feed and per
# site and per time bucket, added to by one upsert per store group. Columns by prefix: `len_N` pages whose
# extracted text falls in length bucket N (telemetry.LENGTH_EDGES), `removed_*` blocks the cleaning removed,
# `na_*` not-article pages by reason, `f_*` failed pages by kind (`f_other` for a kind not listed), `rm_*`
# blocks the cleaning removed by its reason (ingest/extract/clean.py; `rm_unknown` for a reason not listed).
REMOVAL_REASONS = (
    "repeated_teaser", "title_repeated", "photo_caption", "site_boilerplate", "navigation", "separator",
    "related_link", "related_stories", "share_prompt", "site_notice", "byline", "date_line", "author_bio",
    "unknown",
)
SOURCE_COUNTERS = (
    "pages", "stored", "not_article", "failed", "duplicate_url", "duplicate_text", "exact", "near_duplicate",
    "guid_churn", "undated",
    *(f"len_{n}" for n in range(9)),
    "removed_teaser", "removed_caption", "removed_boilerplate", "removed_other",
    "fetches", "fetch_ms",
    "na_home_page", "na_listing_page", "na_video_page", "na_no_text", "na_too_little_text", "na_other",
    "f_timeout", "f_dns", "f_refused", "f_tls", "f_network", "f_http_4xx", "f_http_5xx", "f_too_large",
    "f_redirects", "f_blocked", "f_robots", "f_invalid_url", "f_extract_error", "f_extract_timeout", "f_store",
    "f_internal", "f_other",
    *(f"rm_{why}" for why in REMOVAL_REASONS),
)

source_stats = Table(
    "source_stats",
    Base.metadata,
    Column("scope", String(8), primary_key=True),  # "feed" (source: the feed id) or "site" (source: the host)
    Column("source", String(300), primary_key=True),
    Column("bucket", UTCDateTime(), primary_key=True, index=True),  # the bucket's start
    *(Column(name, BigInteger if name == "fetch_ms" else Integer, nullable=False, server_default="0")
      for name in SOURCE_COUNTERS),
)

# Sources found degraded (ingest/ops/telemetry.py): kept so that `source_degraded` is logged once per
# degradation across restarts and processes (the one whose insert creates the row logs it), and
# `source_recovered` once by the one whose delete removes it.
source_flags = Table(
    "source_flags",
    Base.metadata,
    Column("scope", String(8), primary_key=True),
    Column("source", String(300), primary_key=True),
    Column("reasons", String(300), nullable=False),  # comma-separated, as first found
    Column("since", UTCDateTime(), nullable=False),
)
