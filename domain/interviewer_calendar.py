"""An interviewer's calendar as their workflow holds it (DESIGN.md, decision 16): their
availability windows, their calendar feed's busy times and the interviews booked in them.
Booking, moving, confirming, cancelling and marking a no-show are decided here, one request at
a time, so two candidates never hold one slot; so are the availability request's e-mails and
the candidates' messages, and when each falls due.

Pure: the workflow applies requests in the order it receives them and projects the result.
The state stays bounded: windows that ended and interviews more than ``KEPT_AFTER_END`` past
are dropped (the read model keeps the interviews).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel

from domain.events import InterviewerAvailability
from domain.interview_messages import TOO_LATE, InterviewMessage
from domain.interviews import (
    ASK_REMINDERS,
    CANDIDATE_CHANGES,
    FEED_FRESH,
    KEPT_AFTER_END,
    MAX_WINDOWS,
    REMINDERS,
    Availability,
    BookingRequest,
    BookingResult,
    BusyTimes,
    ChangeResult,
    FeedStatus,
    Interview,
    InterviewChange,
    InterviewStatus,
    Reschedule,
    Waiting,
    interview_id,
)
from domain.slots import Interval, SlotRules, free_slots, merged


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
    #: New availability: the candidates waiting on the interviewer are to be released, and
    #: those still to tell (carried across continue-as-new), since ``released_at``.
    release_due: bool = False
    releasing: list[Waiting] = []
    released_at: AwareDatetime | None = None
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
            self.release_due = True
        self._changed()

    def start_release(self, waiting: list[Waiting], now: datetime) -> None:
        """The candidates waiting now are the ones this availability releases."""
        self.releasing = [w for w in waiting if w.candidate_ids]
        self.release_due, self.released_at = False, now

    def release_batch(self, size: int) -> list[tuple[str, str, str]]:
        """The next ``size`` candidates to release: ``(job id, stage id, candidate id)``."""
        batch: list[tuple[str, str, str]] = []
        for waiting in self.releasing:
            for candidate_id in waiting.candidate_ids[: size - len(batch)]:
                batch.append((waiting.job_id, waiting.stage_id, candidate_id))
            if len(batch) >= size:
                break
        return batch

    def release_event(self, job_id: str, stage_id: str, now: datetime) -> InterviewerAvailability:
        """What a waiting candidate's workflow is told: the same event id for every repeat of
        this release (their workflow applies it once)."""
        released_at = self.released_at or now
        key = f"{self.interviewer_id}\x1f{job_id}\x1f{stage_id}\x1f{released_at.isoformat()}"
        return InterviewerAvailability(
            event_id=f"avl-{hashlib.sha256(key.encode()).hexdigest()[:32]}",
            job_id=job_id,
            stage_id=stage_id,
            interviewer_id=self.interviewer_id,
            received_at=released_at,
        )

    def released(self, count: int) -> None:
        """The first ``count`` candidates of the release were told."""
        left: list[Waiting] = []
        for waiting in self.releasing:
            told = min(count, len(waiting.candidate_ids))
            count -= told
            rest = waiting.candidate_ids[told:]
            if rest:
                left.append(waiting.model_copy(update={"candidate_ids": rest}))
        self.releasing = left

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
            placed_at=now,
            reach=request.reach,
            link=request.link,
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
                "cancelled_by_recruiter": change.status is InterviewStatus.CANCELLED
                and notice is None,
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
                "placed_at": now,
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

    def messages_due(self, now: datetime) -> list[tuple[Interview, InterviewMessage]]:
        """The candidate's messages due now. One whose moment passed long ago (the start is
        near or gone: a worker was down) is marked told without going out."""
        due: list[tuple[Interview, InterviewMessage]] = []
        for interview in list(self.interviews.values()):
            for kind in InterviewMessage:
                moment = interview.moment_of(kind)
                if moment is None or moment > now:
                    continue
                if now >= interview.start - (TOO_LATE if kind in REMINDERS else timedelta(0)):
                    self.told_candidate(interview.id, kind, interview.sequence)
                else:
                    due.append((interview, kind))
        return due

    def next_message_at(self, now: datetime) -> datetime | None:
        """When the next of the candidates' messages falls due."""
        moments = [
            moment
            for interview in self.interviews.values()
            for kind in InterviewMessage
            if (moment := interview.moment_of(kind)) is not None and moment > now
        ]
        return min(moments, default=None)

    def told_candidate(self, interview_id: str, kind: InterviewMessage, sequence: int) -> None:
        """Message ``kind`` of ``interview_id`` at ``sequence`` went out (or was given up)."""
        interview = self.interviews.get(interview_id)
        if interview is not None and interview.told.get(kind) != sequence:
            told = {**interview.told, kind: sequence}
            self.interviews[interview_id] = interview.model_copy(update={"told": told})

    def unprojected(self) -> list[Interview]:
        """The interviews that changed since the read model was last given the calendar."""
        return [i for i in self.interviews.values() if i.version > self.projected_version]

    @property
    def projected(self) -> bool:
        return self.projected_version >= self.version

    def _changed(self) -> int:
        self.version += 1
        return self.version
