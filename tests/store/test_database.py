"""Connecting to the read model: which URLs work, and the health check."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from store.database import UnsupportedDatabase, async_url, create_engine, ping


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
