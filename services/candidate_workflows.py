"""The client of the candidates' workflows: every use case reaches a candidate through it,
calling each handler of ``CandidateWorkflow`` by typed reference.

ATS events are updates sent with update-with-start (conflict policy: use the running
workflow): enrolling answers with the enrolment ids and their first statuses, a withdrawal with
the application's enrolments, both once the read model shows them. The workflow decides whether
an event is new, a repeat or stale, so a repeated event answers with the enrolments' current
statuses. Module progress and interviewer availability are updates too (the candidate's
workflow must exist); a delivery receipt stays a signal. Each carries the outside event's id,
which the workflow applies once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any, TypeVar

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowHandle,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from domain.candidates import CandidateContact
from domain.events import (
    ActionResult,
    ApplicationRef,
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
    Reenrol,
    ReplyResult,
)
from domain.identity import candidate_workflow_id
from domain.thread import CandidateThread
from services.errors import Refused
from workflows.candidate import CandidateWorkflow
from workflows.inputs import CandidateWorkflowInput
from workflows.search_attributes import at_start

logger = logging.getLogger(__name__)

SignalInput = TypeVar("SignalInput", DeliveryReceipt, ApplicationWithdrawn)
T = TypeVar("T")

#: How long an ATS event waits for its enrolment before the caller is told to retry. The
#: workflow answers within its own bounded wait; this only trips when no worker is running.
ENROL_TIMEOUT = timedelta(seconds=30)


class EnrolmentTimeout(Exception):
    """No worker answered the enrol update in time; the caller should retry the event."""


async def confirmed(call: Awaitable[T]) -> T:
    """``call``'s answer; ``EnrolmentTimeout`` becomes a 503 the caller retries (nothing is
    lost: the workflow applies an event id once)."""
    try:
        return await call
    except EnrolmentTimeout as err:
        raise Refused(
            503,
            "enrolment_timeout",
            "the event was not confirmed in time; send the same event again",
            headers={"Retry-After": "5"},
        ) from err


class CandidateWorkflows:
    """Talks to each candidate's ``CandidateWorkflow`` (id from ``candidate_workflow_id``)."""

    def __init__(
        self,
        client: Client,
        *,
        task_queue: str,
        delivery_task_queue: str,
        enrol_timeout: timedelta = ENROL_TIMEOUT,
    ) -> None:
        self._client = client
        self._task_queue = task_queue
        self._delivery_task_queue = delivery_task_queue
        self._enrol_timeout = enrol_timeout

    @property
    def client(self) -> Client:
        return self._client

    async def enrol(self, request: EnrolRequest) -> EnrolResult:
        """Apply an ATS event placing ``request``'s application in a stage, starting the
        candidate's workflow if needed.

        Returns the enrolments the event created (the same ones, in their current status, when
        it is repeated), once the read model shows them. Raises ``EnrolmentTimeout`` when no
        worker answers in time (nothing is lost: the caller retries with the same event id).
        """
        # An event that enrols in nothing starts a workflow with nothing to find it by.
        findable_by = request.application if request.campaign is not None else None
        start = self._start_operation(request.candidate, findable_by)
        update = self._client.execute_update_with_start_workflow(
            CandidateWorkflow.enrol, request, start_workflow_operation=start
        )
        return await self._answer(candidate_workflow_id(request.candidate.id), update)

    async def withdraw(
        self, candidate: CandidateContact, event: ApplicationWithdrawn
    ) -> EnrolResult:
        """Apply a withdrawal, starting the candidate's workflow if needed (so an older event
        arriving later cannot enrol the withdrawn application). Returns the application's
        enrolments once the read model shows the change; raises ``EnrolmentTimeout`` like
        ``enrol``."""
        start = self._start_operation(candidate, None)
        update = self._client.execute_update_with_start_workflow(
            CandidateWorkflow.withdraw, event, start_workflow_operation=start
        )
        return await self._answer(candidate_workflow_id(candidate.id), update)

    async def withdraw_existing(
        self, candidate_id: str, event: ApplicationWithdrawn
    ) -> EnrolResult | None:
        """Apply a withdrawal to the candidate's workflow if it exists (``None``: it does not,
        so the candidate has nothing to withdraw)."""
        handle = self._handle(candidate_id)
        return await self._existing(
            handle.id, handle.execute_update(CandidateWorkflow.withdraw, event)
        )

    async def erase(
        self, candidate_id: str, request: ErasureRequest, *, start: bool = False
    ) -> ErasureResult | None:
        """Erase the candidate's personal data in their workflow (``None``: it does not run).
        With ``start``, a workflow is started for it first (one an operator terminated left
        rows behind). Raises ``EnrolmentTimeout`` when no worker answers in time."""
        workflow_id = candidate_workflow_id(candidate_id)
        if start:
            operation = self._start_operation(CandidateContact(id=candidate_id, name=""), None)
            return await self._answer(
                workflow_id,
                self._client.execute_update_with_start_workflow(
                    CandidateWorkflow.erase, request, start_workflow_operation=operation
                ),
            )
        handle = self._handle(candidate_id)
        return await self._existing(
            workflow_id, handle.execute_update(CandidateWorkflow.erase, request)
        )

    def _start_operation(
        self, candidate: CandidateContact, findable_by: ApplicationRef | None
    ) -> WithStartWorkflowOperation[CandidateWorkflow, None]:
        """Start the candidate's workflow unless it runs (then the update goes to it)."""
        return WithStartWorkflowOperation(
            CandidateWorkflow.run,
            CandidateWorkflowInput(
                thread=CandidateThread.start(candidate),
                delivery_task_queue=self._delivery_task_queue,
                search_attributes_set=findable_by is not None,
                per_channel_queues=True,
                settled_statuses=True,
            ),
            id=candidate_workflow_id(candidate.id),
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            task_queue=self._task_queue,
            search_attributes=(
                at_start(candidate.id, findable_by) if findable_by is not None else None
            ),
        )

    async def _answer(self, workflow_id: str, update: Coroutine[Any, Any, T]) -> T:
        # No update id of our own: a repeated event is a new update, which the workflow answers
        # with the enrolments' current statuses (Temporal answers an update id it has seen with
        # its first answer).
        try:
            async with asyncio.timeout(self._enrol_timeout.total_seconds()):
                return await update
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError) as err:
            raise EnrolmentTimeout(
                f"no answer from {workflow_id} within {self._enrol_timeout}"
            ) from err

    async def progress(self, candidate_id: str, event: ModuleProgress) -> ProgressResult | None:
        """Apply a module start/completion; answers once the read model shows it (``None``:
        the candidate has no workflow). Raises ``EnrolmentTimeout`` when no worker answers."""
        handle = self._handle(candidate_id)
        return await self._existing(
            handle.id, handle.execute_update(CandidateWorkflow.progress, event)
        )

    async def reply(self, candidate_id: str, event: CandidateReply) -> ReplyResult | None:
        """A reply from the candidate for their conversation (``None``: no workflow)."""
        handle = self._handle(candidate_id)
        return await self._existing(
            handle.id, handle.execute_update(CandidateWorkflow.reply, event)
        )

    async def availability(
        self, candidate_id: str, event: InterviewerAvailability
    ) -> list[EnrolmentSummary] | None:
        """Release the candidate's Auto-Match enrolments in the event's job stage; answers with
        those released once the read model shows them (``None``: no workflow)."""
        handle = self._handle(candidate_id)
        return await self._existing(
            handle.id, handle.execute_update(CandidateWorkflow.availability, event)
        )

    async def cancel(self, candidate_id: str, request: CancelEnrolment) -> ActionResult | None:
        """A recruiter cancels an enrolment (``None``: the candidate has no workflow)."""
        handle = self._handle(candidate_id)
        return await self._existing(
            handle.id, handle.execute_update(CandidateWorkflow.cancel, request)
        )

    async def reenrol(self, candidate_id: str, request: Reenrol) -> ActionResult | None:
        """A recruiter re-enrols an enrolment (``None``: the candidate has no workflow)."""
        handle = self._handle(candidate_id)
        return await self._existing(
            handle.id, handle.execute_update(CandidateWorkflow.reenrol, request)
        )

    async def receipt(self, candidate_id: str, event: DeliveryReceipt) -> bool:
        """Pass on a channel's delivery report; ``False`` when the candidate has no workflow."""
        return await self._signal(candidate_id, CandidateWorkflow.delivery_receipt, event)

    async def state(self, candidate_id: str) -> CandidateThread | None:
        """The candidate's whole thread (the workflow's ``state`` query), or ``None``."""
        handle = self._client.get_workflow_handle_for(
            CandidateWorkflow.run, candidate_workflow_id(candidate_id)
        )
        try:
            state = await handle.query(CandidateWorkflow.state)
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                return None
            raise
        return state

    def _handle(self, candidate_id: str) -> WorkflowHandle[CandidateWorkflow, None]:
        return self._client.get_workflow_handle_for(
            CandidateWorkflow.run, candidate_workflow_id(candidate_id)
        )

    async def _existing(self, workflow_id: str, update: Coroutine[Any, Any, T]) -> T | None:
        """The update's answer; ``None`` when the workflow does not exist."""
        try:
            return await self._answer(workflow_id, update)
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                logger.info("no workflow %s: update not sent", workflow_id)
                return None
            raise

    async def _signal(
        self,
        candidate_id: str,
        signal: Callable[[CandidateWorkflow, SignalInput], None],
        event: SignalInput,
    ) -> bool:
        handle = self._client.get_workflow_handle_for(
            CandidateWorkflow.run, candidate_workflow_id(candidate_id)
        )
        try:
            await handle.signal(signal, event)
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                logger.info("no workflow for candidate %s: %s not sent", candidate_id, signal)
                return False
            raise
        return True
