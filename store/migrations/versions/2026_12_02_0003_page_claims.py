"""page claims (one fetch per page across workers) and feeds.items_waiting (large feeds)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "page_claims",
        sa.Column("url_hash", sa.String(length=40), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("until", store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("url_hash", name=op.f("pk_page_claims")),
    )
    op.create_index(op.f("ix_page_claims_until"), "page_claims", ["until"], unique=False)
    # Plain ALTER TABLE (see 0002: a batch rebuild of `feeds` would cascade into its children).
    op.add_column("feeds", sa.Column("items_waiting", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    op.drop_column("feeds", "items_waiting")
    op.drop_index(op.f("ix_page_claims_until"), table_name="page_claims")
    op.drop_table("page_claims")
