"""``/campaigns``: what recruiters send to candidates, blasts and multi-module campaigns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.bodies import CheckedRoute
from api.dependencies import ContextDep, SessionDep
from api.errors import error_responses
from api.permissions import RECRUITERS, Admin
from domain.campaigns import Campaign
from services.configuration import delete_campaign, save_campaign
from services.errors import not_found
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
    campaign_id: CampaignId, campaign: Campaign, context: ContextDep, who: Admin
) -> CampaignResource:
    """Create or replace a campaign. Enrolments already created keep their snapshot.

    Texts may use only the documented placeholders; durations at most P366D (422).
    """
    stored = await save_campaign(context, campaign_id, campaign, who)
    return CampaignResource.of(stored)


@router.get(
    "/{campaign_id}",
    response_model=CampaignResource,
    responses=error_responses(404),
    dependencies=[RECRUITERS],
)
async def get_campaign(campaign_id: CampaignId, session: SessionDep) -> CampaignResource:
    """The stored campaign."""
    stored = await Catalog(session).campaign(campaign_id)
    if stored is None:
        raise not_found("campaign", campaign_id)
    return CampaignResource.of(stored)


@router.delete(
    "/{campaign_id}",
    status_code=204,
    response_class=Response,
    responses=error_responses(404, 409),
)
async def delete_campaign_route(campaign_id: CampaignId, context: ContextDep, who: Admin) -> None:
    """Delete a campaign no stage links (409 ``campaign_in_use`` names the stages that do).
    Enrolments already created keep their snapshot."""
    await delete_campaign(context, campaign_id, who)
