"""Each application shows its current enrolment's status, whichever of its two writers is last.

The API records where an application is and which enrolment it has now
(``Catalog.record_application``); the candidate's workflow projects that enrolment's statuses
(``EnrolmentProjector``). Both copy the enrolment's status onto the application, and the
orderings in which they can meet all leave the status the enrolments table holds.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Boolean, String, column, insert, table, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.candidates import CandidateContact
from domain.enrolments import Enrolment
from domain.events import ApplicationRef
from domain.identity import enrolment_id
from domain.statuses import EnrolmentStatus
from store.catalog import Catalog
from store.database import create_engine, session_factory, sqlite_path
from store.migrate import alembic_config, upgrade
from store.projection import EnrolmentProjector
from store.schema import ApplicationRow, EnrolmentRow, UtcDateTime
from tests.store.factories import REJECTION, START, candidate, delivered

Sessions = async_sessionmaker[AsyncSession]
S = EnrolmentStatus

#: Long enough for a blocked writer to show it is blocked, short of SQLite's busy timeout.
BLOCKED_FOR = 0.5


def application_of(job_id: str = "job-1", stage_id: str = "rejected") -> ApplicationRef:
    return ApplicationRef(id=f"app-{uuid.uuid4().hex[:8]}", job_id=job_id, stage_id=stage_id)


def blast_for(
    contact: CandidateContact,
    application: ApplicationRef,
    at: datetime = START,
    status: EnrolmentStatus = EnrolmentStatus.SENDING,
) -> Enrolment:
    """The blast an ATS event enrols ``application`` in (``sending`` unless said otherwise)."""
    event_id = f"evt-{uuid.uuid4().hex[:8]}"
    return Enrolment.create(
        id=enrolment_id(event_id, application.id),
        ats_event_id=event_id,
        application_id=application.id,
        job_id=application.job_id,
        stage_id=application.stage_id,
        candidate_id=contact.id,
        campaign_id="rejection",
        campaign=REJECTION,
        status=status,
        at=at,
        detail="enrolled in campaign 'Rejection'",
    )


def cancelled(enrolment: Enrolment) -> Enrolment:
    later = enrolment.model_copy(deep=True)
    later.transition(S.CANCELLED, enrolment.updated_at + timedelta(minutes=1), "withdrawn")
    return later


async def record(
    sessions: Sessions,
    application: ApplicationRef,
    contact: CandidateContact,
    enrolment: Enrolment | None,
    event_at: datetime = START,
) -> None:
    """What ``POST /ats/events`` does once the workflow answered: note the application."""
    async with sessions.begin() as session:
        await Catalog(session).record_application(
            application,
            contact,
            current_enrolment_id=enrolment.id if enrolment is not None else None,
            event_at=event_at,
            now=datetime.now(UTC),
        )


async def status_of(sessions: Sessions, application: ApplicationRef) -> str | None:
    async with sessions() as session:
        row = await session.get(ApplicationRow, application.id)
    assert row is not None
    return row.status


async def test_an_application_takes_the_status_of_the_enrolment_it_was_enrolled_in(
    db_sessions: Sessions,
) -> None:
    contact, application = candidate(), application_of()
    enrolment = blast_for(contact, application)
    await EnrolmentProjector(db_sessions).project(contact, [enrolment])

    await record(db_sessions, application, contact, enrolment)

    assert await status_of(db_sessions, application) == "sending"


async def test_projected_statuses_reach_the_application(db_sessions: Sessions) -> None:
    projector = EnrolmentProjector(db_sessions)
    contact, application = candidate(), application_of()
    enrolment = blast_for(contact, application)
    await projector.project(contact, [enrolment])
    await record(db_sessions, application, contact, enrolment)

    await projector.project(contact, [delivered(enrolment)])

    assert await status_of(db_sessions, application) == "delivered"


async def test_a_late_older_projection_leaves_the_application_status_alone(
    db_sessions: Sessions,
) -> None:
    projector = EnrolmentProjector(db_sessions)
    contact, application = candidate(), application_of()
    enrolment = blast_for(contact, application)
    await projector.project(contact, [enrolment])
    await record(db_sessions, application, contact, enrolment)
    await projector.project(contact, [delivered(enrolment)])

    await projector.project(contact, [enrolment])

    assert await status_of(db_sessions, application) == "delivered"


async def test_an_application_in_a_stage_without_campaign_has_no_status(
    db_sessions: Sessions,
) -> None:
    projector = EnrolmentProjector(db_sessions)
    contact, application = candidate(), application_of()
    enrolment = blast_for(contact, application)
    await projector.project(contact, [enrolment])
    await record(db_sessions, application, contact, enrolment)

    moved = application.model_copy(update={"stage_id": "applied"})
    await record(db_sessions, moved, contact, None, event_at=START + timedelta(hours=1))
    # The enrolment it left goes on; the application no longer shows it.
    await projector.project(contact, [delivered(enrolment)])

    assert await status_of(db_sessions, application) is None


async def test_statuses_of_an_enrolment_the_application_left_do_not_follow_it(
    db_sessions: Sessions,
) -> None:
    projector = EnrolmentProjector(db_sessions)
    contact, application = candidate(), application_of()
    first = blast_for(contact, application)
    await projector.project(contact, [first])
    await record(db_sessions, application, contact, first)

    moved = application.model_copy(update={"stage_id": "screen"})
    second = blast_for(contact, moved, at=START + timedelta(hours=1))
    await projector.project(contact, [second])
    await record(db_sessions, moved, contact, second, event_at=START + timedelta(hours=1))
    await projector.project(contact, [delivered(first)])

    assert await status_of(db_sessions, application) == "sending"


async def test_an_older_ats_event_does_not_bring_back_an_older_enrolment_status(
    db_sessions: Sessions,
) -> None:
    projector = EnrolmentProjector(db_sessions)
    contact, application = candidate(), application_of()
    first = delivered(blast_for(contact, application))
    second = blast_for(contact, application, at=START + timedelta(hours=1))
    await projector.project(contact, [first, second])
    await record(db_sessions, application, contact, second, event_at=START + timedelta(hours=1))

    await record(db_sessions, application, contact, first, event_at=START)

    assert await status_of(db_sessions, application) == "sending"


async def test_a_withdrawn_application_shows_its_enrolment_cancelled(
    db_sessions: Sessions,
) -> None:
    projector = EnrolmentProjector(db_sessions)
    contact, application = candidate(), application_of()
    enrolment = blast_for(contact, application, status=S.QUEUED)
    await projector.project(contact, [enrolment])
    await record(db_sessions, application, contact, enrolment)

    async with db_sessions.begin() as session:
        await Catalog(session).record_withdrawal(
            application, contact, event_at=START + timedelta(hours=1), now=datetime.now(UTC)
        )
    await projector.project(contact, [cancelled(enrolment)])

    assert await status_of(db_sessions, application) == "cancelled"


# -- the two writers at the same moment ----------------------------------------------------------


async def held_open(
    write: Callable[[], Awaitable[None]], blocked: Callable[[], Awaitable[None]]
) -> None:
    """Run ``blocked`` while ``write`` is still uncommitted: ``blocked`` must wait for it."""
    task = asyncio.create_task(blocked())
    await asyncio.sleep(BLOCKED_FOR)
    assert not task.done(), "the second writer did not wait for the first one's commit"
    await write()
    await asyncio.wait_for(task, timeout=10)


async def test_recording_the_application_during_a_projection_gets_the_projected_status(
    db_sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    projector = EnrolmentProjector(db_sessions)
    contact, application = candidate(), application_of()
    enrolment = blast_for(contact, application)
    await projector.project(contact, [enrolment])

    # The projection of ``delivered`` has written the enrolment (and found no application
    # pointing at it yet) and is about to commit when the API records the application.
    inside, release = asyncio.Event(), asyncio.Event()
    append_timeline = EnrolmentProjector._append_timeline

    async def paused(session: AsyncSession, enrolments: Sequence[Enrolment]) -> None:
        await append_timeline(session, enrolments)
        inside.set()
        await release.wait()

    monkeypatch.setattr(EnrolmentProjector, "_append_timeline", staticmethod(paused))
    projection = asyncio.create_task(projector.project(contact, [delivered(enrolment)]))
    await asyncio.wait_for(inside.wait(), timeout=10)

    async def commit_projection() -> None:
        release.set()
        await projection

    await held_open(commit_projection, lambda: record(db_sessions, application, contact, enrolment))

    assert await status_of(db_sessions, application) == "delivered"


async def test_a_projection_during_the_recording_of_the_application_reaches_it(
    db_sessions: Sessions,
) -> None:
    projector = EnrolmentProjector(db_sessions)
    contact, application = candidate(), application_of()
    enrolment = blast_for(contact, application)
    await projector.project(contact, [enrolment])

    # The API has pointed the application at the enrolment (status ``sending``) and not yet
    # committed when the projection of ``delivered`` arrives.
    async with db_sessions() as session:
        await Catalog(session).record_application(
            application,
            contact,
            current_enrolment_id=enrolment.id,
            event_at=START,
            now=datetime.now(UTC),
        )

        async def project() -> None:
            await projector.project(contact, [delivered(enrolment)])

        await held_open(session.commit, project)

    assert await status_of(db_sessions, application) == "delivered"


async def test_recording_waits_for_any_enrolment_write_in_flight(
    db_sessions: Sessions,
) -> None:
    # Not through the projector: whatever the projector's own order of writes, an uncommitted
    # change of the enrolment row is what the recording must wait for and then read.
    projector = EnrolmentProjector(db_sessions)
    contact, application = candidate(), application_of()
    enrolment = blast_for(contact, application)
    await projector.project(contact, [enrolment])

    async with db_sessions() as session:
        await session.execute(
            text("UPDATE enrolments SET status = 'delivered', seq = 2 WHERE id = :id"),
            {"id": enrolment.id},
        )
        await held_open(
            session.commit, lambda: record(db_sessions, application, contact, enrolment)
        )

    assert await status_of(db_sessions, application) == "delivered"


async def test_many_applications_and_projections_racing_end_in_the_projected_statuses(
    db_sessions: Sessions,
) -> None:
    projector = EnrolmentProjector(db_sessions)
    pairs = [(candidate(), application_of()) for _ in range(20)]
    enrolments = [blast_for(contact, application) for contact, application in pairs]
    for (contact, _), enrolment in zip(pairs, enrolments, strict=True):
        await projector.project(contact, [enrolment])

    async def story(contact: CandidateContact, app: ApplicationRef, enrolment: Enrolment) -> None:
        await asyncio.gather(
            record(db_sessions, app, contact, enrolment),
            projector.project(contact, [delivered(enrolment)]),
        )

    await asyncio.gather(
        *(
            story(contact, app, enrolment)
            for (contact, app), enrolment in zip(pairs, enrolments, strict=True)
        )
    )

    assert [await status_of(db_sessions, app) for _, app in pairs] == ["delivered"] * len(pairs)


# -- the migration -------------------------------------------------------------------------------


#: ``applications`` as revision 0001 made it, before it had a ``status`` column.
APPLICATIONS_0001 = table(
    "applications",
    column("id", String()),
    column("job_id", String()),
    column("stage_id", String()),
    column("candidate_id", String()),
    column("current_enrolment_id", String()),
    column("withdrawn", Boolean()),
    column("event_at", UtcDateTime()),
    column("updated_at", UtcDateTime()),
)


async def test_the_migration_fills_in_the_status_of_existing_applications(
    blank_database_url: str,
) -> None:
    database_file = sqlite_path(blank_database_url)
    if database_file is not None:
        Path(database_file).parent.mkdir(parents=True)
    # Alembic's own command runs its event loop: give it a thread of its own.
    await asyncio.to_thread(command.upgrade, alembic_config(blank_database_url), "0001")
    engine = create_engine(blank_database_url)
    try:
        at = START
        rows: dict[str, list[dict[str, Any]]] = {
            "enrolments": [
                {
                    "id": f"enr_{n}",
                    "ats_event_id": f"evt-{n}",
                    "application_id": f"app-{n}",
                    "candidate_id": f"cand-{n}",
                    "job_id": "job-1",
                    "stage_id": "rejected",
                    "campaign_id": "rejection",
                    "campaign": REJECTION.model_dump(mode="json"),
                    "status": status,
                    "status_reason": None,
                    "seq": 2,
                    "created_at": at,
                    "updated_at": at,
                    "status_times": {},
                    "delivered_at": None,
                    "expires_at": None,
                }
                for n, status in ((1, "delivered"), (2, "failed"))
            ],
            "applications": [
                {
                    "id": f"app-{n}",
                    "job_id": "job-1",
                    "stage_id": "rejected" if current else "applied",
                    "candidate_id": f"cand-{n}",
                    "current_enrolment_id": current,
                    "withdrawn": False,
                    "event_at": at,
                    "updated_at": at,
                }
                for n, current in ((1, "enr_1"), (2, "enr_2"), (3, None))
            ],
        }
        async with engine.begin() as connection:
            await connection.execute(insert(EnrolmentRow.__table__), rows["enrolments"])
            await connection.execute(insert(APPLICATIONS_0001), rows["applications"])

        await upgrade(blank_database_url)

        sessions = session_factory(engine)
        statuses = {}
        async with sessions() as session:
            for n in (1, 2, 3):
                row = await session.get(ApplicationRow, f"app-{n}")
                assert row is not None
                statuses[row.id] = row.status
        assert statuses == {"app-1": "delivered", "app-2": "failed", "app-3": None}
    finally:
        await engine.dispose()
