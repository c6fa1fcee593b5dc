"""raw archive: raw pages in WARC files, the row keeping (file, offset, length); body nullable

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # batch: SQLite cannot drop NOT NULL in place (the table is copied once); PostgreSQL alters in place.
    with op.batch_alter_table("raw_pages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archive_file", sa.String(255), nullable=True))
        batch_op.add_column(sa.Column("archive_offset", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("archive_length", sa.Integer(), nullable=True))
        batch_op.alter_column("body", existing_type=sa.LargeBinary(), nullable=True)
        batch_op.create_index(batch_op.f("ix_raw_pages_archive_file"), ["archive_file"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("raw_pages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_raw_pages_archive_file"))
        batch_op.alter_column("body", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column("archive_length")
        batch_op.drop_column("archive_offset")
        batch_op.drop_column("archive_file")
