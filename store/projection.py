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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Executable, Table, bindparam, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.candidates import CandidateContact
from domain.enrolments import Enrolment
from store.candidates import save_candidate
from store.database import dialect_insert, per_dialect
from store.schema import ApplicationRow, EnrolmentEventRow, EnrolmentRow

_ENROLMENTS = cast(Table, EnrolmentRow.__table__)
_EVENTS = cast(Table, EnrolmentEventRow.__table__)
_APPLICATIONS = cast(Table, ApplicationRow.__table__)


@dataclass(frozen=True)
class _Statements:
    """The projection's statements, built once per dialect and run with parameter lists.

    Building a statement and its cache key costs more than running it on SQLite; a
    projection runs on every status change of every candidate.
    """

    upsert_enrolments: Executable
    copy_statuses: Executable
    append_timeline: Executable

    @classmethod
    def for_dialect(cls, dialect: Dialect) -> _Statements:
        enrolment = dialect_insert(dialect, _ENROLMENTS)
        event = dialect_insert(dialect, _EVENTS)
        upsert_enrolments = enrolment.on_conflict_do_update(
            index_elements=[_ENROLMENTS.c.id],
            set_={c.name: enrolment.excluded[c.name] for c in _ENROLMENTS.c if c.name != "id"},
            where=_ENROLMENTS.c.seq < enrolment.excluded.seq,
        )
        # Copy what the enrolments table now holds (not the values written: a late, older
        # write was refused by the seq guard), and only where the application still points at
        # the enrolment. An application moving to another enrolment at this very moment is the
        # catalog's to copy: it reads the enrolment under a share lock, so it waits for this
        # transaction and sees its result (see Catalog.record_application).
        stored_status = (
            select(_ENROLMENTS.c.status)
            .where(_ENROLMENTS.c.id == _APPLICATIONS.c.current_enrolment_id)
            .scalar_subquery()
        )
        copy_statuses = (
            update(_APPLICATIONS)
            .where(
                _APPLICATIONS.c.id.in_(bindparam("application_ids", expanding=True)),
                _APPLICATIONS.c.current_enrolment_id.in_(
                    bindparam("enrolment_ids", expanding=True)
                ),
                _APPLICATIONS.c.status.is_distinct_from(stored_status),
            )
            .values(status=stored_status)
        )
        append_timeline = event.on_conflict_do_nothing(
            index_elements=[_EVENTS.c.enrolment_id, _EVENTS.c.seq]
        )
        return cls(upsert_enrolments, copy_statuses, append_timeline)


_statements = per_dialect(_Statements.for_dialect)


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
        # The time of the newest change they came with orders contact details.
        at = max((e.updated_at for e in enrolments), default=datetime.now(UTC))
        await save_candidate(session, candidate, at)

    @staticmethod
    async def _upsert_enrolments(session: AsyncSession, enrolments: Sequence[Enrolment]) -> None:
        connection = await session.connection()
        await connection.execute(
            _statements(session).upsert_enrolments, [_enrolment_values(e) for e in enrolments]
        )

    @staticmethod
    async def _copy_statuses_to_applications(
        session: AsyncSession, enrolments: Sequence[Enrolment]
    ) -> None:
        connection = await session.connection()
        await connection.execute(
            _statements(session).copy_statuses,
            {
                "application_ids": sorted({e.application_id for e in enrolments}),
                "enrolment_ids": [e.id for e in enrolments],
            },
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
        connection = await session.connection()
        await connection.execute(_statements(session).append_timeline, entries)


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
