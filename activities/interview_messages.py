"""Telling the candidate about their interview on their campaign's channel (an activity of the
interviewer's workflow): the booking's confirmation, a cancellation, the reminders. Through the
same channel and ledger as every message (``channels.dispatch``): recorded before the provider
is called, so a retried activity never texts twice; an opted-out or unreachable candidate is
not told (the interview stands). On WhatsApp they go as the approved interview template when
``ENROLMENTS_WHATSAPP_INTERVIEW_TEMPLATE`` names one. The candidate's address is read here,
from the read model.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.contracts import SEND_INTERVIEW_MESSAGE, SendInterviewMessage
from channels.base import Channel, PermanentDeliveryError
from domain.channels import CHANNELS, ChannelKind
from domain.interview_messages import InterviewMessage
from domain.interviews import Interview
from domain.links import CandidateLink, token_hash
from domain.messages import OutboundMessage, WhatsAppContent
from store.invitations import MessageFacts, message_facts


class InterviewMessageActivities:
    """Sends the candidates' interview messages through ``channel``."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        channel: Channel,
        *,
        whatsapp_template: str | None = None,
    ) -> None:
        self._sessions = sessions
        self._channel = channel
        self._whatsapp_template = whatsapp_template

    @activity.defn(name=SEND_INTERVIEW_MESSAGE)
    async def send_interview_message(self, input: SendInterviewMessage) -> bool:
        """Send the message; ``False`` when nobody could be told (erased, opted out, no
        address on the channel)."""
        interview, kind = input.interview, input.kind
        async with self._sessions() as session:
            facts = await message_facts(session, interview.enrolment_id)
        if facts is None or facts.channel not in set(ChannelKind):
            return False
        message = interview_message(kind, interview, facts, self._whatsapp_template)
        try:
            await self._channel.send(message)
        except PermanentDeliveryError as refused:
            activity.logger.info("%s of %s not sent: %s", kind, interview.id, refused.detail)
            return False
        return True


def interview_message(
    kind: InterviewMessage,
    interview: Interview,
    facts: MessageFacts,
    whatsapp_template: str | None = None,
) -> OutboundMessage:
    """The message itself. On WhatsApp it goes as the approved interview template when one is
    configured (``{{1}}`` the job, ``{{2}}`` the text): the candidate who booked on their page
    has usually not written for a day, and free text would be refused."""
    channel = ChannelKind(facts.channel)
    text = interview_text(kind, interview, facts.job_name)
    template = None
    if CHANNELS[channel].opening_template and whatsapp_template is not None:
        template = WhatsAppContent(
            content_sid=whatsapp_template,
            variables={"1": facts.job_name or "the job", "2": text},
        )
    return OutboundMessage(
        idempotency_key=(
            f"{interview.enrolment_id}:{kind.number}:{interview.id[4:16]}:{interview.sequence}"
        ),
        enrolment_id=interview.enrolment_id,
        message_number=kind.number,
        channel=channel,
        candidate=facts.contact,
        body=text,
        subject=f"Your interview for {facts.job_name}" if CHANNELS[channel].subject else None,
        template=template,
        # Kept without its token, like every message that carries the candidate's link.
        link=None
        if interview.link is None
        else CandidateLink(
            url=interview.link, token_hash=token_hash(interview.link.rsplit("/", 1)[-1])
        ),
    )


def interview_text(kind: InterviewMessage, interview: Interview, job_name: str) -> str:
    """What the candidate reads, with the time in their zone and their page's link."""
    zone = ZoneInfo(interview.reach.zone)
    start = interview.start.astimezone(zone)
    when = f"{start:%A %d %B} at {start:%H:%M} ({interview.reach.zone})"
    where = f" Where: {interview.location}." if interview.location else ""
    link = f" {interview.link}" if interview.link else ""
    job = job_name or "the job"
    match kind:
        case InterviewMessage.BOOKED:
            return f"Your interview for {job} is booked: {when}.{where} To change it:{link}"
        case InterviewMessage.CANCELLED:
            return f"Your interview for {job} on {when} was cancelled. Pick a new time:{link}"
        case InterviewMessage.DAY_BEFORE:
            return (
                f"Reminder: your interview for {job} is {when}.{where} "
                f"Please confirm you will come:{link}"
            )
        case InterviewMessage.SOON:
            return (
                f"Your interview for {job} starts at {start:%H:%M} ({interview.reach.zone}).{where}"
            )
