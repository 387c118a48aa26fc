"""The bridge from HTTP to the candidates' workflows: one update and four signals, named once.

Enrolling is an update sent with update-with-start (conflict policy: use the running workflow),
so the caller gets the enrolment ids and first statuses back synchronously and a repeated ATS
event reaches the same workflow, which answers with the enrolments it created the first time.
Everything else is a signal carrying the outside event's id, which the workflow applies once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from domain.events import (
    ApplicationWithdrawn,
    DeliveryReceipt,
    EnrolRequest,
    EnrolResult,
    InterviewerAvailability,
    ModuleProgress,
)
from domain.identity import candidate_workflow_id
from domain.thread import CandidateThread
from workflows.candidate import CandidateWorkflow
from workflows.inputs import CandidateWorkflowInput
from workflows.search_attributes import at_start

logger = logging.getLogger(__name__)

ENROL_UPDATE = "enrol"
WITHDRAW_SIGNAL = "withdraw_application"
PROGRESS_SIGNAL = "module_progress"
AVAILABILITY_SIGNAL = "interviewer_availability"
RECEIPT_SIGNAL = "delivery_receipt"
STATE_QUERY = "state"

#: How long an ATS event waits for its enrolment before the caller is told to retry. The
#: workflow answers within its own bounded wait; this only trips when no worker is running.
ENROL_TIMEOUT = timedelta(seconds=30)


class EnrolmentTimeout(Exception):
    """No worker answered the enrol update in time; the caller should retry the event."""


class CandidateBridge:
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
        """Enrol ``request``'s application, starting the candidate's workflow if needed.

        Returns the enrolments the event created (the same ones when the event is repeated),
        each in its first status, once they are in the read model. Raises ``EnrolmentTimeout``
        when no worker answers within the timeout (nothing is lost: the caller retries with
        the same event id).
        """
        workflow_id = candidate_workflow_id(request.candidate.id)
        start = WithStartWorkflowOperation(
            CandidateWorkflow.run,
            CandidateWorkflowInput(
                thread=CandidateThread(candidate=request.candidate),
                delivery_task_queue=self._delivery_task_queue,
                search_attributes_set=request.campaign is not None,
            ),
            id=workflow_id,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            task_queue=self._task_queue,
            # An event that enrols in nothing starts a workflow with nothing to find it by.
            search_attributes=(
                at_start(request.candidate.id, request.application)
                if request.campaign is not None
                else None
            ),
        )
        try:
            async with asyncio.timeout(self._enrol_timeout.total_seconds()):
                result: EnrolResult = await self._client.execute_update_with_start_workflow(
                    ENROL_UPDATE,
                    request,
                    start_workflow_operation=start,
                    # The same event gets the same update id: Temporal itself answers a retry
                    # of an update it has already completed with the first result.
                    id=f"enrol:{request.event_id}:{request.application.id}",
                    result_type=EnrolResult,
                )
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError) as err:
            raise EnrolmentTimeout(
                f"no answer from {workflow_id} within {self._enrol_timeout}"
            ) from err
        return result

    async def withdraw(self, candidate_id: str, event: ApplicationWithdrawn) -> bool:
        """Tell the candidate's workflow the application was withdrawn.

        Returns ``False`` (and does nothing) when the candidate has no workflow: nothing of
        theirs was ever enrolled, so nothing needs cancelling.
        """
        return await self._signal(candidate_id, WITHDRAW_SIGNAL, event)

    async def progress(self, candidate_id: str, event: ModuleProgress) -> bool:
        """Pass on a module start/completion; ``False`` when the candidate has no workflow."""
        return await self._signal(candidate_id, PROGRESS_SIGNAL, event)

    async def availability(self, candidate_id: str, event: InterviewerAvailability) -> bool:
        """Release the candidate's Auto-Match enrolments in the event's job stage."""
        return await self._signal(candidate_id, AVAILABILITY_SIGNAL, event)

    async def receipt(self, candidate_id: str, event: DeliveryReceipt) -> bool:
        """Pass on a channel's delivery report; ``False`` when the candidate has no workflow."""
        return await self._signal(candidate_id, RECEIPT_SIGNAL, event)

    async def state(self, candidate_id: str) -> CandidateThread | None:
        """The candidate's whole thread (the workflow's ``state`` query), or ``None``."""
        handle = self._client.get_workflow_handle(candidate_workflow_id(candidate_id))
        try:
            state: CandidateThread = await handle.query(STATE_QUERY, result_type=CandidateThread)
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                return None
            raise
        return state

    async def _signal(self, candidate_id: str, name: str, event: Any) -> bool:
        handle = self._client.get_workflow_handle(candidate_workflow_id(candidate_id))
        try:
            await handle.signal(name, event)
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                logger.info("no workflow for candidate %s: %s not sent", candidate_id, name)
                return False
            raise
        return True
