"""Where an ATS event lands: the job, the stage and the campaign behind an application's job
stage, or behind a vendor's job and stage, each read in one statement (an ATS event is the
hottest write path). Written by configuration only (``store.catalog``); read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.ats import AtsSystem
from domain.campaigns import Campaign
from domain.events import ApplicationRef
from store.schema import CampaignRow, JobRow, StageRow


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


class Placements:
    """Where ATS events land, within one session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

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
