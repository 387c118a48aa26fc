"""Enrolments and messages for the store tests, built through the domain's own methods."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from domain.campaigns import Campaign, CampaignKind
from domain.candidates import CandidateContact
from domain.channels import ChannelKind
from domain.enrolments import Enrolment
from domain.identity import enrolment_id, idempotency_key
from domain.messages import OutboundMessage
from domain.statuses import EnrolmentStatus

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
VALID_PHONE = "+14155550123"

REJECTION = Campaign(
    name="Rejection",
    kind=CampaignKind.BLAST,
    channel=ChannelKind.SMS,
    messages=["Thanks for applying; we went with someone else."],
)


def candidate(phone: str | None = VALID_PHONE, email: str | None = None) -> CandidateContact:
    return CandidateContact(
        id=f"cand-{uuid.uuid4().hex[:8]}", name="Ada Lovelace", phone=phone, email=email
    )


def sending_blast(contact: CandidateContact, at: datetime = START) -> Enrolment:
    """A new blast enrolment, ``sending``, with its first timeline entry unprojected."""
    event_id = f"evt-{uuid.uuid4().hex[:8]}"
    return Enrolment.create(
        id=enrolment_id(event_id, "app-1"),
        ats_event_id=event_id,
        application_id="app-1",
        job_id="job-1",
        stage_id="rejected",
        candidate_id=contact.id,
        campaign_id="rejection",
        campaign=REJECTION,
        status=EnrolmentStatus.SENDING,
        at=at,
        detail="enrolled in campaign 'Rejection'",
    )


def delivered(enrolment: Enrolment) -> Enrolment:
    """A copy of ``enrolment`` one minute later, ``delivered``."""
    later = enrolment.model_copy(deep=True)
    at = enrolment.updated_at + timedelta(minutes=1)
    later.transition(EnrolmentStatus.DELIVERED, at, "channel accepted the message")
    later.delivered_at = at
    return later


def message(
    contact: CandidateContact,
    *,
    channel: ChannelKind = ChannelKind.SMS,
    enrolment: str | None = None,
    number: int = 1,
) -> OutboundMessage:
    enrolment = enrolment or f"enr_{uuid.uuid4().hex[:24]}"
    return OutboundMessage(
        idempotency_key=idempotency_key(enrolment, number),
        enrolment_id=enrolment,
        message_number=number,
        channel=channel,
        candidate=contact,
        body="Thanks for applying.",
    )
