"""The read model follows each candidate's workflow: newest status wins, timeline grows once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.enrolments import TimelineEntry
from domain.statuses import EnrolmentStatus
from store.database import create_engine, session_factory
from store.projection import EnrolmentProjector
from store.schema import CandidateRow, EnrolmentEventRow, EnrolmentRow
from tests.store.factories import START, candidate, delivered, sending_blast

Sessions = async_sessionmaker[AsyncSession]


async def enrolment_row(sessions: Sessions, enrolment_id: str) -> EnrolmentRow:
    async with sessions() as session:
        row = await session.get(EnrolmentRow, enrolment_id)
    assert row is not None
    return row


async def timeline(sessions: Sessions, enrolment_id: str) -> list[tuple[int, str, str]]:
    async with sessions() as session:
        rows = await session.scalars(
            select(EnrolmentEventRow)
            .where(EnrolmentEventRow.enrolment_id == enrolment_id)
            .order_by(EnrolmentEventRow.seq)
        )
        return [(row.seq, row.status, row.detail) for row in rows]


async def test_a_new_enrolment_reaches_the_read_model_with_its_candidate_and_timeline(
    db_sessions: Sessions,
) -> None:
    contact = candidate()
    enrolment = sending_blast(contact)

    projected, _ = await EnrolmentProjector(db_sessions).project(contact, [enrolment])

    assert projected == {enrolment.id: 1}
    row = await enrolment_row(db_sessions, enrolment.id)
    assert (row.status, row.seq, row.candidate_id) == ("sending", 1, contact.id)
    assert row.campaign["name"] == "Rejection"
    assert row.status_times == {"sending": START.isoformat()}
    assert await timeline(db_sessions, enrolment.id) == [
        (1, "sending", "enrolled in campaign 'Rejection'")
    ]
    async with db_sessions() as session:
        stored = await session.get(CandidateRow, contact.id)
    assert stored is not None
    assert (stored.name, stored.phone) == (contact.name, contact.phone)


async def test_an_older_write_never_overwrites_a_newer_status(db_sessions: Sessions) -> None:
    projector = EnrolmentProjector(db_sessions)
    contact = candidate()
    sending = sending_blast(contact)
    newer = delivered(sending)

    await projector.project(contact, [newer])
    await projector.project(contact, [sending])

    row = await enrolment_row(db_sessions, sending.id)
    assert (row.status, row.seq) == ("delivered", 2)
    assert row.delivered_at == newer.delivered_at
    assert [seq for seq, _, _ in await timeline(db_sessions, sending.id)] == [1, 2]


async def test_a_newer_write_moves_the_enrolment_forward(db_sessions: Sessions) -> None:
    projector = EnrolmentProjector(db_sessions)
    contact = candidate()
    sending = sending_blast(contact)
    await projector.project(contact, [sending])

    newer = delivered(sending)
    newer.unprojected = [t for t in newer.unprojected if t.seq > 1]
    assert await projector.project(contact, [newer]) == ({sending.id: 2}, {})

    row = await enrolment_row(db_sessions, sending.id)
    assert (row.status, row.seq) == ("delivered", 2)
    assert await timeline(db_sessions, sending.id) == [
        (1, "sending", "enrolled in campaign 'Rejection'"),
        (2, "delivered", "channel accepted the message"),
    ]


async def test_repeating_a_projection_changes_nothing(db_sessions: Sessions) -> None:
    projector = EnrolmentProjector(db_sessions)
    contact = candidate()
    enrolment = delivered(sending_blast(contact))

    first = await projector.project(contact, [enrolment])
    again = await projector.project(contact, [enrolment])

    assert first == again == ({enrolment.id: 2}, {})
    assert len(await timeline(db_sessions, enrolment.id)) == 2


async def test_the_timeline_is_append_only(db_sessions: Sessions) -> None:
    projector = EnrolmentProjector(db_sessions)
    contact = candidate()
    enrolment = sending_blast(contact)
    await projector.project(contact, [enrolment])

    rewritten = enrolment.model_copy(deep=True)
    rewritten.unprojected = [
        TimelineEntry(seq=1, at=START, status=EnrolmentStatus.SENDING, detail="something else")
    ]
    await projector.project(contact, [rewritten])

    assert await timeline(db_sessions, enrolment.id) == [
        (1, "sending", "enrolled in campaign 'Rejection'")
    ]


async def test_timestamps_are_kept_as_instants_and_read_back_in_utc(
    db_sessions: Sessions,
) -> None:
    contact = candidate()
    paris = timezone(timedelta(hours=2))
    enrolment = sending_blast(contact, at=datetime(2025, 6, 1, 11, 30, tzinfo=paris))

    await EnrolmentProjector(db_sessions).project(contact, [enrolment])

    row = await enrolment_row(db_sessions, enrolment.id)
    assert row.created_at == datetime(2025, 6, 1, 9, 30, tzinfo=UTC)
    assert row.created_at.tzinfo is UTC


async def test_late_contact_details_do_not_replace_newer_ones(db_sessions: Sessions) -> None:
    projector = EnrolmentProjector(db_sessions)
    contact = candidate()
    moved = contact.model_copy(update={"phone": "+14155550199"})
    first = sending_blast(contact)
    second = sending_blast(moved, at=START + timedelta(hours=1))

    await projector.project(moved, [second])
    await projector.project(contact, [first])

    async with db_sessions() as session:
        stored = await session.get(CandidateRow, contact.id)
    assert stored is not None
    assert stored.phone == "+14155550199"


async def test_a_projection_that_fails_writes_nothing(db_sessions: Sessions) -> None:
    contact = candidate()
    enrolment = sending_blast(contact)
    enrolment.unprojected.append(
        TimelineEntry(
            seq=2, at=datetime(2025, 3, 3, 9, 5), status=EnrolmentStatus.SENDING, detail="naive"
        )
    )

    with pytest.raises(Exception, match="naive datetime"):
        await EnrolmentProjector(db_sessions).project(contact, [enrolment])

    async with db_sessions() as session:
        assert await session.get(EnrolmentRow, enrolment.id) is None
        assert await session.get(CandidateRow, contact.id) is None


@pytest.mark.postgres
async def test_projection_recovers_after_the_database_drops_its_connections(
    empty_postgres_url: str,
) -> None:
    engine = create_engine(empty_postgres_url)
    try:
        projector = EnrolmentProjector(session_factory(engine))
        contact = candidate()
        sending = sending_blast(contact)
        await projector.project(contact, [sending])

        # What a server restart does to the pool: every connection it holds is gone.
        outsider = create_engine(empty_postgres_url)
        try:
            async with outsider.connect() as connection:
                killed = await connection.scalar(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
        finally:
            await outsider.dispose()
        assert killed
        await projector.project(contact, [delivered(sending)])

        row = await enrolment_row(session_factory(engine), sending.id)
        assert row.status == "delivered"
    finally:
        await engine.dispose()
