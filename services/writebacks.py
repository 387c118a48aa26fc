"""Writing enrolments back to their vendor ATS (API.md "Write-back to the ATS"): starting the
write-back when the read model first holds an enrolment's end or a change of its interview
(``WritebackStarter``: the worker hands it to the projection), and the recruiter's retry of
one that failed.

Each enrolment has one ``WritebackWorkflow`` (``writeback-<enrolment id>``), started with reuse
refused: the projection of an end repeated (a retried local activity, a replayed workflow, a
resync) starts nothing twice. The retry signals it (with start, when it ended already: the
``writebacks`` ledger keeps what was done, so nothing is written twice).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.access import Principal
from domain.ats import AtsSystem
from domain.enrolments import Enrolment
from domain.identity import writeback_workflow_id
from domain.interviews import Interview, InterviewStatus
from domain.writeback import WritebackState, vendor_of, vendor_target, writes_back
from services.context import Context
from services.errors import Refused
from store.access import record
from store.writebacks import writeback_of
from workflows.inputs import WritebackWorkflowInput, writeback_queue
from workflows.writeback import WritebackWorkflow


class WritebackStarter:
    """Starts the write-back of enrolments that just ended, for the vendors in ``systems``
    (those with a writer configured)."""

    def __init__(self, systems: set[AtsSystem], task_queue: str) -> None:
        self._systems = systems
        self._task_queue = task_queue

    def due(self, enrolments: Sequence[Enrolment]) -> list[tuple[Enrolment, AtsSystem]]:
        """Of ``enrolments`` (being projected), those whose end is new and is written back."""
        found: list[tuple[Enrolment, AtsSystem]] = []
        for enrolment in enrolments:
            if not self._systems or not any(writes_back(e.status) for e in enrolment.unprojected):
                continue
            target = vendor_target(enrolment.application_id, enrolment.candidate_id)
            if target is not None and target.system in self._systems:
                found.append((enrolment, target.system))
        return found

    async def enrolments(self, client: Client, enrolments: Sequence[Enrolment]) -> None:
        """Start each due one's workflow; one started before (a repeat) is left as it is."""
        for enrolment, system in self.due(enrolments):
            with contextlib.suppress(WorkflowAlreadyStartedError):
                await client.start_workflow(
                    WritebackWorkflow.run,
                    _input(enrolment.id, system.value, self._task_queue),
                    id=writeback_workflow_id(enrolment.id),
                    task_queue=self._task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                    static_summary=f"write {enrolment.id} back to {system}",
                )

    async def interviews(self, client: Client, interviews: Sequence[Interview]) -> None:
        """Tell each changed interview's workflow (signal-with-start: one running takes the
        signal, one that ended starts again) to write its latest change."""
        for interview in interviews:
            system = vendor_of(interview.candidate_id)
            booking = interview.sequence == 0 and interview.status is InterviewStatus.BOOKED
            if system is None or system not in self._systems or booking:
                continue
            await client.start_workflow(
                WritebackWorkflow.run,
                _input(interview.enrolment_id, system.value, self._task_queue, interview.id),
                id=writeback_workflow_id(interview.id),
                task_queue=self._task_queue,
                start_signal="retry",
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                static_summary=f"write interview {interview.id} back to {system}",
            )


def _input(
    enrolment_id: str, system: str, task_queue: str, interview_id: str | None = None
) -> WritebackWorkflowInput:
    return WritebackWorkflowInput(
        enrolment_id=enrolment_id,
        task_queue=writeback_queue(task_queue, system),
        interview_id=interview_id,
    )


async def retry_writeback(context: Context, enrolment_id: str, who: Principal) -> WritebackState:
    """Write a failed write-back again. Raises ``Refused``: 404 when the enrolment is not
    written back to an ATS, 409 ``writeback_not_failed`` while it is pending or once done."""
    async with context.sessions() as session:
        found = await writeback_of(session, enrolment_id)
    if found is None:
        raise Refused(404, "writeback_not_found", f"enrolment {enrolment_id} is not written back")
    if found.state is not WritebackState.FAILED:
        raise Refused(409, "writeback_not_failed", f"the write-back is {found.state.value}")
    task_queue = context.settings.task_queue
    await context.workflows.client.start_workflow(
        WritebackWorkflow.run,
        _input(enrolment_id, found.system, task_queue),
        id=writeback_workflow_id(enrolment_id),
        task_queue=task_queue,
        start_signal="retry",
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    async with context.sessions.begin() as session:
        detail = {"enrolment_id": enrolment_id, "error": found.error}
        action = "enrolment.writeback_retried"
        record(session, who.actor, action, enrolment_id, detail, datetime.now(UTC))
    return WritebackState.PENDING
