"""Interviewers and their availability: an admin configures interviewers; their windows come
through the API, the availability webhook (or, later, their own page) and go to their
workflow, which holds their time; availability releases the Auto-Match enrolments waiting in
the stages they interview for."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from config.interviewer_links import interviewer_link_hash
from domain.access import Principal
from domain.candidates import Identifier
from domain.events import (
    InterviewerAvailability,
    Slot,
)
from domain.interviewers import InterviewerProfile
from domain.interviews import (
    MAX_WINDOWS,
    Availability,
    FeedStatus,
)
from domain.links import token_hash
from domain.slots import Interval, merged
from services.candidate_workflows import confirmed
from services.context import Context
from services.errors import Refused, not_found
from services.inbound import accept_event
from services.interviewer_workflows import interviewer_workflows
from store.access import record
from store.calendars import Calendars, waiting_in, waiting_on
from store.catalog import Catalog
from store.interviewers import Interviewer, Interviewers

#: The ledger's name for the availability webhook's ids.
AVAILABILITY_SOURCE = "interviewer-availability"
#: How many candidates' workflows one availability report tells at once.
FAN_OUT_CONCURRENCY = 20


class AvailabilitySet(BaseModel):
    """``PUT /interviewers/{id}/availability``: the windows kept, and how many candidates had
    Auto-Match enrolments waiting on this interviewer (each released once)."""

    windows: int
    released_candidates: int


class AvailabilityReport(BaseModel):
    """An interviewer shared availability for a job stage."""

    model_config = ConfigDict(extra="ignore")

    id: Identifier
    job_id: Identifier
    stage_id: Identifier
    interviewer_id: Identifier
    #: Windows the interviewer is free in: added to their calendar when they are one of ours.
    slots: Annotated[list[Interval], Field(max_length=MAX_WINDOWS)] = []


# -- interviewers ----------------------------------------------------------------------------


async def save_interviewer(
    context: Context, interviewer_id: str, profile: InterviewerProfile, who: Principal
) -> Interviewer:
    """Create or replace an interviewer (audited: who and when, not the feed's secret URL)."""
    now = datetime.now(UTC)
    async with context.sessions.begin() as session:
        interviewers = Interviewers(session)
        link = interviewer_link_hash(context.settings, interviewer_id)
        await interviewers.save(interviewer_id, profile, link, now)
        said = {"calendar_feed": profile.calendar_ics_url is not None}
        record(session, who.actor, "interviewer.saved", interviewer_id, said, now)
        await session.flush()
        stored = await interviewers.get(interviewer_id)
    if stored is None:  # pragma: no cover - just written in this transaction
        raise Refused(409, "interviewer_not_stored", f"interviewer {interviewer_id!r} not stored")
    return stored


class CalendarState(BaseModel):
    """What a recruiter sees of an interviewer's calendar: their windows to come, and whether
    their calendar feed can be read (``unreachable``: they count as busy until it can)."""

    windows: int = 0
    feed: FeedStatus = FeedStatus.NONE
    feed_checked_at: datetime | None = None
    feed_error: str | None = None
    #: When they were asked for availability, while candidates wait on them (``None``: no
    #: one waits on them).
    availability_requested_at: datetime | None = None


class InterviewerView(Interviewer):
    """``GET /interviewers/{id}``: the interviewer, and the state of their calendar."""

    calendar: CalendarState


async def interviewer_view(context: Context, interviewer_id: str) -> InterviewerView:
    """The interviewer with their calendar's state; raises ``Refused`` 404."""
    found = await existing_interviewer(context, interviewer_id)
    async with context.reads() as session:
        calendar = (await Calendars(session).calendars([interviewer_id])).get(interviewer_id)
    state = CalendarState()
    if calendar is not None:
        state = CalendarState(
            windows=len(calendar.windows),
            feed=calendar.feed_status,
            feed_checked_at=calendar.feed_checked_at,
            feed_error=calendar.feed_error,
            availability_requested_at=calendar.asked_at,
        )
    return InterviewerView(**found.model_dump(), calendar=state)


async def existing_interviewer(context: Context, interviewer_id: str) -> Interviewer:
    """The interviewer; raises ``Refused`` 404 when there is none."""
    async with context.reads() as session:
        found = await Interviewers(session).get(interviewer_id)
    if found is None:
        raise not_found("interviewer", interviewer_id)
    return found


async def set_availability(
    context: Context, interviewer_id: str, availability: Availability
) -> AvailabilitySet:
    """Give the interviewer's workflow their windows; their workflow then releases every
    Auto-Match enrolment waiting in a stage they interview for (durably, a batch at a time:
    this answers before it is done). Raises ``Refused`` 404 for an unknown interviewer, 503
    (retry) when their workflow did not answer in time."""
    await existing_interviewer(context, interviewer_id)
    async with context.reads() as session:
        waiting = await waiting_on(session, interviewer_id)
    calendars = interviewer_workflows(context)
    kept = await confirmed(calendars.set_availability(interviewer_id, availability))
    released = len({c for w in waiting for c in w.candidate_ids}) if kept else 0
    return AvailabilitySet(windows=kept, released_candidates=released)


async def report_availability(context: Context, report: AvailabilityReport) -> int:
    """Release every ``auto_match`` enrolment waiting in the job stage; returns how many
    candidates had one (each told once: their workflow sends the schedule request). The
    windows are added to the interviewer's calendar when they are one of ours.

    A repeat of the report's id releases only what was waiting when it first arrived, so a
    candidate who entered the stage since is not released by it. Raises ``Refused``: 422 for
    an unknown stage, 409 for an id reused with another payload, 503 (retry) when some
    candidate's workflow did not answer.
    """
    async with context.sessions() as session:
        if await Catalog(session).stage(report.job_id, report.stage_id) is None:
            raise Refused(
                422,
                "unknown_stage",
                f"job {report.job_id!r} has no stage {report.stage_id!r}",
                {"job_id": report.job_id, "stage_id": report.stage_id},
            )
        candidates = await waiting_in(session, report.job_id, report.stage_id)
        known = await Interviewers(session).get(report.interviewer_id) is not None
    accepted = await accept_event(context, AVAILABILITY_SOURCE, report.id, report)
    if known and report.slots:
        # Adding windows again is harmless: a repeat of the report changes nothing.
        added = Availability(windows=report.slots, replace=False)
        await confirmed(
            interviewer_workflows(context).set_availability(report.interviewer_id, added)
        )
    event = InterviewerAvailability(
        event_id=report.id,
        job_id=report.job_id,
        stage_id=report.stage_id,
        interviewer_id=report.interviewer_id,
        slots=[Slot(start=s.start, end=s.end) for s in report.slots],
        received_at=accepted.received_at,
    )
    await release_waiting(context, candidates, event)
    return len(candidates)


async def release_waiting(
    context: Context, candidates: Iterable[str], event: InterviewerAvailability
) -> None:
    """Tell each candidate's workflow of ``event`` (at most ``FAN_OUT_CONCURRENCY`` at a time):
    their ``auto_match`` enrolments in its job stage go out. Raises the first failure once
    every candidate was tried (the caller retries; the told ones ignore the repeat)."""
    limit = asyncio.Semaphore(FAN_OUT_CONCURRENCY)

    async def tell(candidate_id: str) -> None:
        async with limit:
            await confirmed(context.workflows.availability(candidate_id, event))

    outcomes = await asyncio.gather(*(tell(c) for c in candidates), return_exceptions=True)
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    if failures:
        raise failures[0]


async def interviewer_by_link(context: Context, token: str) -> Interviewer:
    """The interviewer ``token`` opens; raises ``Refused`` 404 (``link_not_found``)."""
    if not 16 <= len(token) <= 64:
        raise Refused(404, "link_not_found", "no such link")
    async with context.reads() as session:
        found = await Interviewers(session).by_link(token_hash(token))
    if found is None:
        raise Refused(404, "link_not_found", "no such link")
    return found


async def current_windows(context: Context, interviewer_id: str) -> list[Interval]:
    """The interviewer's windows as their workflow last projected them."""
    async with context.reads() as session:
        calendar = (await Calendars(session).calendars([interviewer_id])).get(interviewer_id)
    return [] if calendar is None else calendar.windows


async def set_within(
    context: Context, interviewer_id: str, start: datetime, end: datetime, chosen: list[Interval]
) -> AvailabilitySet:
    """Make ``chosen`` the interviewer's windows between ``start`` and ``end`` (what their page
    shows), keeping those outside it; released like any availability."""
    kept = outside(await current_windows(context, interviewer_id), start, end)
    windows = merged([*kept, *chosen])[:MAX_WINDOWS]
    return await set_availability(
        context, interviewer_id, Availability(windows=windows, replace=True)
    )


def outside(windows: list[Interval], start: datetime, end: datetime) -> list[Interval]:
    """The parts of ``windows`` before ``start`` or after ``end``."""
    parts: list[Interval] = []
    for w in windows:
        if w.start < start:
            parts.append(Interval(start=w.start, end=min(w.end, start)))
        if w.end > end:
            parts.append(Interval(start=max(w.start, end), end=w.end))
    return parts
