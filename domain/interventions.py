"""What people do to a candidate's thread besides the ATS: a recruiter cancels or re-enrols an
enrolment; an admin erases the candidate's personal data.

Part of ``CandidateThread`` (a mixin, like ``domain.application_events`` and
``domain.sending``). Each action is decided here, in the thread that serialises the candidate:
a repeat of a request (its event id) answers as the first did, and two racing requests act
once.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from domain.applications import ApplicationState
from domain.candidates import CandidateContact
from domain.enrolments import Enrolment, StatusReason
from domain.events import CancelEnrolment, Reenrol
from domain.identity import enrolment_id
from domain.sending import PendingSend
from domain.statuses import EnrolmentStatus

S = EnrolmentStatus

#: What a recruiter may re-enrol: an enrolment that ended without reaching the candidate's end.
REENROLLABLE = frozenset({S.FAILED, S.EXPIRED})


class Interventions:
    """The thread's handling of recruiters' and admins' actions (see the module docstring)."""

    if TYPE_CHECKING:
        candidate: CandidateContact
        contact_at: datetime | None
        erased_at: datetime | None
        erasure_pending: bool
        applications: dict[str, ApplicationState]
        enrolments: dict[str, Enrolment]
        pending_sends: list[PendingSend]

        def upgrade(self) -> None: ...
        def _admission_status(self) -> EnrolmentStatus: ...
        def _admitted(self, enrolment: Enrolment, now: datetime) -> None: ...
        def _cancel(self, enrolment: Enrolment, now: datetime, reason: StatusReason) -> None: ...
        def _first_sight(self, source: str, event_id: str) -> bool: ...
        def _forget_old(self) -> None: ...

    def erase(self, now: datetime) -> list[Enrolment]:
        """Erase the candidate's personal data (GDPR art. 17). Returns the enrolments it ends.

        Every unfinished enrolment ends (``cancelled``, ``candidate_erased``), every message no
        delivery activity has yet is called off, and the thread keeps only the candidate's id.
        A welcome already with the delivery activity, which the workflow calls off, ends its
        enrolment once the activity returns (``cancel_requested``). The read model is erased
        next, once no message is in flight (``erasure_pending``). An erased candidate can be
        enrolled again only by an ATS event that happened after the erasure.
        """
        self.upgrade()
        in_flight = {p.enrolment_id for p in self.pending_sends if p.started}
        self.pending_sends = [p for p in self.pending_sends if p.started]
        unfinished = [e for e in self.enrolments.values() if not e.is_finished]
        # The queued first: cancelling one that runs frees the thread for nothing.
        unfinished.sort(key=lambda e: e.status is not S.QUEUED)
        for enrolment in unfinished:
            self._end_or_defer(enrolment, now, StatusReason.CANDIDATE_ERASED, in_flight)
        self.candidate = CandidateContact(id=self.candidate.id, name="")
        self.contact_at = self.erased_at = now
        self.erasure_pending = True
        return unfinished

    def cancel_enrolment(
        self, event: CancelEnrolment, now: datetime
    ) -> tuple[Enrolment | None, str | None]:
        """A recruiter cancels an unfinished enrolment: ``(enrolment, why refused)``.

        One whose welcome a provider may have already ends once the send returns, as a
        withdrawal's does. A repeated event changes nothing and answers the same.
        """
        enrolment = self.enrolments.get(event.enrolment_id)
        if not self._first_sight("cancel", event.event_id):
            return enrolment, None
        if enrolment is None:
            return None, "the enrolment is too old to change"
        if enrolment.is_finished:
            return enrolment, f"the enrolment is {enrolment.status} already"
        in_flight = {p.enrolment_id for p in self.pending_sends if p.started}
        reason = StatusReason.CANCELLED_BY_RECRUITER
        if self._end_or_defer(enrolment, now, reason, in_flight):
            enrolment.note(now, "a recruiter cancelled it: it ends once its message returns")
        return enrolment, None

    def reenrol(self, event: Reenrol, now: datetime) -> tuple[Enrolment | None, str | None]:
        """A recruiter re-enrols a failed or expired enrolment: a new enrolment of the same
        campaign for the same application, linked to the old one, after correcting the
        candidate's phone or e-mail if given. ``(new enrolment, why refused)``."""
        old = self.enrolments.get(event.enrolment_id)
        if old is None:
            return None, "the enrolment is too old to re-enrol"
        new_id = enrolment_id(event.event_id, old.application_id)
        repeated = not self._first_sight("reenrol", event.event_id)
        if repeated and new_id in self.enrolments:
            return self.enrolments[new_id], None  # a retry of the request that made it
        if old.reenrolled_as is not None:
            return None, f"it was re-enrolled already, as {old.reenrolled_as}"
        if old.status not in REENROLLABLE:
            return (
                None,
                f"only a failed or expired enrolment can be re-enrolled, not {old.status}",
            )
        app = self.applications.get(old.application_id)
        if app is None or app.withdrawn or (app.job_id, app.stage_id) != (old.job_id, old.stage_id):
            return None, "the application is no longer in the enrolment's stage"
        changes = {k: v for k, v in (("phone", event.phone), ("email", event.email)) if v}
        if self.contact_erased_at is not None:
            return None, "the candidate's data was erased"
        if changes:
            self.candidate = self.candidate.model_copy(update=changes)
            self.contact_at = max(now, self.contact_at or now)
        new = Enrolment.create(
            id=new_id,
            ats_event_id=event.event_id,
            application_id=old.application_id,
            job_id=old.job_id,
            stage_id=old.stage_id,
            candidate_id=old.candidate_id,
            campaign_id=old.campaign_id,
            campaign=old.campaign,
            job_name=old.job_name,
            stage_name=old.stage_name,
            quiet_hours=old.quiet_hours,
            status=self._admission_status(),
            at=now,
            detail=f"re-enrolled by a recruiter after {old.id} {old.status}"
            + (f" ({' and '.join(sorted(changes))} corrected)" if changes else ""),
        )
        new.reenrolment_of, old.reenrolled_as = old.id, new.id
        self.enrolments[new.id] = new
        self._admitted(new, now)
        old.note(now, f"re-enrolled as {new.id}")
        app.show_enrolment(new.id, new.status, None)
        app.changed(now)
        self._forget_old()
        return new, None

    @property
    def contact_erased_at(self) -> datetime | None:
        """When the contact details the thread holds were erased (``None``: they are not)."""
        erased = self.erased_at is not None and self.contact_at == self.erased_at
        return self.erased_at if erased else None

    def _end_or_defer(
        self, enrolment: Enrolment, now: datetime, reason: StatusReason, in_flight: set[str]
    ) -> bool:
        """Cancel ``enrolment`` now, or, when its welcome is with the delivery activity (its id
        in ``in_flight``), once the send returns (``cancel_requested``). ``True``: deferred."""
        if enrolment.status is S.SENDING and enrolment.id in in_flight:
            enrolment.cancel_requested = reason
            return True
        self._cancel(enrolment, now, reason)
        return False
