"""``/interviewers``: who interviews, and when they are free (API.md, "Interviews")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from api.bodies import CheckedRoute
from api.dependencies import ContextDep, SessionDep
from api.errors import error_responses
from api.permissions import RECRUITERS, Admin
from domain.interviewers import InterviewerProfile
from domain.interviews import MAX_WINDOWS, Availability
from domain.slots import Interval
from services.availability import (
    AvailabilitySet,
    InterviewerView,
    interviewer_view,
    save_interviewer,
    set_availability,
)
from store.interviewers import Interviewer, Interviewers

router = APIRouter(prefix="/interviewers", tags=["interviews"], route_class=CheckedRoute)

InterviewerId = Annotated[str, Path(min_length=1, max_length=200)]


class InterviewerList(BaseModel):
    interviewers: list[Interviewer]


class Windows(BaseModel):
    """The interviewer's future availability, replacing what they gave before."""

    windows: Annotated[list[Interval], Field(max_length=MAX_WINDOWS)]


@router.put(
    "/{interviewer_id}",
    response_model=Interviewer,
    responses=error_responses(400, 413, 415, 422),
)
async def put_interviewer(
    interviewer_id: InterviewerId, profile: InterviewerProfile, context: ContextDep, who: Admin
) -> Interviewer:
    """Create or replace an interviewer: name, e-mail, IANA time zone and, optionally, the
    secret address of their calendar's ``.ics`` feed (read for busy times)."""
    return await save_interviewer(context, interviewer_id, profile, who)


@router.get("", response_model=InterviewerList, dependencies=[RECRUITERS])
async def list_interviewers(session: SessionDep) -> InterviewerList:
    """Every interviewer, by name."""
    return InterviewerList(interviewers=await Interviewers(session).all())


@router.get(
    "/{interviewer_id}",
    response_model=InterviewerView,
    responses=error_responses(404),
    dependencies=[RECRUITERS],
)
async def get_interviewer(interviewer_id: InterviewerId, context: ContextDep) -> InterviewerView:
    """The interviewer, with their calendar: windows to come and whether their feed can be
    read (``unreachable``: they count as busy, and are offered no slot, until it can)."""
    return await interviewer_view(context, interviewer_id)


@router.put(
    "/{interviewer_id}/availability",
    response_model=AvailabilitySet,
    responses=error_responses(400, 404, 413, 415, 422),
    dependencies=[RECRUITERS],
)
async def put_availability(
    interviewer_id: InterviewerId, body: Windows, context: ContextDep
) -> AvailabilitySet:
    """Replace the interviewer's future availability windows. Every Auto-Match enrolment
    waiting in a stage they interview for is released (its schedule request goes out)."""
    return await set_availability(
        context, interviewer_id, Availability(windows=body.windows, replace=True)
    )
