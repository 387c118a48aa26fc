"""The cast of the domain tests: campaigns, a candidate, ATS events and a clock we move by hand."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from domain.campaigns import Campaign, CampaignKind, CampaignModule, ModuleType
from domain.candidates import CandidateContact
from domain.channels import ChannelKind
from domain.events import (
    ApplicationRef,
    ApplicationWithdrawn,
    DeliveryOutcome,
    DeliveryReceipt,
    EnrolRequest,
    InterviewerAvailability,
    ModuleProgress,
    ProgressEvent,
    Slot,
)
from domain.identity import enrolment_id
from domain.sending import WELCOME_MESSAGE, PendingSend
from domain.thread import CandidateThread

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

REJECTION = Campaign(
    name="Rejection",
    kind=CampaignKind.BLAST,
    channel=ChannelKind.SMS,
    messages=["Thanks for applying; we went with someone else."],
)

SCREENING = Campaign(
    name="Screening",
    kind=CampaignKind.MULTI_MODULE,
    channel=ChannelKind.WHATSAPP,
    messages=["Welcome! A few questions before we meet."],
    modules=[
        CampaignModule(id="about-us", name="About us", type=ModuleType.CONTENT),
        CampaignModule(id="questions", name="Questions", type=ModuleType.QUESTION),
    ],
)

#: A multi-module campaign with a closing message sent once every module is completed.
INTERVIEW = Campaign(
    name="Interview booking",
    kind=CampaignKind.MULTI_MODULE,
    channel=ChannelKind.WHATSAPP,
    messages=["Let's find a time for your interview.", "Booked: see you soon!"],
    modules=[CampaignModule(id="book", name="Book a slot", type=ModuleType.SCHEDULE)],
    expiry=timedelta(days=2),
)


def candidate(candidate_id: str = "cand-1") -> CandidateContact:
    return CandidateContact(id=candidate_id, name="Ada Lovelace", phone="+14155550123")


def new_thread() -> CandidateThread:
    return CandidateThread.start(candidate())


#: ATS events made by ``enrol_request`` happen one second apart, in the order they are made,
#: unless a test says when (events about one application are ordered by ``occurred_at``).
_ats_clock = itertools.count()


def ats_time() -> datetime:
    """The next moment an ATS event happens at (later than every one made before)."""
    return START + timedelta(seconds=next(_ats_clock))


def enrol_request(
    event_id: str,
    application_id: str = "app-1",
    *,
    campaign: Campaign | None = SCREENING,
    job_id: str = "job-1",
    stage_id: str = "screen",
    auto_match: bool = False,
    occurred_at: datetime | None = None,
) -> EnrolRequest:
    """An application entering ``stage_id``; ``campaign=None`` is a stage without a campaign.

    It happens after every event made before it unless ``occurred_at`` says otherwise.
    """
    return EnrolRequest(
        event_id=event_id,
        occurred_at=occurred_at or ats_time(),
        application=ApplicationRef(id=application_id, job_id=job_id, stage_id=stage_id),
        candidate=candidate(),
        campaign_id=None if campaign is None else campaign.name.lower().replace(" ", "-"),
        campaign=campaign,
        auto_match=auto_match,
    )


def expected_id(event_id: str, application_id: str = "app-1") -> str:
    return enrolment_id(event_id, application_id)


def welcome(enrolment: str) -> PendingSend:
    return PendingSend(enrolment_id=enrolment, message_number=WELCOME_MESSAGE)


def progress(
    event_id: str, enrolment: str, module_id: str, event: ProgressEvent = ProgressEvent.COMPLETED
) -> ModuleProgress:
    return ModuleProgress(
        event_id=event_id, enrolment_id=enrolment, module_id=module_id, event=event
    )


def withdrawal(
    event_id: str, application_id: str = "app-1", occurred_at: datetime | None = None
) -> ApplicationWithdrawn:
    """The application withdrawn, after every event made before (unless ``occurred_at``)."""
    return ApplicationWithdrawn(
        event_id=event_id, application_id=application_id, occurred_at=occurred_at or ats_time()
    )


def availability(
    event_id: str, *, job_id: str = "job-1", stage_id: str = "interview"
) -> InterviewerAvailability:
    return InterviewerAvailability(
        event_id=event_id,
        job_id=job_id,
        stage_id=stage_id,
        interviewer_id="int-1",
        slots=[Slot(start=START + timedelta(days=1), end=START + timedelta(days=1, hours=1))],
    )


def receipt(
    event_id: str,
    enrolment: str,
    outcome: DeliveryOutcome = DeliveryOutcome.FAILED,
    message_number: int = WELCOME_MESSAGE,
) -> DeliveryReceipt:
    return DeliveryReceipt(
        event_id=event_id,
        enrolment_id=enrolment,
        message_number=message_number,
        outcome=outcome,
        reason="30003 unreachable destination" if outcome is DeliveryOutcome.FAILED else None,
    )


class Clock:
    """A deterministic clock: time moves only when a test says so."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def advance(self, by: timedelta) -> datetime:
        self.now += by
        return self.now
