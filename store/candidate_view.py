"""What a candidate's own page reads: the enrolment their link opens (found by the hash of its
token), how far they got in each module and what they answered. Nothing of any other
candidate: every read is keyed by the one enrolment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.campaigns import Campaign
from domain.statuses import EnrolmentStatus
from store.schema import (
    CandidateRow,
    EnrolmentAnswerRow,
    EnrolmentModuleRow,
    EnrolmentRow,
    JobRow,
)


class LinkedEnrolment(BaseModel):
    """An enrolment as its candidate's page shows it."""

    enrolment_id: str
    candidate_id: str
    first_name: str
    job_id: str
    job_name: str
    status: EnrolmentStatus
    status_reason: str | None
    campaign: Campaign
    expires_at: datetime | None
    #: Each module the candidate touched: ``True`` once completed.
    modules: dict[str, bool]
    #: ``{module id: {question id: value}}``, what they answered.
    answers: dict[str, dict[str, Any]]


async def linked_enrolment(session: AsyncSession, token_hash: str) -> LinkedEnrolment | None:
    """The enrolment whose link's token hashes to ``token_hash``, or ``None`` (no such link,
    or it was revoked)."""
    row = (
        await session.execute(
            select(EnrolmentRow, JobRow.name, CandidateRow.name)
            .outerjoin(JobRow, JobRow.id == EnrolmentRow.job_id)
            .outerjoin(CandidateRow, CandidateRow.id == EnrolmentRow.candidate_id)
            .where(EnrolmentRow.link_hash == token_hash)
        )
    ).one_or_none()
    if row is None:
        return None
    enrolment, job_name, candidate_name = row
    modules = await session.execute(
        select(EnrolmentModuleRow.module_id, EnrolmentModuleRow.completed).where(
            EnrolmentModuleRow.enrolment_id == enrolment.id
        )
    )
    answers: dict[str, dict[str, Any]] = {}
    for module_id, question_id, value in await session.execute(
        select(
            EnrolmentAnswerRow.module_id, EnrolmentAnswerRow.question_id, EnrolmentAnswerRow.value
        ).where(EnrolmentAnswerRow.enrolment_id == enrolment.id)
    ):
        answers.setdefault(module_id, {})[question_id] = value
    return LinkedEnrolment(
        enrolment_id=enrolment.id,
        candidate_id=enrolment.candidate_id,
        first_name=(candidate_name or "").split(" ")[0],
        job_id=enrolment.job_id,
        job_name=job_name or "",
        status=EnrolmentStatus(enrolment.status),
        status_reason=enrolment.status_reason,
        campaign=Campaign.model_validate(enrolment.campaign),
        expires_at=enrolment.expires_at,
        modules={module_id: completed for module_id, completed in modules.all()},
        answers=answers,
    )
