"""origin waits: a page's Retry-After, honoured by every process

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 17:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.models

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "origin_waits",
        sa.Column("origin", sa.String(length=300), nullable=False),
        sa.Column("until", store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("origin", name=op.f("pk_origin_waits")),
    )


def downgrade() -> None:
    op.drop_table("origin_waits")
