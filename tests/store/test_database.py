"""Connecting to the read model: which URLs work, reads beside the writer, the health check."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from store.database import (
    UnsupportedDatabase,
    async_url,
    create_engine,
    create_read_engine,
    ping,
)


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("sqlite:///data/enrolments.db", "sqlite+aiosqlite:///data/enrolments.db"),
        ("postgresql://app@db/enrolments", "postgresql+asyncpg://app@db/enrolments"),
        ("postgres://app@db/enrolments", "postgresql+asyncpg://app@db/enrolments"),
        ("postgresql+asyncpg://app@db/enrolments", "postgresql+asyncpg://app@db/enrolments"),
    ],
)
def test_plain_database_urls_get_the_async_driver(given: str, used: str) -> None:
    assert async_url(given).render_as_string() == used


@pytest.mark.parametrize("url", ["mysql://app@db/enrolments", "not a url"])
def test_an_unsupported_database_is_refused_with_a_clear_message(url: str) -> None:
    with pytest.raises(UnsupportedDatabase):
        create_engine(url)


async def test_the_health_check_reaches_a_live_database(db_engine: AsyncEngine) -> None:
    assert await ping(db_engine)


async def test_the_health_check_reports_a_database_that_is_down() -> None:
    engine = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")
    try:
        assert not await ping(engine, within=1.0)
    finally:
        await engine.dispose()


async def test_a_sqlite_file_reads_beside_its_writer_and_never_writes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'read-model.db'}"
    writer, reader = create_engine(url), create_read_engine(url)
    assert reader is not None
    try:
        async with writer.begin() as connection:
            await connection.execute(text("CREATE TABLE notes (body TEXT)"))
        async with writer.connect() as writing:
            await writing.execute(text("INSERT INTO notes VALUES ('kept')"))
            # A write in progress holds the file's write lock; reads go on beside it.
            async with reader.connect() as reading:
                assert (await reading.scalar(text("SELECT count(*) FROM notes"))) == 0
            await writing.commit()
        async with reader.connect() as reading:
            assert (await reading.scalar(text("SELECT body FROM notes"))) == "kept"
            with pytest.raises(OperationalError, match="readonly"):
                await reading.execute(text("DELETE FROM notes"))
    finally:
        await reader.dispose()
        await writer.dispose()


@pytest.mark.parametrize(
    "url", ["sqlite:///:memory:", "sqlite://", "postgresql://app@db/enrolments"]
)
def test_other_databases_read_through_their_one_engine(url: str) -> None:
    assert create_read_engine(url) is None
