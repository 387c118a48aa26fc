"""What a candidate's own page reads: the enrolment their link opens (found by the hash of its
token), how far they got in each module and what they answered. Nothing of any other
candidate: every read is keyed by the one enrolment."""

from __future__ import annotations

from collections import OrderedDict
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
    stage_id: str
    job_name: str
    #: The candidate's IANA time zone, if the ATS gave one.
    timezone: str | None = None
    status: EnrolmentStatus
    status_reason: str | None
    campaign: Campaign
    expires_at: datetime | None
    #: Each module the candidate touched: ``True`` once completed.
    modules: dict[str, bool]
    #: ``{module id: {question id: value}}``, what they answered.
    answers: dict[str, dict[str, Any]]


#: Enrolments' campaigns, parsed: a snapshot never changes (DESIGN.md, decision 8).
_CAMPAIGNS: OrderedDict[str, Campaign] = OrderedDict()
CAMPAIGNS_KEPT = 4096


async def _campaign(session: AsyncSession, enrolment_id: str) -> Campaign:
    """An enrolment's campaign, read and parsed once per process (the newest
    ``CAMPAIGNS_KEPT``)."""
    campaign = _CAMPAIGNS.pop(enrolment_id, None)
    if campaign is None:
        snapshot = await session.scalar(
            select(EnrolmentRow.campaign).where(EnrolmentRow.id == enrolment_id)
        )
        campaign = Campaign.model_validate(snapshot)
    _CAMPAIGNS[enrolment_id] = campaign
    if len(_CAMPAIGNS) > CAMPAIGNS_KEPT:
        _CAMPAIGNS.popitem(last=False)
    return campaign


async def linked_enrolment(session: AsyncSession, token_hash: str) -> LinkedEnrolment | None:
    """The enrolment whose link's token hashes to ``token_hash``, or ``None`` (no such link,
    or it was revoked). The page's hottest read: one indexed statement (the enrolment with
    its job's and candidate's names, a row for each module touched and each answer given),
    and the campaign read and parsed once per enrolment and process."""
    E, M, A = EnrolmentRow, EnrolmentModuleRow, EnrolmentAnswerRow
    rows = (
        await session.execute(
            select(
                E.id,
                E.candidate_id,
                E.job_id,
                E.status,
                E.status_reason,
                E.expires_at,
                JobRow.name,
                CandidateRow.name,
                E.stage_id,
                CandidateRow.timezone,
                M.module_id,
                M.completed,
                A.question_id,
                A.value,
            )
            .outerjoin(JobRow, JobRow.id == E.job_id)
            .outerjoin(CandidateRow, CandidateRow.id == E.candidate_id)
            .outerjoin(M, M.enrolment_id == E.id)
            .outerjoin(A, (A.enrolment_id == E.id) & (A.module_id == M.module_id))
            .where(E.link_hash == token_hash)
        )
    ).all()
    if not rows:
        return None
    enrolment_id, candidate_id, job_id, status, reason, expires_at, job_name, name = rows[0][:8]
    stage_id, timezone = rows[0][8:10]
    modules: dict[str, bool] = {}
    answers: dict[str, dict[str, Any]] = {}
    for *_, module_id, completed, question_id, value in rows:
        if module_id is not None:
            modules[module_id] = completed
        if question_id is not None:
            answers.setdefault(module_id, {})[question_id] = value
    return LinkedEnrolment(
        enrolment_id=enrolment_id,
        candidate_id=candidate_id,
        first_name=(name or "").split(" ")[0],
        job_id=job_id,
        stage_id=stage_id,
        job_name=job_name or "",
        timezone=timezone,
        status=EnrolmentStatus(status),
        status_reason=reason,
        campaign=await _campaign(session, enrolment_id),
        expires_at=expires_at,
        modules=modules,
        answers=answers,
    )
