"""The schema comes from Alembic migrations, and every process may run them at start."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.ats import AtsJobMapping, AtsSystem
from domain.jobs import JobDefinition, StageDefinition
from store.catalog import Catalog
from store.database import create_engine, session_factory
from store.migrate import alembic_config, upgrade
from store.opt_outs import OptOuts
from store.schema import Base, EnrolmentRow

HEAD = ScriptDirectory.from_config(alembic_config("sqlite:///unused.db")).get_current_head()


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _differences(connection: Connection) -> Sequence[Any]:
    return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


async def revision_of(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_revision)


async def test_migrations_create_every_table_of_the_schema(db_engine: AsyncEngine) -> None:
    async with db_engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert set(Base.metadata.tables) <= tables
    assert await revision_of(db_engine) == HEAD


async def test_migrations_build_exactly_the_schema_the_code_declares(
    db_engine: AsyncEngine,
) -> None:
    async with db_engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == []


async def test_upgrading_a_current_database_changes_nothing(
    database_url: str, db_engine: AsyncEngine
) -> None:
    opt_outs = OptOuts(session_factory(db_engine))
    await opt_outs.set("+14155550123", opted_out=True)

    await upgrade(database_url)
    await upgrade(database_url)

    assert await revision_of(db_engine) == HEAD
    assert await opt_outs.is_opted_out("+14155550123")


async def test_processes_starting_together_migrate_the_database_once(
    blank_database_url: str,
) -> None:
    starts = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "import asyncio, sys; from store.migrate import upgrade; "
            "asyncio.run(upgrade(sys.argv[1]))",
            blank_database_url,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for process in starts:
        _, stderr = await process.communicate()
        assert process.returncode == 0, stderr.decode()

    engine = create_engine(blank_database_url)
    try:
        assert await revision_of(engine) == HEAD
    finally:
        await engine.dispose()


def _downgrade(connection: Connection, config: Config, revision: str) -> None:
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def test_downgrading_the_ats_mapping_keeps_every_job_and_stage(
    database_url: str, db_engine: AsyncEngine
) -> None:
    """Migration 0006 goes back without rebuilding ``jobs`` (which, on SQLite, would take its
    stages with it through the foreign key's cascade)."""
    job = JobDefinition(
        name="Barista",
        stages=[StageDefinition(id="applied", name="Applied", ats_stage_id="101")],
        ats=AtsJobMapping(system=AtsSystem.GREENHOUSE, job_id="4021"),
    )
    async with session_factory(db_engine).begin() as session:
        await Catalog(session).save_job("job-1", job, datetime.now(UTC))
    async with db_engine.begin() as connection:
        await connection.run_sync(_downgrade, alembic_config(database_url), "0005")
    async with db_engine.connect() as connection:
        stages = (await connection.exec_driver_sql("SELECT id FROM stages")).all()
        columns = await connection.run_sync(
            lambda sync: {c["name"] for c in inspect(sync).get_columns("jobs")}
        )
    assert stages == [("applied",)]
    assert "ats_system" not in columns

    await upgrade(database_url)
    assert await revision_of(db_engine) == HEAD


async def test_upgrading_keeps_each_opt_out_as_a_hash_of_its_address(
    database_url: str, db_engine: AsyncEngine
) -> None:
    """Migration 0008 replaces the opted-out addresses by their hashes: every STOP holds."""
    async with db_engine.begin() as connection:
        await connection.run_sync(_downgrade, alembic_config(database_url), "0007")
        await connection.exec_driver_sql(
            "INSERT INTO opt_outs (address, opted_out, updated_at) "
            "VALUES ('+14155550123', TRUE, '2026-11-30 10:00:00+00:00'), "
            "('ada@example.com', FALSE, '2026-11-30 11:00:00+00:00')"
        )

    await upgrade(database_url)

    opt_outs = OptOuts(session_factory(db_engine))
    assert await opt_outs.is_opted_out("+14155550123")
    assert not await opt_outs.is_opted_out("ada@example.com")
    async with db_engine.connect() as connection:
        kept = (await connection.exec_driver_sql("SELECT * FROM opt_outs")).all()
    assert len(kept) == 2
    assert not any("+1415" in str(row) or "ada@" in str(row) for row in kept)


async def test_upgrading_fills_the_funnel_columns_of_enrolments_projected_before(
    database_url: str, db_engine: AsyncEngine
) -> None:
    """Migration 0009 reads each enrolment's ``status_times`` into the columns analytics read."""
    async with db_engine.begin() as connection:
        await connection.run_sync(_downgrade, alembic_config(database_url), "0008")
    created = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    times = {
        "sending": "2026-11-30T10:00:00+00:00",
        "delivered": "2026-11-30T10:00:30+00:00",
        "in_progress": "2026-11-30T11:00:00+00:00",
        "completed": "2026-11-30T12:00:00+00:00",
    }
    async with session_factory(db_engine).begin() as session:
        await session.execute(
            EnrolmentRow.__table__.insert().values(  # type: ignore[attr-defined]
                id="enr_old",
                ats_event_id="e",
                application_id="a",
                candidate_id="c",
                job_id="j",
                stage_id="s",
                campaign_id="cmp",
                campaign={},
                status="completed",
                status_reason=None,
                seq=4,
                created_at=created,
                updated_at=created,
                status_times=times,
                delivered_at=datetime(2026, 11, 30, 10, 0, 30, tzinfo=UTC),
                expires_at=None,
                next_send_at=None,
                next_send=None,
            )
        )

    await upgrade(database_url)

    async with session_factory(db_engine)() as session:
        row = await session.get(EnrolmentRow, "enr_old")
    assert row is not None
    assert row.started_at == datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
    assert row.completed_at == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert (row.seconds_to_deliver, row.seconds_to_complete) == (30.0, 7200.0)
