"""What ATS events do to a candidate's applications: the rules of order, moves and withdrawals.

Functions over ``CandidateThread`` (its methods of the same names call them). Events about
one application are ordered by ``occurred_at``, then id (``domain.applications``): one that is
not newer changes nothing. Moving to another stage ends every unfinished enrolment of the old
one; a withdrawal is final against older events; a newer event makes the application live again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from domain import rules_v1
from domain.applications import ApplicationState, EventOrder
from domain.candidates import CandidateContact
from domain.enrolments import Enrolment, StatusReason
from domain.events import ApplicationRef, ApplicationWithdrawn, EnrolRequest
from domain.identity import enrolment_id
from domain.sending import welcome_held
from domain.statuses import EnrolmentStatus

if TYPE_CHECKING:
    from domain.thread import CandidateThread

S = EnrolmentStatus

#: The rules new candidates' threads follow: 2 orders ATS events per application; 3 fails an
#: enrolment that cannot be delivered (no address for its channel, an invalid one, opted out)
#: when it takes the thread, before quiet hours could hold it. A state without ``rules``
#: (carried over from before) follows 1 until it is upgraded; a state on 2 keeps sending such
#: enrolments to the delivery activity (which fails them) until it is upgraded.
RULES = 3


def enrol(thread: CandidateThread, request: EnrolRequest, now: datetime) -> list[Enrolment]:
    """Apply an ATS event placing an application in a stage; enrol it in the stage's
    campaign if it moved there. Returns the enrolments the event created.

    An event not newer than the last one applied to the application (a repeat, however
    late, or a stale one) changes nothing and returns the enrolment it created, if the
    thread still has it. An event into the stage the application is already in is not a
    move. A move ends every unfinished enrolment of the application's old stage. An event
    that happened before the candidate was erased changes nothing either, and brings none
    of their data back.
    """
    if thread.rules < 2:
        return rules_v1.enrol(thread, request, now)
    app = request.application
    order = (request.occurred_at, request.event_id)
    state = thread.applications.get(app.id)
    if thread.erased_at is not None and request.occurred_at <= thread.erased_at:
        existing = thread.enrolments.get(enrolment_id(request.event_id, app.id))
        return [] if existing is None else [existing]
    if state is not None and not state.is_newer(order):
        if not state.placed:
            # Withdrawn before this older event arrived: the application exists (shown as
            # withdrawn), but nothing is enrolled.
            state.placed = True
            state.changed(now)
        existing = thread.enrolments.get(enrolment_id(request.event_id, app.id))
        return [] if existing is None else [existing]
    _take_contact(thread, request.candidate, request.occurred_at)
    if state is None:
        state = new_application(thread, app, order, now)
        moved = True
    else:
        state.apply(order, now)
        moved = state.place(app)
    if not moved:
        return []
    _end_enrolments(thread, app.id, now, StatusReason.LEFT_STAGE)
    state.show_enrolment(None, None, None)
    enrolment = create_enrolment(thread, request, now)
    if enrolment is None:
        return []
    state.show_enrolment(enrolment.id, enrolment.status, None)
    return [enrolment]


def withdraw(
    thread: CandidateThread, event: ApplicationWithdrawn, now: datetime
) -> list[Enrolment]:
    """Apply a withdrawal: cancel what was not sent and end what is running.

    Final against every older event of the application; only a newer one makes it live
    again. A withdrawal of an application never heard of is remembered (an older event
    arriving later must not enrol it) and shown nowhere until an older event shows the
    application existed. Returns the enrolments it ended.
    """
    if thread.rules < 2:
        return rules_v1.withdraw(thread, event, now)
    order = (event.occurred_at or now, event.event_id)
    state = thread.applications.get(event.application_id)
    if state is not None and not state.is_newer(order):
        return []
    if state is None:
        where = event.application or ApplicationRef(
            id=event.application_id, job_id="-", stage_id="-"
        )
        state = new_application(thread, where, order, now)
        state.placed = False
    else:
        state.apply(order, now)
        if event.application is not None:
            state.job_id, state.stage_id = event.application.job_id, event.application.stage_id
    state.withdrawn = True
    if event.settle > timedelta(0):
        thread.hold_releases_until(now + event.settle)
    ended = _end_enrolments(thread, event.application_id, now, StatusReason.APPLICATION_WITHDRAWN)
    thread.dispatch(now)
    return ended


def upgrade(thread: CandidateThread) -> None:
    """Move a state carried over from older rules onto the current ones (at a new run).

    Applications the older rules did not track are rebuilt from their newest enrolment,
    ordered by when it was enrolled (the event's own time was not kept: an ATS event that
    happened earlier than that, delivered late, counts as stale).
    """
    if thread.rules >= RULES:
        return
    untracked = [
        e for e in thread.enrolments.values() if e.application_id not in thread.applications
    ]
    for e in sorted(untracked, key=lambda e: e.created_at):
        app = ApplicationRef(id=e.application_id, job_id=e.job_id, stage_id=e.stage_id)
        rules_v1.track(thread, app, (e.created_at, e.ats_event_id), e, e.updated_at)
    for app_id in {e.application_id for e in untracked}:
        # The read model's row (written by the API then) knows more than this rebuild
        # (a withdrawal, a move to a stage without a campaign): keep it until the
        # application changes.
        rebuilt = thread.applications[app_id]
        rebuilt.projected_seq = rebuilt.seq
    thread.rules = RULES


def new_application(
    thread: CandidateThread, app: ApplicationRef, order: EventOrder, now: datetime
) -> ApplicationState:
    state = ApplicationState(
        id=app.id,
        job_id=app.job_id,
        stage_id=app.stage_id,
        event_at=order[0],
        event_id=order[1],
        updated_at=now,
    )
    thread.applications[app.id] = state
    return state


def _take_contact(thread: CandidateThread, contact: CandidateContact, at: datetime) -> None:
    """Contact details from an event newer than the ones that gave the current details."""
    if thread.contact_at is None or at >= thread.contact_at:
        thread.candidate, thread.contact_at = contact, at


def create_enrolment(
    thread: CandidateThread, request: EnrolRequest, now: datetime
) -> Enrolment | None:
    """Enrol ``request``'s application in its stage's campaign (none: no campaign)."""
    if request.campaign is None or request.campaign_id is None:
        return None
    app = request.application
    enrolment = Enrolment.create(
        id=enrolment_id(request.event_id, app.id),
        ats_event_id=request.event_id,
        application_id=app.id,
        job_id=app.job_id,
        stage_id=app.stage_id,
        candidate_id=request.candidate.id,
        campaign_id=request.campaign_id,
        campaign=request.campaign,
        job_name=request.job_name,
        stage_name=request.stage_name,
        quiet_hours=request.quiet_hours,
        link=request.link,
        status=thread.admission_status() if not request.auto_match else S.AUTO_MATCH,
        at=now,
        detail=f"enrolled in campaign {request.campaign.name!r}"
        + ("; waiting for interviewer availability" if request.auto_match else ""),
    )
    enrolment.address_opted_out = request.opted_out
    thread.enrolments[enrolment.id] = enrolment
    if enrolment.status is not S.AUTO_MATCH:
        thread.admit(enrolment, now)
    thread.forget_old()
    return enrolment


def _end_enrolments(
    thread: CandidateThread, application_id: str, now: datetime, reason: StatusReason
) -> list[Enrolment]:
    """End every unfinished enrolment of the application: cancel what waits or runs; a
    welcome still being sent is cancelled once its send returns (``cancel_requested``)."""
    ended = []
    for enrolment in thread.of_application(application_id):
        if enrolment.is_finished:
            continue
        if enrolment.status is S.SENDING and not welcome_held(thread, enrolment, now):
            enrolment.cancel_requested = reason
        else:
            thread.cancel(enrolment, now, reason)
            ended.append(enrolment)
    return ended
