"""``CandidateWorkflow``: the one long-lived workflow that owns a candidate's chat thread.

Handlers record (they apply the event to the ``CandidateThread`` and return); the main loop
acts: it starts deliveries the state asks for, projects every change into the read model, keeps
one durable timer for the earliest expiry, and continues-as-new at a quiet point.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.contracts import (
        PROJECT_ENROLMENTS,
        ProjectEnrolments,
        ProjectionResult,
    )
    from domain.enrolments import Enrolment
    from domain.events import (
        ActionResult,
        ApplicationWithdrawn,
        CancelEnrolment,
        CandidateReply,
        DeliveryReceipt,
        EnrolmentSummary,
        EnrolRequest,
        EnrolResult,
        ErasureRequest,
        ErasureResult,
        InterviewerAvailability,
        ModuleProgress,
        ProgressResult,
        ReadModelResync,
        Reenrol,
        ReplyResult,
    )
    from domain.identity import candidate_workflow_id
    from domain.metrics import DESCRIPTIONS, TRANSITIONS
    from domain.sending import PendingSend
    from domain.thread import CandidateThread
    from workflows.delivery import deliver
    from workflows.inputs import CandidateWorkflowInput
    from workflows.projecting import PROJECTION_RETRY, PROJECTION_WAIT
    from workflows.search_attributes import publish, published_at_start

#: The patch under which a rules-1 run projects application changes on their own.
#: Retire with ``domain/rules_v1.py``: deprecate the patch, then delete it.
APPLICATION_ROWS = "project-application-rows"


@workflow.defn(name="CandidateWorkflow")
class CandidateWorkflow:
    """Serialises one candidate's campaigns; the only writer of their enrolment statuses."""

    @workflow.init
    def __init__(self, input: CandidateWorkflowInput) -> None:
        self._input = input
        self._thread = input.thread
        self._deliveries: dict[tuple[str, int], asyncio.Task[None]] = {}
        self._timer: tuple[datetime, asyncio.Task[None]] | None = None
        self._wakeup = False
        self._published = published_at_start(input)
        #: The read model was just erased: continue-as-new at once, so the candidate's data
        #: stays only in this run's history (which the namespace's retention removes).
        self._leave_run = False
        self._transitions = workflow.metric_meter().create_counter(
            TRANSITIONS, DESCRIPTIONS[TRANSITIONS]
        )

    @workflow.run
    async def run(self, input: CandidateWorkflowInput) -> None:
        """Act on the state until the history is long enough to continue-as-new."""
        while True:
            self._thread.end_held_releases(workflow.now())
            self._thread.expire_due(workflow.now())
            self._thread.schedule_nudges(workflow.now())
            self._start_deliveries()
            await self._project()
            self._arm_timer()
            self._publish()
            if self._quiet() and (self._leave_run or self._history_is_long()):
                self._thread.upgrade()
                workflow.continue_as_new(
                    CandidateWorkflowInput(
                        thread=self._thread,
                        delivery_task_queue=input.delivery_task_queue,
                        event_budget=input.event_budget,
                        search_attributes_set=True,
                        per_channel_queues=True,
                        settled_statuses=True,
                    )
                )
            await workflow.wait_condition(lambda: self._wakeup)
            self._wakeup = False

    # -- handlers: record and wake the loop ----------------------------------------------------

    @workflow.update
    async def enrol(self, request: EnrolRequest) -> EnrolResult:
        """Apply an ATS event placing an application in a stage: enrol it in the stage's
        campaign if it moved there. Answers with the enrolments the event created, in their
        first status (the current one for a repeat), once the read model shows the change.
        """
        enrolments = self._thread.enrol(request, workflow.now())
        answer = EnrolResult(enrolments=[e.summary() for e in enrolments])
        await self._answer_once_projected(enrolments, request.application.id)
        return answer

    @workflow.update
    async def withdraw(self, event: ApplicationWithdrawn) -> EnrolResult:
        """Apply a withdrawal: cancel what was not sent, end what runs, free the thread.

        Answers with the application's enrolments once the read model shows the change.
        """
        ended = self._thread.withdraw(event, workflow.now())
        await self._answer_once_projected(ended, event.application_id)
        enrolments = self._thread.application_enrolments(event.application_id)
        return EnrolResult(enrolments=[e.summary() for e in enrolments])

    @enrol.validator
    def _validate_enrol(self, request: EnrolRequest) -> None:
        if candidate_workflow_id(request.candidate.id) != workflow.info().workflow_id:
            raise ValueError(f"candidate {request.candidate.id} does not belong to this workflow")

    @workflow.update
    async def progress(self, event: ModuleProgress) -> ProgressResult:
        """The candidate started or completed a module; answers once the read model shows it
        (what a repeated or stale report changed: nothing, and why)."""
        ignored = self._thread.record_progress(event, workflow.now())
        enrolment = self._thread.enrolments.get(event.enrolment_id)
        if ignored:
            workflow.logger.info("progress %s ignored: %s", event.event_id, ignored)
        if enrolment is None:
            self._wake()
            return ProgressResult(ignored=ignored)
        await self._answer_once_projected([enrolment])
        return ProgressResult(ignored=ignored, enrolment=enrolment.summary())

    @workflow.update
    async def reply(self, event: CandidateReply) -> ReplyResult:
        """A reply from the candidate in the chat: the answer their conversation waits on, or
        a note for the recruiter; answers once the read model shows it."""
        result = self._thread.reply(event, workflow.now())
        enrolment = self._thread.enrolments.get(result.enrolment_id or "")
        if enrolment is None:
            self._wake()
            return result
        await self._answer_once_projected([enrolment])
        return result

    @workflow.update
    async def availability(self, event: InterviewerAvailability) -> list[EnrolmentSummary]:
        """An interviewer is available: this job stage's Auto-Match enrolments go out; answers
        with those released, once the read model shows them."""
        released = self._thread.release_auto_match(event, workflow.now())
        await self._answer_once_projected(released)
        return [e.summary() for e in released]

    @workflow.update
    async def erase(self, request: ErasureRequest) -> ErasureResult:
        """Erase the candidate's personal data: end their enrolments, call off every message,
        keep only their id, then erase the read model once no message is in flight. Answers
        when the read model is erased (or after a bounded wait: ``erased`` says which)."""
        ended = self._thread.erase(workflow.now())
        for delivery in self._deliveries.values():
            delivery.cancel()
        self._wake()
        try:
            await workflow.wait_condition(
                lambda: not self._thread.erasure_pending, timeout=PROJECTION_WAIT
            )
        except TimeoutError:
            workflow.logger.warning("erasure of the read model still waits for sends in flight")
        self._wake()
        return ErasureResult(
            erased_at=self._thread.erased_at or workflow.now(),
            erased=not self._thread.erasure_pending,
            enrolments=[e.summary() for e in ended],
        )

    @workflow.update
    async def cancel(self, request: CancelEnrolment) -> ActionResult:
        """A recruiter cancels an enrolment; answers once the read model shows it."""
        repeated = self._thread.has_seen("cancel", request.event_id)
        enrolment, refused = self._thread.cancel_enrolment(request, workflow.now())
        return await self._action_answer(enrolment, refused, repeated)

    @workflow.update
    async def reenrol(self, request: Reenrol) -> ActionResult:
        """A recruiter re-enrols a failed or expired enrolment (contact details corrected);
        answers with the new enrolment once the read model shows it."""
        repeated = self._thread.has_seen("reenrol", request.event_id)
        enrolment, refused = self._thread.reenrol(request, workflow.now())
        return await self._action_answer(enrolment, refused, repeated)

    async def _action_answer(
        self, enrolment: Enrolment | None, refused: str | None, repeated: bool
    ) -> ActionResult:
        if refused is None and enrolment is not None:
            await self._answer_once_projected([enrolment], enrolment.application_id)
        else:
            self._wake()
        return ActionResult(
            enrolment=None if enrolment is None else enrolment.summary(),
            refused=refused,
            repeated=repeated,
        )

    # Retire the three signals below once no run from before 62fa5d1 / e528805 remains and no
    # client sends them (README, "Retiring compatibility code").
    @workflow.signal(name="withdraw_application")
    def withdraw_application(self, event: ApplicationWithdrawn) -> None:
        """The withdrawal as a signal, as clients before the ``withdraw`` update sent it."""
        self._thread.withdraw(event, workflow.now())
        self._wake()

    @workflow.signal(name="module_progress")
    def module_progress(self, event: ModuleProgress) -> None:
        """The candidate started or completed a module (the signal; the API sends ``progress``)."""
        ignored = self._thread.record_progress(event, workflow.now())
        if ignored:
            workflow.logger.info("progress %s ignored: %s", event.event_id, ignored)
        self._wake()

    @workflow.signal(name="interviewer_availability")
    def interviewer_availability(self, event: InterviewerAvailability) -> None:
        """An interviewer is available (the signal; the API sends ``availability``)."""
        self._thread.release_auto_match(event, workflow.now())
        self._wake()

    @workflow.signal(name="delivery_receipt")
    def delivery_receipt(self, event: DeliveryReceipt) -> None:
        """The channel's later report on a message it accepted."""
        ignored = self._thread.record_receipt(event, workflow.now())
        if ignored:
            workflow.logger.info("receipt %s ignored: %s", event.event_id, ignored)
        self._wake()

    @workflow.signal(name="resync_read_model")
    def resync_read_model(self, event: ReadModelResync) -> None:
        """Repair drift: project every enrolment again (the read model keeps the newest seq)."""
        if self._thread.request_resync(event):
            self._wake()

    @workflow.query(name="state")
    def state(self) -> CandidateThread:
        """The full state: every enrolment, the queue, the holder, pending messages."""
        return self._thread

    # -- the loop's work -----------------------------------------------------------------------

    def _wake(self) -> None:
        self._wakeup = True

    def _start_deliveries(self) -> None:
        for send in self._thread.start_sends(workflow.now()):
            key = (send.enrolment_id, send.message_number)
            if key not in self._deliveries:
                self._deliveries[key] = asyncio.create_task(self._deliver(send))

    async def _deliver(self, send: PendingSend) -> None:
        try:
            await deliver(self._thread, send, self._input)
        finally:
            del self._deliveries[(send.enrolment_id, send.message_number)]
            self._wake()

    async def _project(self) -> None:
        changed = self._thread.unprojected()
        applications = self._thread.unprojected_applications()
        # Erase the read model once no message is in flight: a delivery records its message.
        erase = self._thread.erasure_pending and not self._deliveries
        if not changed and not applications and not erase:
            return
        # Rules 1 projected applications only with an enrolment change, as their recorded
        # histories did; a run that is not replaying those projects them on their own too.
        if not changed and self._thread.rules < 2 and not workflow.patched(APPLICATION_ROWS):
            return
        # A snapshot: a local activity retried after a backoff timer encodes its input again,
        # and the state goes on changing meanwhile (a send returns). The read model must get
        # enrolments and applications as they were together, never a newer enrolment beside an
        # older application. (Dumped and validated again: half the CPU of a deep copy.)
        snapshot = ProjectEnrolments.model_validate(
            ProjectEnrolments(
                candidate=self._thread.candidate,
                enrolments=changed,
                applications=applications,
                candidate_erased_at=self._thread.contact_erased_at,
                erase=erase,
            ).model_dump()
        )
        result = await workflow.execute_local_activity(
            PROJECT_ENROLMENTS,
            snapshot,
            result_type=ProjectionResult,
            start_to_close_timeout=timedelta(seconds=20),
            retry_policy=PROJECTION_RETRY,
            # Back off on a server timer past the first second: a long database outage then
            # does not hold the workflow task open (queries and updates keep answering).
            local_retry_threshold=timedelta(seconds=1),
            summary=f"project {len(changed)} enrolment change(s)",
        )
        self._count_transitions(snapshot.enrolments, result.projected)
        self._thread.mark_projected(result.projected, result.applications)
        if erase:
            self._thread.erasure_pending = False
            self._leave_run = True

    def _count_transitions(self, enrolments: list[Enrolment], projected: dict[str, int]) -> None:
        """Count each status change once, when the read model first holds it (a replay
        records nothing: the workflow's meter drops it)."""
        for enrolment in enrolments:
            for entry in enrolment.unprojected:
                if entry.status != entry.previous and entry.seq <= projected.get(enrolment.id, 0):
                    self._transitions.add(
                        1, {"from": entry.previous or "new", "to": entry.status.value}
                    )

    async def _answer_once_projected(
        self, changed: list[Enrolment], application_id: str | None = None
    ) -> None:
        """Wake the loop, then wait (bounded) until the read model holds these changes of
        ``changed`` and of the application, if one is named (rules 1: of the enrolments only)."""
        self._wake()
        enrolments = {e.id: e.seq for e in changed}
        app = self._thread.applications.get(application_id) if application_id else None
        app_seq = app.seq if app is not None and self._thread.rules >= 2 else 0

        def projected() -> bool:
            for eid, seq in enrolments.items():
                enrolment = self._thread.enrolments.get(eid)
                if enrolment is not None and any(t.seq <= seq for t in enrolment.unprojected):
                    return False
            return app is None or not app.placed or app.projected_seq >= app_seq

        try:
            await workflow.wait_condition(projected, timeout=PROJECTION_WAIT)
        except TimeoutError:
            workflow.logger.warning(
                "changes of %s not yet in the read model", application_id or sorted(enrolments)
            )
        # Once this handler is done the workflow may be quiet: let the loop look (it may be
        # time to continue-as-new).
        self._wake()

    def _arm_timer(self) -> None:
        """Keep exactly one durable timer, for the earliest moment the workflow must act on its
        own: an expiry, the end of a quiet-hours hold, a nudge falling due."""
        wakeup = self._thread.next_wakeup(workflow.now())
        if self._timer is not None:
            armed_for, task = self._timer
            if armed_for == wakeup and not task.done():
                return
            task.cancel()
            self._timer = None
        if wakeup is not None:
            self._timer = (wakeup, asyncio.create_task(self._sleep_until(wakeup)))

    async def _sleep_until(self, wakeup: datetime) -> None:
        delay = wakeup - workflow.now()
        if delay > timedelta(0):
            reason = (
                "expiry of the running campaign"
                if wakeup == self._thread.next_deadline()
                else "quiet hours end, or a nudge is due"
            )
            await workflow.sleep(delay, summary=reason)
        self._wake()

    def _publish(self) -> None:
        """Current details always; search attributes when they change (``publish``)."""
        workflow.set_current_details(self._thread.summary())
        self._published = publish(
            self._thread,
            self._published,
            bool(self._deliveries),
            settled_statuses=self._input.settled_statuses,
        )

    def _quiet(self) -> bool:
        return (
            not self._deliveries
            and not self._thread.unprojected()
            and (self._thread.rules < 2 or not self._thread.unprojected_applications())
            and workflow.all_handlers_finished()
        )

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() >= self._input.event_budget
        )
