"""Rules 1: how a thread carried over from before per-application ordering applies ATS events.

Workflows that were running when ordering arrived replay their histories with these rules, so
every recorded history still produces the commands it did; ``CandidateThread.upgrade`` moves a
thread onto the current rules when its workflow continues-as-new. They dedupe ATS events by a
bounded list of recent ids and cancel only unsent enrolments when an application moves. The
application rows they keep current are written with the next enrolment change (rules 1 add no
projection of their own).

Functions over ``CandidateThread``, kept apart so the current rules read on their own.
Retire: once no run from before 62fa5d1 remains (README, "Retiring compatibility code").
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from domain import application_events
from domain.applications import EventOrder
from domain.enrolments import Enrolment, StatusReason
from domain.events import ApplicationRef, ApplicationWithdrawn, EnrolRequest
from domain.identity import enrolment_id
from domain.statuses import UNSENT, EnrolmentStatus

if TYPE_CHECKING:
    from domain.thread import CandidateThread

S = EnrolmentStatus


def enrol(thread: CandidateThread, request: EnrolRequest, now: datetime) -> list[Enrolment]:
    """``CandidateThread.enrol`` under rules 1."""
    app = request.application
    existing = thread.enrolments.get(enrolment_id(request.event_id, app.id))
    if existing is not None:
        return [existing]
    if not thread.first_sight("ats", request.event_id):
        return []
    thread.candidate = request.candidate
    for other in thread.of_application(app.id):
        if other.status in UNSENT and other.stage_id != app.stage_id:
            thread.cancel(other, now, StatusReason.LEFT_STAGE)
    enrolment = application_events.create_enrolment(thread, request, now)
    track(thread, app, (request.occurred_at, request.event_id), enrolment, now)
    return [] if enrolment is None else [enrolment]


def withdraw(
    thread: CandidateThread, event: ApplicationWithdrawn, now: datetime
) -> list[Enrolment]:
    """``CandidateThread.withdraw`` under rules 1."""
    if not thread.first_sight("ats", event.event_id):
        return []
    changed = []
    for enrolment in thread.of_application(event.application_id):
        if enrolment.status in UNSENT or (
            enrolment.id == thread.holder and enrolment.status in (S.DELIVERED, S.IN_PROGRESS)
        ):
            thread.cancel(enrolment, now, StatusReason.APPLICATION_WITHDRAWN)
            changed.append(enrolment)
        elif enrolment.status is S.SENDING:
            enrolment.cancel_requested = StatusReason.APPLICATION_WITHDRAWN
    state = thread.applications.get(event.application_id)
    if state is not None and not state.withdrawn:
        state.withdrawn = True
        state.changed(now)
    thread.dispatch(now)
    return changed


def track(
    thread: CandidateThread,
    app: ApplicationRef,
    order: EventOrder,
    enrolment: Enrolment | None,
    now: datetime,
) -> None:
    """Keep the application's row current (rules 1 do not order events: the newest wins)."""
    state = thread.applications.get(app.id)
    if state is None:
        state = application_events.new_application(thread, app, order, now)
    else:
        state.place(app)
        state.apply(max(state.order, order), now)
    if enrolment is None:
        state.show_enrolment(None, None, None)
    else:
        state.show_enrolment(enrolment.id, enrolment.status, enrolment.status_reason)
