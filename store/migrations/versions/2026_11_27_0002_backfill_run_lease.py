"""backfill run lease: the process working on a run, and until when its claim holds

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 23:55:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.models

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, not batch mode: on SQLite a batch rebuild drops and recreates `backfill_runs`, and
# with foreign keys on that would cascade into `backfill_items` and delete every recorded item.
# (SQLite has had ADD/DROP COLUMN since 3.35.)


def upgrade() -> None:
    op.add_column("backfill_runs", sa.Column("owner", sa.String(length=128), nullable=True))
    op.add_column("backfill_runs", sa.Column("lease_until", store.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("backfill_runs", "lease_until")
    op.drop_column("backfill_runs", "owner")
