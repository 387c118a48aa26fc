"""What people do to a candidate's thread besides the ATS: a recruiter cancels or re-enrols an
enrolment; an admin erases the candidate's personal data.

Functions over ``CandidateThread`` (its methods of the same names call them). Each action is
decided here, in the thread that serialises the candidate:
a repeat of a request (its event id) answers as the first did, and two racing requests act
once.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from domain.candidates import CandidateContact
from domain.enrolments import Enrolment, StatusReason
from domain.events import CancelEnrolment, Reenrol
from domain.identity import enrolment_id
from domain.statuses import EnrolmentStatus

if TYPE_CHECKING:
    from domain.thread import CandidateThread

S = EnrolmentStatus

#: What a recruiter may re-enrol: an enrolment that ended without reaching the candidate's end.
REENROLLABLE = frozenset({S.FAILED, S.EXPIRED})


def erase(thread: CandidateThread, now: datetime) -> list[Enrolment]:
    """Erase the candidate's personal data (GDPR art. 17). Returns the enrolments it ends.

    Every unfinished enrolment ends (``cancelled``, ``candidate_erased``), every message no
    delivery activity has yet is called off, and the thread keeps only the candidate's id.
    A welcome already with the delivery activity, which the workflow calls off, ends its
    enrolment once the activity returns (``cancel_requested``). The read model is erased
    next, once no message is in flight (``erasure_pending``). An erased candidate can be
    enrolled again only by an ATS event that happened after the erasure.
    """
    thread.upgrade()
    in_flight = {p.enrolment_id for p in thread.pending_sends if p.started}
    thread.pending_sends = [p for p in thread.pending_sends if p.started]
    unfinished = [e for e in thread.enrolments.values() if not e.is_finished]
    # The queued first: cancelling one that runs frees the thread for nothing.
    unfinished.sort(key=lambda e: e.status is not S.QUEUED)
    for enrolment in unfinished:
        _end_or_defer(thread, enrolment, now, StatusReason.CANDIDATE_ERASED, in_flight)
    for enrolment in thread.enrolments.values():
        enrolment.link = None  # every page of theirs is closed
    thread.candidate = CandidateContact(id=thread.candidate.id, name="")
    thread.contact_at = thread.erased_at = now
    thread.erasure_pending = True
    return unfinished


def cancel_enrolment(
    thread: CandidateThread, event: CancelEnrolment, now: datetime
) -> tuple[Enrolment | None, str | None]:
    """A recruiter cancels an unfinished enrolment: ``(enrolment, why refused)``.

    One whose welcome a provider may have already ends once the send returns, as a
    withdrawal's does. A repeated event changes nothing and answers the same.
    """
    enrolment = thread.enrolments.get(event.enrolment_id)
    if not thread.first_sight("cancel", event.event_id):
        return enrolment, None
    if enrolment is None:
        return None, "the enrolment is too old to change"
    if enrolment.is_finished:
        return enrolment, f"the enrolment is {enrolment.status} already"
    in_flight = {p.enrolment_id for p in thread.pending_sends if p.started}
    reason = StatusReason.CANCELLED_BY_RECRUITER
    if _end_or_defer(thread, enrolment, now, reason, in_flight):
        enrolment.note(now, "a recruiter cancelled it: it ends once its message returns")
    return enrolment, None


def reenrol(
    thread: CandidateThread, event: Reenrol, now: datetime
) -> tuple[Enrolment | None, str | None]:
    """A recruiter re-enrols a failed or expired enrolment: a new enrolment of the same
    campaign for the same application, linked to the old one, after correcting the
    candidate's phone or e-mail if given. ``(new enrolment, why refused)``."""
    old = thread.enrolments.get(event.enrolment_id)
    if old is None:
        return None, "the enrolment is too old to re-enrol"
    new_id = enrolment_id(event.event_id, old.application_id)
    repeated = not thread.first_sight("reenrol", event.event_id)
    if repeated and new_id in thread.enrolments:
        return thread.enrolments[new_id], None  # a retry of the request that made it
    if old.reenrolled_as is not None:
        return None, f"it was re-enrolled already, as {old.reenrolled_as}"
    if old.status not in REENROLLABLE:
        return (
            None,
            f"only a failed or expired enrolment can be re-enrolled, not {old.status}",
        )
    app = thread.applications.get(old.application_id)
    if app is None or app.withdrawn or (app.job_id, app.stage_id) != (old.job_id, old.stage_id):
        return None, "the application is no longer in the enrolment's stage"
    changes = {k: v for k, v in (("phone", event.phone), ("email", event.email)) if v}
    if thread.contact_erased_at is not None:
        return None, "the candidate's data was erased"
    if changes:
        thread.candidate = thread.candidate.model_copy(update=changes)
        thread.contact_at = max(now, thread.contact_at or now)
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
        link=event.link,
        status=thread.admission_status(),
        at=now,
        detail=f"re-enrolled by a recruiter after {old.id} {old.status}"
        + (f" ({' and '.join(sorted(changes))} corrected)" if changes else ""),
    )
    new.reenrolment_of, old.reenrolled_as = old.id, new.id
    old.link = None  # its page is closed: the new enrolment has its own link
    thread.enrolments[new.id] = new
    thread.admit(new, now)
    old.note(now, f"re-enrolled as {new.id}")
    app.show_enrolment(new.id, new.status, None)
    app.changed(now)
    thread.forget_old()
    return new, None


def _end_or_defer(
    thread: CandidateThread,
    enrolment: Enrolment,
    now: datetime,
    reason: StatusReason,
    in_flight: set[str],
) -> bool:
    """Cancel ``enrolment`` now, or, when its welcome is with the delivery activity (its id
    in ``in_flight``), once the send returns (``cancel_requested``). ``True``: deferred."""
    if enrolment.status is S.SENDING and enrolment.id in in_flight:
        enrolment.cancel_requested = reason
        return True
    thread.cancel(enrolment, now, reason)
    return False
