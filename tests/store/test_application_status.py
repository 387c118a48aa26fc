"""Each application shows its current enrolment's status: one writer, one transaction.

The candidate's workflow projects its applications together with their current enrolments
(``EnrolmentProjector``): both rows come from the same workflow state, so the status the Table
filters on is the enrolment's. A late or repeated write never replaces a newer one (``seq``),
and an application stays with the candidate whose workflow first wrote it.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import Boolean, String, column, insert, table, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.applications import ApplicationState
from domain.candidates import CandidateContact
from domain.enrolments import Enrolment
from domain.events import ApplicationRef
from domain.identity import enrolment_id
from domain.statuses import EnrolmentStatus
from store.database import UtcDateTime, create_engine, session_factory, sqlite_path
from store.migrate import alembic_config, upgrade
from store.projection import EnrolmentProjector
from store.schema import ApplicationRow, EnrolmentRow
from tests.store.factories import REJECTION, START, candidate, delivered

Sessions = async_sessionmaker[AsyncSession]
S = EnrolmentStatus


def application_of(job_id: str = "job-1", stage_id: str = "rejected") -> ApplicationRef:
    return ApplicationRef(id=f"app-{uuid.uuid4().hex[:8]}", job_id=job_id, stage_id=stage_id)


def blast_for(contact: CandidateContact, application: ApplicationRef) -> Enrolment:
    """The blast an ATS event enrols ``application`` in, ``sending``."""
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
        status=S.SENDING,
        at=START,
        detail="enrolled in campaign 'Rejection'",
    )


def shown(
    application: ApplicationRef, enrolment: Enrolment | None, seq: int, *, withdrawn: bool = False
) -> ApplicationState:
    """The application as its workflow shows it, at its ``seq``-th change."""
    return ApplicationState(
        id=application.id,
        job_id=application.job_id,
        stage_id=application.stage_id,
        event_at=START,
        event_id="evt",
        withdrawn=withdrawn,
        current_enrolment_id=None if enrolment is None else enrolment.id,
        status=None if enrolment is None else enrolment.status,
        status_reason=None if enrolment is None else enrolment.status_reason,
        updated_at=START + timedelta(minutes=seq),
        seq=seq,
    )


async def row_of(sessions: Sessions, application: ApplicationRef) -> ApplicationRow:
    async with sessions() as session:
        row = await session.get(ApplicationRow, application.id)
    assert row is not None
    return row


async def test_an_application_shows_the_status_of_its_current_enrolment(
    db_sessions: Sessions,
) -> None:
    contact, app = candidate(), application_of()
    enrolment = blast_for(contact, app)
    projector = EnrolmentProjector(db_sessions)

    await projector.project(contact, [enrolment], [shown(app, enrolment, 1)])
    assert (await row_of(db_sessions, app)).status == "sending"

    later = delivered(enrolment)
    await projector.project(contact, [later], [shown(app, later, 2)])
    row = await row_of(db_sessions, app)
    assert (row.status, row.current_enrolment_id, row.candidate_id) == (
        "delivered",
        enrolment.id,
        contact.id,
    )


async def test_a_late_older_write_leaves_the_application_alone(db_sessions: Sessions) -> None:
    contact, app = candidate(), application_of()
    enrolment = blast_for(contact, app)
    projector = EnrolmentProjector(db_sessions)
    await projector.project(contact, [delivered(enrolment)], [shown(app, delivered(enrolment), 2)])

    await projector.project(contact, [enrolment], [shown(app, enrolment, 1)])

    assert (await row_of(db_sessions, app)).status == "delivered"


async def test_an_application_in_a_stage_without_campaign_has_no_status(
    db_sessions: Sessions,
) -> None:
    contact, app = candidate(), application_of(stage_id="applied")

    await EnrolmentProjector(db_sessions).project(contact, [], [shown(app, None, 1)])

    row = await row_of(db_sessions, app)
    assert (row.status, row.current_enrolment_id, row.stage_id) == (None, None, "applied")


async def test_a_withdrawn_application_is_shown_withdrawn(db_sessions: Sessions) -> None:
    contact, app = candidate(), application_of()

    await EnrolmentProjector(db_sessions).project(
        contact, [], [shown(app, None, 3, withdrawn=True)]
    )

    assert (await row_of(db_sessions, app)).withdrawn


async def test_an_application_stays_with_the_candidate_who_first_had_it(
    db_sessions: Sessions,
) -> None:
    owner, other, app = candidate(), candidate(), application_of()
    projector = EnrolmentProjector(db_sessions)
    await projector.project(owner, [], [shown(app, None, 1)])

    await projector.project(other, [], [shown(app, None, 5, withdrawn=True)])

    row = await row_of(db_sessions, app)
    assert (row.candidate_id, row.withdrawn) == (owner.id, False)


async def test_a_row_from_before_the_workflow_wrote_applications_is_replaced(
    db_sessions: Sessions,
) -> None:
    contact, app = candidate(), application_of()
    projector = EnrolmentProjector(db_sessions)
    await projector.project(contact, [], [shown(app, None, 1)])
    async with db_sessions.begin() as session:
        await session.execute(
            update(ApplicationRow).where(ApplicationRow.id == app.id).values(seq=0)
        )

    enrolment = blast_for(contact, app)
    await projector.project(contact, [enrolment], [shown(app, enrolment, 1)])

    assert (await row_of(db_sessions, app)).status == "sending"


async def test_many_candidates_projecting_at_once_each_end_in_their_newest_status(
    db_sessions: Sessions,
) -> None:
    projector = EnrolmentProjector(db_sessions)
    stories = [(candidate(), application_of()) for _ in range(20)]

    async def story(contact: CandidateContact, app: ApplicationRef) -> None:
        enrolment = blast_for(contact, app)
        later = delivered(enrolment)
        # The newer write may land first: a retried attempt of the older one comes late.
        await asyncio.gather(
            projector.project(contact, [later], [shown(app, later, 2)]),
            projector.project(contact, [enrolment], [shown(app, enrolment, 1)]),
        )

    await asyncio.gather(*(story(contact, app) for contact, app in stories))

    assert [(await row_of(db_sessions, app)).status for _, app in stories] == ["delivered"] * len(
        stories
    )


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
