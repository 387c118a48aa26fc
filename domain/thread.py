"""The candidate thread: one chat thread per candidate, and the rules that share it.

``CandidateThread`` is the whole state of a candidate's workflow and the only code that changes
enrolment statuses. Its methods are pure (time comes in as an argument, nothing is performed):
the workflow calls them from its handlers and main loop, then performs what the state asks for
(``pending_sends``, ``unprojected`` timeline entries) with activities. The property tests drive
the very same methods with random event sequences.

Rules (DESIGN.md, decision 3): at most one enrolment holds the thread. A multi-module campaign
holds it from ``sending`` until it ends; a blast holds it only while ``sending``. Others wait as
``queued``, first in, first out. Messages still going out (a closing message) keep the thread
busy so the chat never interleaves two campaigns. Those rules are the methods of this class.

What each kind of event does is a module of functions over the thread, each using the thread's
rules above and nothing private: ATS events (``domain.application_events``: ordered per
application, so the thread, which sees events one at a time, is the only place that decides
whether an event is new, a repeat or stale), module progress and availability
(``domain.progress``), what the delivery activity reports (``domain.deliveries``), when
messages go out (``domain.sending``: quiet hours, nudges), and what recruiters and admins do
(``domain.interventions``: cancel, re-enrol, erase). The thread's methods of the same names
hand each event to its module, so the thread's whole API reads here.

``rules`` versions these decisions for workflows already running: a state carried over from
before ordering (rules 1) keeps the older rules until its workflow continues-as-new, which
``upgrade``s it, so every recorded history replays exactly as it ran.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, Field

from domain import (
    application_events,
    conversation,
    deliveries,
    interventions,
    progress,
    sending,
)
from domain.addresses import AddressProblem, reachable_problem
from domain.applications import ApplicationState
from domain.candidates import CandidateContact
from domain.enrolments import Enrolment, StatusReason
from domain.events import (
    ApplicationWithdrawn,
    CancelEnrolment,
    CandidateReply,
    DeliveryReceipt,
    EnrolRequest,
    InterviewerAvailability,
    ModuleProgress,
    ReadModelResync,
    Reenrol,
    ReplyResult,
)
from domain.sending import WELCOME_MESSAGE, PendingSend
from domain.statuses import EnrolmentStatus

S = EnrolmentStatus


#: How many applied event ids the thread remembers to recognise a repeat.
SEEN_EVENT_IDS = 1000
#: How many finished (``Enrolment.is_finished``, projected) enrolments stay in the state; older
#: ones live on in the read model only, which keeps a years-long candidate's state small.
FINISHED_ENROLMENTS_KEPT = 100


#: The timeline's words for each way an enrolment is cancelled.
CANCELLATIONS: dict[StatusReason, str] = {
    StatusReason.APPLICATION_WITHDRAWN: "application withdrawn",
    StatusReason.LEFT_STAGE: "application left the stage",
    StatusReason.CANDIDATE_ERASED: "the candidate's personal data was erased",
    StatusReason.CANCELLED_BY_RECRUITER: "cancelled by a recruiter",
}


class CandidateThread(BaseModel):
    """Everything a candidate's workflow knows; carried whole across continue-as-new."""

    candidate: CandidateContact
    #: When the ATS event that gave ``candidate`` happened: older events do not overwrite it.
    contact_at: datetime | None = None
    rules: int = 1
    #: Every application of the candidate, kept for as long as the candidate lives (small:
    #: a few hundred bytes each), so order and repeats are decided however old an event is.
    applications: dict[str, ApplicationState] = Field(default_factory=dict)
    enrolments: dict[str, Enrolment] = Field(default_factory=dict)
    queue: list[str] = Field(default_factory=list)
    holder: str | None = None
    pending_sends: list[PendingSend] = Field(default_factory=list)
    seen_event_ids: list[str] = Field(default_factory=list)
    #: Set by ``request_resync``: the next projection writes every enrolment, not just changes.
    resync_pending: bool = False
    #: When the candidate's personal data was last erased (``erase``): ATS events that happened
    #: before then no longer enrol them, however late they arrive.
    erased_at: datetime | None = None
    #: Set by ``erase`` until the read model is erased too (once no message is in flight).
    erasure_pending: bool = False
    #: A withdrawal freed the thread: nothing queued goes out before this moment, so the rest
    #: of a burst of withdrawals arrives first (``hold_releases_until``).
    releases_held_until: datetime | None = None

    @classmethod
    def start(cls, candidate: CandidateContact) -> CandidateThread:
        """A new candidate's thread, on the current rules."""
        return cls(candidate=candidate, rules=application_events.RULES)

    # -- what outside events do (each in its module) ---------------------------------------------

    def enrol(self, request: EnrolRequest, now: datetime) -> list[Enrolment]:
        """An ATS event placed an application in a stage (``application_events.enrol``)."""
        return application_events.enrol(self, request, now)

    def withdraw(self, event: ApplicationWithdrawn, now: datetime) -> list[Enrolment]:
        """An application was withdrawn (``application_events.withdraw``)."""
        return application_events.withdraw(self, event, now)

    def upgrade(self) -> None:
        """Onto the current rules, at a new run (``application_events.upgrade``)."""
        application_events.upgrade(self)

    def record_progress(self, event: ModuleProgress, now: datetime) -> str | None:
        """A module started or completed (``progress.record_progress``)."""
        return progress.record_progress(self, event, now)

    def release_auto_match(self, event: InterviewerAvailability, now: datetime) -> list[Enrolment]:
        """Interviewer availability for a job stage (``progress.release_auto_match``)."""
        return progress.release_auto_match(self, event, now)

    def record_receipt(self, event: DeliveryReceipt, now: datetime) -> str | None:
        """A channel's later delivery report (``progress.record_receipt``)."""
        return progress.record_receipt(self, event, now)

    def request_resync(self, event: ReadModelResync) -> bool:
        """Write every enrolment to the read model again (``progress.request_resync``)."""
        return progress.request_resync(self, event)

    def erase(self, now: datetime) -> list[Enrolment]:
        """Erase the candidate's personal data (``interventions.erase``)."""
        return interventions.erase(self, now)

    def cancel_enrolment(
        self, event: CancelEnrolment, now: datetime
    ) -> tuple[Enrolment | None, str | None]:
        """A recruiter cancels an enrolment (``interventions.cancel_enrolment``)."""
        return interventions.cancel_enrolment(self, event, now)

    def reply(self, event: CandidateReply, now: datetime) -> ReplyResult:
        """A reply from the candidate in the chat (``conversation.reply``)."""
        return conversation.reply(self, event, now)

    def reenrol(self, event: Reenrol, now: datetime) -> tuple[Enrolment | None, str | None]:
        """A recruiter re-enrols an enrolment (``interventions.reenrol``)."""
        return interventions.reenrol(self, event, now)

    # -- what the workflow's activities report, and its clock -------------------------------------

    def record_sent(self, send: PendingSend, now: datetime) -> None:
        """The channel accepted a message (``deliveries.record_sent``)."""
        deliveries.record_sent(self, send, now)

    def record_send_called_off(self, send: PendingSend, now: datetime) -> None:
        """A message was called off (``deliveries.record_send_called_off``)."""
        deliveries.record_send_called_off(self, send, now)

    def record_send_failure(
        self, send: PendingSend, reason: str, detail: str, now: datetime
    ) -> None:
        """The channel refused a message for good (``deliveries.record_send_failure``)."""
        deliveries.record_send_failure(self, send, reason, detail, now)

    def expire_due(self, now: datetime) -> list[Enrolment]:
        """End what passed its deadline (``deliveries.expire_due``)."""
        return deliveries.expire_due(self, now)

    def schedule_nudges(self, now: datetime) -> None:
        """Queue the nudges that are due (``sending.schedule_nudges``)."""
        sending.schedule_nudges(self, now)

    def start_sends(self, now: datetime) -> list[PendingSend]:
        """The messages to hand to the delivery activity now (``sending.start_sends``)."""
        return sending.start_sends(self, now)

    def next_wakeup(self, now: datetime) -> datetime | None:
        """When the workflow must next act on its own (``sending.next_wakeup``)."""
        return sending.next_wakeup(self, now)

    def next_deadline(self) -> datetime | None:
        """The earliest expiry that can still happen (``sending.next_deadline``)."""
        return sending.next_deadline(self)

    # -- what the workflow asks ----------------------------------------------------------------

    def application_enrolments(self, application_id: str) -> list[Enrolment]:
        """The application's enrolments the thread still holds, oldest first."""
        return sorted(self.of_application(application_id), key=lambda e: e.created_at)

    @property
    def contact_erased_at(self) -> datetime | None:
        """When the contact details the thread holds were erased (``None``: they are not)."""
        erased = self.erased_at is not None and self.contact_at == self.erased_at
        return self.erased_at if erased else None

    def unprojected(self) -> list[Enrolment]:
        """Enrolments with changes the read model has not seen yet (all of them on a resync),
        each with its next scheduled send up to date."""
        changed = [e for e in self.enrolments.values() if e.unprojected or self.resync_pending]
        for enrolment in changed:
            enrolment.next_send_at, enrolment.next_send = sending.next_send(self, enrolment)
        return changed

    def unprojected_applications(self) -> list[ApplicationState]:
        """Applications whose row the read model must (re)write, each showing the status its
        current enrolment has now (all placed ones on a resync)."""
        for enrolment in self.unprojected():
            app = self.applications.get(enrolment.application_id)
            if (
                app is not None
                and app.current_enrolment_id == enrolment.id
                and app.show_enrolment(enrolment.id, enrolment.status, enrolment.status_reason)
            ):
                app.changed(enrolment.updated_at)
        return [
            a
            for a in self.applications.values()
            if a.unprojected or (self.resync_pending and a.placed)
        ]

    def mark_projected(
        self, up_to: dict[str, int], applications: dict[str, int] | None = None
    ) -> None:
        """Forget timeline entries the read model now holds (``enrolment id -> seq``) and note
        the application rows it holds (``application id -> seq``)."""
        self.resync_pending = False
        for eid, seq in up_to.items():
            enrolment = self.enrolments.get(eid)
            if enrolment is not None:
                enrolment.unprojected = [t for t in enrolment.unprojected if t.seq > seq]
        for app_id, seq in (applications or {}).items():
            app = self.applications.get(app_id)
            if app is not None:
                app.projected_seq = max(app.projected_seq, seq)
        self.forget_old()

    def summary(self) -> str:
        """One line for the Temporal UI: which candidate (by id: no personal data leaves the
        workflow's state in clear) and where each enrolment stands."""
        counts: dict[str, int] = {}
        for e in self.enrolments.values():
            counts[e.status] = counts.get(e.status, 0) + 1
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no enrolments"
        holder = self.enrolments[self.holder].campaign.name if self.holder else "nobody"
        return (
            f"Candidate {self.candidate.id}: {statuses}; "
            f"thread held by {holder}; {len(self.queue)} queued"
        )

    # -- the thread's rules --------------------------------------------------------------------

    def thread_free(self) -> bool:
        """Nobody holds the thread and no message is going out."""
        return self.holder is None and not self.pending_sends

    def admission_status(self) -> EnrolmentStatus:
        """What a new enrolment starts as: ``sending`` on a free thread, else ``queued``."""
        return S.SENDING if self.thread_free() and not self.queue else S.QUEUED

    def admit(self, enrolment: Enrolment, now: datetime) -> None:
        """Take the thread for an enrolment now ``sending``, or join the queue if ``queued``."""
        if enrolment.status is S.SENDING:
            self.hold(enrolment, now)
        else:
            self.queue.append(enrolment.id)

    def hold(self, enrolment: Enrolment, now: datetime) -> None:
        """``enrolment`` takes the thread and its welcome goes out; one that cannot be
        delivered fails at once instead (rules 3), before quiet hours could hold it."""
        problem = self.undeliverable(enrolment) if self.rules >= 3 else None
        if problem is not None:
            enrolment.transition(S.FAILED, now, problem.detail, reason=problem.reason)
            self.release(enrolment, now)
            return
        self.holder = enrolment.id
        sending.queue_send(self, enrolment, WELCOME_MESSAGE, now)

    def undeliverable(self, enrolment: Enrolment) -> AddressProblem | None:
        """Why ``enrolment``'s campaign cannot reach the candidate (``None``: it can)."""
        if enrolment.address_opted_out:
            return AddressProblem(
                StatusReason.OPTED_OUT, "the candidate opted out of messages at this address"
            )
        return reachable_problem(enrolment.campaign.channel, self.candidate)

    def release(self, enrolment: Enrolment, now: datetime) -> None:
        """``enrolment`` no longer needs the thread (it is delivered, or it ended)."""
        if self.holder == enrolment.id:
            self.holder = None
        if enrolment.is_terminal:
            # No reminder once it ended: drop the nudges not handed to a provider yet (one in
            # flight keeps the thread busy until it returns, like a closing message).
            self.pending_sends = [
                p
                for p in self.pending_sends
                if p.started
                or p.enrolment_id != enrolment.id
                or not enrolment.is_nudge(p.message_number)
            ]
        self.dispatch(now)

    def hold_releases_until(self, moment: datetime) -> None:
        """Send nothing queued before ``moment`` (a later hold extends an earlier one)."""
        held = self.releases_held_until
        self.releases_held_until = moment if held is None else max(held, moment)

    def end_held_releases(self, now: datetime) -> None:
        """Once a hold has passed, hand the free thread on as ``dispatch`` would have."""
        if self.releases_held_until is not None and now >= self.releases_held_until:
            self.releases_held_until = None
            self.dispatch(now)

    def dispatch(self, now: datetime) -> None:
        """Hand a free thread to the first queued enrolment (unless releases are held)."""
        if self.releases_held_until is not None and now < self.releases_held_until:
            return
        if self.thread_free() and self.queue:
            enrolment = self.enrolments[self.queue.pop(0)]
            enrolment.transition(S.SENDING, now, "thread free: sending")
            self.hold(enrolment, now)

    def fail_undelivered(
        self,
        enrolment: Enrolment,
        report: str,
        now: datetime,
        failure: StatusReason = StatusReason.UNDELIVERED,
    ) -> None:
        """The channel reported the welcome undelivered: the enrolment fails."""
        enrolment.transition(
            S.FAILED, now, f"channel reported the message undelivered: {report}", reason=failure
        )
        self.release(enrolment, now)

    def cancel(self, enrolment: Enrolment, now: datetime, reason: StatusReason) -> None:
        """End ``enrolment`` as ``cancelled`` for ``reason`` and free what it held."""
        if enrolment.id in self.queue:
            self.queue.remove(enrolment.id)
        if enrolment.status is S.SENDING:
            # Its welcome was still held by quiet hours: it never goes out now.
            self.pending_sends = [p for p in self.pending_sends if p.enrolment_id != enrolment.id]
        enrolment.transition(S.CANCELLED, now, CANCELLATIONS[reason], reason=reason)
        self.release(enrolment, now)

    def drop_pending(self, send: PendingSend) -> None:
        """``send`` is no longer pending (it went out, failed or was called off)."""
        self.pending_sends = [p for p in self.pending_sends if p != send]

    def of_application(self, application_id: str) -> Iterable[Enrolment]:
        """The application's enrolments the thread holds."""
        return [e for e in self.enrolments.values() if e.application_id == application_id]

    def has_seen(self, source: str, event_id: str) -> bool:
        """Whether ``event_id`` of ``source`` was applied already (a retry of it changes
        nothing)."""
        return f"{source}:{event_id}" in self.seen_event_ids

    def first_sight(self, source: str, event_id: str) -> bool:
        """Remember ``event_id`` of ``source``; ``False`` if it was already applied.

        Ids are kept per source (ATS, progress webhook...), so two senders' ids never collide.
        """
        key = f"{source}:{event_id}"
        if key in self.seen_event_ids:
            return False
        self.seen_event_ids.append(key)
        del self.seen_event_ids[:-SEEN_EVENT_IDS]
        return True

    def forget_old(self) -> None:
        """Drop the oldest finished enrolments past ``FINISHED_ENROLMENTS_KEPT`` (the read
        model keeps them)."""
        finished = [
            e
            for e in self.enrolments.values()
            if e.is_finished
            and not e.unprojected
            and e.id != self.holder
            and all(p.enrolment_id != e.id for p in self.pending_sends)
        ]
        for enrolment in finished[:-FINISHED_ENROLMENTS_KEPT]:
            del self.enrolments[enrolment.id]
