"""Writing a candidate workflow's state into the read model: the candidate, their applications,
enrolments and timeline.

The workflow is the only writer of these rows, but a write can still arrive late (a local
activity retried after a timeout while the first attempt was still committing), twice, or
after the database comes back. So every write is an idempotent upsert that only moves a row
forward (by its ``seq``), and timeline entries are appended once each. An application and its
current enrolment come from the same workflow state in one transaction, so the status the
Table filters on (``applications.status``) always matches the enrolment's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Executable, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.applications import ApplicationState
from domain.candidates import CandidateContact
from domain.enrolments import Enrolment
from domain.events import ProgressEvent
from domain.statuses import EnrolmentStatus
from store.candidates import save_candidate
from store.database import dialect_insert, per_dialect
from store.erasure import erase_personal_data
from store.schema import (
    ApplicationRow,
    EnrolmentAnswerRow,
    EnrolmentEventRow,
    EnrolmentModuleRow,
    EnrolmentRow,
)

_ENROLMENTS = cast(Table, EnrolmentRow.__table__)
_EVENTS = cast(Table, EnrolmentEventRow.__table__)
_APPLICATIONS = cast(Table, ApplicationRow.__table__)
_MODULES = cast(Table, EnrolmentModuleRow.__table__)
_ANSWERS = cast(Table, EnrolmentAnswerRow.__table__)


@dataclass(frozen=True)
class _Statements:
    """The projection's statements, built once per dialect and run with parameter lists.

    Building a statement and its cache key costs more than running it on SQLite; a
    projection runs on every status change of every candidate.
    """

    upsert_enrolments: Executable
    upsert_applications: Executable
    append_timeline: Executable
    upsert_modules: Executable
    keep_answers: Executable

    @classmethod
    def for_dialect(cls, dialect: Dialect) -> _Statements:
        enrolment = dialect_insert(dialect, _ENROLMENTS)
        application = dialect_insert(dialect, _APPLICATIONS)
        event = dialect_insert(dialect, _EVENTS)
        upsert_enrolments = enrolment.on_conflict_do_update(
            index_elements=[_ENROLMENTS.c.id],
            set_={c.name: enrolment.excluded[c.name] for c in _ENROLMENTS.c if c.name != "id"},
            where=_ENROLMENTS.c.seq < enrolment.excluded.seq,
        )
        # An application belongs to the candidate whose workflow first wrote it: an ATS that
        # reuses its id for another candidate does not move it between workflows.
        upsert_applications = application.on_conflict_do_update(
            index_elements=[_APPLICATIONS.c.id],
            set_={
                c.name: application.excluded[c.name]
                for c in _APPLICATIONS.c
                if c.name not in ("id", "candidate_id")
            },
            where=(_APPLICATIONS.c.seq < application.excluded.seq)
            & (_APPLICATIONS.c.candidate_id == application.excluded.candidate_id),
        )
        append_timeline = event.on_conflict_do_nothing(
            index_elements=[_EVENTS.c.enrolment_id, _EVENTS.c.seq]
        )
        module = dialect_insert(dialect, _MODULES)
        # A module only moves forward (started, then completed): a late write never undoes it.
        upsert_modules = module.on_conflict_do_update(
            index_elements=[_MODULES.c.enrolment_id, _MODULES.c.module_id],
            set_={"completed": module.excluded.completed},
            where=_MODULES.c.completed.is_(False),
        )
        # An answer is given once (its module completes once): a repeat keeps the first.
        keep_answers = dialect_insert(dialect, _ANSWERS).on_conflict_do_nothing(
            index_elements=[_ANSWERS.c.enrolment_id, _ANSWERS.c.module_id, _ANSWERS.c.question_id]
        )
        return cls(
            upsert_enrolments, upsert_applications, append_timeline, upsert_modules, keep_answers
        )


_statements = per_dialect(_Statements.for_dialect)


class EnrolmentProjector:
    """Projects enrolments (and their candidate) into ``enrolments``/``enrolment_events``."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def project(
        self,
        candidate: CandidateContact,
        enrolments: Sequence[Enrolment],
        applications: Sequence[ApplicationState] = (),
        *,
        candidate_erased_at: datetime | None = None,
        erase: bool = False,
    ) -> tuple[dict[str, int], dict[str, int]]:
        """Write ``candidate`` (erased at ``candidate_erased_at``, if they are), ``enrolments``
        with their ``unprojected`` timeline entries, and ``applications``; with ``erase``, then
        erase the candidate's personal data from the whole read model (``store.erasure``).

        One transaction: all of it lands or none. A row is replaced only by a write with a
        higher ``seq``; a timeline entry already stored is left as it is. Safe to repeat.
        Returns ``({enrolment id: seq}, {application id: seq})``: what the read model now
        holds (the caller marks them projected).
        """
        async with self._sessions.begin() as session:
            connection = await session.connection()
            statements = _statements(session)
            at = max(
                [e.updated_at for e in enrolments] + [a.updated_at for a in applications],
                default=datetime.now(UTC),
            )
            if candidate_erased_at is not None:
                at = max(at, candidate_erased_at)
            if enrolments:
                await connection.execute(
                    statements.upsert_enrolments, [_enrolment_values(e) for e in enrolments]
                )
                modules = [row for e in enrolments for row in _module_values(e)]
                if modules:
                    await connection.execute(statements.upsert_modules, modules)
                answers = [row for e in enrolments for row in _answer_values(e)]
                if answers:
                    await connection.execute(statements.keep_answers, answers)
            if applications:
                await connection.execute(
                    statements.upsert_applications,
                    [_application_values(candidate.id, a) for a in applications],
                )
            await self._append_timeline(session, enrolments)
            if erase:
                await erase_personal_data(session, candidate.id)
            # The time of the newest change they came with orders contact details.
            await save_candidate(session, candidate, at, candidate_erased_at)
        return (
            {enrolment.id: enrolment.seq for enrolment in enrolments},
            {application.id: application.seq for application in applications},
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


def _application_values(candidate_id: str, application: ApplicationState) -> dict[str, Any]:
    return {
        "id": application.id,
        "job_id": application.job_id,
        "stage_id": application.stage_id,
        "candidate_id": candidate_id,
        "current_enrolment_id": application.current_enrolment_id,
        "status": None if application.status is None else application.status.value,
        "withdrawn": application.withdrawn,
        "event_at": application.event_at,
        "updated_at": application.updated_at,
        "seq": application.seq,
    }


def _enrolment_values(enrolment: Enrolment) -> dict[str, Any]:
    started = enrolment.status_times.get(EnrolmentStatus.IN_PROGRESS)
    completed = enrolment.status_times.get(EnrolmentStatus.COMPLETED)
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
        "next_send_at": enrolment.next_send_at,
        "next_send": enrolment.next_send,
        "reenrolment_of": enrolment.reenrolment_of,
        "started_at": started,
        "completed_at": completed,
        "seconds_to_deliver": _seconds(enrolment.created_at, enrolment.delivered_at),
        "seconds_to_complete": _seconds(enrolment.created_at, completed),
        "multi_module": not enrolment.campaign.is_blast,
        "link_hash": None if enrolment.link is None else enrolment.link.token_hash,
    }


def _seconds(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds()


def _answer_values(enrolment: Enrolment) -> list[dict[str, Any]]:
    """The answers the enrolment's unprojected timeline entries brought."""
    return [
        {
            "enrolment_id": enrolment.id,
            "module_id": answer.module_id,
            "question_id": answer.question_id,
            "candidate_id": enrolment.candidate_id,
            "campaign_id": enrolment.campaign_id,
            "job_id": enrolment.job_id,
            "prompt": answer.prompt,
            "value": answer.value,
            "answered_at": answer.answered_at,
            "created_at": enrolment.created_at,
        }
        for entry in enrolment.unprojected
        for answer in entry.answers
    ]


def _module_values(enrolment: Enrolment) -> list[dict[str, Any]]:
    return [
        {
            "enrolment_id": enrolment.id,
            "module_id": module_id,
            "campaign_id": enrolment.campaign_id,
            "job_id": enrolment.job_id,
            "created_at": enrolment.created_at,
            "completed": event is ProgressEvent.COMPLETED,
        }
        for module_id, event in enrolment.modules.items()
    ]
