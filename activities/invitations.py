"""Interview e-mails (activities of the interviewer's workflow): an interview's invitations, an
e-mail with the iCalendar invitation to the interviewer, and to the candidate when they have
an e-mail address; and the requests for availability, with the interviewer's own link.
Addresses and names are read here, from the read model, so they never travel through
Temporal.

Each e-mail goes once (DESIGN.md, decision 17): recorded in the ledger before the mail server
is asked, marked after. An e-mail the mail server refuses for good (5xx) is recorded as failed
and not retried; one whose outcome is unknown is sent again with the same ``Message-ID``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parseaddr

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.contracts import (
    SEND_AVAILABILITY_REQUEST,
    SEND_INVITATIONS,
    AvailabilityRequest,
    SendInvitations,
)
from channels.base import PermanentDeliveryError, Provider
from channels.invitations import InvitationMail, InvitationMailer, PlainMail
from channels.smtp import SmtpProvider
from config.interviewer_links import interviewer_link
from config.settings import Settings
from domain.addresses import AddressProblem, normalise_email
from domain.channels import ChannelKind
from domain.interviews import Interview, InterviewStatus
from domain.invitations import Attendee, Invitation, calendar_file
from store.interviewers import Interviewers
from store.invitations import InvitationLedger, interview_people


class InvitationActivities:
    """Sends invitations through ``mailer``, from ``organizer`` (the company's address)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        mailer: InvitationMailer,
        organizer: Attendee,
        link_of: Callable[[str], str],
    ) -> None:
        self._sessions = sessions
        self._mailer = mailer
        self._ledger = InvitationLedger(sessions)
        self._organizer = organizer
        self._link_of = link_of

    @activity.defn(name=SEND_AVAILABILITY_REQUEST)
    async def send_availability_request(self, input: AvailabilityRequest) -> bool:
        """E-mail the interviewer their own link, asking for availability (``number`` 0), or
        reminding them; ``False`` when there was nobody to send to or it went out before."""
        async with self._sessions() as session:
            interviewer = await Interviewers(session).get(input.interviewer_id)
        if interviewer is None:
            return False
        about = hashlib.sha256(f"{input.interviewer_id}\x1f{input.asked_at}".encode()).hexdigest()
        key = f"ask:{about[:32]}:{input.number}"
        if await self._ledger.claim(key, "", input.number, "interviewer", "ASK") != "sending":
            return False
        first = interviewer.name.split(" ")[0]
        text = (
            f"Hi {first},\n\nCandidates are waiting to book an interview with you. Tick the "
            f"hours you are free in the next two weeks (no sign-in needed):\n\n"
            f"{self._link_of(interviewer.id)}\n\nThank you!"
        )
        mail = PlainMail(
            key=key,
            to=interviewer.email,
            subject=("Reminder: " if input.number else "") + "When are you free to interview?",
            body=text,
        )
        try:
            accepted = await self._mailer.send_plain(mail)
        except PermanentDeliveryError as refused:
            await self._ledger.settle(key, "failed", None, refused.detail)
            return False
        await self._ledger.settle(key, "sent", accepted.provider_message_id)
        return True

    @activity.defn(name=SEND_INVITATIONS)
    async def send_invitations(self, input: SendInvitations) -> int:
        """Send the interview's invitations at its sequence; returns how many went out now."""
        interview = input.interview
        invitees, job_name, candidate_name = await self._invitees(interview)
        sent = 0
        for role, invitee in invitees.items():
            summary = (
                f"Interview: {candidate_name} ({job_name})"
                if role == "interviewer"
                else f"Your interview for {job_name}"
            )
            invitation = Invitation(
                interview_id=interview.id,
                sequence=interview.sequence,
                start=interview.start,
                end=interview.end,
                summary=summary[:300],
                location=interview.location,
                organizer=self._organizer,
                attendees=list(invitees.values()),
                cancelled=interview.status is InterviewStatus.CANCELLED,
            )
            method = "CANCEL" if invitation.cancelled else "REQUEST"
            key = f"{interview.id}:{interview.sequence}:{role}"
            status = await self._ledger.claim(key, interview.id, interview.sequence, role, method)
            if status != "sending":
                continue  # sent (or refused for good) by an earlier attempt
            mail = InvitationMail(
                key=key,
                to=invitee.email,
                subject=("Cancelled: " if invitation.cancelled else "") + summary,
                body=_body(interview, invitation.cancelled),
                ics=calendar_file(invitation, datetime.now(UTC)),
                method=method,
            )
            try:
                accepted = await self._mailer.send(mail)
            except PermanentDeliveryError as refused:
                await self._ledger.settle(key, "failed", None, refused.detail)
                continue
            await self._ledger.settle(key, "sent", accepted.provider_message_id)
            sent += 1
        return sent

    async def _invitees(self, interview: Interview) -> tuple[dict[str, Attendee], str, str]:
        """Who is invited, by role; the job's and the candidate's names."""
        async with self._sessions() as session:
            people = await interview_people(
                session, interview.interviewer_id, interview.candidate_id, interview.job_id
            )
        invitees: dict[str, Attendee] = {}
        if people.interviewer is not None:
            invitees["interviewer"] = Attendee(
                name=people.interviewer.name, email=people.interviewer.email
            )
        email = _email(people.candidate_email)
        if people.candidate_name is not None and email is not None:
            invitees["candidate"] = Attendee(name=people.candidate_name[:300], email=email)
        return invitees, people.job_name or interview.job_id, people.candidate_name or "a candidate"


def _email(raw: str | None) -> str | None:
    try:
        return normalise_email(raw)
    except AddressProblem:
        return None


def _body(interview: Interview, cancelled: bool) -> str:
    when = f"{interview.start:%A %d %B %Y, %H:%M} UTC"
    if cancelled:
        return f"The interview on {when} is cancelled."
    where = f"\nWhere: {interview.location}" if interview.location else ""
    return f"Your interview is on {when}.{where}\n\nThe invitation is attached."


#: The organizer's address when no sender is configured (the invitations are then recorded
#: only, never sent).
NO_SENDER = "interviews@enrolments.invalid"


def invitation_activities(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    providers: Mapping[ChannelKind, Provider],
) -> InvitationActivities:
    """The invitation activity, sending through the e-mail channel's SMTP server when one is
    configured (``ENROLMENTS_SMTP_URL``), from ``ENROLMENTS_EMAIL_FROM``."""
    email = providers.get(ChannelKind.EMAIL)
    smtp = email if isinstance(email, SmtpProvider) else None
    sender = settings.email_from or NO_SENDER
    organizer = Attendee(name=settings.company_name or "Interviews", email=parseaddr(sender)[1])
    return InvitationActivities(
        sessions,
        InvitationMailer(smtp, sender),
        organizer,
        lambda interviewer_id: interviewer_link(settings, interviewer_id),
    )
