"""copy diffs: what each clustered copy changed against the copy it joined

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE (see 0002): a nullable column needs no table rebuild, and rows placed before this
# revision keep a null diff.


def upgrade() -> None:
    op.add_column("story_members", sa.Column("diff", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("story_members", "diff")
