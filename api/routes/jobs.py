"""``/jobs``: jobs and their ordered stages, each optionally linked to a campaign."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel

from api.access import PrincipalDep
from api.bodies import CheckedRoute
from api.dependencies import SessionDep
from api.errors import ApiError, error_responses, not_found
from store.access import record
from store.catalog import AtsJobTaken, Catalog, Job, JobDefinition, UnknownCampaigns

router = APIRouter(prefix="/jobs", tags=["configuration"], route_class=CheckedRoute)

JobId = Annotated[str, Path(min_length=1, max_length=200)]


class JobList(BaseModel):
    jobs: list[Job]


@router.put("/{job_id}", response_model=Job, responses=error_responses(400, 409, 413, 415, 422))
async def put_job(job_id: JobId, job: JobDefinition, session: SessionDep, who: PrincipalDep) -> Job:
    """Create or replace a job and its stages (stage order = list order).

    Every ``campaign_id`` must name an existing campaign (422 ``unknown_campaign``). ``ats``
    maps a vendor ATS job onto this job and each stage's ``ats_stage_id`` one of its stages, so
    the vendor's webhooks land here; a vendor job maps one job (409 ``ats_job_taken``).
    """
    catalog = Catalog(session)
    now = datetime.now(UTC)
    try:
        await catalog.save_job(job_id, job, now)
    except AtsJobTaken as err:
        raise ApiError(
            409,
            "ats_job_taken",
            f"{err.mapping.system} job {err.mapping.job_id!r} is already mapped by job "
            f"{err.job_id!r}; a vendor job maps one job",
            {
                "system": err.mapping.system.value,
                "job_id": err.mapping.job_id,
                "mapped_by": err.job_id,
            },
        ) from err
    except UnknownCampaigns as err:
        raise ApiError(
            422,
            "unknown_campaign",
            f"stages link campaigns that do not exist: {', '.join(err.campaign_ids)}",
            {"campaign_ids": err.campaign_ids},
        ) from err
    stages = [{"id": s.id, "campaign_id": s.campaign_id} for s in job.stages]
    record(session, who.actor, "job.saved", job_id, {"name": job.name, "stages": stages}, now)
    await session.commit()
    stored = await catalog.job(job_id)
    if stored is None:  # pragma: no cover - just written in this session
        raise ApiError(409, "job_not_stored", f"job {job_id!r} was not stored")
    return stored


@router.get("", response_model=JobList)
async def list_jobs(session: SessionDep) -> JobList:
    """Every job with its stages."""
    return JobList(jobs=await Catalog(session).jobs())


@router.get("/{job_id}", response_model=Job, responses=error_responses(404))
async def get_job(job_id: JobId, session: SessionDep) -> Job:
    """One job with its stages."""
    job = await Catalog(session).job(job_id)
    if job is None:
        raise not_found("job", job_id)
    return job
