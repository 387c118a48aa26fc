"""The candidate thread: one chat thread per candidate, and the rules that share it.

``CandidateThread`` is the whole state of a candidate's workflow and the only code that changes
enrolment statuses. Its methods are pure (time comes in as an argument, nothing is performed):
the workflow calls them from its handlers and main loop, then performs what the state asks for
(``pending_sends``, ``unprojected`` timeline entries) with activities. The property tests drive
the very same methods with random event sequences.

Rules (DESIGN.md, decision 3): at most one enrolment holds the thread. A multi-module campaign
holds it from ``sending`` until it ends; a blast holds it only while ``sending``. Others wait as
``queued``, first in, first out. Messages still going out (a closing message) keep the thread
busy so the chat never interleaves two campaigns.

Two parts live in modules of their own, as mixins: what ATS events do to applications
(``domain.application_events``: ordered per application, so the thread, which sees events one
at a time, is the only place that decides whether an event is new, a repeat or stale), when
messages go out (``domain.sending``: quiet hours, nudges), and what recruiters and admins do
(``domain.interventions``: cancel, re-enrol, erase).

``rules`` versions these decisions for workflows already running: a state carried over from
before ordering (rules 1) keeps the older rules until its workflow continues-as-new, which
``upgrade``s it, so every recorded history replays exactly as it ran.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, Field

from domain.application_events import RULES, ApplicationEvents
from domain.applications import ApplicationState
from domain.candidates import CandidateContact
from domain.durations import capped
from domain.enrolments import Enrolment, StatusReason
from domain.events import (
    DeliveryOutcome,
    DeliveryReceipt,
    InterviewerAvailability,
    ModuleProgress,
    ProgressEvent,
    ReadModelResync,
)
from domain.interventions import Interventions
from domain.sending import WELCOME_MESSAGE, PendingSend, SendSchedule, message_name, nudge_name
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


class CandidateThread(ApplicationEvents, SendSchedule, Interventions, BaseModel):
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

    # -- what outside events do ---------------------------------------------------------------

    @classmethod
    def start(cls, candidate: CandidateContact) -> CandidateThread:
        """A new candidate's thread, on the current rules."""
        return cls(candidate=candidate, rules=RULES)

    def record_progress(self, event: ModuleProgress, now: datetime) -> str | None:
        """Apply a module start/completion. Returns why it was ignored, or ``None`` if applied."""
        if not self._first_sight("progress", event.event_id):
            return "duplicate event"
        enrolment = self.enrolments.get(event.enrolment_id)
        if enrolment is None:
            return "unknown enrolment"
        if enrolment.campaign.is_blast:
            return "a blast has no modules"
        if enrolment.status not in (S.DELIVERED, S.IN_PROGRESS):
            return f"enrolment is {enrolment.status}"
        module = next((m for m in enrolment.campaign.modules if m.id == event.module_id), None)
        if module is None:
            return f"unknown module {event.module_id!r}"
        if enrolment.modules.get(module.id) is ProgressEvent.COMPLETED:
            return f"module {module.id!r} already completed"
        if self.rules >= 2 and enrolment.modules.get(module.id) is event.event:
            return f"module {module.id!r} already {event.event}"
        enrolment.modules[module.id] = event.event
        detail = f"module {module.name!r} {event.event}"
        if enrolment.status is S.DELIVERED:
            enrolment.transition(S.IN_PROGRESS, now, detail)
        else:
            enrolment.note(now, detail)
        done = all(
            enrolment.modules.get(m.id) is ProgressEvent.COMPLETED
            for m in enrolment.campaign.modules
        )
        if done:
            enrolment.transition(S.COMPLETED, now, "every module completed")
            for n in range(WELCOME_MESSAGE + 1, len(enrolment.campaign.messages) + 1):
                self._queue_send(enrolment, n, now)
            self._release(enrolment, now)
        return None

    def release_auto_match(self, event: InterviewerAvailability, now: datetime) -> list[Enrolment]:
        """Interviewer availability for a job stage: its Auto-Match enrolments go out."""
        if not self._first_sight("availability", event.event_id):
            return []
        waiting = [
            e
            for e in self.enrolments.values()
            if e.status is S.AUTO_MATCH
            and (e.job_id, e.stage_id) == (event.job_id, event.stage_id)
            and (event.received_at is None or e.status_times[S.AUTO_MATCH] <= event.received_at)
        ]
        for enrolment in waiting:
            enrolment.transition(
                self._admission_status(),
                now,
                f"interviewer {event.interviewer_id} shared {len(event.slots)} slot(s)",
            )
            self._admitted(enrolment, now)
        return waiting

    def record_receipt(self, event: DeliveryReceipt, now: datetime) -> str | None:
        """A channel's delivery report. Only a failure of a welcome not yet acted on matters."""
        if not self._first_sight("receipt", event.event_id):
            return "duplicate event"
        enrolment = self.enrolments.get(event.enrolment_id)
        if enrolment is None:
            return "unknown enrolment"
        if event.outcome is DeliveryOutcome.DELIVERED:
            return "delivery confirmed"
        failure = _failure_reason(event.failure)
        if event.message_number == WELCOME_MESSAGE and enrolment.status is S.SENDING:
            # The carrier's callback can overtake the send's own result (both may reach the
            # workflow in one task, signals first): act on it once the send reports back.
            enrolment.early_failure_report = event.reason or "no reason given"
            enrolment.early_failure_reason = failure
            return None
        if event.message_number != WELCOME_MESSAGE or enrolment.status is not S.DELIVERED:
            return f"enrolment is {enrolment.status}"
        self._fail_undelivered(enrolment, event.reason or "no reason given", now, failure)
        return None

    def request_resync(self, event: ReadModelResync) -> bool:
        """Ask for every enrolment to be written to the read model again (drift repair)."""
        if not self._first_sight("resync", event.event_id):
            return False
        self.resync_pending = True
        return True

    # -- what the workflow's activities report ------------------------------------------------

    def record_sent(self, send: PendingSend, now: datetime) -> None:
        """The channel accepted a message."""
        self._drop_pending(send)
        enrolment = self.enrolments.get(send.enrolment_id)
        if enrolment is None or send.message_number != WELCOME_MESSAGE:
            if enrolment is not None and (
                enrolment.is_nudge(send.message_number) or send.not_before is not None
            ):
                # A nudge, or a closing message that waited: its note also moves the next
                # scheduled send on.
                enrolment.note(now, f"{message_name(enrolment, send.message_number)} sent")
            self._dispatch(now)
            return
        enrolment.delivered_at = now
        enrolment.transition(S.DELIVERED, now, f"{enrolment.campaign.channel} message delivered")
        nudges = enrolment.campaign.nudges
        if nudges is not None and not enrolment.campaign.is_blast:
            enrolment.nudges_at = [now + capped(offset) for offset in nudges.after]
        if enrolment.early_failure_report is not None:
            failure = enrolment.early_failure_reason or StatusReason.UNDELIVERED
            self._fail_undelivered(enrolment, enrolment.early_failure_report, now, failure)
        elif enrolment.campaign.is_blast:
            self._release(enrolment, now)
        elif enrolment.cancel_requested is not None:
            self._cancel(enrolment, now, enrolment.cancel_requested)
        else:
            enrolment.expires_at = now + enrolment.campaign.effective_expiry
        self._dispatch(now)

    def record_send_called_off(self, send: PendingSend, now: datetime) -> None:
        """The workflow called a message off before a provider accepted it (the candidate was
        erased): a welcome ends its enrolment."""
        self._drop_pending(send)
        enrolment = self.enrolments.get(send.enrolment_id)
        if enrolment is not None:
            if send.message_number == WELCOME_MESSAGE and enrolment.status is S.SENDING:
                reason = enrolment.cancel_requested or StatusReason.CANDIDATE_ERASED
                self._cancel(enrolment, now, reason)
            else:
                enrolment.note(now, f"{message_name(enrolment, send.message_number)} called off")
        self._dispatch(now)

    def record_send_failure(
        self, send: PendingSend, reason: str, detail: str, now: datetime
    ) -> None:
        """The channel refused a message for good (invalid number, opted out...)."""
        self._drop_pending(send)
        enrolment = self.enrolments.get(send.enrolment_id)
        if enrolment is None:
            self._dispatch(now)
            return
        if send.message_number == WELCOME_MESSAGE:
            enrolment.transition(S.FAILED, now, detail, reason=reason)
            self._release(enrolment, now)
        elif enrolment.is_nudge(send.message_number):
            name = nudge_name(enrolment, send.message_number)
            enrolment.note(now, f"{name} not sent: {detail}")
        else:
            enrolment.note(now, f"closing message {send.message_number} not sent: {detail}")
        self._dispatch(now)

    def expire_due(self, now: datetime) -> list[Enrolment]:
        """End every delivered or in-progress enrolment whose deadline has passed."""
        due = [
            e
            for e in self.enrolments.values()
            if e.expires_at is not None
            and e.expires_at <= now
            and e.status in (S.DELIVERED, S.IN_PROGRESS)
        ]
        for enrolment in due:
            enrolment.transition(S.EXPIRED, now, "not completed before the deadline")
            self._release(enrolment, now)
        return due

    # -- what the workflow asks ----------------------------------------------------------------

    def unprojected(self) -> list[Enrolment]:
        """Enrolments with changes the read model has not seen yet (all of them on a resync),
        each with its next scheduled send up to date."""
        changed = [e for e in self.enrolments.values() if e.unprojected or self.resync_pending]
        for enrolment in changed:
            enrolment.next_send_at, enrolment.next_send = self._next_send(enrolment)
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
        self._forget_old()

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

    def _thread_free(self) -> bool:
        return self.holder is None and not self.pending_sends

    def _admission_status(self) -> EnrolmentStatus:
        return S.SENDING if self._thread_free() and not self.queue else S.QUEUED

    def _admitted(self, enrolment: Enrolment, now: datetime) -> None:
        """Take the thread for an enrolment now ``sending``, or join the queue if ``queued``."""
        if enrolment.status is S.SENDING:
            self._hold(enrolment, now)
        else:
            self.queue.append(enrolment.id)

    def _hold(self, enrolment: Enrolment, now: datetime) -> None:
        self.holder = enrolment.id
        self._queue_send(enrolment, WELCOME_MESSAGE, now)

    def _release(self, enrolment: Enrolment, now: datetime) -> None:
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
        self._dispatch(now)

    def _dispatch(self, now: datetime) -> None:
        """Hand a free thread to the first queued enrolment."""
        if self._thread_free() and self.queue:
            enrolment = self.enrolments[self.queue.pop(0)]
            enrolment.transition(S.SENDING, now, "thread free: sending")
            self._hold(enrolment, now)

    def _fail_undelivered(
        self,
        enrolment: Enrolment,
        report: str,
        now: datetime,
        failure: StatusReason = StatusReason.UNDELIVERED,
    ) -> None:
        enrolment.transition(
            S.FAILED, now, f"channel reported the message undelivered: {report}", reason=failure
        )
        self._release(enrolment, now)

    def _cancel(self, enrolment: Enrolment, now: datetime, reason: StatusReason) -> None:
        if enrolment.id in self.queue:
            self.queue.remove(enrolment.id)
        if enrolment.status is S.SENDING:
            # Its welcome was still held by quiet hours: it never goes out now.
            self.pending_sends = [p for p in self.pending_sends if p.enrolment_id != enrolment.id]
        enrolment.transition(S.CANCELLED, now, CANCELLATIONS[reason], reason=reason)
        self._release(enrolment, now)

    def _drop_pending(self, send: PendingSend) -> None:
        self.pending_sends = [p for p in self.pending_sends if p != send]

    def _of_application(self, application_id: str) -> Iterable[Enrolment]:
        return [e for e in self.enrolments.values() if e.application_id == application_id]

    def has_seen(self, source: str, event_id: str) -> bool:
        """Whether ``event_id`` of ``source`` was applied already (a retry of it changes
        nothing)."""
        return f"{source}:{event_id}" in self.seen_event_ids

    def _first_sight(self, source: str, event_id: str) -> bool:
        """Remember ``event_id`` of ``source``; ``False`` if it was already applied.

        Ids are kept per source (ATS, progress webhook...), so two senders' ids never collide.
        """
        key = f"{source}:{event_id}"
        if key in self.seen_event_ids:
            return False
        self.seen_event_ids.append(key)
        del self.seen_event_ids[:-SEEN_EVENT_IDS]
        return True

    def _forget_old(self) -> None:
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


def _failure_reason(value: str | None) -> StatusReason:
    """The reason a carrier's failure report names (``undelivered`` when it names none we know)."""
    try:
        return StatusReason(value) if value else StatusReason.UNDELIVERED
    except ValueError:
        return StatusReason.UNDELIVERED
