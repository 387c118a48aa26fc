"""Configuring the product: campaigns, and jobs with their stages. The same rules whether an
admin saves through the API or the admin pages; every save is audited with the change.
"""

from __future__ import annotations

from datetime import UTC, datetime

from domain.access import Principal
from domain.campaigns import Campaign
from domain.jobs import JobDefinition
from services.context import Context
from services.errors import Refused, not_found
from store.access import record
from store.catalog import (
    AtsJobTaken,
    CampaignInUse,
    Catalog,
    Job,
    StoredCampaign,
    UnknownCampaigns,
)
from store.interviewers import Interviewers


def campaign_problems(campaign: Campaign) -> Refused | None:
    """What a new campaign definition may not hold (an unknown placeholder, a duration past
    the limit), as the 422 that refuses it, naming every problem."""
    problems = campaign.definition_problems()
    if not problems:
        return None
    where, why = problems[0]
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    return Refused(
        422,
        "validation_failed",
        f"{where}: {why}{more}",
        [
            {"loc": ["body", *where.split(".")], "message": why, "type": "value_error"}
            for where, why in problems
        ],
    )


async def save_campaign(
    context: Context, campaign_id: str, campaign: Campaign, who: Principal
) -> StoredCampaign:
    """Create or replace a campaign (enrolments already created keep their snapshot). Raises
    ``Refused`` 422 for what ``campaign_problems`` finds."""
    refused = campaign_problems(campaign)
    if refused is not None:
        raise refused
    now = datetime.now(UTC)
    async with context.sessions.begin() as session:
        catalog = Catalog(session)
        await catalog.save_campaign(campaign_id, campaign, now)
        said = {"name": campaign.name, "kind": campaign.kind, "channel": campaign.channel}
        record(session, who.actor, "campaign.saved", campaign_id, said, now)
        await session.flush()
        stored = await catalog.campaign(campaign_id)
    if stored is None:  # pragma: no cover - just written in this transaction
        raise Refused(409, "campaign_not_stored", f"campaign {campaign_id!r} was not stored")
    return stored


async def delete_campaign(context: Context, campaign_id: str, who: Principal) -> None:
    """Delete a campaign that no stage links (enrolments already created keep their snapshot).
    Raises ``Refused``: 404, 409 ``campaign_in_use`` naming the stages that link it."""
    try:
        async with context.sessions.begin() as session:
            if not await Catalog(session).delete_campaign(campaign_id):
                raise not_found("campaign", campaign_id)
            record(session, who.actor, "campaign.deleted", campaign_id, {}, datetime.now(UTC))
    except CampaignInUse as err:
        stages = [f"{use.job_name} / {use.stage_name}" for use in err.used_by]
        raise Refused(
            409,
            "campaign_in_use",
            f"campaign {campaign_id!r} is linked by "
            + (", ".join(stages) if stages else "a stage")
            + "; unlink it from every stage first",
            [{"job_id": u.job_id, "stage_id": u.stage_id} for u in err.used_by],
        ) from err


async def save_job(context: Context, job_id: str, job: JobDefinition, who: Principal) -> Job:
    """Create or replace a job and its stages (stage order = list order). Raises ``Refused``:
    422 ``unknown_campaign`` for a stage linking a campaign that does not exist (and
    ``unknown_interviewer`` for interview settings naming an interviewer who does not), 409
    ``ats_job_taken`` for a vendor job another job maps."""
    now = datetime.now(UTC)
    async with context.sessions.begin() as session:
        catalog = Catalog(session)
        wanted = job.interviewer_ids()
        missing = sorted(wanted - set(await Interviewers(session).some(wanted)))
        if missing:
            raise Refused(
                422,
                "unknown_interviewer",
                f"stages name interviewers that do not exist: {', '.join(missing)}",
                {"interviewer_ids": missing},
            )
        try:
            await catalog.save_job(job_id, job, now)
        except AtsJobTaken as err:
            raise Refused(
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
            raise Refused(
                422,
                "unknown_campaign",
                f"stages link campaigns that do not exist: {', '.join(err.campaign_ids)}",
                {"campaign_ids": err.campaign_ids},
            ) from err
        stages = [{"id": s.id, "campaign_id": s.campaign_id} for s in job.stages]
        record(session, who.actor, "job.saved", job_id, {"name": job.name, "stages": stages}, now)
        await session.flush()
        stored = await catalog.job(job_id)
    if stored is None:  # pragma: no cover - just written in this transaction
        raise Refused(409, "job_not_stored", f"job {job_id!r} was not stored")
    return stored
