"""A job's interview agenda, by day or by week, in the recruiter's time zone (the browser's,
which the page's script passes as ``?tz=``; the deployment's ``ENROLMENTS_DEFAULT_TIMEZONE``
until it does). Server-rendered: each interview with its time, candidate (a link to their
enrolment), interviewer, status and place; above them the job's interviewers, each with whether
their calendar feed can be read and who waits on them in Auto-Match."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from api.bodies import CheckedRoute
from api.dependencies import ContextDep, SessionDep
from api.permissions import PAGES
from api.templating import not_found_page, page_context, templates
from domain.candidates import is_time_zone
from domain.interviews import FeedStatus
from store.calendars import AgendaItem, Calendars, agenda, waiting_on
from store.catalog import Catalog
from store.interviewers import Interviewers

router = APIRouter(
    tags=["recruiter UI"], include_in_schema=False, route_class=CheckedRoute, dependencies=[PAGES]
)

Span = Literal["day", "week"]


class AgendaEntry(BaseModel):
    start: datetime
    end: datetime
    time: str
    candidate: str
    enrolment_id: str
    interviewer: str
    status: str
    location: str | None


class InterviewerLine(BaseModel):
    """One interviewer of this job: whether their calendar can be read, and how many of the
    job's Auto-Match candidates wait on them."""

    interviewer: str
    feed: FeedStatus
    feed_error: str | None
    waiting: int
    asked_at: datetime | None


class AgendaDay(BaseModel):
    day: date
    label: str
    entries: list[AgendaEntry]


def _first_day(span: Span, day: date) -> date:
    return day - timedelta(days=day.weekday()) if span == "week" else day


def _entry(item: AgendaItem, zone: ZoneInfo) -> AgendaEntry:
    interview = item.interview
    start, end = interview.start.astimezone(zone), interview.end.astimezone(zone)
    return AgendaEntry(
        start=start,
        end=end,
        time=f"{start:%H:%M}\u2013{end:%H:%M}",
        candidate=item.candidate_name or "Erased candidate",
        enrolment_id=interview.enrolment_id,
        interviewer=item.interviewer_name or interview.interviewer_id,
        status=interview.status.value,
        location=interview.location,
    )


async def _interviewers(
    session: SessionDep, job_id: str, interviewer_ids: set[str]
) -> list[InterviewerLine]:
    """The job's interviewers: their calendar feed's state, and who of this job's Auto-Match
    candidates wait on them (since when each was asked)."""
    calendars = await Calendars(session).calendars(interviewer_ids)
    names = await Interviewers(session).some(interviewer_ids)
    lines: list[InterviewerLine] = []
    for interviewer_id in sorted(interviewer_ids):
        waiting = [w for w in await waiting_on(session, interviewer_id) if w.job_id == job_id]
        calendar = calendars.get(interviewer_id)
        person = names.get(interviewer_id)
        lines.append(
            InterviewerLine(
                interviewer=person.name if person else interviewer_id,
                feed=calendar.feed_status if calendar else FeedStatus.NONE,
                feed_error=calendar.feed_error if calendar else None,
                waiting=len({c for w in waiting for c in w.candidate_ids}),
                asked_at=calendar.asked_at if calendar else None,
            )
        )
    return lines


@router.get("/ui/jobs/{job_id}/interviews", response_class=HTMLResponse)
async def agenda_page(
    request: Request,
    job_id: str,
    session: SessionDep,
    context: ContextDep,
    view: Span = "week",
    day: Annotated[date | None, Query(alias="date")] = None,
    tz: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    """The job's interviews of one day or one week (Monday first)."""
    job = await Catalog(session).job(job_id)
    if job is None:
        return not_found_page(request, context, "job", job_id)
    zone_name = tz if tz is not None and is_time_zone(tz) else context.settings.default_timezone
    zone = ZoneInfo(zone_name)
    first = _first_day(view, day or datetime.now(zone).date())
    length = 7 if view == "week" else 1
    start = datetime.combine(first, time.min, zone)
    end = datetime.combine(first + timedelta(days=length), time.min, zone)
    entries = [_entry(item, zone) for item in await agenda(session, start, end, job_id)]
    days = [
        AgendaDay(
            day=first + timedelta(days=n),
            label=f"{first + timedelta(days=n):%A %d %B}",
            entries=[e for e in entries if e.start.date() == first + timedelta(days=n)],
        )
        for n in range(length)
    ]
    step = timedelta(days=length)
    interviewers = await _interviewers(
        session,
        job_id,
        {
            i
            for s in job.stages
            if s.interview_settings
            for i in s.interview_settings.interviewer_ids
        },
    )
    values = {
        **page_context(request, context),
        "job": job,
        "view": view,
        "days": days,
        "zone": zone_name,
        "tz_given": zone_name == tz,
        "first": first,
        "previous": first - step,
        "next": first + step,
        "count": len(entries),
        "interviewers": interviewers,
    }
    return templates.TemplateResponse(request, "agenda.html", values)
