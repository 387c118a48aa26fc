"""``/ui/jobs/{id}/upload``: a CSV of candidates into one stage of the job, from the browser.

The page reads the file, sends it in chunks of rows (each with the header) and shows the
progress and each refused row with its line. Each chunk becomes ATS events exactly as
``enrolments import`` makes them (``bridges.candidates_csv``) and goes through the one use
case every ATS event takes (``api.ats_events``); uploading the same file again creates nothing
twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel

from api.access import CSRF_HEADER, SESSION_COOKIE, Access, Caller, csrf_ok
from api.ats_events import AtsEvents, BatchResult
from api.dependencies import ContextDep
from api.templating import not_found_page, page_context, templates
from bridges.candidates_csv import UnreadableCsv, read_rows
from store.catalog import Catalog

router = APIRouter(tags=["recruiter UI"], include_in_schema=False)

#: Rows per request the page sends (the API's batch takes up to 1,000 events).
CHUNK_ROWS = 50
#: Refusals that say "try again" (503 answers), and how many more tries a row gets.
PASSING = frozenset({"enrolment_timeout", "temporal_unavailable", "database_unavailable"})
RETRIES = 2


class RowOutcome(BaseModel):
    line: int
    message: str


class UploadResult(BaseModel):
    """What one chunk did: rows enrolled, rows imported before, rows refused (with why)."""

    applied: int = 0
    already: int = 0
    problems: list[RowOutcome] = []


async def _applied(
    use_case: AtsEvents, events: list[tuple[int, dict[str, Any]]]
) -> list[BatchResult]:
    """Each event applied; one refused for a passing reason (no answer in time, an outage) is
    sent again, as a caller of the API would: its id makes a repeat harmless."""
    results = (await use_case.apply_batch([event for _, event in events])).results
    for _ in range(RETRIES):
        again = [n for n, r in enumerate(results) if r.error and r.error.code in PASSING]
        if not again:
            break
        retried = await use_case.apply_batch([events[n][1] for n in again])
        for n, result in zip(again, retried.results, strict=True):
            results[n] = result
    return results


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


@router.post("/ui/jobs/{job_id}/upload", response_model=UploadResult)
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
        events, problems = read_rows(await request.body(), job_id, stage_id, at)
    except UnreadableCsv as err:
        body = {"error": {"code": "unreadable_csv", "message": str(err)}}
        return JSONResponse(body, status_code=422)
    offset = first_line - 1
    result = UploadResult(
        problems=[RowOutcome(line=p.line + offset, message=p.message) for p in problems]
    )
    outcomes = await _applied(AtsEvents(context), events)
    for (line, _), outcome in zip(events, outcomes, strict=True):
        if outcome.error is not None and outcome.error.code == "event_id_reused":
            result.already += 1
        elif outcome.error is not None:
            result.problems.append(RowOutcome(line=line + offset, message=outcome.error.message))
        else:
            result.applied += 1
    result.problems.sort(key=lambda p: p.line)
    return JSONResponse(result.model_dump())
