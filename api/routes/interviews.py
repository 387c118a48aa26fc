"""``/interviews``: the interviews booked, for recruiters (API.md, "Interviews")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime, BaseModel

from api.bodies import CheckedRoute
from api.dependencies import ContextDep
from api.errors import error_responses
from api.permissions import RECRUITERS, Recruiter
from domain.interviews import Interview, InterviewStatus
from services.interviews import change_interview, interview, interviews_between

router = APIRouter(prefix="/interviews", tags=["interviews"], route_class=CheckedRoute)

InterviewId = Annotated[str, Path(min_length=1, max_length=40)]


class InterviewList(BaseModel):
    interviews: list[Interview]


@router.get(
    "", response_model=InterviewList, responses=error_responses(422), dependencies=[RECRUITERS]
)
async def list_interviews(
    context: ContextDep,
    start: Annotated[AwareDatetime, Query(alias="from")],
    end: Annotated[AwareDatetime, Query(alias="to")],
    job_id: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> InterviewList:
    """Interviews starting from ``from`` until ``to`` (at most 92 days), of one job when
    ``job_id`` is given, earliest first."""
    return InterviewList(interviews=await interviews_between(context, start, end, job_id))


@router.get(
    "/{interview_id}",
    response_model=Interview,
    responses=error_responses(404),
    dependencies=[RECRUITERS],
)
async def get_interview(interview_id: InterviewId, context: ContextDep) -> Interview:
    return await interview(context, interview_id)


@router.post(
    "/{interview_id}/cancel", response_model=Interview, responses=error_responses(404, 409)
)
async def cancel_interview(
    interview_id: InterviewId, context: ContextDep, who: Recruiter
) -> Interview:
    """Cancel the interview: its slot is free again."""
    return await change_interview(context, interview_id, InterviewStatus.CANCELLED, who)


@router.post(
    "/{interview_id}/no_show", response_model=Interview, responses=error_responses(404, 409)
)
async def mark_no_show(interview_id: InterviewId, context: ContextDep, who: Recruiter) -> Interview:
    """The candidate did not come (once the interview began)."""
    return await change_interview(context, interview_id, InterviewStatus.NO_SHOW, who)
