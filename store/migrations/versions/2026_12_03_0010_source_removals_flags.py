"""source telemetry: blocks the cleaning removed, by reason; degraded sources kept across restarts

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 13:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.models import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out rather than taken from store.models.REMOVAL_REASONS: a migration must not change when the
# model does.
REASONS = (
    "repeated_teaser", "title_repeated", "photo_caption", "site_boilerplate", "navigation", "separator",
    "related_link", "related_stories", "share_prompt", "site_notice", "byline", "date_line", "author_bio",
    "unknown",
)


def upgrade() -> None:
    with op.batch_alter_table("source_stats") as batch:
        for why in REASONS:
            batch.add_column(sa.Column(f"rm_{why}", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "source_flags",
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("reasons", sa.String(300), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "source", name=op.f("pk_source_flags")),
    )


def downgrade() -> None:
    op.drop_table("source_flags")
    with op.batch_alter_table("source_stats") as batch:
        for why in REASONS:
            batch.drop_column(f"rm_{why}")
