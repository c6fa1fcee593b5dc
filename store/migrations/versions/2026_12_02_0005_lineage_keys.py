"""lineage keys: every article's fingerprints, kept for [dedupe] lineage_days, to find late re-runs

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 19:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.models

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lineage_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("added", store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name=op.f("fk_lineage_keys_article_id_articles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lineage_keys")),
    )
    with op.batch_alter_table("lineage_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lineage_keys_added"), ["added"], unique=False)
        batch_op.create_index(batch_op.f("ix_lineage_keys_article_id"), ["article_id"], unique=False)
        batch_op.create_index("ix_lineage_keys_key", ["key"], unique=False)


def downgrade() -> None:
    op.drop_table("lineage_keys")
