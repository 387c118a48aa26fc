"""Connecting to the read model: engines, sessions and upserts that work on every database.

Two databases are supported: SQLite (the default, a file in the data folder) and PostgreSQL
(production). Plain URLs (``sqlite:///...``, ``postgresql://...``) get the async driver.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from sqlalchemy import JSON, URL, DateTime, Dialect, MetaData, Table, event, make_url, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

#: How long a SQLite writer waits for another one to finish before giving up (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 10_000
#: How long opening a PostgreSQL connection may take: when the database is down, fail fast so
#: the activity retries with backoff instead of hanging (seconds).
POSTGRES_CONNECT_TIMEOUT_S = 5.0

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}

Insert = sqlite.Insert | postgresql.Insert


class UnsupportedDatabase(ValueError):
    """The URL names a database the read model does not run on."""


def async_url(url: str | URL) -> URL:
    """``url`` with the async driver of its database; raises ``UnsupportedDatabase`` otherwise."""
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise UnsupportedDatabase(f"not a database URL: {err}") from err
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None:
        raise UnsupportedDatabase(
            f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}: "
            "use sqlite+aiosqlite:///path/to/file.db or postgresql+asyncpg://user@host/db"
        )
    return parsed.set(drivername=driver)


def create_engine(url: str | URL) -> AsyncEngine:
    """An async engine for the read model at ``url`` (SQLite or PostgreSQL).

    SQLite connections use WAL (readers never block the writer), wait up to
    ``SQLITE_BUSY_TIMEOUT_MS`` for a busy database and enforce foreign keys. A SQLite file
    gets one connection per engine: SQLite takes one writer at a time, and writers that find
    it taken nap in its busy handler (1 to 100 ms at a time) while the lock may already be
    free again. Under a burst of enrolments that cost the embedded process a third of its CPU
    per blast and left the database idle between naps; queued for the one connection, the
    engine's transactions are handed over the moment the previous one ends. (Reads queue
    too; each takes milliseconds. Separate engines and processes still meet at the file
    lock, where the busy timeout applies.) PostgreSQL connections are checked before use, so
    the pool recovers after the server restarts. Errors never carry a statement's parameters
    (names, numbers, message bodies): what is logged of them holds no personal data.
    """
    target = async_url(url)
    if target.get_backend_name() == "sqlite":
        file = target.database not in (None, "", ":memory:")
        engine = create_async_engine(
            target,
            hide_parameters=True,
            **({"pool_size": 1, "max_overflow": 0} if file else {}),
        )
        event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
        return engine
    return create_async_engine(
        target,
        hide_parameters=True,
        pool_pre_ping=True,
        connect_args={"timeout": POSTGRES_CONNECT_TIMEOUT_S},
    )


#: Connections of a SQLite file's read engine.
SQLITE_READERS = 8


def create_read_engine(url: str | URL) -> AsyncEngine | None:
    """An engine for reads only, beside ``create_engine``'s, or ``None`` where that one serves
    reads as well (PostgreSQL's pool; an in-memory SQLite database, which is per connection).

    On a SQLite file, the writer's one connection queues every transaction of its process;
    reads that must stay fast under a burst of writes (a candidate's page) take these
    ``SQLITE_READERS`` connections instead, which WAL lets read beside the writer, and which
    cannot write (``query_only``).
    """
    target = async_url(url)
    if target.get_backend_name() != "sqlite" or target.database in (None, "", ":memory:"):
        return None
    engine = create_async_engine(
        target, hide_parameters=True, pool_size=SQLITE_READERS, max_overflow=0
    )
    event.listen(engine.sync_engine, "connect", _configure_sqlite_reader)
    return engine


def _configure_sqlite_reader(
    dbapi_connection: DBAPIConnection, connection_record: ConnectionPoolEntry
) -> None:
    _configure_sqlite_connection(dbapi_connection, connection_record)
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA query_only = ON")
    finally:
        cursor.close()


def _configure_sqlite_connection(
    dbapi_connection: DBAPIConnection, connection_record: ConnectionPoolEntry
) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # busy_timeout first: switching to WAL needs a lock another process may hold.
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        # NORMAL is durable across application crashes in WAL mode and much cheaper than FULL.
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on ``engine``; objects stay readable after commit (no lazy reloads in async)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def dialect_of(bind: AsyncSession | AsyncConnection | AsyncEngine | Dialect) -> Dialect:
    """The SQL dialect ``bind`` speaks."""
    if isinstance(bind, Dialect):
        return bind
    if isinstance(bind, AsyncSession):
        return bind.get_bind().dialect
    return bind.dialect


def dialect_insert(
    bind: AsyncSession | AsyncConnection | AsyncEngine | Dialect,
    table: type[DeclarativeBase] | Table,
) -> Insert:
    """An ``INSERT`` for ``table`` in ``bind``'s dialect, so ``on_conflict_do_update`` and
    ``on_conflict_do_nothing`` (same API on SQLite and PostgreSQL) are available."""
    name = dialect_of(bind).name
    if name == "sqlite":
        return sqlite.insert(table)
    if name == "postgresql":
        return postgresql.insert(table)
    raise UnsupportedDatabase(f"no upsert support for the {name!r} dialect")


_Built = TypeVar("_Built")


def per_dialect(build: Callable[[Dialect], _Built]) -> Callable[[AsyncSession], _Built]:
    """``build`` run once per SQL dialect, its result reused for every session of it.

    For statements on hot paths: building one and its cache key costs more than running it on
    SQLite.
    """
    built: dict[str, _Built] = {}

    def for_session(session: AsyncSession) -> _Built:
        dialect = dialect_of(session)
        if dialect.name not in built:
            built[dialect.name] = build(dialect)
        return built[dialect.name]

    return for_session


async def ping(engine: AsyncEngine, within: float = 2.0) -> bool:
    """Whether the database answers a trivial query within ``within`` seconds."""
    try:
        async with asyncio.timeout(within), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        # A health check reports; whatever went wrong (refused, timed out, auth) means "down".
        return False
    return True


def sqlite_path(url: str | URL) -> str | None:
    """The file a SQLite URL points at, or ``None`` (in-memory or not SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


__all__ = [
    "Insert",
    "UnsupportedDatabase",
    "async_url",
    "create_engine",
    "dialect_insert",
    "dialect_of",
    "per_dialect",
    "ping",
    "session_factory",
    "sqlite_path",
]


class UtcDateTime(TypeDecorator[datetime]):
    """An aware timestamp, stored in UTC.

    SQLite has no time zones: SQLAlchemy writes the wall-clock digits and drops the offset, and
    reads back naive values. Converting to UTC on the way in keeps instants correct and makes
    SQLite's text order chronological; tagging UTC on the way out gives every reader an aware
    value (the API promises RFC 3339 with a zone). A naive value is a bug in the caller.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: the read model stores aware times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


#: Deterministic constraint names, so migrations can name (and later alter) each one.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime(), dict[str, Any]: JSON}
