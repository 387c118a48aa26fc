"""``/jobs``: jobs and their ordered stages, each optionally linked to a campaign."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel

from api.bodies import CheckedRoute
from api.dependencies import ContextDep, SessionDep
from api.errors import error_responses
from api.permissions import RECRUITERS, Admin
from domain.jobs import JobDefinition
from services.configuration import save_job
from services.errors import not_found
from store.catalog import Catalog, Job

router = APIRouter(prefix="/jobs", tags=["configuration"], route_class=CheckedRoute)

JobId = Annotated[str, Path(min_length=1, max_length=200)]


class JobList(BaseModel):
    jobs: list[Job]


@router.put("/{job_id}", response_model=Job, responses=error_responses(400, 409, 413, 415, 422))
async def put_job(job_id: JobId, job: JobDefinition, context: ContextDep, who: Admin) -> Job:
    """Create or replace a job and its stages (stage order = list order).

    Every ``campaign_id`` must name an existing campaign (422 ``unknown_campaign``). ``ats``
    maps a vendor ATS job onto this job and each stage's ``ats_stage_id`` one of its stages, so
    the vendor's webhooks land here; a vendor job maps one job (409 ``ats_job_taken``).
    """
    return await save_job(context, job_id, job, who)


@router.get("", response_model=JobList, dependencies=[RECRUITERS])
async def list_jobs(session: SessionDep) -> JobList:
    """Every job with its stages."""
    return JobList(jobs=await Catalog(session).jobs())


@router.get(
    "/{job_id}", response_model=Job, responses=error_responses(404), dependencies=[RECRUITERS]
)
async def get_job(job_id: JobId, session: SessionDep) -> Job:
    """One job with its stages."""
    job = await Catalog(session).job(job_id)
    if job is None:
        raise not_found("job", job_id)
    return job
