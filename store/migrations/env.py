"""Alembic environment: runs migrations on the engine wirefeed hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from store.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run migrations on the engine given in the config attributes (or the configured URL)."""
    engine = context.config.attributes.get("engine")
    if not isinstance(engine, Engine):
        from store.db import make_engine

        engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
