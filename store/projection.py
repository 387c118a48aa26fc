"""Writing a candidate workflow's enrolments into the read model.

The workflow is the only writer of these rows, but a write can still arrive late (a local
activity retried after a timeout while the first attempt was still committing), twice, or
after the database comes back. So every write is an idempotent upsert that only moves an
enrolment forward (by ``seq``), and timeline entries are appended once each.

Each application whose current enrolment is projected gets that enrolment's status copied onto
it in the same transaction (``applications.status``, read by the Table and the board).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.candidates import CandidateContact
from domain.enrolments import Enrolment
from store.database import dialect_insert
from store.schema import ApplicationRow, CandidateRow, EnrolmentEventRow, EnrolmentRow


class EnrolmentProjector:
    """Projects enrolments (and their candidate) into ``enrolments``/``enrolment_events``."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def project(
        self, candidate: CandidateContact, enrolments: Sequence[Enrolment]
    ) -> dict[str, int]:
        """Write ``candidate``, ``enrolments`` and their ``unprojected`` timeline entries.

        One transaction: all of it lands or none. An enrolment row is replaced only by a
        write with a higher ``seq``; a timeline entry already stored is left as it is; an
        application whose current enrolment is among ``enrolments`` shows that enrolment's
        stored status. Safe to repeat. Returns ``{enrolment id: seq}``: the read model now
        holds every timeline entry up to that ``seq`` (the caller marks them projected).
        """
        async with self._sessions.begin() as session:
            # Lock order, shared with Catalog.record_application: candidate, enrolments,
            # applications. Two writers taking rows in one order cannot deadlock.
            await self._upsert_candidate(session, candidate, enrolments)
            if enrolments:
                await self._upsert_enrolments(session, enrolments)
                await self._copy_statuses_to_applications(session, enrolments)
                await self._append_timeline(session, enrolments)
        return {enrolment.id: enrolment.seq for enrolment in enrolments}

    @staticmethod
    async def _upsert_candidate(
        session: AsyncSession, candidate: CandidateContact, enrolments: Sequence[Enrolment]
    ) -> None:
        # Contact details have no seq of their own: the time of the newest change they came
        # with orders them, so a late write does not restore an old phone number.
        at = max((e.updated_at for e in enrolments), default=datetime.now(UTC))
        insert = dialect_insert(session, CandidateRow).values(
            id=candidate.id,
            name=candidate.name,
            phone=candidate.phone,
            email=candidate.email,
            timezone=candidate.timezone,
            updated_at=at,
        )
        await session.execute(
            insert.on_conflict_do_update(
                index_elements=[CandidateRow.id],
                set_={
                    "name": insert.excluded.name,
                    "phone": insert.excluded.phone,
                    "email": insert.excluded.email,
                    "timezone": insert.excluded.timezone,
                    "updated_at": insert.excluded.updated_at,
                },
                where=CandidateRow.updated_at <= insert.excluded.updated_at,
            )
        )

    @staticmethod
    async def _upsert_enrolments(session: AsyncSession, enrolments: Sequence[Enrolment]) -> None:
        insert = dialect_insert(session, EnrolmentRow)
        columns = [c.name for c in EnrolmentRow.__table__.columns if c.name != "id"]
        await session.execute(
            insert.on_conflict_do_update(
                index_elements=[EnrolmentRow.id],
                set_={name: insert.excluded[name] for name in columns},
                where=EnrolmentRow.seq < insert.excluded.seq,
            ),
            [_enrolment_values(e) for e in enrolments],
        )

    @staticmethod
    async def _copy_statuses_to_applications(
        session: AsyncSession, enrolments: Sequence[Enrolment]
    ) -> None:
        # Copy what the enrolments table now holds (not the values written: a late, older write
        # was refused by the seq guard above), and only where the application still points at
        # the enrolment. An application moving to another enrolment at this very moment is the
        # catalog's to copy: it reads the enrolment under a share lock, so it waits for this
        # transaction and sees its result (see Catalog.record_application).
        stored_status = (
            select(EnrolmentRow.status)
            .where(EnrolmentRow.id == ApplicationRow.current_enrolment_id)
            .scalar_subquery()
        )
        await session.execute(
            update(ApplicationRow)
            .where(
                ApplicationRow.id.in_(sorted({e.application_id for e in enrolments})),
                ApplicationRow.current_enrolment_id.in_([e.id for e in enrolments]),
                ApplicationRow.status.is_distinct_from(stored_status),
            )
            .values(status=stored_status)
            .execution_options(synchronize_session=False)
        )

    @staticmethod
    async def _append_timeline(session: AsyncSession, enrolments: Sequence[Enrolment]) -> None:
        entries = [
            {
                "enrolment_id": enrolment.id,
                "seq": entry.seq,
                "at": entry.at,
                "status": entry.status.value,
                "detail": entry.detail,
            }
            for enrolment in enrolments
            for entry in enrolment.unprojected
        ]
        if not entries:
            return
        insert = dialect_insert(session, EnrolmentEventRow)
        await session.execute(
            insert.on_conflict_do_nothing(
                index_elements=[EnrolmentEventRow.enrolment_id, EnrolmentEventRow.seq]
            ),
            entries,
        )


def _enrolment_values(enrolment: Enrolment) -> dict[str, Any]:
    return {
        "id": enrolment.id,
        "ats_event_id": enrolment.ats_event_id,
        "application_id": enrolment.application_id,
        "candidate_id": enrolment.candidate_id,
        "job_id": enrolment.job_id,
        "stage_id": enrolment.stage_id,
        "campaign_id": enrolment.campaign_id,
        "campaign": enrolment.campaign.model_dump(mode="json"),
        "status": enrolment.status.value,
        "status_reason": enrolment.status_reason,
        "seq": enrolment.seq,
        "created_at": enrolment.created_at,
        "updated_at": enrolment.updated_at,
        "status_times": {
            status.value: at.astimezone(UTC).isoformat()
            for status, at in enrolment.status_times.items()
        },
        "delivered_at": enrolment.delivered_at,
        "expires_at": enrolment.expires_at,
    }
