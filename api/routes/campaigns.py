"""``/campaigns``: what recruiters send to candidates, blasts and multi-module campaigns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path

from api.access import PrincipalDep
from api.bodies import CheckedRoute
from api.dependencies import SessionDep
from api.errors import ApiError, error_responses, not_found
from domain.campaigns import Campaign
from store.access import record
from store.catalog import Catalog, StoredCampaign

router = APIRouter(prefix="/campaigns", tags=["configuration"], route_class=CheckedRoute)

CampaignId = Annotated[str, Path(min_length=1, max_length=200)]


class CampaignResource(Campaign):
    """A stored campaign, as it was put, with its id. ``expiry`` is spelled out for
    multi-module campaigns (default P7D)."""

    id: str
    updated_at: datetime

    @classmethod
    def of(cls, stored: StoredCampaign) -> CampaignResource:
        campaign = stored.campaign
        expiry = None if campaign.is_blast else campaign.effective_expiry
        return cls(
            **campaign.model_dump(exclude={"expiry"}),
            expiry=expiry,
            id=stored.id,
            updated_at=stored.updated_at,
        )


@router.put(
    "/{campaign_id}",
    response_model=CampaignResource,
    responses=error_responses(400, 413, 415, 422),
)
async def put_campaign(
    campaign_id: CampaignId, campaign: Campaign, session: SessionDep, who: PrincipalDep
) -> CampaignResource:
    """Create or replace a campaign. Enrolments already created keep their snapshot.

    Texts may use only the documented placeholders; durations at most P366D (422).
    """
    problems = campaign.definition_problems()
    if problems:
        where, why = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise ApiError(
            422,
            "validation_failed",
            f"{where}: {why}{more}",
            [
                {"loc": ["body", *where.split(".")], "message": why, "type": "value_error"}
                for where, why in problems
            ],
        )
    catalog = Catalog(session)
    now = datetime.now(UTC)
    await catalog.save_campaign(campaign_id, campaign, now)
    said = {"name": campaign.name, "kind": campaign.kind, "channel": campaign.channel}
    record(session, who.actor, "campaign.saved", campaign_id, said, now)
    await session.commit()
    stored = await catalog.campaign(campaign_id)
    if stored is None:  # pragma: no cover - just written in this session
        raise ApiError(409, "campaign_not_stored", f"campaign {campaign_id!r} was not stored")
    return CampaignResource.of(stored)


@router.get("/{campaign_id}", response_model=CampaignResource, responses=error_responses(404))
async def get_campaign(campaign_id: CampaignId, session: SessionDep) -> CampaignResource:
    """The stored campaign."""
    stored = await Catalog(session).campaign(campaign_id)
    if stored is None:
        raise not_found("campaign", campaign_id)
    return CampaignResource.of(stored)
