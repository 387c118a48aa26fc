"""Alembic environment for the read model, configured in code (``store.migrate``), no ini file.

``store.migrate.upgrade`` opens the connection itself (inside a transaction holding the
migration lock) and passes it in ``config.attributes["connection"]``; run that way, Alembic
joins the caller's transaction. Without a connection (e.g. ``alembic.command.current`` on a
config from ``store.migrate.alembic_config``), this opens its own async engine.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from store.database import create_engine
from store.schema import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    """Emit the SQL to stdout instead of running it (``alembic upgrade --sql``)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_on(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_async(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_migrations_on)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations_on(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: set sqlalchemy.url or pass a connection")
    asyncio.run(run_migrations_async(url))


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
