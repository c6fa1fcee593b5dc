"""scale indexes: partial indexes for the queries that read every row as the store grows (issue 17)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 14:00:00

Measured at 1M and 10M articles on PostgreSQL by scripts/bench_pg_scale.py (docs/scaling.md):
- `ix_raw_pages_fetched_with_body`: the daily prune's count and clearing of database-mode bodies older
  than raw_retention_days (`body IS NOT NULL AND fetched < cutoff`) scanned all of raw_pages; the index
  holds only the rows that still have a body (none in archive mode).
- `ix_articles_failed_feed_id`: `wirefeed feeds` counts failed pages by feed (`status = 'failed'`): a scan
  of all articles; the index holds only the failed ones.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WITH_BODY = "body IS NOT NULL"
FAILED = "status = 'failed'"


def upgrade() -> None:
    op.create_index("ix_raw_pages_fetched_with_body", "raw_pages", ["fetched"],
                    postgresql_where=sa.text(WITH_BODY), sqlite_where=sa.text(WITH_BODY))
    op.create_index("ix_articles_failed_feed_id", "articles", ["feed_id"],
                    postgresql_where=sa.text(FAILED), sqlite_where=sa.text(FAILED))


def downgrade() -> None:
    op.drop_index("ix_articles_failed_feed_id", table_name="articles")
    op.drop_index("ix_raw_pages_fetched_with_body", table_name="raw_pages")
