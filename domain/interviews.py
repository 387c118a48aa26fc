"""Interviews and what is asked of an interviewer's calendar: an ``Interview``, the requests
that book, move, confirm or cancel one, and their answers. ``domain.interviewer_calendar``
decides them.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.candidates import Identifier
from domain.interview_messages import InterviewMessage, Reach, moment_of
from domain.slots import Interval, SlotRules

#: Interviews are dropped from the state this long after they end.
KEPT_AFTER_END = timedelta(days=2)
#: At most this many availability windows are kept (the earliest).
MAX_WINDOWS = 500
#: The calendar feed is read again before a booking when it is older than this.
FEED_FRESH = timedelta(minutes=5)
#: How many times a candidate may move their interview themselves (then: ask the recruiter).
CANDIDATE_CHANGES = 2
#: An availability request is reminded this long after it was sent, once each.
ASK_REMINDERS = (timedelta(hours=24), timedelta(hours=48))


class FeedStatus(StrEnum):
    #: The interviewer has no calendar feed: only their windows and interviews count.
    NONE = "none"
    OK = "ok"
    #: The feed could not be read: the interviewer counts as busy, never as free.
    UNREACHABLE = "unreachable"


class BusyTimes(BaseModel):
    """What the interviewer's calendar feed said, within their windows."""

    status: FeedStatus
    busy: list[Interval] = []
    checked_at: AwareDatetime
    #: Why it could not be read, in words (for the recruiter).
    error: str | None = None


class InterviewStatus(StrEnum):
    BOOKED = "booked"
    #: The candidate confirmed from the 24-hour reminder.
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


#: Interviews that hold their interviewer's time.
HOLDING = frozenset({InterviewStatus.BOOKED, InterviewStatus.CONFIRMED})
#: The messages that remind (not worth sending once the start is near).
REMINDERS = frozenset({InterviewMessage.DAY_BEFORE, InterviewMessage.SOON})


class Interview(BaseModel):
    """One interview: a candidate's enrolment holding one of the interviewer's slots."""

    id: str
    interviewer_id: str
    enrolment_id: str
    candidate_id: str
    job_id: str
    stage_id: str
    module_id: str
    start: AwareDatetime
    end: AwareDatetime
    status: InterviewStatus = InterviewStatus.BOOKED
    location: str | None = None
    #: The invitation's ``SEQUENCE``: raised on every change the invitees see.
    sequence: int = 0
    #: How many times the candidate moved it.
    changes: int = 0
    booked_at: AwareDatetime
    updated_at: AwareDatetime
    #: The calendar's version when this interview last changed.
    version: int = 0
    #: The ``sequence`` its invitations last went out at (-1: not yet). Kept by the workflow,
    #: never projected, like what follows.
    invited_sequence: int = -1
    #: When it was booked or last moved (its messages are timed from that and the start).
    placed_at: AwareDatetime | None = None
    cancelled_by_recruiter: bool = False
    #: How the candidate is reached in time, and their page's link (for the messages).
    reach: Reach = Reach()
    link: str | None = None
    #: Each message told, at the ``sequence`` it told.
    told: dict[InterviewMessage, int] = {}

    @property
    def invitation_due(self) -> bool:
        return self.invited_sequence < self.sequence

    @property
    def holds_time(self) -> bool:
        return self.status in HOLDING

    def interval(self) -> Interval:
        return Interval(start=self.start, end=self.end)

    def moment_of(self, kind: InterviewMessage) -> datetime | None:
        """When message ``kind`` goes out for this interview as it stands (``None``: never)."""
        if self.told.get(kind) == self.sequence:
            return None
        return moment_of(
            kind,
            start=self.start,
            changed_at=self.updated_at
            if kind is InterviewMessage.CANCELLED
            else (self.placed_at or self.booked_at),
            cancelled_by_recruiter=self.cancelled_by_recruiter,
            holds_time=self.holds_time,
            reach=self.reach,
        )


#: Fields the workflow keeps for itself: never projected.
UNPROJECTED = {"invited_sequence", "placed_at", "cancelled_by_recruiter", "reach", "link", "told"}


def interview_id(enrolment_id: str, module_id: str, start: datetime) -> str:
    """The interview a booking of ``start`` makes: the same for a repeated request."""
    key = f"{enrolment_id}\x1f{module_id}\x1f{start.timestamp():.0f}"
    return f"itv_{hashlib.sha256(key.encode()).hexdigest()[:24]}"


class Availability(BaseModel):
    """Windows an interviewer is free in: ``replace`` sets the future windows to these (the
    API and the interviewer's page), else they are added (the webhook)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    windows: Annotated[list[Interval], Field(max_length=MAX_WINDOWS)]
    replace: bool = True


class BookingRequest(BaseModel):
    """A candidate's enrolment asks for the slot starting at ``start``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enrolment_id: Identifier
    candidate_id: Identifier
    job_id: Identifier
    stage_id: Identifier
    module_id: Identifier
    start: AwareDatetime
    rules: SlotRules
    location: str | None = None
    #: How the candidate is reached in time, and their page's link, for the messages.
    reach: Reach = Reach()
    link: str | None = None


Refusal = Literal["slot_taken", "already_booked"]


class BookingResult(BaseModel):
    """The interview booked (or already booked by this very request), or why not."""

    interview: Interview | None = None
    refused: Refusal | None = None


#: What a recruiter may make of an interview.
Changing = Literal[InterviewStatus.CANCELLED, InterviewStatus.NO_SHOW]


class InterviewChange(BaseModel):
    """A recruiter cancels an interview or marks a no-show; or the candidate cancels it, up
    to ``min_notice`` before it starts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    interview_id: Identifier
    status: Changing
    #: Set when the candidate asks: how long before the start they may still change it.
    candidate_notice: timedelta | None = None


class Reschedule(BaseModel):
    """The candidate moves their interview to the slot at ``start`` (same interviewer)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    interview_id: Identifier
    start: AwareDatetime
    rules: SlotRules


ChangeRefusal = Literal[
    "not_started", "already_ended", "too_late", "too_many_changes", "slot_taken"
]


class ChangeResult(BaseModel):
    """The interview after the change (``None``: this calendar has no such interview), or why
    it did not change."""

    interview: Interview | None = None
    refused: ChangeRefusal | None = None


class Waiting(BaseModel):
    """Candidates with an enrolment waiting in ``auto_match`` in one job stage."""

    job_id: str
    stage_id: str
    candidate_ids: list[str]
