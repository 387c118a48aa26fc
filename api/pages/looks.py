"""How the recruiter's pages show things: each status's label and hint, the labels of campaign
kinds, channels and reasons, and the link to a candidate's workflow in the Temporal UI.

Decided here, once, for every page and handed to the scripts; the colours live in
``static/app.css``.
"""

from __future__ import annotations

from urllib.parse import quote

from pydantic import BaseModel

from domain.campaigns import CampaignKind
from domain.channels import CHANNELS
from domain.enrolments import StatusReason
from domain.identity import candidate_workflow_id
from domain.statuses import EnrolmentStatus

S = EnrolmentStatus

#: How often a page that shows statuses polls its JSON view (304 while nothing changed).
POLL_MS = 1500


class StatusLook(BaseModel):
    """How a status is shown to recruiters: a readable label and a one-line hint."""

    value: EnrolmentStatus
    label: str
    hint: str


#: Every status in the order recruiters read a campaign's life, with its label and hint.
STATUS_LOOKS: tuple[StatusLook, ...] = (
    StatusLook(value=S.SENDING, label="Sending", hint="Being handed to the messaging channel"),
    StatusLook(
        value=S.QUEUED, label="Queued", hint="Waits for the candidate's current campaign to end"
    ),
    StatusLook(value=S.DELIVERED, label="Delivered", hint="The channel delivered it"),
    StatusLook(
        value=S.IN_PROGRESS, label="In progress", hint="The candidate is working through it"
    ),
    StatusLook(value=S.COMPLETED, label="Completed", hint="Every module completed"),
    StatusLook(value=S.FAILED, label="Failed", hint="Could not be delivered"),
    StatusLook(value=S.EXPIRED, label="Expired", hint="Not completed before the deadline"),
    StatusLook(
        value=S.AUTO_MATCH, label="Auto-Match", hint="Waits for an interviewer's availability"
    ),
    StatusLook(
        value=S.CANCELLED,
        label="Cancelled",
        hint="Ended before it completed; the reason says who or what ended it",
    ),
)

KIND_LABELS = {CampaignKind.BLAST: "Blast", CampaignKind.MULTI_MODULE: "Multi-module"}
CHANNEL_LABELS = {kind: traits.label for kind, traits in CHANNELS.items()}
R = StatusReason

#: Why an enrolment failed or was cancelled, in a recruiter's words: what went wrong with the
#: address or the channel, or who (the ATS, a recruiter, an erasure) ended it.
REASON_LABELS: dict[str, str] = {
    R.INVALID_PHONE_NUMBER: "The phone number is not a valid number",
    R.MISSING_PHONE_NUMBER: "No phone number for an SMS or WhatsApp campaign",
    R.LANDLINE: "The number is a landline: it cannot take messages",
    R.UNREACHABLE: "The carrier could not reach the phone",
    R.CARRIER_FILTERED: "The carrier filtered the message",
    R.OPTED_OUT: "The candidate opted out of messages",
    R.OUTSIDE_WHATSAPP_WINDOW: "WhatsApp refused free text outside its 24-hour window",
    R.PROVIDER_REJECTED: "The messaging provider refused the message",
    R.MISSING_EMAIL: "No e-mail address for an e-mail campaign",
    R.INVALID_EMAIL: "The e-mail address is not valid",
    R.EMAIL_REJECTED: "The mail server refused the e-mail",
    R.UNDELIVERED: "The carrier could not deliver it",
    R.CHANNEL_REJECTED: "The messaging provider refused the message",
    R.APPLICATION_WITHDRAWN: "Cancelled by the ATS: the application was withdrawn",
    R.LEFT_STAGE: "Cancelled by the ATS: the application moved to another stage",
    R.CANDIDATE_ERASED: "Cancelled when the candidate's data was erased",
    R.CANCELLED_BY_RECRUITER: "Cancelled by a recruiter",
    R.KNOCKED_OUT: "Ended by an answer (a knockout question)",
}


def temporal_workflow_url(base_url: str, namespace: str, candidate_id: str) -> str:
    """The Temporal Web UI page of ``candidate_id``'s workflow."""
    workflow_id = candidate_workflow_id(candidate_id)
    return f"{base_url.rstrip('/')}/namespaces/{quote(namespace, safe='')}/workflows/" + quote(
        workflow_id, safe=""
    )
