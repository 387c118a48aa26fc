"""Bringing a read-model database to the newest schema with Alembic, from code.

Every process that uses the database calls ``upgrade`` at start; ``create_all`` is never used.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import URL, text
from sqlalchemy.engine import Connection

from store.database import async_url, create_engine, sqlite_path

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

#: PostgreSQL advisory lock held while migrating, so processes starting together take turns.
#: Advisory locks are per database, so separate databases on one server do not wait on each other.
MIGRATION_LOCK_ID = zlib.crc32(b"campaign-enrolments:migrations")


def alembic_config(database_url: str | URL) -> Config:
    """Alembic's configuration for the read model at ``database_url`` (no ini file needed).

    Usable with any ``alembic.command`` (``current``, ``history``, ``revision``...).
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Config values go through ConfigParser interpolation: a password with '%' must be escaped.
    url = async_url(database_url).render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(database_url: str | URL) -> None:
    """Create or update the schema at ``database_url`` to the newest revision.

    Creates the SQLite file's folder if needed. Safe to call from several processes at once:
    they take turns (SQLite's write lock, PostgreSQL's advisory lock) and those that come
    second find the schema current and change nothing. Running it again is a no-op.
    """
    path = sqlite_path(database_url)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    config = alembic_config(database_url)
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_upgrade_locked, config)
    finally:
        await engine.dispose()


def _upgrade_locked(connection: Connection, config: Config) -> None:
    # One transaction from lock to commit: both databases have transactional DDL, so a
    # migration either lands whole or not at all, and the next process sees it complete.
    if connection.dialect.name == "sqlite":
        # The driver would open a deferred transaction only at the first INSERT, after the
        # CREATE TABLEs: take the write lock first (waiting up to the busy timeout).
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            _run(connection, config)
        except BaseException:
            connection.rollback()
            raise
        connection.commit()
        return
    with connection.begin():
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        _run(connection, config)


def _run(connection: Connection, config: Config) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
