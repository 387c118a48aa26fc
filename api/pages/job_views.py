"""The recruiter's pages: the list of jobs and one job's Table / Kanban view, server-rendered.

The server renders the shell of each page (job, stages, campaigns, counts) from the read model;
``static/job.js`` then fills the rows and cards from the JSON views
(``GET /jobs/{id}/applications``, ``GET /jobs/{id}/board``, ``GET /enrolments/{id}``) and polls
them, so a status change shows up without a reload. How each status looks (label, hint) is
decided here, once, and handed to the script; the colours live in ``static/app.css``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from api.bodies import CheckedRoute
from api.dependencies import ContextDep, SessionDep
from api.errors import error_responses
from api.etag import conditional_json, etag_of
from api.pages.looks import (
    CHANNEL_LABELS,
    KIND_LABELS,
    POLL_MS,
    REASON_LABELS,
    STATUS_LOOKS,
    temporal_workflow_url,
)
from api.permissions import PAGES
from api.templating import not_found_page, page_context, templates
from domain.statuses import EXPIRABLE
from services.errors import not_found
from store.catalog import Catalog
from store.schema import StageRow
from store.views import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, RecruiterViews

#: Stands for the candidate id in the workflow link the script completes (URL-safe as is).
CANDIDATE_PLACEHOLDER = "__CANDIDATE_ID__"

View = Literal["table", "kanban"]

router = APIRouter(tags=["recruiter UI"], route_class=CheckedRoute, dependencies=[PAGES])


class CampaignLook(BaseModel):
    id: str
    name: str
    kind: str
    kind_label: str
    channel_label: str


class StageLook(BaseModel):
    id: str
    name: str
    campaign: CampaignLook | None
    auto_match: bool
    count: int


class StageSummary(BaseModel):
    id: str
    name: str
    count: int


class JobSummary(BaseModel):
    """A job as the jobs page lists it."""

    id: str
    name: str
    stages: list[StageSummary]
    counts: dict[str, int]
    total: int


class JobCounts(BaseModel):
    """Applications of a job: in total, per current enrolment status and per stage."""

    total: int
    statuses: dict[str, int]
    stages: dict[str, int]


async def _campaign_looks(session: SessionDep, stages: list[StageRow]) -> dict[str, CampaignLook]:
    stored = await Catalog(session).campaigns(s.campaign_id for s in stages if s.campaign_id)
    return {
        s.id: CampaignLook(
            id=s.id,
            name=s.campaign.name,
            kind=s.campaign.kind,
            kind_label=KIND_LABELS.get(s.campaign.kind, s.campaign.kind),
            channel_label=CHANNEL_LABELS.get(s.campaign.channel, s.campaign.channel),
        )
        for s in stored
    }


async def _job_counts(session: SessionDep, job_id: str, stages: list[StageRow]) -> JobCounts:
    board = await RecruiterViews(session).board(job_id, stages, cards_per_column=0)
    return JobCounts(
        total=board.total,
        statuses=dict(board.counts),
        stages={column.stage_id: column.total for column in board.columns},
    )


class JobsOverview(BaseModel):
    """Every job as the jobs page lists it, and all of them by status."""

    jobs: list[JobSummary]
    totals: dict[str, int]


async def _overview(session: SessionDep) -> JobsOverview:
    catalog = Catalog(session)
    jobs = []
    for job in await catalog.jobs():
        stages = await catalog.stages(job.id)
        counts = await _job_counts(session, job.id, stages)
        jobs.append(
            JobSummary(
                id=job.id,
                name=job.name,
                stages=[
                    StageSummary(id=s.id, name=s.name, count=counts.stages.get(s.id, 0))
                    for s in stages
                ],
                counts=counts.statuses,
                total=counts.total,
            )
        )
    totals: dict[str, int] = {}
    for summary in jobs:
        for status, n in summary.counts.items():
            totals[status] = totals.get(status, 0) + n
    return JobsOverview(jobs=jobs, totals=totals)


@router.get("/ui/", response_class=HTMLResponse, summary="The recruiter's list of jobs")
async def jobs_page(request: Request, session: SessionDep, context: ContextDep) -> HTMLResponse:
    """Every job with its stages and how many applications sit in each status, live."""
    page = page_context(request, context)
    overview = await _overview(session)
    return templates.TemplateResponse(
        request,
        "jobs.html",
        {
            **page,
            "jobs": overview.jobs,
            "totals": overview.totals,
            "statuses": STATUS_LOOKS,
            "config": {
                "url": f"{page['ui_url']}/counts",
                "version": etag_of(overview),
                "poll_ms": POLL_MS,
            },
        },
    )


@router.get(
    "/ui/counts",
    response_model=JobsOverview,
    summary="Every job's applications per status and stage (what the jobs page follows)",
)
async def jobs_counts(request: Request, session: SessionDep) -> Response:
    """The jobs page's figures (304 to an ``If-None-Match`` naming the current ``ETag``)."""
    return conditional_json(request, await _overview(session))


@router.get(
    "/ui/jobs/{job_id}",
    response_class=HTMLResponse,
    summary="A job's Table and Kanban views, live",
    responses={404: {"description": "No such job (an HTML page)"}},
)
async def job_page(
    request: Request,
    job_id: str,
    session: SessionDep,
    context: ContextDep,
    view: Annotated[str, Query(description="table or kanban")] = "table",
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
) -> HTMLResponse:
    """The recruiter's page for one job: Table / Kanban toggle, badges, filters, live updates."""
    catalog = Catalog(session)
    job = await catalog.job(job_id)
    if job is None:
        return not_found_page(request, context, "job", job_id)
    stages = await catalog.stages(job_id)
    campaigns = await _campaign_looks(session, stages)
    counts = await _job_counts(session, job_id, stages)
    stage_looks = [
        StageLook(
            id=s.id,
            name=s.name,
            campaign=campaigns.get(s.campaign_id) if s.campaign_id else None,
            auto_match=s.auto_match,
            count=counts.stages.get(s.id, 0),
        )
        for s in stages
    ]
    chosen: View = "kanban" if view == "kanban" else "table"
    page = page_context(request, context)
    config = _script_config(request, page, job_id, chosen, page_size, stage_looks, campaigns)
    return templates.TemplateResponse(
        request,
        "job.html",
        {
            **page,
            "job": job,
            "view": chosen,
            "stages": stage_looks,
            "statuses": STATUS_LOOKS,
            "counts": counts.statuses,
            "total": counts.total,
            "campaign_count": len(campaigns),
            "config": config,
        },
    )


def _script_config(
    request: Request,
    page: dict[str, Any],
    job_id: str,
    view: View,
    page_size: int,
    stages: list[StageLook],
    campaigns: dict[str, CampaignLook],
) -> dict[str, Any]:
    """What ``static/job.js`` is handed: where to poll, how each status and label looks."""
    root = request.scope.get("root_path", "").rstrip("/")
    job_path = f"{root}/jobs/{quote(job_id, safe='')}"
    return {
        "job_id": job_id,
        "view": view,
        "poll_ms": POLL_MS,
        "page_size": page_size,
        "urls": {
            "applications": f"{job_path}/applications",
            "board": f"{job_path}/board",
            "counts": f"{root}/ui/jobs/{quote(job_id, safe='')}/counts",
            "enrolment": f"{root}/enrolments/",
            "enrolment_page": f"{root}/ui/enrolments/",
        },
        "statuses": [look.model_dump(mode="json") for look in STATUS_LOOKS],
        "reasons": REASON_LABELS,
        "expirable": sorted(EXPIRABLE),
        "kinds": {kind.value: label for kind, label in KIND_LABELS.items()},
        "channels": {channel.value: label for channel, label in CHANNEL_LABELS.items()},
        "stages": {s.id: {"name": s.name} for s in stages},
        "campaigns": {c.id: c.name for c in campaigns.values()},
        "temporal": {
            # The workflow id is derived by identity.py only; the script fills in the candidate.
            "workflow_url": temporal_workflow_url(
                page["temporal_ui_url"], page["temporal_namespace"], CANDIDATE_PLACEHOLDER
            ),
            "placeholder": CANDIDATE_PLACEHOLDER,
        },
    }


@router.get(
    "/ui/jobs/{job_id}/counts",
    response_model=JobCounts,
    summary="How many applications of a job sit in each status and stage (the page's header)",
    responses=error_responses(404),
)
async def job_counts(job_id: str, session: SessionDep) -> JobCounts:
    """Counts for the live header of the job page, without loading any application."""
    catalog = Catalog(session)
    if not await catalog.job_exists(job_id):
        raise not_found("job", job_id)
    return await _job_counts(session, job_id, await catalog.stages(job_id))
