"""When a candidate's messages go out: quiet hours, nudges, and what recruiters see as next.

Functions over ``CandidateThread`` (its methods of the same names call them): a message due
inside the candidate's quiet hours waits on a durable timer for their end (its
``PendingSend.not_before``, an absolute instant that survives continue-as-new); nudges fall due
at fixed offsets after delivery and stop once the enrolment ends. Time comes in as an argument.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel

from domain.enrolments import CONVERSATION_BASE, Enrolment
from domain.statuses import EnrolmentStatus
from domain.timing import candidate_zone, local_time

if TYPE_CHECKING:
    from domain.thread import CandidateThread

S = EnrolmentStatus

WELCOME_MESSAGE = 1
RUNNING = (S.DELIVERED, S.IN_PROGRESS)


class PendingSend(BaseModel):
    """A message the workflow still has to deliver: the ``message_number``-th of an enrolment,
    not before ``not_before`` (the end of the candidate's quiet hours) if that is set."""

    enrolment_id: str
    message_number: int
    not_before: datetime | None = None
    #: Handed to the delivery activity (in flight until its result is recorded).
    started: bool = False

    def ready(self, now: datetime) -> bool:
        return self.not_before is None or self.not_before <= now


def schedule_nudges(thread: CandidateThread, now: datetime) -> None:
    """Queue the nudges that are due, for enrolments the candidate has not completed.

    A nudge quiet hours would hold past the enrolment's expiry is dropped (a note says so).
    """
    for enrolment in thread.enrolments.values():
        if enrolment.status not in RUNNING:
            continue
        due = enrolment.nudges_at
        while enrolment.nudges_done < len(due) and due[enrolment.nudges_done] <= now:
            enrolment.nudges_done += 1
            number = enrolment.nudge_number(enrolment.nudges_done)
            goes_at = send_time(thread, enrolment, now) or now
            if enrolment.expires_at is not None and goes_at >= enrolment.expires_at:
                name = nudge_name(enrolment, number)
                enrolment.note(now, f"{name} dropped: quiet hours would hold it past the expiry")
                continue
            queue_send(thread, enrolment, number, now)


def start_sends(thread: CandidateThread, now: datetime) -> list[PendingSend]:
    """The pending messages to hand to the delivery activity now (quiet hours hold the
    others), marked as started."""
    ready = [s for s in thread.pending_sends if not s.started and s.ready(now)]
    for send in ready:
        send.started = True
    return ready


def next_wakeup(thread: CandidateThread, now: datetime) -> datetime | None:
    """When the workflow must next act on its own: the earliest expiry, end of a quiet-hours
    hold, or nudge due."""
    held = thread.releases_held_until
    moments = [
        *(d for d in [next_deadline(thread)] if d is not None),
        *([held] if held is not None and held > now and thread.queue else []),
        *(p.not_before for p in thread.pending_sends if p.not_before and p.not_before > now),
        *(
            e.nudges_at[e.nudges_done]
            for e in thread.enrolments.values()
            if e.status in RUNNING and e.nudges_done < len(e.nudges_at)
        ),
    ]
    return min(moments, default=None)


def next_deadline(thread: CandidateThread) -> datetime | None:
    """The earliest expiry among enrolments that can still expire."""
    deadlines = [
        e.expires_at
        for e in thread.enrolments.values()
        if e.expires_at is not None and e.status in RUNNING
    ]
    return min(deadlines, default=None)


def queue_send(thread: CandidateThread, enrolment: Enrolment, number: int, now: datetime) -> None:
    """Queue a message; inside the candidate's quiet hours it waits for their end."""
    not_before = send_time(thread, enrolment, now)
    if not_before is not None:
        where = zone_of(thread, enrolment)
        what = message_name(enrolment, number)
        enrolment.note(
            now, f"{what} waits for the send window until {local_time(not_before, where)}"
        )
    thread.pending_sends.append(
        PendingSend(enrolment_id=enrolment.id, message_number=number, not_before=not_before)
    )


def send_time(thread: CandidateThread, enrolment: Enrolment, now: datetime) -> datetime | None:
    """When a message of ``enrolment`` due now may go out (``None``: now)."""
    quiet = enrolment.quiet_hours
    if quiet is None or not enrolment.campaign.quiet_hours:
        return None
    return quiet.next_send_time(now, zone_of(thread, enrolment))


def zone_of(thread: CandidateThread, enrolment: Enrolment) -> str:
    """The time zone the candidate's quiet hours are counted in, for ``enrolment``."""
    default = enrolment.quiet_hours.default_zone if enrolment.quiet_hours else "UTC"
    return candidate_zone(thread.candidate, default)


def next_send(thread: CandidateThread, enrolment: Enrolment) -> tuple[datetime | None, str | None]:
    """When ``enrolment``'s next message goes out on its own, and which (recruiters see it)."""
    held = [p for p in thread.pending_sends if p.enrolment_id == enrolment.id and p.not_before]
    if held:
        first = min(held, key=lambda p: p.not_before or datetime.max)
        return first.not_before, message_name(enrolment, first.message_number)
    if enrolment.status in RUNNING and enrolment.nudges_done < len(enrolment.nudges_at):
        number = enrolment.nudge_number(enrolment.nudges_done + 1)
        return enrolment.nudges_at[enrolment.nudges_done], nudge_name(enrolment, number)
    return None, None


def welcome_held(thread: CandidateThread, enrolment: Enrolment, now: datetime) -> bool:
    """Whether quiet hours still hold the enrolment's welcome (no provider has it): then it
    can be cancelled at once."""
    return any(
        p.enrolment_id == enrolment.id and p.message_number == WELCOME_MESSAGE and not p.ready(now)
        for p in thread.pending_sends
    )


def message_name(enrolment: Enrolment, message_number: int) -> str:
    """How a timeline names a message: ``the welcome message``, ``nudge 2 of 4``..."""
    if message_number >= CONVERSATION_BASE:
        from domain.conversation import name_of  # it sends through this module

        return name_of(enrolment, message_number)
    if enrolment.is_nudge(message_number):
        return nudge_name(enrolment, message_number)
    return "the " + enrolment.campaign.message_name(message_number)


def nudge_name(enrolment: Enrolment, message_number: int) -> str:
    """``nudge 2 of 4``."""
    return enrolment.campaign.message_name(message_number, len(enrolment.nudges_at))
