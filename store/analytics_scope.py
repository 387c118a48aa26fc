"""What an analytics page covers: one campaign, or the campaigns a job's stages link, between
two instants. Shared by the funnel (``store.analytics``) and the answer bars
(``store.answer_counts``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.campaigns import Campaign
from store.schema import CampaignRow, EnrolmentAnswerRow, EnrolmentModuleRow, EnrolmentRow, StageRow


async def campaigns_in_scope(
    session: AsyncSession, campaign_id: str | None, job_id: str | None
) -> list[Campaign]:
    """The campaign, or the campaigns the job's stages link."""
    campaign_ids = (
        [campaign_id]
        if campaign_id is not None
        else select(StageRow.campaign_id).where(StageRow.job_id == job_id)
    )
    definitions = await session.scalars(
        select(CampaignRow.definition)
        .where(CampaignRow.id.in_(campaign_ids))
        .order_by(CampaignRow.id)
    )
    return [Campaign.model_validate(definition) for definition in definitions]


def rows_in_scope(
    table: type[EnrolmentRow] | type[EnrolmentModuleRow] | type[EnrolmentAnswerRow],
    campaign_id: str | None,
    job_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> ColumnElement[bool]:
    """The rows of ``table`` in scope: of the campaign (else the job), made in ``[since,
    until)``."""
    scope = [
        table.campaign_id == campaign_id if campaign_id is not None else table.job_id == job_id
    ]
    if since is not None:
        scope.append(table.created_at >= since)
    if until is not None:
        scope.append(table.created_at < until)
    return and_(*scope)
