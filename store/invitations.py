"""The ledger of interview e-mails (invitations, availability requests): each is recorded
(``sending``) before the mail server is asked and marked ``sent`` or ``failed`` after, so a
retried activity sends nothing it already sent. The invitation activity is the only writer.
And what those e-mails and the candidates' interview messages say: the people and the job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.candidates import CandidateContact
from store.database import dialect_insert
from store.interviewers import Interviewer, Interviewers
from store.schema import CandidateRow, EnrolmentRow, InvitationSendRow, JobRow


@dataclass(frozen=True)
class InterviewPeople:
    """Who an interview's invitations name: the interviewer, the candidate (``None`` once
    erased) with their e-mail as the ATS sent it, and the job."""

    interviewer: Interviewer | None
    candidate_name: str | None
    candidate_email: str | None
    job_name: str | None


async def interview_people(
    session: AsyncSession, interviewer_id: str, candidate_id: str, job_id: str
) -> InterviewPeople:
    """The people and the job an interview's invitations name."""
    interviewer = await Interviewers(session).get(interviewer_id)
    candidate = (
        await session.execute(
            select(CandidateRow.name, CandidateRow.email).where(
                CandidateRow.id == candidate_id, CandidateRow.erased_at.is_(None)
            )
        )
    ).one_or_none()
    job_name = await session.scalar(select(JobRow.name).where(JobRow.id == job_id))
    return InterviewPeople(
        interviewer=interviewer,
        candidate_name=None if candidate is None else candidate.name,
        candidate_email=None if candidate is None else candidate.email,
        job_name=job_name,
    )


class InvitationLedger:
    """Records invitation e-mails, each in a transaction of its own."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def claim(
        self, key: str, interview_id: str, sequence: int, invitee: str, method: str
    ) -> str:
        """Record the e-mail ``key`` as about to be sent, unless it is already; returns its
        status (``sending`` for a new one, or one whose earlier attempt's outcome is not
        known)."""
        now = datetime.now(UTC)
        async with self._sessions.begin() as session:
            insert = dialect_insert(session, InvitationSendRow).values(
                key=key,
                interview_id=interview_id,
                sequence=sequence,
                invitee=invitee,
                method=method,
                status="sending",
                created_at=now,
                updated_at=now,
            )
            await session.execute(insert.on_conflict_do_nothing(index_elements=["key"]))
            status = await session.scalar(
                select(InvitationSendRow.status).where(InvitationSendRow.key == key)
            )
        return status or "sending"

    async def settle(
        self, key: str, status: str, provider_message_id: str | None, error: str | None = None
    ) -> None:
        """Mark the e-mail ``sent`` or ``failed``."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(InvitationSendRow)
                .where(InvitationSendRow.key == key)
                .values(
                    status=status,
                    provider_message_id=provider_message_id,
                    error=None if error is None else error[:500],
                    updated_at=datetime.now(UTC),
                )
            )


@dataclass(frozen=True)
class MessageFacts:
    """What an interview message to a candidate needs: the channel of their enrolment's
    campaign, their contact details as their workflow last saw them, and the job's name."""

    channel: str
    contact: CandidateContact
    job_name: str


async def message_facts(session: AsyncSession, enrolment_id: str) -> MessageFacts | None:
    """The facts of an interview message for ``enrolment_id`` (``None``: no such enrolment, or
    its candidate was erased: nobody to tell)."""
    row = (
        await session.execute(
            select(
                EnrolmentRow.campaign,
                CandidateRow.id,
                CandidateRow.name,
                CandidateRow.phone,
                CandidateRow.email,
                CandidateRow.timezone,
                JobRow.name,
            )
            .join(CandidateRow, CandidateRow.id == EnrolmentRow.candidate_id)
            .outerjoin(JobRow, JobRow.id == EnrolmentRow.job_id)
            .where(EnrolmentRow.id == enrolment_id, CandidateRow.erased_at.is_(None))
        )
    ).one_or_none()
    if row is None:
        return None
    campaign, candidate_id, name, phone, email, timezone, job_name = row
    contact = CandidateContact(
        id=candidate_id, name=name or "", phone=phone, email=email, timezone=timezone
    )
    return MessageFacts(
        channel=str(campaign.get("channel", "")), contact=contact, job_name=job_name or ""
    )
