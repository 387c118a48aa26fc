"""Recruiter views as JSON: a job's Table (paginated) and Kanban board, one enrolment."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel

from api.bodies import CheckedRoute
from api.cursors import InvalidCursor, decode_cursor, encode_cursor
from api.dependencies import ContextDep, SessionDep
from api.errors import ApiError, error_responses
from api.etag import conditional_json
from api.permissions import RECRUITERS, Recruiter
from domain.statuses import EnrolmentStatus
from services.errors import not_found
from store.access import record
from store.catalog import Catalog
from store.enrolment_view import EnrolmentDetail, EnrolmentViews
from store.views import (
    DEFAULT_CARDS_PER_COLUMN,
    DEFAULT_PAGE_SIZE,
    MAX_CARDS_PER_COLUMN,
    MAX_PAGE_SIZE,
    ApplicationItem,
    Board,
    RecruiterViews,
)


class ApplicationPage(BaseModel):
    """One page of the Table view; pass ``next_cursor`` as ``cursor`` for the next one."""

    items: list[ApplicationItem]
    next_cursor: str | None


router = APIRouter(tags=["recruiter views"], route_class=CheckedRoute, dependencies=[RECRUITERS])

JobId = Annotated[str, Path(min_length=1, max_length=200)]
Search = Annotated[
    str | None,
    Query(max_length=100, description="Only candidates whose name or phone number holds this."),
]
StatusFilter = Annotated[
    list[EnrolmentStatus] | None,
    Query(description="Only applications whose current enrolment has one of these statuses."),
]
StageFilter = Annotated[str | None, Query(max_length=200)]


@router.get(
    "/jobs/{job_id}/applications",
    response_model=ApplicationPage,
    responses=error_responses(400, 404, 422),
)
async def job_applications(
    request: Request,
    job_id: JobId,
    session: SessionDep,
    status: StatusFilter = None,
    stage_id: StageFilter = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    q: Search = None,
) -> Response:
    """The Table view: the job's applications with their current enrolment status.

    Ordered by application id; pass ``next_cursor`` as ``cursor`` for the next page. Answers
    304 to an ``If-None-Match`` naming the current ``ETag``.
    """
    if not await Catalog(session).job_exists(job_id):
        raise not_found("job", job_id)
    try:
        after = decode_cursor(cursor) if cursor is not None else None
    except InvalidCursor as err:
        raise ApiError(400, "invalid_cursor", str(err)) from err
    page = await RecruiterViews(session).applications(
        job_id, statuses=status or (), stage_id=stage_id, limit=limit, after=after, search=q
    )
    next_cursor = None if page.next_after is None else encode_cursor(page.next_after)
    return conditional_json(request, ApplicationPage(items=page.items, next_cursor=next_cursor))


#: The CSV export's columns, in order.
CSV_COLUMNS = (
    "application_id",
    "candidate_id",
    "candidate_name",
    "candidate_phone",
    "candidate_email",
    "stage_id",
    "campaign_id",
    "enrolment_id",
    "status",
    "status_reason",
    "status_since",
    "expires_at",
    "updated_at",
    "withdrawn",
    "answers",
)


@router.get(
    "/jobs/{job_id}/applications.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}, **error_responses(404, 422)},
)
async def export_applications(
    job_id: JobId,
    context: ContextDep,
    who: Recruiter,
    status: StatusFilter = None,
    stage_id: StageFilter = None,
    q: Search = None,
) -> StreamingResponse:
    """The Table's current filter as CSV, streamed a page at a time (each page its own short
    read, so a long export never holds the database). The export is in the audit log."""
    async with context.sessions.begin() as session:
        if not await Catalog(session).job_exists(job_id):
            raise not_found("job", job_id)
        said = {"status": [s.value for s in status or ()], "stage_id": stage_id, "q": q}
        record(session, who.actor, "applications.exported", job_id, said, datetime.now(UTC))

    async def lines() -> AsyncIterator[str]:
        yield _csv_line(CSV_COLUMNS)
        after = None
        while True:
            async with context.sessions() as session:
                page = await RecruiterViews(session).applications(
                    job_id,
                    statuses=status or (),
                    stage_id=stage_id,
                    limit=MAX_PAGE_SIZE,
                    after=after,
                    search=q,
                    contacts=True,
                )
            for item in page.items:
                row = item.model_dump(mode="json")
                yield _csv_line(row.get(column) for column in CSV_COLUMNS)
            if page.next_after is None:
                return
            after = page.next_after

    filename = f"applications-{re.sub(r'[^A-Za-z0-9._-]', '_', job_id)}.csv"
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


#: How a cell a spreadsheet would run as a formula begins (OWASP, "CSV Injection"):
#: https://owasp.org/www-community/attacks/CSV_Injection
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """``value`` as a cell no spreadsheet runs: text that could start a formula gets a ``'``."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_line(values: Iterable[object]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(spreadsheet_safe(v) for v in values)
    return out.getvalue()


@router.get("/jobs/{job_id}/board", response_model=Board, responses=error_responses(404, 422))
async def job_board(
    request: Request,
    job_id: JobId,
    session: SessionDep,
    status: StatusFilter = None,
    cards_per_column: Annotated[
        int, Query(ge=0, le=MAX_CARDS_PER_COLUMN)
    ] = DEFAULT_CARDS_PER_COLUMN,
) -> Response:
    """The Kanban view: a column per stage with its first cards and counts per status
    (304 to an ``If-None-Match`` naming the current ``ETag``)."""
    catalog = Catalog(session)
    if not await catalog.job_exists(job_id):
        raise not_found("job", job_id)
    stages = await catalog.stages(job_id)
    board = await RecruiterViews(session).board(
        job_id, stages, statuses=status or (), cards_per_column=cards_per_column
    )
    return conditional_json(request, board)


@router.get(
    "/enrolments/{enrolment_id}",
    response_model=EnrolmentDetail,
    responses=error_responses(404),
)
async def get_enrolment(
    request: Request,
    enrolment_id: Annotated[str, Path(min_length=1, max_length=200)],
    session: SessionDep,
) -> Response:
    """An enrolment with its timeline (ordered by sequence) and the messages it sent (304 to
    an ``If-None-Match`` naming the current ``ETag``)."""
    detail = await EnrolmentViews(session).enrolment(enrolment_id)
    if detail is None:
        raise not_found("enrolment", enrolment_id)
    return conditional_json(request, detail)
