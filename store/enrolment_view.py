"""One enrolment as recruiters see it: its timeline, its messages as they stand (the
provider's reports included), who it belongs to; and the enrolments a use case looks up."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.campaigns import Campaign
from domain.identity import candidate_workflow_id
from domain.interviews import Interview
from domain.statuses import EnrolmentStatus
from domain.writeback import WritebackState
from store.calendars import Calendars
from store.message_status import WITH_REPORT, as_it_stands
from store.schema import (
    CandidateRow,
    EnrolmentAnswerRow,
    EnrolmentEventRow,
    EnrolmentRow,
    MessageRow,
)
from store.writebacks import standing, writebacks_of


class TimelineItem(BaseModel):
    seq: int
    at: datetime
    status: EnrolmentStatus
    detail: str


class SentMessage(BaseModel):
    """A message of the enrolment: who carried it, its id there, how far it got and, if it
    failed, the provider's error code."""

    message_number: int
    #: What it is in its campaign: ``welcome message``, ``nudge 1 of 4``, ``closing message``.
    name: str | None = None
    channel: str
    provider: str
    recipient: str
    body: str
    provider_message_id: str | None
    status: str
    error_code: str | None
    failure_reason: str | None
    sent_at: datetime
    updated_at: datetime


class GivenAnswer(BaseModel):
    """An answer the candidate gave (on their page or in the chat)."""

    module_id: str
    question_id: str
    prompt: str
    value: Any
    answered_at: datetime


class EnrolmentDetail(BaseModel):
    """An enrolment with its timeline (oldest first) and the messages it sent."""

    id: str
    application_id: str
    candidate_id: str
    candidate_name: str | None
    candidate_erased: bool = False
    workflow_id: str
    job_id: str
    stage_id: str
    campaign_id: str
    campaign: dict[str, Any]
    status: EnrolmentStatus
    status_reason: str | None
    ats_event_id: str
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None
    expires_at: datetime | None
    #: The next message going out and when (held by quiet hours, or a nudge); ``None``: none.
    next_send_at: datetime | None = None
    next_send: str | None = None
    status_times: dict[str, Any] = Field(default_factory=dict)
    #: The enrolment this one re-enrolled, and the one that re-enrolled this one, if any.
    reenrolment_of: str | None = None
    reenrolled_as: str | None = None
    timeline: list[TimelineItem]
    messages: list[SentMessage]
    #: What the candidate answered, in the campaign's order of modules and questions.
    answers: list[GivenAnswer] = Field(default_factory=list)
    #: The interviews the enrolment booked, the newest booking first.
    interviews: list[Interview] = Field(default_factory=list)
    #: Its write-back to the vendor ATS (its outcome, its interview's changes): ``pending``,
    #: ``done`` or ``failed`` (``None``: it is not written back), and the vendor's answer when
    #: it failed.
    writeback: WritebackState | None = None
    writeback_error: str | None = None


class EnrolmentViews:
    """Read-only queries about single enrolments."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def enrolment(self, enrolment_id: str) -> EnrolmentDetail | None:
        """The enrolment with its timeline ordered by ``seq`` and its messages as they stand."""
        row = await self._session.get(EnrolmentRow, enrolment_id)
        if row is None:
            return None
        candidate = (
            await self._session.execute(
                select(CandidateRow.name, CandidateRow.erased_at).where(
                    CandidateRow.id == row.candidate_id
                )
            )
        ).one_or_none()
        writeback, writeback_error = standing(await writebacks_of(self._session, enrolment_id))
        return EnrolmentDetail(
            id=row.id,
            application_id=row.application_id,
            candidate_id=row.candidate_id,
            candidate_name=None if candidate is None else candidate.name,
            candidate_erased=candidate is not None and candidate.erased_at is not None,
            workflow_id=candidate_workflow_id(row.candidate_id),
            job_id=row.job_id,
            stage_id=row.stage_id,
            campaign_id=row.campaign_id,
            campaign=row.campaign,
            status=EnrolmentStatus(row.status),
            status_reason=row.status_reason,
            ats_event_id=row.ats_event_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
            delivered_at=row.delivered_at,
            expires_at=row.expires_at,
            next_send_at=row.next_send_at,
            next_send=row.next_send,
            status_times=row.status_times,
            reenrolment_of=row.reenrolment_of,
            reenrolled_as=await self._session.scalar(
                select(EnrolmentRow.id).where(
                    EnrolmentRow.application_id == row.application_id,
                    EnrolmentRow.reenrolment_of == row.id,
                )
            ),
            timeline=await self._timeline(enrolment_id),
            messages=await self._messages(enrolment_id, _campaign_of(row.campaign)),
            answers=await self._answers(enrolment_id, _campaign_of(row.campaign)),
            interviews=await Calendars(self._session).of_enrolment(enrolment_id),
            writeback=writeback,
            writeback_error=writeback_error,
        )

    async def _timeline(self, enrolment_id: str) -> list[TimelineItem]:
        events = await self._session.scalars(
            select(EnrolmentEventRow)
            .where(EnrolmentEventRow.enrolment_id == enrolment_id)
            .order_by(EnrolmentEventRow.seq)
        )
        return [TimelineItem(seq=e.seq, at=e.at, status=e.status, detail=e.detail) for e in events]

    async def _messages(self, enrolment_id: str, campaign: Campaign | None) -> list[SentMessage]:
        rows = await self._session.execute(
            WITH_REPORT.where(MessageRow.enrolment_id == enrolment_id).order_by(
                MessageRow.created_at, MessageRow.message_number
            )
        )
        return [
            SentMessage(
                message_number=m.message_number,
                name=None if campaign is None else campaign.message_name(m.message_number),
                channel=m.channel,
                provider=m.provider,
                recipient=m.recipient,
                body=m.body,
                provider_message_id=m.provider_message_id,
                status=m.status,
                error_code=m.error_code,
                failure_reason=m.failure_reason,
                sent_at=m.created_at,
                updated_at=m.updated_at,
            )
            for m in (as_it_stands(message, report) for message, report in rows)
        ]

    async def _answers(self, enrolment_id: str, campaign: Campaign | None) -> list[GivenAnswer]:
        rows = await self._session.scalars(
            select(EnrolmentAnswerRow).where(EnrolmentAnswerRow.enrolment_id == enrolment_id)
        )
        order = {
            (m.id, q.id): n
            for n, (m, q) in enumerate(
                (m, q) for m in (campaign.modules if campaign else []) for q in m.questions
            )
        }
        answers = [
            GivenAnswer(
                module_id=r.module_id,
                question_id=r.question_id,
                prompt=r.prompt,
                value=r.value,
                answered_at=r.answered_at,
            )
            for r in rows
        ]
        return sorted(answers, key=lambda a: order.get((a.module_id, a.question_id), 1 << 30))

    async def enrolment_row(self, enrolment_id: str) -> EnrolmentRow | None:
        """The bare read-model row of an enrolment (who it belongs to, where it stands)."""
        return await self._session.get(EnrolmentRow, enrolment_id)


def _campaign_of(snapshot: dict[str, Any]) -> Campaign | None:
    """The campaign an enrolment took, or ``None`` for a snapshot no definition reads now."""
    try:
        return Campaign.model_validate(snapshot)
    except ValidationError:
        return None
