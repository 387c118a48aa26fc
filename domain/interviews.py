"""An interviewer's calendar as their workflow holds it (DESIGN.md, decision 16): their
availability windows and the interviews booked in them. Booking, cancelling and marking a
no-show are decided here, one request at a time, so two candidates never hold one slot.

Pure: the workflow applies requests in the order it receives them and projects the result.
The state stays bounded: windows that ended and interviews more than ``KEPT_AFTER_END`` past
are dropped (the read model keeps the interviews).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.candidates import Identifier
from domain.slots import Interval, SlotRules, free_slots, merged

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
    #: never projected.
    invited_sequence: int = -1

    @property
    def invitation_due(self) -> bool:
        return self.invited_sequence < self.sequence

    @property
    def holds_time(self) -> bool:
        return self.status in HOLDING

    def interval(self) -> Interval:
        return Interval(start=self.start, end=self.end)


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


class InterviewerCalendar(BaseModel):
    """Everything the interviewer's workflow decides with."""

    interviewer_id: str
    windows: list[Interval] = []
    interviews: dict[str, Interview] = {}
    #: The calendar feed as last read (``None``: not read yet).
    feed: BusyTimes | None = None
    #: When the interviewer was asked for availability, while that request is open (candidates
    #: wait in ``auto_match`` on them), and how many of its e-mails are out (1 + reminders).
    asked_at: AwareDatetime | None = None
    asks_sent: int = 0
    #: Raised on every change; the read model keeps the newest it was given.
    version: int = 0
    #: The newest version the read model holds.
    projected_version: int = 0

    def busy(self, but: str | None = None) -> list[Interval]:
        """The time interviews hold (but interview ``but``'s), and the calendar feed's busy
        times."""
        held = [i.interval() for i in self.interviews.values() if i.holds_time and i.id != but]
        return held + (self.feed.busy if self.feed is not None else [])

    def free_slots(self, rules: SlotRules, now: datetime, but: str | None = None) -> list[Interval]:
        if self.feed is not None and self.feed.status is FeedStatus.UNREACHABLE:
            return []
        return free_slots(self.windows, self.busy(but), rules, now)

    def feed_is_stale(self, now: datetime) -> bool:
        return self.feed is None or now - self.feed.checked_at >= FEED_FRESH

    def read_feed(self, feed: BusyTimes) -> None:
        """The feed as just read (projected like any change)."""
        if feed != self.feed:
            self.feed = feed
            self._changed()

    def set_availability(self, availability: Availability, now: datetime) -> None:
        """Replace (or add to) the future windows; what ended is forgotten. Windows answer an
        open availability request."""
        kept = [] if availability.replace else self.windows
        windows = [w for w in merged([*kept, *availability.windows]) if w.end > now]
        self.windows = windows[:MAX_WINDOWS]
        if self.windows:
            self.asked_at, self.asks_sent = None, 0
        self._changed()

    def ask(self, now: datetime) -> bool:
        """Candidates wait on this interviewer: open an availability request, unless one is
        open already (one request at a time, however many candidates wait)."""
        if self.asked_at is not None:
            return False
        self.asked_at, self.asks_sent = now, 0
        self._changed()
        return True

    def ask_due(self, now: datetime) -> int | None:
        """The number of the request's e-mail due now (0: the request, then its reminders)."""
        if self.asked_at is None or self.asks_sent > len(ASK_REMINDERS):
            return None
        if self.asks_sent == 0:
            return 0
        if now >= self.asked_at + ASK_REMINDERS[self.asks_sent - 1]:
            return self.asks_sent
        return None

    def next_ask(self) -> datetime | None:
        """When the next reminder of the open request falls due."""
        if self.asked_at is None or not 0 < self.asks_sent <= len(ASK_REMINDERS):
            return None
        return self.asked_at + ASK_REMINDERS[self.asks_sent - 1]

    def ask_sent(self, number: int) -> None:
        if self.asked_at is not None and self.asks_sent == number:
            self.asks_sent = number + 1
            self._changed()

    def book(self, request: BookingRequest, now: datetime) -> BookingResult:
        """Give the enrolment the slot at ``request.start`` if it is free; the same request
        again gets the same interview."""
        new_id = interview_id(request.enrolment_id, request.module_id, request.start)
        current = self.interviews.get(new_id)
        if current is not None and current.holds_time:
            return BookingResult(interview=current)
        if any(
            i.holds_time
            and i.enrolment_id == request.enrolment_id
            and i.module_id == request.module_id
            for i in self.interviews.values()
        ):
            return BookingResult(refused="already_booked")
        if not any(s.start == request.start for s in self.free_slots(request.rules, now)):
            return BookingResult(refused="slot_taken")
        interview = Interview(
            id=new_id,
            interviewer_id=self.interviewer_id,
            enrolment_id=request.enrolment_id,
            candidate_id=request.candidate_id,
            job_id=request.job_id,
            stage_id=request.stage_id,
            module_id=request.module_id,
            start=request.start,
            end=request.start + request.rules.duration,
            location=request.location,
            # Booked again after a cancellation: the invitation it replaces had a sequence.
            sequence=0 if current is None else current.sequence + 1,
            booked_at=now,
            updated_at=now,
            version=self._changed(),
        )
        self.interviews[new_id] = interview
        return BookingResult(interview=interview)

    def change(self, change: InterviewChange, now: datetime) -> ChangeResult:
        """Cancel an interview or mark a no-show. A repeat changes nothing; an interview is
        cancelled before it ends, and marked a no-show once it started."""
        interview = self.interviews.get(change.interview_id)
        if interview is None or interview.status is change.status:
            return ChangeResult(interview=interview)
        if not interview.holds_time:
            return ChangeResult(interview=interview, refused="already_ended")
        if change.status is InterviewStatus.NO_SHOW and now < interview.start:
            return ChangeResult(interview=interview, refused="not_started")
        if change.status is InterviewStatus.CANCELLED and now >= interview.end:
            return ChangeResult(interview=interview, refused="already_ended")
        notice = change.candidate_notice
        if notice is not None and now > interview.start - notice:
            return ChangeResult(interview=interview, refused="too_late")
        sequence = interview.sequence + (1 if change.status is InterviewStatus.CANCELLED else 0)
        changed = interview.model_copy(
            update={
                "status": change.status,
                "sequence": sequence,
                "updated_at": now,
                "version": self._changed(),
            }
        )
        self.interviews[interview.id] = changed
        return ChangeResult(interview=changed)

    def confirm(self, interview_id: str, now: datetime) -> ChangeResult:
        """The candidate confirms they will come (from their page, or the reminder's link):
        a booked interview still to start shows as ``confirmed``; again, nothing changes."""
        interview = self.interviews.get(interview_id)
        if interview is None:
            return ChangeResult()
        if not interview.holds_time or now >= interview.end:
            return ChangeResult(interview=interview, refused="already_ended")
        if interview.status is InterviewStatus.CONFIRMED:
            return ChangeResult(interview=interview)
        confirmed = interview.model_copy(
            update={
                "status": InterviewStatus.CONFIRMED,
                "updated_at": now,
                "version": self._changed(),
            }
        )
        self.interviews[interview_id] = confirmed
        return ChangeResult(interview=confirmed)

    def reschedule(self, request: Reschedule, now: datetime) -> ChangeResult:
        """Move the candidate's interview to ``request.start`` if that slot is free (its own
        time aside): up to the minimum notice, ``CANDIDATE_CHANGES`` times. The same request
        again changes nothing."""
        interview = self.interviews.get(request.interview_id)
        if interview is None:
            return ChangeResult()
        if not interview.holds_time:
            return ChangeResult(interview=interview, refused="already_ended")
        if interview.start == request.start:
            return ChangeResult(interview=interview)
        if now > interview.start - request.rules.min_notice:
            return ChangeResult(interview=interview, refused="too_late")
        if interview.changes >= CANDIDATE_CHANGES:
            return ChangeResult(interview=interview, refused="too_many_changes")
        free = self.free_slots(request.rules, now, but=interview.id)
        if not any(slot.start == request.start for slot in free):
            return ChangeResult(interview=interview, refused="slot_taken")
        moved = interview.model_copy(
            update={
                # A new time is to be confirmed again.
                "status": InterviewStatus.BOOKED,
                "start": request.start,
                "end": request.start + request.rules.duration,
                "sequence": interview.sequence + 1,
                "changes": interview.changes + 1,
                "updated_at": now,
                "version": self._changed(),
            }
        )
        self.interviews[interview.id] = moved
        return ChangeResult(interview=moved)

    def forget_the_past(self, now: datetime) -> None:
        """Drop windows that ended and interviews long over (the read model keeps those)."""
        windows = [w for w in self.windows if w.end > now]
        interviews = {k: i for k, i in self.interviews.items() if i.end + KEPT_AFTER_END > now}
        if len(windows) != len(self.windows) or len(interviews) != len(self.interviews):
            self.windows, self.interviews = windows, interviews
            self._changed()  # the read model's windows change; its interviews stay

    def to_invite(self) -> list[Interview]:
        """The interviews whose invitees have not been told of their latest change."""
        return [i for i in self.interviews.values() if i.invitation_due]

    def invited(self, interview_id: str, sequence: int) -> None:
        """The invitations of ``interview_id`` at ``sequence`` went out (or were given up)."""
        interview = self.interviews.get(interview_id)
        if interview is not None and interview.invited_sequence < sequence:
            self.interviews[interview_id] = interview.model_copy(
                update={"invited_sequence": sequence}
            )

    def unprojected(self) -> list[Interview]:
        """The interviews that changed since the read model was last given the calendar."""
        return [i for i in self.interviews.values() if i.version > self.projected_version]

    @property
    def projected(self) -> bool:
        return self.projected_version >= self.version

    def _changed(self) -> int:
        self.version += 1
        return self.version
