"""Enrolments: the record of sending one campaign to one candidate for one application."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, model_validator

from domain.campaigns import CONVERSATION_NUMBERS, Campaign
from domain.events import EnrolmentSummary, ProgressEvent
from domain.links import CandidateLink
from domain.questions import Answer, AnswerValue
from domain.statuses import (
    BLAST_DONE,
    MULTI_MODULE_ONLY,
    TERMINAL,
    EnrolmentStatus,
    IllegalTransition,
    can_move,
)
from domain.timing import QuietHours

#: Where conversational messages' numbers begin (``domain.conversation``).
CONVERSATION_BASE = CONVERSATION_NUMBERS


class StatusReason(StrEnum):
    """Machine-readable reasons kept with ``failed`` and ``cancelled``."""

    INVALID_PHONE_NUMBER = "invalid_phone_number"
    MISSING_PHONE_NUMBER = "missing_phone_number"
    LANDLINE = "landline"
    UNREACHABLE = "unreachable"
    CARRIER_FILTERED = "carrier_filtered"
    OPTED_OUT = "opted_out"
    OUTSIDE_WHATSAPP_WINDOW = "outside_whatsapp_window"
    PROVIDER_REJECTED = "provider_rejected"
    MISSING_EMAIL = "missing_email"
    INVALID_EMAIL = "invalid_email"
    EMAIL_REJECTED = "email_rejected"
    UNDELIVERED = "undelivered"
    #: A refusal recorded before providers had their own reasons (``provider_rejected`` now).
    #: Kept for rows and states written then; never written now.
    CHANNEL_REJECTED = "channel_rejected"
    APPLICATION_WITHDRAWN = "application_withdrawn"
    LEFT_STAGE = "left_stage"
    CANDIDATE_ERASED = "candidate_erased"
    CANCELLED_BY_RECRUITER = "cancelled_by_recruiter"
    #: ``completed``: an answer ended the campaign (a question's ``knockout``).
    KNOCKED_OUT = "knocked_out"


class TimelineEntry(BaseModel):
    """One change of an enrolment, numbered by the enrolment's sequence."""

    seq: int
    at: datetime
    status: EnrolmentStatus
    detail: str
    #: The status before the change (``None``: the enrolment was created; the same: a note).
    previous: EnrolmentStatus | None = None
    #: The answers given with this change (a question module completed).
    answers: list[Answer] = Field(default_factory=list)


class Conversation(BaseModel):
    """Where an enrolment's conversation is: its module and question, how many answers did
    not fit, and the current module's answers so far (dropped once the module completes)."""

    module: int = 0
    question: int = 0
    attempts: int = 0
    #: A question is out and its answer has not come.
    waiting: bool = False
    #: Handed over to the page (the link went out): the chat asks nothing more.
    on_page: bool = False
    answers: dict[str, AnswerValue] = Field(default_factory=dict)


class Enrolment(BaseModel):
    """An enrolment and everything the workflow needs to carry it to a terminal status.

    ``seq`` counts its changes; the read model keeps the newest one it has seen, so a late or
    repeated write never overwrites a newer status. ``unprojected`` holds the timeline entries
    not yet written to the read model.
    """

    id: str
    ats_event_id: str
    application_id: str
    job_id: str
    stage_id: str
    candidate_id: str
    campaign_id: str
    campaign: Campaign
    #: The job's and the stage's names when the enrolment was created (for personalisation).
    job_name: str = ""
    stage_name: str = ""
    #: The quiet hours in force when it was created (``None``: it sends at any hour).
    quiet_hours: QuietHours | None = None
    status: EnrolmentStatus
    status_reason: str | None = None
    seq: int = 0
    created_at: datetime
    updated_at: datetime
    status_times: dict[EnrolmentStatus, datetime] = Field(default_factory=dict)
    delivered_at: datetime | None = None
    expires_at: datetime | None = None
    modules: dict[str, ProgressEvent] = Field(default_factory=dict)
    #: When each nudge is due (set at delivery), and how many of them are behind us.
    nudges_at: list[datetime] = Field(default_factory=list)
    nudges_done: int = 0
    #: The next message going out for it, and when (a held message, a nudge), for recruiters.
    next_send_at: datetime | None = None
    next_send: str | None = None
    #: Why the enrolment must end once its welcome's send returns (withdrawn, left the
    #: stage): the message may already be with the channel, so it cannot be cancelled while
    #: ``sending``. A blast that then goes out is simply done.
    cancel_requested: StatusReason | None = None
    #: A carrier's failure report that overtook the send's own result (it arrived while the
    #: welcome was still ``sending``), and the reason it fails with; applied as soon as the
    #: send reports back.
    early_failure_report: str | None = None
    early_failure_reason: StatusReason | None = None
    #: The address the campaign's channel reaches the candidate at had opted out (STOP) when
    #: the enrolment was made: it fails when it would be sent (rules 3).
    address_opted_out: bool = False
    #: The failed or expired enrolment a recruiter re-enrolled as this one, and back.
    reenrolment_of: str | None = None
    reenrolled_as: str | None = None
    #: The candidate's personal link for it (its campaign has a page); ``None`` once revoked.
    link: CandidateLink | None = None
    #: Where a conversational campaign's chat is (``domain.conversation``).
    conversation: Conversation | None = None
    unprojected: list[TimelineEntry] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _read_older_state(cls, data: Any) -> Any:
        # States carried over from before ``cancel_requested`` had a withdrawal flag instead.
        # Retire: once every run carried over from then has continued-as-new.
        if isinstance(data, dict) and "withdraw_requested" in data:
            data = dict(data)
            if data.pop("withdraw_requested"):
                data.setdefault("cancel_requested", StatusReason.APPLICATION_WITHDRAWN)
        return data

    @classmethod
    def create(
        cls,
        *,
        id: str,
        ats_event_id: str,
        application_id: str,
        job_id: str,
        stage_id: str,
        candidate_id: str,
        campaign_id: str,
        campaign: Campaign,
        status: EnrolmentStatus,
        at: datetime,
        detail: str,
        job_name: str = "",
        stage_name: str = "",
        quiet_hours: QuietHours | None = None,
        link: CandidateLink | None = None,
    ) -> Enrolment:
        """A new enrolment in one of the initial statuses, with its first timeline entry."""
        if not can_move(None, status):
            raise IllegalTransition(id, status, status)
        enrolment = cls(
            id=id,
            ats_event_id=ats_event_id,
            application_id=application_id,
            job_id=job_id,
            stage_id=stage_id,
            candidate_id=candidate_id,
            campaign_id=campaign_id,
            campaign=campaign,
            job_name=job_name,
            stage_name=stage_name,
            quiet_hours=quiet_hours,
            status=status,
            created_at=at,
            updated_at=at,
            link=link if campaign.has_page else None,
        )
        enrolment._record(status, at, detail)
        return enrolment

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def is_finished(self) -> bool:
        """Whether its campaign is over: a terminal status, or a blast that went out."""
        return self.is_terminal or (self.campaign.is_blast and self.status in BLAST_DONE)

    def transition(
        self, target: EnrolmentStatus, at: datetime, detail: str, reason: str | None = None
    ) -> None:
        """Move to ``target``; raises ``IllegalTransition`` if the table does not allow it."""
        if not can_move(self.status, target) or (
            self.campaign.is_blast and target in MULTI_MODULE_ONLY
        ):
            raise IllegalTransition(self.id, self.status, target)
        previous, self.status = self.status, target
        if reason is not None:
            self.status_reason = reason
        self._record(target, at, detail, previous)

    def nudge_number(self, nudge: int) -> int:
        """The message number of the ``nudge``-th nudge (after the campaign's own messages)."""
        return len(self.campaign.messages) + nudge

    def is_nudge(self, message_number: int) -> bool:
        return len(self.campaign.messages) < message_number < CONVERSATION_BASE

    def note(self, at: datetime, detail: str) -> None:
        """Add a timeline entry that does not change the status (e.g. a module completed)."""
        self._record(self.status, at, detail, self.status)

    def keep_answers(self, answers: list[Answer]) -> None:
        """Attach ``answers`` to the newest timeline entry: they reach the read model with it,
        and leave the workflow's state once it is projected."""
        self.unprojected[-1].answers.extend(answers)

    def _record(
        self,
        status: EnrolmentStatus,
        at: datetime,
        detail: str,
        previous: EnrolmentStatus | None = None,
    ) -> None:
        self.seq += 1
        self.updated_at = at
        self.status_times.setdefault(status, at)
        entry = TimelineEntry(seq=self.seq, at=at, status=status, detail=detail, previous=previous)
        self.unprojected.append(entry)

    def summary(self) -> EnrolmentSummary:
        return EnrolmentSummary(
            id=self.id,
            application_id=self.application_id,
            campaign_id=self.campaign_id,
            status=self.status,
            link=None if self.link is None else self.link.url,
        )
