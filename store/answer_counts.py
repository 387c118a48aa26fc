"""How candidates answered a campaign's choice questions (the analytics' answer bars): for each
``choice``, ``multi_choice`` and ``yes_no`` question, how many picked each option, in the
options' own order. Read from ``enrolment_answers`` by its (scope, module, question) index."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.campaigns import Campaign
from domain.questions import CHOICES, NO, YES, AnswerKind
from store.schema import CampaignRow, EnrolmentAnswerRow, StageRow


async def campaigns_in_scope(
    session: AsyncSession, campaign_id: str | None, job_id: str | None
) -> list[Campaign]:
    """The campaign, or the campaigns the job's stages link (an analytics page's scope)."""
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


class AnswerCounts(BaseModel):
    """One choice question's answers: ``counts`` per option (``answered``: how many answered
    it; with several options each, the counts may add up to more)."""

    module_id: str
    question_id: str
    prompt: str
    answered: int
    counts: dict[str, int]


async def choice_answers(
    session: AsyncSession,
    campaign_id: str | None,
    job_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> list[AnswerCounts]:
    """The answer counts of every choice question of the campaign (or the job's campaigns)."""
    found: dict[tuple[str, str], AnswerCounts] = {}
    for campaign in await campaigns_in_scope(session, campaign_id, job_id):
        for module in campaign.modules:
            for question in module.questions:
                if question.answer in CHOICES or question.answer is AnswerKind.YES_NO:
                    options = question.options if question.answer in CHOICES else [YES, NO]
                    found.setdefault(
                        (module.id, question.id),
                        AnswerCounts(
                            module_id=module.id,
                            question_id=question.id,
                            prompt=question.prompt,
                            answered=0,
                            counts=dict.fromkeys(options, 0),
                        ),
                    )
    if not found:
        return []
    answer = EnrolmentAnswerRow
    scope = [answer.campaign_id == campaign_id if campaign_id else answer.job_id == job_id]
    if since is not None:
        scope.append(answer.created_at >= since)
    if until is not None:
        scope.append(answer.created_at < until)
    rows = await session.execute(
        select(answer.module_id, answer.question_id, answer.value).where(
            and_(*scope), answer.question_id.in_({q for _, q in found})
        )
    )
    for module_id, question_id, value in rows:
        counts = found.get((module_id, question_id))
        if counts is None:
            continue
        counts.answered += 1
        for picked in value if isinstance(value, list) else [value]:
            if picked in counts.counts:
                counts.counts[picked] += 1
    return list(found.values())
