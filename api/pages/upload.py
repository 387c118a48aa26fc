"""``/ui/jobs/{id}/upload``: a CSV of candidates into one stage of the job, from the browser.

The page reads the file, sends it in chunks of rows (each with the header) and shows the
progress and each refused row with its line. Each chunk becomes ATS events exactly as
``enrolments import`` makes them (``services.candidate_imports``) and goes through the one use
case every ATS event takes (``services.ats_events``); uploading the same file again creates nothing
twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.access import CSRF_HEADER, SESSION_COOKIE, Access, Caller, csrf_ok
from api.bodies import CheckedRoute
from api.dependencies import ContextDep
from api.permissions import PAGES
from api.templating import not_found_page, page_context, templates
from services.candidate_imports import ImportOutcome, UnreadableCsv, import_rows
from store.catalog import Catalog

router = APIRouter(
    tags=["recruiter UI"], include_in_schema=False, route_class=CheckedRoute, dependencies=[PAGES]
)

#: Rows per request the page sends (the API's batch takes up to 1,000 events).
CHUNK_ROWS = 50


@router.get("/ui/jobs/{job_id}/upload", response_class=HTMLResponse)
async def upload_page(request: Request, job_id: str, context: ContextDep) -> HTMLResponse:
    page = page_context(request, context)
    async with context.sessions() as session:
        catalog = Catalog(session)
        job = await catalog.job(job_id)
        stages = await catalog.stages(job_id) if job is not None else []
    if job is None:
        return not_found_page(request, context, "job", job_id)
    return templates.TemplateResponse(
        request,
        "upload.html",
        {**page, "job": job, "stages": stages, "chunk_rows": CHUNK_ROWS},
    )


@router.post("/ui/jobs/{job_id}/upload", response_model=ImportOutcome)
async def upload_chunk(
    request: Request,
    job_id: str,
    context: ContextDep,
    stage_id: Annotated[str, Query(min_length=1, max_length=200)],
    first_line: Annotated[int, Query(ge=1, le=10_000_000)] = 1,
    modified_at: Annotated[datetime | None, Query()] = None,
) -> Response:
    """One chunk of the file (``text/csv``, with its header): each row enrolled through the
    ATS event use case. ``first_line``: the file line of the chunk's header, so problems name
    the file's lines; ``modified_at``: the file's time (the events' ``occurred_at``)."""
    caller: Caller | None = getattr(request.state, "caller", None)
    access: Access = request.app.state.access
    cookie = request.cookies.get(SESSION_COOKIE)
    given = request.headers.get(CSRF_HEADER)
    if caller is not None and caller.by_cookie and not csrf_ok(access, caller, cookie, given):
        return JSONResponse({"error": {"code": "csrf_failed", "message": "no CSRF token"}}, 403)
    at = (modified_at or datetime.now(UTC)).astimezone(UTC)
    try:
        outcome = await import_rows(context, await request.body(), job_id, stage_id, at, first_line)
    except UnreadableCsv as err:
        body = {"error": {"code": "unreadable_csv", "message": str(err)}}
        return JSONResponse(body, status_code=422)
    return JSONResponse(outcome.model_dump())
