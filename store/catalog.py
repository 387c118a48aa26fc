"""What recruiters configure: campaigns, jobs and their stages.

The HTTP edge is the only writer of these tables. Writes are idempotent upserts, so a repeated
request leaves the same rows behind. Where each application is belongs to its candidate's
workflow (``store.projection``); an ATS event reads here which campaign its stage links.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.ats import AtsJobMapping, AtsSystem
from domain.campaigns import Campaign
from domain.jobs import InterviewSettings, JobDefinition, StageDefinition
from domain.writeback import OnKnockout
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


class CampaignInUse(ValueError):
    """A campaign that stages link cannot be deleted."""

    def __init__(self, campaign_id: str, used_by: Sequence[StageUse]) -> None:
        super().__init__(f"campaign {campaign_id!r} is linked by {len(used_by)} stage(s)")
        self.campaign_id = campaign_id
        self.used_by = list(used_by)


@dataclass(frozen=True)
class StageUse:
    """A stage that links a campaign: where the campaign is used."""

    job_id: str
    job_name: str
    stage_id: str
    stage_name: str


class UnknownCampaigns(ValueError):
    """A job's stages link campaigns that do not exist."""

    def __init__(self, campaign_ids: Sequence[str]) -> None:
        super().__init__(f"unknown campaign(s): {', '.join(campaign_ids)}")
        self.campaign_ids = list(campaign_ids)


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

    async def campaign_uses(self, campaign_id: str | None = None) -> dict[str, list[StageUse]]:
        """Where campaigns are used: the stages linking each (``campaign_id``'s only, when
        given), by job name then stage order. A campaign no stage links has no entry."""
        query = (
            select(StageRow.campaign_id, JobRow.id, JobRow.name, StageRow.id, StageRow.name)
            .join(JobRow, JobRow.id == StageRow.job_id)
            .where(StageRow.campaign_id.is_not(None))
            .order_by(JobRow.name, JobRow.id, StageRow.position)
        )
        if campaign_id is not None:
            query = query.where(StageRow.campaign_id == campaign_id)
        uses: dict[str, list[StageUse]] = {}
        for used, job_id, job_name, stage_id, stage_name in await self._session.execute(query):
            if used is not None:
                uses.setdefault(used, []).append(StageUse(job_id, job_name, stage_id, stage_name))
        return uses

    async def delete_campaign(self, campaign_id: str) -> bool:
        """Delete a campaign no stage links (``False``: there was none). Raises
        ``CampaignInUse`` when stages link it, even one a concurrent job save just linked (the
        database's foreign key decides; then ``used_by`` is empty and the transaction must be
        rolled back). Enrolments keep their snapshot."""
        uses = (await self.campaign_uses(campaign_id)).get(campaign_id, [])
        if uses:
            raise CampaignInUse(campaign_id, uses)
        try:
            deleted = await self._session.execute(
                delete(CampaignRow).where(CampaignRow.id == campaign_id)
            )
        except IntegrityError as err:  # a stage linked it meanwhile: this transaction is over
            raise CampaignInUse(campaign_id, []) from err
        return bool(getattr(deleted, "rowcount", 0))

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
        try:
            async with self._session.begin_nested():
                await self._save_stages(job_id, job)
        except IntegrityError as err:  # a campaign it links was deleted meanwhile
            missing = await self.missing_campaigns(job.campaign_ids())
            if not missing:
                raise
            raise UnknownCampaigns(missing) from err

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
                "interview_settings": None
                if stage.interview_settings is None
                else stage.interview_settings.model_dump(mode="json"),
                "ats_stage_id": stage.ats_stage_id,
                "on_knockout": None
                if stage.on_knockout is None
                else stage.on_knockout.model_dump(mode="json"),
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


def stage_settings(row: StageRow) -> InterviewSettings | None:
    """A stage's interview settings as stored (a stage saved before they were kept whole has
    only its ``auto_match``)."""
    if row.interview_settings is not None:
        return InterviewSettings.model_validate(row.interview_settings)
    return InterviewSettings(auto_match=True) if row.auto_match else None


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
                interview_settings=stage_settings(s),
                ats_stage_id=s.ats_stage_id,
                on_knockout=None
                if s.on_knockout is None
                else OnKnockout.model_validate(s.on_knockout),
            )
            for s in stages
        ],
    )
