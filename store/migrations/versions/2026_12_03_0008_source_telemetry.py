"""source telemetry: page counts per feed and per site per time bucket (wirefeed sources, source_degraded)

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-03 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.models import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out rather than taken from store.models.SOURCE_COUNTERS: a migration must not change when the
# model does.
COUNTERS = (
    "pages", "stored", "not_article", "failed", "duplicate_url", "duplicate_text", "exact", "near_duplicate",
    "guid_churn", "undated",
    "len_0", "len_1", "len_2", "len_3", "len_4", "len_5", "len_6", "len_7", "len_8",
    "removed_teaser", "removed_caption", "removed_boilerplate", "removed_other",
    "fetches", "fetch_ms",
    "na_home_page", "na_listing_page", "na_video_page", "na_no_text", "na_too_little_text", "na_other",
    "f_timeout", "f_dns", "f_refused", "f_tls", "f_network", "f_http_4xx", "f_http_5xx", "f_too_large",
    "f_redirects", "f_blocked", "f_robots", "f_invalid_url", "f_extract_error", "f_extract_timeout", "f_store",
    "f_internal", "f_other",
)


def upgrade() -> None:
    op.create_table(
        "source_stats",
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("bucket", UTCDateTime(), nullable=False),
        *(sa.Column(name, sa.BigInteger() if name == "fetch_ms" else sa.Integer(), nullable=False,
                    server_default="0") for name in COUNTERS),
        sa.PrimaryKeyConstraint("scope", "source", "bucket", name=op.f("pk_source_stats")),
    )
    op.create_index(op.f("ix_source_stats_bucket"), "source_stats", ["bucket"])


def downgrade() -> None:
    op.drop_index(op.f("ix_source_stats_bucket"), table_name="source_stats")
    op.drop_table("source_stats")
