"""The messages a candidate gets: each one rendered from the enrolment's campaign snapshot.

``outbound_message`` is what the workflow hands the delivery activity; ``OutboundMessage``
is what every channel sends. Rendering is pure, so the workflow may do it.
"""

from __future__ import annotations

from pydantic import BaseModel

from domain.candidates import CandidateContact
from domain.channels import CHANNELS, ChannelKind
from domain.conversation import is_conversational, text_of
from domain.enrolments import Enrolment
from domain.identity import idempotency_key
from domain.links import CandidateLink
from domain.personalisation import Personalisation, render
from domain.sending import WELCOME_MESSAGE


class WhatsAppContent(BaseModel):
    """An approved WhatsApp template (Twilio Content API) with its variables filled in."""

    content_sid: str
    variables: dict[str, str] = {}


class OutboundMessage(BaseModel):
    """One message to one candidate. ``idempotency_key`` makes a repeat a no-op.

    ``body`` is the personalised text; ``subject`` is for e-mail; ``template`` is set for a
    WhatsApp message that opens a conversation (it is sent instead of ``body``).
    """

    idempotency_key: str
    enrolment_id: str
    message_number: int
    channel: ChannelKind
    candidate: CandidateContact
    body: str
    subject: str | None = None
    template: WhatsAppContent | None = None
    #: The candidate's link, when ``body`` carries it (kept without its token: ``kept_body``).
    link: CandidateLink | None = None

    @property
    def kept_body(self) -> str:
        """The text as the product keeps it: a link's token hidden."""
        return self.body if self.link is None else self.link.hidden(self.body)


def outbound_message(
    enrolment: Enrolment, number: int, candidate: CandidateContact
) -> OutboundMessage:
    """The ``number``-th message of ``enrolment``, personalised for ``candidate``.

    A nudge's text is the campaign's nudge message. A WhatsApp welcome or nudge goes out as the
    campaign's approved template, when it has one: it opens the conversation, where free text
    would be refused outside the 24-hour window.
    """
    campaign = enrolment.campaign
    link = enrolment.link
    values = Personalisation(
        candidate_name=candidate.name,
        job_name=enrolment.job_name,
        stage_name=enrolment.stage_name,
        campaign_name=campaign.name,
        link=link.url if link is not None else "",
    )
    template = None
    nudge = enrolment.is_nudge(number)
    if is_conversational(number):
        return _message(enrolment, number, candidate, render(text_of(enrolment, number), values))
    if (
        CHANNELS[campaign.channel].opening_template
        and (number == WELCOME_MESSAGE or nudge)
        and campaign.whatsapp_template is not None
    ):
        template = WhatsAppContent(
            content_sid=campaign.whatsapp_template.content_sid,
            variables={
                name: render(text, values)
                for name, text in campaign.whatsapp_template.variables.items()
            },
        )
    text = (
        campaign.nudges.message
        if nudge and campaign.nudges is not None
        else campaign.messages[number - 1]
    )
    body = render(text, values)
    if (
        link is not None
        and number == WELCOME_MESSAGE
        and not campaign.conversational
        and link.url not in body
    ):
        body = f"{body}\n{link.url}"  # a link-mode campaign's welcome always carries the link
    return OutboundMessage(
        idempotency_key=idempotency_key(enrolment.id, number),
        enrolment_id=enrolment.id,
        message_number=number,
        channel=campaign.channel,
        candidate=candidate,
        body=body,
        subject=render(campaign.subject or campaign.name, values)
        if CHANNELS[campaign.channel].subject
        else None,
        template=template,
        link=link if link is not None and link.url in body else None,
    )


def _message(
    enrolment: Enrolment, number: int, candidate: CandidateContact, body: str
) -> OutboundMessage:
    """A conversational message: free text in the conversation the welcome opened."""
    link = enrolment.link
    return OutboundMessage(
        idempotency_key=idempotency_key(enrolment.id, number),
        enrolment_id=enrolment.id,
        message_number=number,
        channel=enrolment.campaign.channel,
        candidate=candidate,
        body=body,
        link=link if link is not None and link.url in body else None,
    )
