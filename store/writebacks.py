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


async def writebacks_of(session: AsyncSession, enrolment_id: str) -> list[Writeback]:
    """Every write-back of the enrolment: its outcome's, then its interview's changes."""
    rows = await session.scalars(
        select(WritebackRow)
        .where(WritebackRow.enrolment_id == enrolment_id)
        .order_by(WritebackRow.created_at, WritebackRow.key)
    )
    found = [_writeback(row) for row in rows]
    return sorted(found, key=lambda w: w.key != enrolment_id)


def standing(writebacks: list[Writeback]) -> tuple[WritebackState | None, str | None]:
    """Where an enrolment's write-backs stand together, and the vendor's answer of the first
    that failed: failed if one did, pending while one is, done once all are."""
    failed = [w for w in writebacks if w.state is WritebackState.FAILED]
    if failed:
        return WritebackState.FAILED, failed[0].error
    if any(w.state is WritebackState.PENDING for w in writebacks):
        return WritebackState.PENDING, None
    return (WritebackState.DONE, None) if writebacks else (None, None)


class WritebackLedger:
    """Records write-backs, each change in a transaction of its own."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def open(self, key: str, system: str, enrolment_id: str) -> None:
        """Record the write-back ``key`` ``pending`` as it is started, unless it is known."""
        async with self._sessions.begin() as session:
            await session.execute(_insert(session, key, system, enrolment_id))

    async def begin(
        self, key: str, system: str, *, reject: bool, enrolment_id: str | None = None
    ) -> Writeback:
        """The write-back ``key`` (of ``enrolment_id``: by default the key itself), recorded
        ``pending`` if it is new or had ``failed`` (a retry), with a rejection to make when
        ``reject``; one ``done`` is returned as it is."""
        now = datetime.now(UTC)
        async with self._sessions.begin() as session:
            await session.execute(_insert(session, key, system, enrolment_id or key))
            await session.execute(
                update(WritebackRow)
                .where(WritebackRow.key == key, WritebackRow.state == WritebackState.FAILED.value)
                .values(state=WritebackState.PENDING.value, updated_at=now)
            )
            if reject:
                await session.execute(
                    update(WritebackRow)
                    .where(WritebackRow.key == key, WritebackRow.reject == NONE)
                    .values(reject=TODO, updated_at=now)
                )
            row = await session.get(WritebackRow, key)
            assert row is not None
            return _writeback(row)

    async def retrying(self, enrolment_id: str) -> list[Writeback]:
        """Record the enrolment's failed write-backs ``pending`` again; returns them."""
        async with self._sessions.begin() as session:
            failed = [
                w
                for w in await writebacks_of(session, enrolment_id)
                if w.state is WritebackState.FAILED
            ]
            await session.execute(
                update(WritebackRow)
                .where(WritebackRow.key.in_([w.key for w in failed]))
                .values(state=WritebackState.PENDING.value, updated_at=datetime.now(UTC))
            )
        return failed

    async def calling(self, key: str, step: str) -> None:
        """About to ask the vendor for ``step`` (``note`` or ``reject``)."""
        await self._set(key, **{step: CALLING}, calls=WritebackRow.calls + 1)

    async def step_done(self, key: str, step: str, **values: Any) -> None:
        await self._set(key, **{step: DONE}, **values)

    async def finish(self, key: str, *, superseding: str | None = None) -> None:
        """``key`` is done; with ``superseding`` (a key prefix), so are the earlier ones that
        prefix names (an interview's older changes: its newest note tells where it stands)."""
        await self._set(key, state=WritebackState.DONE.value, error=None)
        if superseding is not None:
            async with self._sessions.begin() as session:
                await session.execute(
                    update(WritebackRow)
                    .where(
                        WritebackRow.key.startswith(superseding, autoescape=True),
                        WritebackRow.state != WritebackState.DONE.value,
                    )
                    .values(state=WritebackState.DONE.value, updated_at=datetime.now(UTC))
                )

    async def fail(self, key: str, error: str) -> None:
        """The vendor refused in a way retrying will not heal; ``error`` is what it said (a
        write-back done stays done)."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(WritebackRow)
                .where(WritebackRow.key == key, WritebackRow.state != WritebackState.DONE.value)
                .values(
                    state=WritebackState.FAILED.value,
                    error=error[:1000],
                    updated_at=datetime.now(UTC),
                )
            )

    async def _set(self, key: str, **values: Any) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(WritebackRow)
                .where(WritebackRow.key == key)
                .values(**values, updated_at=datetime.now(UTC))
            )


def _insert(session: AsyncSession, key: str, system: str, enrolment_id: str) -> Any:
    now = datetime.now(UTC)
    insert = dialect_insert(session, WritebackRow).values(
        key=key,
        enrolment_id=enrolment_id,
        system=system,
        state=WritebackState.PENDING.value,
        note=TODO,
        reject=NONE,
        calls=0,
        created_at=now,
        updated_at=now,
    )
    return insert.on_conflict_do_nothing(index_elements=["key"])


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
    booked_at: datetime
    interview: NoteInterview
    #: The enrolment's outcome's write-back, if it started.
    outcome: Writeback | None


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
        booked_at=interview.booked_at,
        interview=_note_interview(interview, names),
        outcome=await writeback_of(session, row.id),
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
