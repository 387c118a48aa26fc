"""Where each of a candidate's applications is, as the newest ATS event about it says.

ATSs retry webhooks for hours and deliver them concurrently, so events about one application
arrive late, twice and out of order. The candidate's thread keeps, per application and for as
long as the candidate lives, the order key of the newest event it applied: the event's
``occurred_at``, ties broken by its id. An event whose key is not newer is a repeat or stale
and changes nothing, however long ago the original came; a withdrawal stays final against
every older event, and only a newer one (an ATS "unreject") makes the application live again.

An application also carries a copy of its current enrolment's status, because the read model's
``applications`` row (which the Table and the board filter on) is written from here.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from domain.events import ApplicationRef
from domain.statuses import EnrolmentStatus

#: How events about one application are ordered: when it happened, then the event id.
EventOrder = tuple[datetime, str]


class ApplicationState(BaseModel):
    """One application of the candidate: its stage, its order key and its current enrolment.

    ``placed`` is false for an application only a withdrawal was ever heard of: the thread
    remembers the withdrawal (so an older event cannot bring the application back) but the
    application is shown nowhere. ``seq`` counts changes the read model must see;
    ``projected_seq`` is the newest one it holds.
    """

    id: str
    job_id: str
    stage_id: str
    event_at: datetime
    event_id: str
    placed: bool = True
    withdrawn: bool = False
    current_enrolment_id: str | None = None
    status: EnrolmentStatus | None = None
    status_reason: str | None = None
    updated_at: datetime
    seq: int = 1
    projected_seq: int = 0

    @property
    def order(self) -> EventOrder:
        return (self.event_at, self.event_id)

    def is_newer(self, order: EventOrder) -> bool:
        """Whether an event with ``order`` comes after every event applied so far."""
        return order > self.order

    @property
    def unprojected(self) -> bool:
        return self.placed and self.seq > self.projected_seq

    def apply(self, order: EventOrder, now: datetime) -> None:
        """Record that the event with ``order`` was applied (it must be newer)."""
        self.event_at, self.event_id = order
        self.changed(now)

    def place(self, application: ApplicationRef) -> bool:
        """Put the application in ``application``'s stage, live. Returns whether it moved:
        it was never placed, was withdrawn, or was in another stage."""
        moved = (
            not self.placed
            or self.withdrawn
            or (self.job_id, self.stage_id) != (application.job_id, application.stage_id)
        )
        self.job_id, self.stage_id = application.job_id, application.stage_id
        self.placed = True
        self.withdrawn = False
        return moved

    def show_enrolment(
        self, enrolment_id: str | None, status: EnrolmentStatus | None, reason: str | None
    ) -> bool:
        """Make ``enrolment_id`` (in ``status``) the current enrolment; ``True`` if that changed
        anything the views show."""
        shown = (enrolment_id, status, reason)
        if shown == (self.current_enrolment_id, self.status, self.status_reason):
            return False
        self.current_enrolment_id, self.status, self.status_reason = shown
        return True

    def changed(self, now: datetime) -> None:
        """Something the read model shows changed: write the row again."""
        self.seq += 1
        self.updated_at = now
