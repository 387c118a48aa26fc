"""What the candidate is told about their interview on the campaign's channel, and when: the
booking's confirmation (and each move's), a cancellation by the recruiter, and reminders 24 h
and 2 h before, computed from the interview's start so that moving it moves them.

Time is the candidate's (DESIGN.md, decision 13): each message's moment is an absolute instant,
held out of the quiet hours in the candidate's zone where it can be. A confirmation answers what
the candidate just did and goes at once; a cancellation waits for the quiet hours to end; the
24 h reminder inside quiet hours goes when they end if that is still 2 h before the start, else
not at all (the 2 h one will); the 2 h reminder goes when they end if that is still before the
start.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.timing import QuietHours

#: Interview messages are numbered from here in the enrolment's message ledger (past the
#: campaign's own and the conversation's numbers).
INTERVIEW_NUMBERS = 1_000_000
DAY_BEFORE = timedelta(hours=24)
SOON = timedelta(hours=2)
#: A reminder later than this before the start is not worth sending.
TOO_LATE = timedelta(minutes=15)


class InterviewMessage(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    DAY_BEFORE = "day_before"
    SOON = "soon"

    @property
    def number(self) -> int:
        """Its number in the enrolment's message ledger."""
        return INTERVIEW_NUMBERS + list(InterviewMessage).index(self) + 1

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    InterviewMessage.BOOKED: "interview confirmation",
    InterviewMessage.CANCELLED: "interview cancelled",
    InterviewMessage.DAY_BEFORE: "interview reminder (24 h)",
    InterviewMessage.SOON: "interview reminder (2 h)",
}


def message_label(number: int) -> str | None:
    """What the interview message numbered ``number`` is, if it is one."""
    for kind in InterviewMessage:
        if kind.number == number:
            return kind.label
    return None


class Reach(BaseModel):
    """How the candidate is reached in time: their zone, and the quiet hours that apply to
    their campaign (``None``: it sends at any hour)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zone: str = "UTC"
    quiet: QuietHours | None = None

    def after_quiet(self, moment: datetime) -> datetime:
        """``moment``, or the end of the quiet hours it falls in."""
        if self.quiet is None:
            return moment
        return self.quiet.next_send_time(moment, self.zone) or moment


def moment_of(
    kind: InterviewMessage,
    *,
    start: datetime,
    changed_at: datetime,
    cancelled_by_recruiter: bool,
    holds_time: bool,
    reach: Reach,
) -> datetime | None:
    """When ``kind`` goes out for an interview starting at ``start`` whose latest change (a
    booking, a move, a cancellation) was at ``changed_at``; ``None``: not at all."""
    if kind is InterviewMessage.BOOKED:
        return changed_at if holds_time else None
    if kind is InterviewMessage.CANCELLED:
        return reach.after_quiet(changed_at) if cancelled_by_recruiter else None
    if not holds_time:
        return None
    if kind is InterviewMessage.DAY_BEFORE:
        planned = start - DAY_BEFORE
        if changed_at > planned:
            return None  # booked or moved within the day: the confirmation says it all
        moment = reach.after_quiet(planned)
        return moment if moment <= start - SOON else None
    planned = start - SOON
    if changed_at > planned:
        return None
    moment = reach.after_quiet(planned)
    return moment if moment <= start - TOO_LATE else None
