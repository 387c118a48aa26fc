"""Store fixtures: an empty, never-migrated database on each engine."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import make_url, text

from store.database import create_engine
from tests.fixtures.databases import POSTGRES_ADMIN_URL


@pytest_asyncio.fixture
async def blank_postgres_url(postgres_url: str) -> AsyncIterator[str]:
    """A PostgreSQL database with no tables at all, dropped after the test."""
    admin = create_engine(POSTGRES_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    name = f"enrolments_blank_{uuid.uuid4().hex[:12]}"
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def blank_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database nobody has migrated yet (for SQLite, in a folder that does not exist yet)."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'not-yet' / 'read-model.db'}"
    url: str = request.getfixturevalue("blank_postgres_url")
    return url
