"""What happens to a candidate, as the workflow receives it.

One model per update and signal so fields can be added later. Every one carries the id of the
outside event it came from: the workflow applies each id at most once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.campaigns import Campaign
from domain.candidates import CandidateContact, Identifier
from domain.links import CandidateLink
from domain.questions import AnswerValue
from domain.statuses import EnrolmentStatus
from domain.timing import QuietHours


class ApplicationRef(BaseModel):
    """An application: a candidate applying to a job, currently in one of its stages."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Identifier
    job_id: Identifier
    stage_id: Identifier


class EnrolRequest(BaseModel):
    """An application entered a stage (the update sent with update-with-start).

    ``campaign`` is the snapshot of the stage's campaign taken when the event was resolved, or
    ``None`` when the stage has no campaign (then nothing is enrolled, but unsent enrolments of
    the application's previous stage are still cancelled).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: Identifier
    occurred_at: AwareDatetime
    application: ApplicationRef
    candidate: CandidateContact
    campaign_id: Identifier | None = None
    campaign: Campaign | None = None
    auto_match: bool = False
    #: The job's and the stage's names as configured now, for the campaign's texts.
    job_name: str = ""
    stage_name: str = ""
    #: When nothing may be sent (``None``: any hour), as configured now.
    quiet_hours: QuietHours | None = None
    #: The address the campaign's channel reaches the candidate at has opted out (STOP), as
    #: the API saw it: the enrolment fails at once instead of going out.
    opted_out: bool = False
    #: The candidate's personal link for it, when its campaign has a page (made at the edge).
    link: CandidateLink | None = None


class EnrolmentSummary(BaseModel):
    """An enrolment as the ATS bridge reports it back."""

    model_config = ConfigDict(frozen=True)

    id: str
    application_id: str
    campaign_id: str
    status: EnrolmentStatus
    #: The candidate's personal link, when the campaign has a page (for the ATS to pass on).
    link: str | None = None


class EnrolResult(BaseModel):
    """What enrolling answers: the enrolments the event created (the same ones on a repeat)."""

    enrolments: list[EnrolmentSummary]


class ApplicationWithdrawn(BaseModel):
    """The application was withdrawn: cancel what was not sent and free the thread.

    ``application`` is where the ATS says it was withdrawn from; ``occurred_at`` orders it
    among the application's other events (missing only in signals from before ordering).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: Identifier
    application_id: Identifier
    occurred_at: AwareDatetime | None = None
    application: ApplicationRef | None = None
    #: How long a campaign this withdrawal frees the thread for waits before it goes out, so
    #: that a burst of withdrawals (an ATS rejecting several applications at once) is seen
    #: whole first. Zero in events from before it existed.
    settle: timedelta = timedelta(0)


class ProgressEvent(StrEnum):
    STARTED = "started"
    COMPLETED = "completed"


class ModuleProgress(BaseModel):
    """The candidate started or completed one module of a multi-module campaign."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: Identifier
    enrolment_id: Identifier
    module_id: Identifier
    event: ProgressEvent
    #: A question module's answers, as given (read again by the workflow before it keeps them).
    answers: dict[str, AnswerValue] = {}
    #: With a completion: the module the candidate lands on next (the page moves them on),
    #: started in the same step.
    opens: Identifier | None = None


class CandidateReply(BaseModel):
    """A message the candidate sent back (SMS or WhatsApp), for their conversation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: Identifier
    text: Annotated[str, Field(max_length=1600)]
    #: Take it only as the answer to a question the conversation waits on (else say so);
    #: off: keep a reply with nothing asked on the timeline for the recruiter.
    only_if_asked: bool = True


class ReplyResult(BaseModel):
    """What a reply did: ``answered``, ``asked_again``, ``link_sent``, ``kept`` (on the
    timeline), ``not_asked`` (nothing waits for it), ``repeated`` or ``nobody``."""

    outcome: str
    enrolment_id: str | None = None


class ProgressResult(BaseModel):
    """What a module start/completion did: ``ignored`` says why it changed nothing."""

    ignored: str | None = None
    enrolment: EnrolmentSummary | None = None


class Slot(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start: AwareDatetime
    end: AwareDatetime


class InterviewerAvailability(BaseModel):
    """An interviewer published availability for a job stage: Auto-Match enrolments go out.

    ``received_at`` is when the webhook first reached us: it releases the enrolments that were
    waiting then, so a repeat of it, however late, never releases one that arrived since.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: Identifier
    job_id: Identifier
    stage_id: Identifier
    interviewer_id: Identifier
    slots: Annotated[list[Slot], Field(max_length=500)] = []
    received_at: AwareDatetime | None = None


class DeliveryOutcome(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"


class DeliveryReceipt(BaseModel):
    """A channel's later word on a message it had accepted (e.g. a Twilio status callback)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: Identifier
    enrolment_id: Identifier
    message_number: int = 1
    outcome: DeliveryOutcome
    #: What the carrier said, for the timeline.
    reason: str | None = None
    at: datetime | None = None
    #: The ``StatusReason`` value a failure fails the enrolment with (``undelivered`` if none).
    failure: str | None = None


class ReadModelResync(BaseModel):
    """Write the candidate's enrolments to the read model again (sent by ``reconcile``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: Identifier


class ErasureRequest(BaseModel):
    """Erase the candidate's personal data (``DELETE /candidates/{id}``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: Identifier


class ErasureResult(BaseModel):
    """What an erasure did: the enrolments it ended, and whether the read model is erased yet
    (``False``: it is, once the messages in flight have returned)."""

    erased_at: datetime
    erased: bool
    enrolments: list[EnrolmentSummary]


class CancelEnrolment(BaseModel):
    """A recruiter cancels an enrolment (``POST /enrolments/{id}/cancel``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: Identifier
    enrolment_id: Identifier


class Reenrol(BaseModel):
    """A recruiter re-enrols a failed or expired enrolment, with corrected contact details
    (``None``: keep the current ones)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: Identifier
    enrolment_id: Identifier
    phone: Annotated[str, Field(max_length=64)] | None = None
    email: Annotated[str, Field(max_length=320)] | None = None
    #: The new enrolment's personal link, when its campaign has a page (made at the edge).
    link: CandidateLink | None = None


class ActionResult(BaseModel):
    """What a recruiter's action did: the enrolment it acted on or created, or why it was
    refused (``refused``; nothing changed)."""

    enrolment: EnrolmentSummary | None = None
    refused: str | None = None
    #: A retry of a request already applied (its id was seen): it changed nothing now.
    repeated: bool = False
