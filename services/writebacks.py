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
from domain.interviews import Interview
from domain.writeback import (
    WritebackState,
    interview_key,
    vendor_of,
    vendor_target,
    writes_back,
)
from services.context import Context
from services.errors import Refused
from store.access import record
from store.writebacks import WritebackLedger, standing, writebacks_of
from workflows.inputs import WritebackWorkflowInput, writeback_queue
from workflows.writeback import WritebackWorkflow


class WritebackStarter:
    """Starts the write-back of enrolments that just ended and of interviews that changed, for
    the vendors in ``systems`` (those with a writer configured), each recorded ``pending``
    in the ledger first (``GET /enrolments/{id}`` says so at once)."""

    def __init__(self, systems: set[AtsSystem], task_queue: str, ledger: WritebackLedger) -> None:
        self._systems = systems
        self._task_queue = task_queue
        self._ledger = ledger

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
            await self._ledger.open(enrolment.id, system.value, enrolment.id)
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
        """Tell each changed interview's workflow to write its latest change (the activity
        decides whether a booking needs a note of its own)."""
        for interview in interviews:
            system = vendor_of(interview.candidate_id)
            if system is None or system not in self._systems:
                continue
            key = interview_key(
                interview.id, interview.booked_at, interview.sequence, interview.status.value
            )
            await self._ledger.open(key, system.value, interview.enrolment_id)
            await _signal(
                client, self._task_queue, system.value, interview.enrolment_id, interview.id
            )


async def _signal(
    client: Client, task_queue: str, system: str, enrolment_id: str, interview_id: str | None
) -> None:
    """Signal ``retry`` to the write-back's workflow (of the interview, if one is named),
    starting it if it is not running (its ledger keeps what was done)."""
    await client.start_workflow(
        WritebackWorkflow.run,
        _input(enrolment_id, system, task_queue, interview_id),
        id=writeback_workflow_id(interview_id or enrolment_id),
        task_queue=task_queue,
        start_signal="retry",
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        static_summary=f"write {interview_id or enrolment_id} back to {system}",
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
    """Write the enrolment's failed write-backs (its outcome, its interview's changes) again.
    Raises ``Refused``: 404 when the enrolment is not written back to an ATS, 409
    ``writeback_not_failed`` while it is pending or once it is done."""
    async with context.sessions() as session:
        known = await writebacks_of(session, enrolment_id)
    if not known:
        raise Refused(404, "writeback_not_found", f"enrolment {enrolment_id} is not written back")
    state, _ = standing(known)
    if state is not WritebackState.FAILED:
        raise Refused(409, "writeback_not_failed", f"the write-back is {state}")
    failed = await WritebackLedger(context.sessions).retrying(enrolment_id)
    for writeback in failed:
        interview = None if writeback.key == enrolment_id else writeback.key.split(":")[0]
        await _signal(
            context.workflows.client,
            context.settings.task_queue,
            writeback.system,
            enrolment_id,
            interview,
        )
    async with context.sessions.begin() as session:
        detail = {"enrolment_id": enrolment_id, "writebacks": [w.key for w in failed]}
        action = "enrolment.writeback_retried"
        record(session, who.actor, action, enrolment_id, detail, datetime.now(UTC))
    return WritebackState.PENDING
