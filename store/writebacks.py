"""The write-back ledger (``writebacks``; the write-back activity is its one writer), and what
a write-back reads: the ended enrolment's outcome as the read model holds it (campaign,
status, answers, interviews) and its stage's ``on_knockout``.

Each step at the vendor (the note, the rejection) is marked ``calling`` in a transaction of its
own before the vendor is asked and ``done`` after: a step found ``calling`` had an answer that
was lost, so the activity looks at the vendor before asking again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.interviews import Interview
from domain.statuses import EnrolmentStatus
from domain.writeback import NoteAnswer, NoteInterview, OnKnockout, WritebackState
from store.calendars import Calendars
from store.database import dialect_insert
from store.interviewers import Interviewer, Interviewers
from store.schema import EnrolmentAnswerRow, EnrolmentRow, JobRow, StageRow, WritebackRow

#: A step's progress: not yet asked, asked with the answer unknown, done; ``none``: not wanted.
TODO, CALLING, DONE, NONE = "todo", "calling", "done", "none"


@dataclass(frozen=True)
class Writeback:
    """A write-back as the ledger holds it."""

    key: str
    enrolment_id: str
    system: str
    state: WritebackState
    note: str
    note_id: str | None
    reject: str
    calls: int
    error: str | None
    updated_at: datetime


def _writeback(row: WritebackRow) -> Writeback:
    return Writeback(
        key=row.key,
        enrolment_id=row.enrolment_id,
        system=row.system,
        state=WritebackState(row.state),
        note=row.note,
        note_id=row.note_id,
        reject=row.reject,
        calls=row.calls,
        error=row.error,
        updated_at=row.updated_at,
    )


async def writeback_of(session: AsyncSession, enrolment_id: str) -> Writeback | None:
    """The write-back of the enrolment's outcome."""
    row = await session.get(WritebackRow, enrolment_id)
    return None if row is None else _writeback(row)


class WritebackLedger:
    """Records write-backs, each change in a transaction of its own."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def begin(
        self, key: str, system: str, *, reject: bool, enrolment_id: str | None = None
    ) -> Writeback:
        """The write-back ``key`` (of ``enrolment_id``: by default the key itself), recorded
        ``pending`` if it is new or had ``failed`` (a retry); one ``done`` is returned as it
        is."""
        now = datetime.now(UTC)
        async with self._sessions.begin() as session:
            insert = dialect_insert(session, WritebackRow).values(
                key=key,
                enrolment_id=enrolment_id or key,
                system=system,
                state=WritebackState.PENDING.value,
                note=TODO,
                reject=TODO if reject else NONE,
                calls=0,
                created_at=now,
                updated_at=now,
            )
            await session.execute(insert.on_conflict_do_nothing(index_elements=["key"]))
            await session.execute(
                update(WritebackRow)
                .where(
                    WritebackRow.key == key,
                    WritebackRow.state == WritebackState.FAILED.value,
                )
                .values(state=WritebackState.PENDING.value, updated_at=now)
            )
            row = await session.get(WritebackRow, key)
            assert row is not None
            return _writeback(row)

    async def calling(self, key: str, step: str) -> None:
        """About to ask the vendor for ``step`` (``note`` or ``reject``)."""
        await self._set(key, **{step: CALLING}, calls=WritebackRow.calls + 1)

    async def step_done(self, key: str, step: str, **values: Any) -> None:
        await self._set(key, **{step: DONE}, **values)

    async def finish(self, key: str) -> None:
        await self._set(key, state=WritebackState.DONE.value, error=None)

    async def fail(self, key: str, error: str) -> None:
        """The vendor refused in a way retrying will not heal; ``error`` is what it said."""
        await self._set(key, state=WritebackState.FAILED.value, error=error[:1000])

    async def _set(self, key: str, **values: Any) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(WritebackRow)
                .where(WritebackRow.key == key)
                .values(**values, updated_at=datetime.now(UTC))
            )


@dataclass(frozen=True)
class EndedEnrolment:
    """What a write-back reads of an ended enrolment."""

    id: str
    application_id: str
    candidate_id: str
    campaign: str
    job: str
    status: EnrolmentStatus
    reason: str | None
    answers: list[NoteAnswer]
    interviews: list[NoteInterview]
    on_knockout: OnKnockout | None


async def ended_enrolment(session: AsyncSession, enrolment_id: str) -> EndedEnrolment | None:
    """The enrolment with its answers, interviews and stage's ``on_knockout`` (``None``: no
    such enrolment)."""
    row = await session.get(EnrolmentRow, enrolment_id)
    if row is None:
        return None
    job = await session.get(JobRow, row.job_id)
    stage = await session.get(StageRow, (row.job_id, row.stage_id))
    answers = await session.scalars(
        select(EnrolmentAnswerRow)
        .where(EnrolmentAnswerRow.enrolment_id == enrolment_id)
        .order_by(EnrolmentAnswerRow.answered_at)
    )
    interviews = await Calendars(session).of_enrolment(enrolment_id)
    names = await Interviewers(session).some({i.interviewer_id for i in interviews})
    return EndedEnrolment(
        id=row.id,
        application_id=row.application_id,
        candidate_id=row.candidate_id,
        campaign=str(row.campaign.get("name", row.campaign_id)),
        job=job.name if job is not None else row.job_id,
        status=EnrolmentStatus(row.status),
        reason=row.status_reason,
        answers=[NoteAnswer(prompt=a.prompt, value=_answer_text(a.value)) for a in answers],
        interviews=[_note_interview(i, names) for i in interviews],
        on_knockout=None
        if stage is None or stage.on_knockout is None
        else OnKnockout.model_validate(stage.on_knockout),
    )


@dataclass(frozen=True)
class ChangedInterview:
    """What the note of an interview's change reads: the interview as it is now, and where it
    came from."""

    enrolment_id: str
    application_id: str
    candidate_id: str
    job: str
    sequence: int
    interview: NoteInterview


async def changed_interview(session: AsyncSession, interview_id: str) -> ChangedInterview | None:
    interview = await Calendars(session).interview(interview_id)
    if interview is None:
        return None
    row = await session.get(EnrolmentRow, interview.enrolment_id)
    if row is None:
        return None
    job = await session.get(JobRow, row.job_id)
    names = await Interviewers(session).some({interview.interviewer_id})
    return ChangedInterview(
        enrolment_id=row.id,
        application_id=row.application_id,
        candidate_id=row.candidate_id,
        job=job.name if job is not None else row.job_id,
        sequence=interview.sequence,
        interview=_note_interview(interview, names),
    )


def _note_interview(interview: Interview, names: Mapping[str, Interviewer]) -> NoteInterview:
    person = names.get(interview.interviewer_id)
    return NoteInterview(
        start=interview.start,
        end=interview.end,
        interviewer=person.name if person else interview.interviewer_id,
        status=interview.status.value,
        location=interview.location,
    )


def _answer_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
