"""Recruiter views as JSON: a job's Table (paginated) and Kanban board, one enrolment."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.dependencies import SessionDep
from api.errors import ApiError, CheckedRoute, error_responses
from domain.statuses import EnrolmentStatus
from store.catalog import Catalog
from store.views import (
    DEFAULT_CARDS_PER_COLUMN,
    DEFAULT_PAGE_SIZE,
    MAX_CARDS_PER_COLUMN,
    MAX_PAGE_SIZE,
    ApplicationPage,
    Board,
    EnrolmentDetail,
    InvalidCursor,
    RecruiterViews,
)

router = APIRouter(tags=["recruiter views"], route_class=CheckedRoute)

JobId = Annotated[str, Path(min_length=1, max_length=200)]
StatusFilter = Annotated[
    list[EnrolmentStatus] | None,
    Query(description="Only applications whose current enrolment has one of these statuses."),
]


@router.get(
    "/jobs/{job_id}/applications",
    response_model=ApplicationPage,
    responses=error_responses(400, 404, 422),
)
async def job_applications(
    job_id: JobId,
    session: SessionDep,
    status: StatusFilter = None,
    stage_id: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> ApplicationPage:
    """The Table view: the job's applications with their current enrolment status.

    Ordered by application id; pass ``next_cursor`` as ``cursor`` for the next page.
    """
    if not await Catalog(session).job_exists(job_id):
        raise ApiError(404, "job_not_found", f"no job {job_id!r}")
    try:
        return await RecruiterViews(session).applications(
            job_id, statuses=status or (), stage_id=stage_id, limit=limit, cursor=cursor
        )
    except InvalidCursor as err:
        raise ApiError(400, "invalid_cursor", str(err)) from err


@router.get("/jobs/{job_id}/board", response_model=Board, responses=error_responses(404, 422))
async def job_board(
    job_id: JobId,
    session: SessionDep,
    status: StatusFilter = None,
    cards_per_column: Annotated[
        int, Query(ge=0, le=MAX_CARDS_PER_COLUMN)
    ] = DEFAULT_CARDS_PER_COLUMN,
) -> Board:
    """The Kanban view: a column per stage with its first cards and counts per status."""
    catalog = Catalog(session)
    if not await catalog.job_exists(job_id):
        raise ApiError(404, "job_not_found", f"no job {job_id!r}")
    stages = await catalog.stages(job_id)
    return await RecruiterViews(session).board(
        job_id, stages, statuses=status or (), cards_per_column=cards_per_column
    )


@router.get(
    "/enrolments/{enrolment_id}",
    response_model=EnrolmentDetail,
    responses=error_responses(404),
)
async def get_enrolment(
    enrolment_id: Annotated[str, Path(min_length=1, max_length=200)], session: SessionDep
) -> EnrolmentDetail:
    """An enrolment with its timeline (ordered by sequence) and the messages it sent."""
    detail = await RecruiterViews(session).enrolment(enrolment_id)
    if detail is None:
        raise ApiError(404, "enrolment_not_found", f"no enrolment {enrolment_id!r}")
    return detail
