"""What ATS events do to a candidate's applications: the rules of order, moves and withdrawals.

Part of ``CandidateThread`` (a mixin, kept apart so each part reads on its own). Events about
one application are ordered by ``occurred_at``, then id (``domain.applications``): one that is
not newer changes nothing. Moving to another stage ends every unfinished enrolment of the old
one; a withdrawal is final against older events; a newer event makes the application live again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, cast

from domain import rules_v1
from domain.applications import ApplicationState, EventOrder
from domain.candidates import CandidateContact
from domain.enrolments import Enrolment, StatusReason
from domain.events import ApplicationRef, ApplicationWithdrawn, EnrolRequest
from domain.identity import enrolment_id
from domain.statuses import EnrolmentStatus

if TYPE_CHECKING:
    from domain.thread import CandidateThread

S = EnrolmentStatus

#: The rules new candidates' threads follow: 2 orders ATS events per application. A state
#: without ``rules`` (carried over from before) follows 1 until it is upgraded.
RULES = 2


class ApplicationEvents:
    """The thread's handling of ATS events (see the module docstring)."""

    if TYPE_CHECKING:
        candidate: CandidateContact
        contact_at: datetime | None
        erased_at: datetime | None
        rules: int
        applications: dict[str, ApplicationState]
        enrolments: dict[str, Enrolment]

        def _admission_status(self) -> EnrolmentStatus: ...
        def _admitted(self, enrolment: Enrolment, now: datetime) -> None: ...
        def _cancel(self, enrolment: Enrolment, now: datetime, reason: StatusReason) -> None: ...
        def _dispatch(self, now: datetime) -> None: ...
        def _forget_old(self) -> None: ...
        def _of_application(self, application_id: str) -> Iterable[Enrolment]: ...
        def _welcome_held(self, enrolment: Enrolment, now: datetime) -> bool: ...

    def _as_thread(self) -> CandidateThread:
        return cast("CandidateThread", self)

    def enrol(self, request: EnrolRequest, now: datetime) -> list[Enrolment]:
        """Apply an ATS event placing an application in a stage; enrol it in the stage's
        campaign if it moved there. Returns the enrolments the event created.

        An event not newer than the last one applied to the application (a repeat, however
        late, or a stale one) changes nothing and returns the enrolment it created, if the
        thread still has it. An event into the stage the application is already in is not a
        move. A move ends every unfinished enrolment of the application's old stage. An event
        that happened before the candidate was erased changes nothing either, and brings none
        of their data back.
        """
        if self.rules < 2:
            return rules_v1.enrol(self._as_thread(), request, now)
        app = request.application
        order = (request.occurred_at, request.event_id)
        state = self.applications.get(app.id)
        if self.erased_at is not None and request.occurred_at <= self.erased_at:
            existing = self.enrolments.get(enrolment_id(request.event_id, app.id))
            return [] if existing is None else [existing]
        if state is not None and not state.is_newer(order):
            if not state.placed:
                # Withdrawn before this older event arrived: the application exists (shown as
                # withdrawn), but nothing is enrolled.
                state.placed = True
                state.changed(now)
            existing = self.enrolments.get(enrolment_id(request.event_id, app.id))
            return [] if existing is None else [existing]
        self._take_contact(request.candidate, request.occurred_at)
        if state is None:
            state = self._new_application(app, order, now)
            moved = True
        else:
            state.apply(order, now)
            moved = state.place(app)
        if not moved:
            return []
        self._end_enrolments(app.id, now, StatusReason.LEFT_STAGE)
        state.show_enrolment(None, None, None)
        enrolment = self._create_enrolment(request, now)
        if enrolment is None:
            return []
        state.show_enrolment(enrolment.id, enrolment.status, None)
        return [enrolment]

    def withdraw(self, event: ApplicationWithdrawn, now: datetime) -> list[Enrolment]:
        """Apply a withdrawal: cancel what was not sent and end what is running.

        Final against every older event of the application; only a newer one makes it live
        again. A withdrawal of an application never heard of is remembered (an older event
        arriving later must not enrol it) and shown nowhere until an older event shows the
        application existed. Returns the enrolments it ended.
        """
        if self.rules < 2:
            return rules_v1.withdraw(self._as_thread(), event, now)
        order = (event.occurred_at or now, event.event_id)
        state = self.applications.get(event.application_id)
        if state is not None and not state.is_newer(order):
            return []
        if state is None:
            where = event.application or ApplicationRef(
                id=event.application_id, job_id="-", stage_id="-"
            )
            state = self._new_application(where, order, now)
            state.placed = False
        else:
            state.apply(order, now)
            if event.application is not None:
                state.job_id, state.stage_id = event.application.job_id, event.application.stage_id
        state.withdrawn = True
        ended = self._end_enrolments(event.application_id, now, StatusReason.APPLICATION_WITHDRAWN)
        self._dispatch(now)
        return ended

    def application_enrolments(self, application_id: str) -> list[Enrolment]:
        """The application's enrolments the thread still holds, oldest first."""
        return sorted(self._of_application(application_id), key=lambda e: e.created_at)

    def upgrade(self) -> None:
        """Move a state carried over from older rules onto the current ones (at a new run).

        Applications the older rules did not track are rebuilt from their newest enrolment,
        ordered by when it was enrolled (the event's own time was not kept: an ATS event that
        happened earlier than that, delivered late, counts as stale).
        """
        if self.rules >= RULES:
            return
        untracked = [
            e for e in self.enrolments.values() if e.application_id not in self.applications
        ]
        for e in sorted(untracked, key=lambda e: e.created_at):
            app = ApplicationRef(id=e.application_id, job_id=e.job_id, stage_id=e.stage_id)
            rules_v1.track(self._as_thread(), app, (e.created_at, e.ats_event_id), e, e.updated_at)
        for app_id in {e.application_id for e in untracked}:
            # The read model's row (written by the API then) knows more than this rebuild
            # (a withdrawal, a move to a stage without a campaign): keep it until the
            # application changes.
            rebuilt = self.applications[app_id]
            rebuilt.projected_seq = rebuilt.seq
        self.rules = RULES

    def _new_application(
        self, app: ApplicationRef, order: EventOrder, now: datetime
    ) -> ApplicationState:
        state = ApplicationState(
            id=app.id,
            job_id=app.job_id,
            stage_id=app.stage_id,
            event_at=order[0],
            event_id=order[1],
            updated_at=now,
        )
        self.applications[app.id] = state
        return state

    def _take_contact(self, contact: CandidateContact, at: datetime) -> None:
        """Contact details from an event newer than the ones that gave the current details."""
        if self.contact_at is None or at >= self.contact_at:
            self.candidate, self.contact_at = contact, at

    def _create_enrolment(self, request: EnrolRequest, now: datetime) -> Enrolment | None:
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
            status=self._admission_status() if not request.auto_match else S.AUTO_MATCH,
            at=now,
            detail=f"enrolled in campaign {request.campaign.name!r}"
            + ("; waiting for interviewer availability" if request.auto_match else ""),
        )
        self.enrolments[enrolment.id] = enrolment
        if enrolment.status is not S.AUTO_MATCH:
            self._admitted(enrolment, now)
        self._forget_old()
        return enrolment

    def _end_enrolments(
        self, application_id: str, now: datetime, reason: StatusReason
    ) -> list[Enrolment]:
        """End every unfinished enrolment of the application: cancel what waits or runs; a
        welcome still being sent is cancelled once its send returns (``cancel_requested``)."""
        ended = []
        for enrolment in self._of_application(application_id):
            if enrolment.is_finished:
                continue
            if enrolment.status is S.SENDING and not self._welcome_held(enrolment, now):
                enrolment.cancel_requested = reason
            else:
                self._cancel(enrolment, now, reason)
                ended.append(enrolment)
        return ended
