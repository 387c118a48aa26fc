"""What an ATS event needs to know about its application, read in one statement."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.events import ApplicationRef
from domain.jobs import InterviewSettings, JobDefinition, StageDefinition
from store.catalog import Catalog
from store.placements import Placement, Placements
from store.schema import StageRow
from tests.store.factories import REJECTION, START

Sessions = async_sessionmaker[AsyncSession]

JOB = JobDefinition(
    name="Barista",
    stages=[
        StageDefinition(id="applied", name="Applied"),
        StageDefinition(
            id="interview",
            name="Interview",
            campaign_id="rejection",
            interview_settings=InterviewSettings(auto_match=True),
        ),
    ],
)


async def configure(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        catalog = Catalog(session)
        await catalog.save_campaign("rejection", REJECTION, START)
        await catalog.save_job("job-1", JOB, START)


async def placement_of(
    sessions: Sessions, job_id: str, stage_id: str, app_id: str = "app-1"
) -> Placement | None:
    async with sessions() as session:
        return await Placements(session).placement(
            ApplicationRef(id=app_id, job_id=job_id, stage_id=stage_id)
        )


async def test_an_unknown_job_has_no_placement(db_sessions: Sessions) -> None:
    await configure(db_sessions)

    assert await placement_of(db_sessions, "job-2", "applied") is None


async def test_a_stage_with_its_campaign_and_interview_settings(db_sessions: Sessions) -> None:
    await configure(db_sessions)

    placement = await placement_of(db_sessions, "job-1", "interview")

    assert placement is not None
    assert placement.stage_found
    assert (placement.campaign_id, placement.campaign) == ("rejection", REJECTION)
    assert placement.auto_match


async def test_a_stage_without_a_campaign_and_an_unknown_stage(db_sessions: Sessions) -> None:
    await configure(db_sessions)

    applied = await placement_of(db_sessions, "job-1", "applied")
    unknown = await placement_of(db_sessions, "job-1", "offer")

    assert applied is not None and applied.stage_found
    assert (applied.campaign_id, applied.campaign, applied.auto_match) == (None, None, False)
    assert unknown is not None and not unknown.stage_found


async def test_a_stage_cannot_link_a_campaign_that_is_not_there(db_sessions: Sessions) -> None:
    await configure(db_sessions)
    with pytest.raises(IntegrityError):
        async with db_sessions.begin() as session:
            await session.execute(
                update(StageRow).where(StageRow.id == "interview").values(campaign_id="deleted")
            )

    placement = await placement_of(db_sessions, "job-1", "interview")

    assert placement is not None and placement.campaign_id != "deleted"
