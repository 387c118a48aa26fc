"""What recruiters configure: campaigns, jobs and their stages.

The HTTP edge is the only writer of these tables. Writes are idempotent upserts, so a repeated
request leaves the same rows behind. Where each application is belongs to its candidate's
workflow (``store.projection``); an ATS event reads here which campaign its stage links.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import and_, bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.ats import AtsJobMapping, AtsSystem
from domain.campaigns import Campaign
from domain.events import ApplicationRef
from domain.jobs import InterviewSettings, JobDefinition, StageDefinition
from store.database import dialect_insert
from store.schema import (
    CampaignRow,
    JobRow,
    StageRow,
)


class StoredCampaign(BaseModel):
    """A campaign as stored, with its id."""

    id: str
    campaign: Campaign
    updated_at: datetime


class Job(JobDefinition):
    """A job as stored, with its id."""

    id: str
    updated_at: datetime


class AtsJobTaken(ValueError):
    """Another job already maps this vendor job (a vendor event must route to one job)."""

    def __init__(self, mapping: AtsJobMapping, job_id: str) -> None:
        super().__init__(f"{mapping.system} job {mapping.job_id!r} is mapped by job {job_id!r}")
        self.mapping = mapping
        self.job_id = job_id


class UnknownCampaigns(ValueError):
    """A job's stages link campaigns that do not exist."""

    def __init__(self, campaign_ids: Sequence[str]) -> None:
        super().__init__(f"unknown campaign(s): {', '.join(campaign_ids)}")
        self.campaign_ids = list(campaign_ids)


@dataclass(frozen=True)
class Placement:
    """What an ATS event about an application needs to know, read in one statement."""

    #: The job's name, and the stage's (empty when the job has no such stage).
    job_name: str
    stage_name: str
    #: Whether the job has the event's stage.
    stage_found: bool
    #: The campaign the stage links, if any, and its definition (None if it does not exist).
    campaign_id: str | None
    campaign: Campaign | None
    auto_match: bool
    #: Where the job reads national phone numbers (``None``: the deployment's default).
    default_region: str | None = None


@dataclass(frozen=True)
class VendorRoute:
    """Where a vendor's event about one of its jobs lands: our job, the stage mapping the
    vendor's stage (``None`` when no stage maps it), and that stage's placement."""

    job_id: str
    stage_id: str | None
    placement: Placement


#: What a placement is read from (``_placement``'s arguments, in order).
_PLACED = (
    JobRow.default_region,
    JobRow.name,
    StageRow.name,
    StageRow.id,
    StageRow.campaign_id,
    StageRow.auto_match,
    CampaignRow.definition,
)

_PLACEMENT = (
    select(*_PLACED)
    .select_from(JobRow)
    .outerjoin(StageRow, and_(StageRow.job_id == JobRow.id, StageRow.id == bindparam("stage_id")))
    .outerjoin(CampaignRow, CampaignRow.id == StageRow.campaign_id)
    .where(JobRow.id == bindparam("job_id"))
)


_VENDOR_ROUTE = (
    select(JobRow.id, *_PLACED)
    .select_from(JobRow)
    .outerjoin(
        StageRow,
        and_(StageRow.job_id == JobRow.id, StageRow.ats_stage_id == bindparam("vendor_stage_id")),
    )
    .outerjoin(CampaignRow, CampaignRow.id == StageRow.campaign_id)
    .where(
        JobRow.ats_system == bindparam("system"),
        JobRow.ats_job_id == bindparam("vendor_job_id"),
    )
)


class Catalog:
    """Reads and writes of configuration and applications within one session.

    Nothing here commits: the caller decides where the transaction ends.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # -- campaigns -----------------------------------------------------------------------------

    async def save_campaign(self, campaign_id: str, campaign: Campaign, now: datetime) -> None:
        """Create or replace a campaign. Existing enrolments keep the snapshot they took."""
        values = {
            "id": campaign_id,
            "name": campaign.name,
            "kind": campaign.kind.value,
            "channel": campaign.channel.value,
            "definition": campaign.model_dump(mode="json"),
            "updated_at": now,
        }
        insert = dialect_insert(self._session, CampaignRow).values(values)
        await self._session.execute(
            insert.on_conflict_do_update(
                index_elements=[CampaignRow.id],
                set_={k: v for k, v in values.items() if k != "id"},
            )
        )

    async def campaign(self, campaign_id: str) -> StoredCampaign | None:
        """The campaign stored under ``campaign_id``, or ``None``."""
        row = await self._session.get(CampaignRow, campaign_id)
        return None if row is None else _stored_campaign(row)

    async def campaigns(self, campaign_ids: Iterable[str]) -> list[StoredCampaign]:
        """Those of ``campaign_ids`` that exist, in no particular order."""
        wanted = set(campaign_ids)
        if not wanted:
            return []
        rows = await self._session.scalars(select(CampaignRow).where(CampaignRow.id.in_(wanted)))
        return [_stored_campaign(row) for row in rows]

    async def all_campaigns(self) -> list[StoredCampaign]:
        """Every campaign, by name."""
        rows = await self._session.scalars(select(CampaignRow).order_by(CampaignRow.name))
        return [_stored_campaign(row) for row in rows]

    async def missing_campaigns(self, campaign_ids: Iterable[str]) -> list[str]:
        """Those of ``campaign_ids`` that no campaign has, sorted."""
        wanted = set(campaign_ids)
        if not wanted:
            return []
        found = await self._session.scalars(
            select(CampaignRow.id).where(CampaignRow.id.in_(wanted))
        )
        return sorted(wanted - set(found))

    # -- jobs and stages -----------------------------------------------------------------------

    async def save_job(self, job_id: str, job: JobDefinition, now: datetime) -> None:
        """Create or replace a job and its stages (stages not listed any more are removed).

        Raises ``UnknownCampaigns`` (writing nothing) when a stage links a missing campaign.
        """
        missing = await self.missing_campaigns(job.campaign_ids())
        if missing:
            raise UnknownCampaigns(missing)
        if job.ats is not None:
            taken = await self._session.scalar(
                select(JobRow.id).where(
                    JobRow.ats_system == job.ats.system.value,
                    JobRow.ats_job_id == job.ats.job_id,
                    JobRow.id != job_id,
                )
            )
            if taken is not None:
                raise AtsJobTaken(job.ats, taken)
        values = {
            "id": job_id,
            "name": job.name,
            "updated_at": now,
            "ats_system": None if job.ats is None else job.ats.system.value,
            "ats_job_id": None if job.ats is None else job.ats.job_id,
            "default_region": job.default_region,
        }
        insert = dialect_insert(self._session, JobRow).values(values)
        try:
            await self._session.execute(
                insert.on_conflict_do_update(
                    index_elements=[JobRow.id],
                    set_={k: v for k, v in values.items() if k != "id"},
                )
            )
        except IntegrityError as err:  # another request mapped the vendor job meanwhile
            if job.ats is None:
                raise
            raise AtsJobTaken(job.ats, "another job") from err
        await self._save_stages(job_id, job)

    async def _save_stages(self, job_id: str, job: JobDefinition) -> None:
        """The job's stages as ``job`` lists them (those not listed any more are removed)."""
        # Stage mappings may move between stages in one request: clear them first, so the
        # one-stage-per-vendor-stage index never sees two stages holding one.
        await self._session.execute(
            update(StageRow).where(StageRow.job_id == job_id).values(ats_stage_id=None)
        )
        await self._session.execute(
            delete(StageRow).where(
                StageRow.job_id == job_id, StageRow.id.not_in([s.id for s in job.stages])
            )
        )
        for position, stage in enumerate(job.stages):
            stage_values = {
                "job_id": job_id,
                "id": stage.id,
                "position": position,
                "name": stage.name,
                "campaign_id": stage.campaign_id,
                "auto_match": stage.auto_match,
                "ats_stage_id": stage.ats_stage_id,
            }
            stage_insert = dialect_insert(self._session, StageRow).values(stage_values)
            await self._session.execute(
                stage_insert.on_conflict_do_update(
                    index_elements=[StageRow.job_id, StageRow.id],
                    set_={k: v for k, v in stage_values.items() if k not in ("job_id", "id")},
                )
            )

    async def job(self, job_id: str) -> Job | None:
        """The job with its stages in order, or ``None``."""
        row = await self._session.get(JobRow, job_id)
        if row is None:
            return None
        stages = await self.stages(job_id)
        return _job(row, stages)

    async def jobs(self) -> list[Job]:
        """Every job with its stages, ordered by job id."""
        rows = (await self._session.scalars(select(JobRow).order_by(JobRow.id))).all()
        stage_rows = (
            await self._session.scalars(
                select(StageRow).order_by(StageRow.job_id, StageRow.position)
            )
        ).all()
        by_job: dict[str, list[StageRow]] = {}
        for stage in stage_rows:
            by_job.setdefault(stage.job_id, []).append(stage)
        return [_job(row, by_job.get(row.id, [])) for row in rows]

    async def stages(self, job_id: str) -> list[StageRow]:
        """The job's stages in board order."""
        result = await self._session.scalars(
            select(StageRow).where(StageRow.job_id == job_id).order_by(StageRow.position)
        )
        return list(result.all())

    async def stage(self, job_id: str, stage_id: str) -> StageRow | None:
        """One stage of a job, or ``None``."""
        return await self._session.get(StageRow, (job_id, stage_id))

    async def job_exists(self, job_id: str) -> bool:
        return await self._session.get(JobRow, job_id) is not None

    # -- where an ATS event lands ----------------------------------------------------------------

    async def vendor_route(
        self, system: AtsSystem, vendor_job_id: str, vendor_stage_id: str | None
    ) -> VendorRoute | None:
        """The job mapping ``system``'s job ``vendor_job_id``, with the stage mapping
        ``vendor_stage_id`` and its campaign; ``None`` when no job maps the vendor job. One
        statement: a vendor's event reads the catalog once."""
        row = (
            await self._session.execute(
                _VENDOR_ROUTE,
                {
                    "system": system.value,
                    "vendor_job_id": vendor_job_id,
                    "vendor_stage_id": vendor_stage_id,
                },
            )
        ).first()
        if row is None:
            return None
        job_id, *placed = row
        return VendorRoute(job_id=job_id, stage_id=placed[3], placement=_placement(*placed))

    async def placement(self, application: ApplicationRef) -> Placement | None:
        """The stage and campaign behind ``application``'s job stage; ``None``: no such job.

        One statement (an ATS event is the hottest write path): the job, its stage and the
        stage's campaign, joined.
        """
        row = (
            await self._session.execute(
                _PLACEMENT, {"job_id": application.job_id, "stage_id": application.stage_id}
            )
        ).first()
        return None if row is None else _placement(*row)


def _placement(
    default_region: str | None,
    job_name: str,
    stage_name: str | None,
    stage_id: str | None,
    campaign_id: str | None,
    auto_match: bool | None,
    definition: dict[str, Any] | None,
) -> Placement:
    return Placement(
        job_name=job_name,
        stage_name=stage_name or "",
        stage_found=stage_id is not None,
        campaign_id=campaign_id,
        campaign=None if definition is None else Campaign.model_validate(definition),
        auto_match=bool(auto_match),
        default_region=default_region,
    )


def _stored_campaign(row: CampaignRow) -> StoredCampaign:
    return StoredCampaign(
        id=row.id, campaign=Campaign.model_validate(row.definition), updated_at=row.updated_at
    )


def _job(row: JobRow, stages: Iterable[StageRow]) -> Job:
    return Job(
        id=row.id,
        name=row.name,
        updated_at=row.updated_at,
        ats=None
        if row.ats_system is None or row.ats_job_id is None
        else AtsJobMapping(system=AtsSystem(row.ats_system), job_id=row.ats_job_id),
        default_region=row.default_region,
        stages=[
            StageDefinition(
                id=s.id,
                name=s.name,
                campaign_id=s.campaign_id,
                interview_settings=InterviewSettings(auto_match=True) if s.auto_match else None,
                ats_stage_id=s.ats_stage_id,
            )
            for s in stages
        ],
    )
