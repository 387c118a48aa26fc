"""The client of the interviewers' workflows (``InterviewerWorkflow``, one per interviewer):
every change to an interviewer's time is an update sent with update-with-start, so the first
availability or booking starts the workflow and later ones reach the running one."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import OrderedDict
from datetime import timedelta
from typing import TypeVar

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import UpdateMethodMultiParam

from domain.identity import interviewer_workflow_id
from domain.interviewer_calendar import InterviewerCalendar
from domain.interviews import (
    Availability,
    BookingRequest,
    BookingResult,
    ChangeResult,
    InterviewChange,
    Reschedule,
)
from services.candidate_workflows import ENROL_TIMEOUT, EnrolmentTimeout
from services.context import Context
from workflows.inputs import InterviewerWorkflowInput
from workflows.interviewer import InterviewerWorkflow

T = TypeVar("T")
A = TypeVar("A")

#: Updates one process keeps in flight to one interviewer's workflow (the server takes 10 at
#: once per workflow by default, and refuses more with ``RESOURCE_EXHAUSTED``).
IN_FLIGHT = 8
#: Interviewers whose limits a process remembers (the most recently used).
KEPT_LIMITS = 10_000
FIRST_PAUSE, LAST_PAUSE = 0.05, 1.0


def started_with(interviewer_id: str) -> InterviewerWorkflowInput:
    """What an interviewer's workflow starts with: an empty calendar."""
    return InterviewerWorkflowInput(
        calendar=InterviewerCalendar(interviewer_id=interviewer_id), answer_when_projected=True
    )


class InterviewerWorkflows:
    """Talks to each interviewer's ``InterviewerWorkflow`` (id from
    ``interviewer_workflow_id``)."""

    def __init__(
        self, client: Client, *, task_queue: str, timeout: timedelta = ENROL_TIMEOUT
    ) -> None:
        self._client = client
        self._task_queue = task_queue
        self._timeout = timeout
        self._limits: OrderedDict[str, asyncio.Semaphore] = OrderedDict()

    async def set_availability(self, interviewer_id: str, availability: Availability) -> int:
        """Replace (or add to) the interviewer's windows; answers with how many they have."""
        return await self._update(
            interviewer_id, InterviewerWorkflow.set_availability, availability
        )

    async def book(self, interviewer_id: str, request: BookingRequest) -> BookingResult:
        """Ask for a slot; the interviewer's workflow gives it or refuses it."""
        return await self._update(interviewer_id, InterviewerWorkflow.book, request)

    async def reschedule(self, interviewer_id: str, request: Reschedule) -> ChangeResult:
        """Move a candidate's interview to another of the interviewer's free slots."""
        return await self._update(interviewer_id, InterviewerWorkflow.reschedule, request)

    async def confirm(self, interviewer_id: str, interview_id: str) -> ChangeResult:
        """The candidate confirms they will come to the interview."""
        return await self._update(interviewer_id, InterviewerWorkflow.confirm, interview_id)

    async def change(self, interviewer_id: str, change: InterviewChange) -> ChangeResult:
        """Cancel an interview or mark a no-show."""
        return await self._update(interviewer_id, InterviewerWorkflow.change, change)

    async def ask_for_availability(self, interviewer_id: str) -> None:
        """Tell the interviewer's workflow that candidates wait on them (signal-with-start: a
        signal, so the ATS event waits for nothing)."""
        await self._client.start_workflow(
            InterviewerWorkflow.run,
            started_with(interviewer_id),
            id=interviewer_workflow_id(interviewer_id),
            task_queue=self._task_queue,
            start_signal="ask_for_availability",
        )

    def _start(self, interviewer_id: str) -> WithStartWorkflowOperation[InterviewerWorkflow, None]:
        return WithStartWorkflowOperation(
            InterviewerWorkflow.run,
            started_with(interviewer_id),
            id=interviewer_workflow_id(interviewer_id),
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            task_queue=self._task_queue,
        )

    async def _update(
        self,
        interviewer_id: str,
        update: UpdateMethodMultiParam[[InterviewerWorkflow, A], T],
        argument: A,
    ) -> T:
        """Send ``update`` with update-with-start: at most ``IN_FLIGHT`` at a time from this
        process to one interviewer, and again after a pause while the server says the
        workflow has as many in flight as it takes (other processes' too)."""
        limit = self._limits.pop(interviewer_id, None) or asyncio.Semaphore(IN_FLIGHT)
        self._limits[interviewer_id] = limit
        if len(self._limits) > KEPT_LIMITS:
            self._limits.popitem(last=False)
        pause = FIRST_PAUSE
        try:
            async with asyncio.timeout(self._timeout.total_seconds()), limit:
                while True:
                    start = self._start(interviewer_id)
                    try:
                        return await self._client.execute_update_with_start_workflow(
                            update, argument, start_workflow_operation=start
                        )
                    except RPCError as err:
                        await _settled(start)
                        if err.status is not RPCStatusCode.RESOURCE_EXHAUSTED:
                            raise
                    await asyncio.sleep(pause * (0.5 + random.random()))
                    pause = min(pause * 2, LAST_PAUSE)
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError) as err:
            raise EnrolmentTimeout(
                f"no answer from {interviewer_workflow_id(interviewer_id)} within {self._timeout}"
            ) from err


async def _settled(start: WithStartWorkflowOperation[InterviewerWorkflow, None]) -> None:
    """Take the failed operation's own answer (its start failed with the update), so it is
    not reported as an error nobody read."""
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await asyncio.wait_for(start.workflow_handle(), timeout=0.01)


def interviewer_workflows(context: Context) -> InterviewerWorkflows:
    """The interviewers' workflows, reached with the context's client."""
    return InterviewerWorkflows(context.workflows.client, task_queue=context.settings.task_queue)
