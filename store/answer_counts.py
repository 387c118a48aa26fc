"""How candidates answered a campaign's choice questions (the analytics' answer bars): for each
``choice``, ``multi_choice`` and ``yes_no`` question, how many picked each option, in the
options' own order. Read from ``enrolment_answers`` by its (scope, module, question) index."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.questions import CHOICES, NO, YES, AnswerKind
from store.analytics_scope import campaigns_in_scope, rows_in_scope
from store.schema import EnrolmentAnswerRow


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
    rows = await session.execute(
        select(answer.module_id, answer.question_id, answer.value).where(
            rows_in_scope(answer, campaign_id, job_id, since, until),
            answer.question_id.in_({q for _, q in found}),
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
