"""Writing an interviewer workflow's calendar into the read model, and reading it back for
the slots a candidate is offered and the interviews recruiters see.

The interviewer's workflow is the only writer (DESIGN.md, decision 16: the slot is decided
there); a write may still come late or twice, so each row only moves forward by the calendar
``version`` it carries. Reads never decide a booking: a slot read here may be gone by the time
the workflow is asked, which then refuses it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.interviews import (
    HOLDING,
    UNPROJECTED,
    BusyTimes,
    FeedStatus,
    Interview,
    Waiting,
)
from domain.slots import Interval
from domain.statuses import EnrolmentStatus
from store.database import dialect_insert
from store.schema import (
    CandidateRow,
    EnrolmentRow,
    InterviewerCalendarRow,
    InterviewerRow,
    InterviewRow,
    StageRow,
)


class CalendarProjector:
    """Projects interviewers' calendars (one transaction per projection)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def project(
        self,
        interviewer_id: str,
        version: int,
        windows: Sequence[Interval],
        interviews: Sequence[Interview],
        feed: BusyTimes | None = None,
        asked_at: datetime | None = None,
    ) -> int:
        """Write the windows, the feed's busy times and the changed interviews; returns
        ``version``."""
        now = datetime.now(UTC)
        async with self._sessions.begin() as session:
            values = {
                "interviewer_id": interviewer_id,
                "version": version,
                "windows": [w.model_dump(mode="json") for w in windows],
                "busy": [] if feed is None else [b.model_dump(mode="json") for b in feed.busy],
                "feed_status": FeedStatus.NONE.value if feed is None else feed.status.value,
                "feed_error": None if feed is None else feed.error,
                "feed_checked_at": None if feed is None else feed.checked_at,
                "asked_at": asked_at,
                "updated_at": now,
            }
            insert = dialect_insert(session, InterviewerCalendarRow).values(values)
            await session.execute(
                insert.on_conflict_do_update(
                    index_elements=[InterviewerCalendarRow.interviewer_id],
                    set_={k: v for k, v in values.items() if k != "interviewer_id"},
                    where=InterviewerCalendarRow.version < version,
                )
            )
            for interview in interviews:
                row = interview.model_dump(mode="python", exclude=UNPROJECTED)
                row["status"] = interview.status.value
                upsert = dialect_insert(session, InterviewRow).values(row)
                await session.execute(
                    upsert.on_conflict_do_update(
                        index_elements=[InterviewRow.id],
                        set_={k: v for k, v in row.items() if k != "id"},
                        where=InterviewRow.version < interview.version,
                    )
                )
        return version


class Calendars:
    """Reads of interviewers' calendars within one session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def calendars(self, interviewer_ids: Iterable[str]) -> dict[str, ProjectedCalendar]:
        """Each interviewer's future windows and feed, as their workflow last projected them
        (an interviewer who never gave availability has none)."""
        wanted = set(interviewer_ids)
        if not wanted:
            return {}
        rows = await self._session.scalars(
            select(InterviewerCalendarRow).where(InterviewerCalendarRow.interviewer_id.in_(wanted))
        )
        return {row.interviewer_id: _calendar(row) for row in rows}

    async def held(
        self, interviewer_ids: Iterable[str], since: datetime
    ) -> dict[str, list[Interval]]:
        """The time each interviewer's interviews hold from ``since`` on."""
        wanted = set(interviewer_ids)
        held: dict[str, list[Interval]] = {i: [] for i in wanted}
        if not wanted:
            return held
        rows = await self._session.execute(
            select(InterviewRow.interviewer_id, InterviewRow.start, InterviewRow.end).where(
                InterviewRow.interviewer_id.in_(wanted),
                InterviewRow.end > since,
                InterviewRow.status.in_([s.value for s in HOLDING]),
            )
        )
        for interviewer_id, start, end in rows:
            held[interviewer_id].append(Interval(start=start, end=end))
        return held

    async def interview(self, interview_id: str) -> Interview | None:
        row = await self._session.get(InterviewRow, interview_id)
        return None if row is None else _interview(row)

    async def of_enrolment(self, enrolment_id: str) -> list[Interview]:
        """The enrolment's interviews, the newest booking first."""
        rows = await self._session.scalars(
            select(InterviewRow)
            .where(InterviewRow.enrolment_id == enrolment_id)
            .order_by(InterviewRow.booked_at.desc())
        )
        return [_interview(row) for row in rows]

    async def between(
        self,
        start: datetime,
        end: datetime,
        *,
        job_id: str | None = None,
        limit: int = 500,
    ) -> list[Interview]:
        """Interviews starting in ``[start, end)`` (of one job when given), earliest first."""
        query = select(InterviewRow).where(InterviewRow.start >= start, InterviewRow.start < end)
        if job_id is not None:
            query = query.where(InterviewRow.job_id == job_id)
        rows = await self._session.scalars(
            query.order_by(InterviewRow.start, InterviewRow.id).limit(limit)
        )
        return [_interview(row) for row in rows]


@dataclass(frozen=True)
class ProjectedCalendar:
    """An interviewer's windows, and their calendar feed's busy times and status."""

    windows: list[Interval]
    busy: list[Interval]
    feed_status: FeedStatus
    feed_error: str | None
    feed_checked_at: datetime | None
    asked_at: datetime | None = None

    @property
    def free_of_feed(self) -> bool:
        """Whether the feed lets any time be free (an unreachable one counts as all busy)."""
        return self.feed_status is not FeedStatus.UNREACHABLE


def _calendar(row: InterviewerCalendarRow) -> ProjectedCalendar:
    return ProjectedCalendar(
        windows=[Interval.model_validate(w) for w in row.windows],
        busy=[Interval.model_validate(b) for b in row.busy or []],
        feed_status=FeedStatus(row.feed_status or FeedStatus.NONE.value),
        feed_error=row.feed_error,
        feed_checked_at=row.feed_checked_at,
        asked_at=row.asked_at,
    )


@dataclass(frozen=True)
class AgendaItem:
    """An interview with the names a recruiter reads it by."""

    interview: Interview
    candidate_name: str | None
    interviewer_name: str | None


async def agenda(
    session: AsyncSession, start: datetime, end: datetime, job_id: str, limit: int = 1000
) -> list[AgendaItem]:
    """The job's interviews starting in ``[start, end)``, earliest first, with the candidate's
    and the interviewer's names (``None``: erased, or no longer configured)."""
    rows = await session.execute(
        select(InterviewRow, CandidateRow.name, CandidateRow.erased_at, InterviewerRow.name)
        .outerjoin(CandidateRow, CandidateRow.id == InterviewRow.candidate_id)
        .outerjoin(InterviewerRow, InterviewerRow.id == InterviewRow.interviewer_id)
        .where(
            InterviewRow.job_id == job_id,
            InterviewRow.start >= start,
            InterviewRow.start < end,
        )
        .order_by(InterviewRow.start, InterviewRow.id)
        .limit(limit)
    )
    return [
        AgendaItem(
            interview=_interview(row),
            candidate_name=None if erased_at is not None else candidate,
            interviewer_name=interviewer,
        )
        for row, candidate, erased_at, interviewer in rows
    ]


def _interview(row: InterviewRow) -> Interview:
    return Interview.model_validate(row, from_attributes=True)


class HasInterview(BaseModel):
    """A row or card of the recruiter's views, with its enrolment's interview."""

    enrolment_id: str | None
    #: When the enrolment's interview starts (the one holding time), if it has one.
    interview_at: datetime | None = None


async def interviews_into(session: AsyncSession, items: Sequence[HasInterview]) -> None:
    """Fill in each item's ``interview_at`` (one statement for them all)."""
    ids = {item.enrolment_id for item in items if item.enrolment_id}
    if not ids:
        return
    rows = await session.execute(
        select(InterviewRow.enrolment_id, func.min(InterviewRow.start))
        .where(
            InterviewRow.enrolment_id.in_(ids),
            InterviewRow.status.in_([s.value for s in HOLDING]),
        )
        .group_by(InterviewRow.enrolment_id)
    )
    starts: dict[str, datetime] = {enrolment: start for enrolment, start in rows}
    for item in items:
        item.interview_at = starts.get(item.enrolment_id or "")


async def waiting_on(session: AsyncSession, interviewer_id: str) -> list[Waiting]:
    """Who waits in ``auto_match`` in each stage that names ``interviewer_id``."""
    stages = (
        await session.execute(
            select(StageRow.job_id, StageRow.id, StageRow.interview_settings).where(
                StageRow.interview_settings.is_not(None)
            )
        )
    ).all()
    waiting: list[Waiting] = []
    for job_id, stage_id, settings in stages:
        if interviewer_id not in (settings or {}).get("interviewer_ids", []):
            continue
        candidates = await waiting_in(session, job_id, stage_id)
        waiting.append(Waiting(job_id=job_id, stage_id=stage_id, candidate_ids=candidates))
    return waiting


async def waiting_in(session: AsyncSession, job_id: str, stage_id: str) -> list[str]:
    """Candidates with an enrolment waiting in ``auto_match`` in this job stage."""
    result = await session.scalars(
        select(EnrolmentRow.candidate_id)
        .where(
            EnrolmentRow.job_id == job_id,
            EnrolmentRow.stage_id == stage_id,
            EnrolmentRow.status == EnrolmentStatus.AUTO_MATCH.value,
        )
        .distinct()
        .order_by(EnrolmentRow.candidate_id)
    )
    return list(result.all())
