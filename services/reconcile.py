"""Reconciling the read model with the candidates' workflows: find drift, repair it.


Each candidate's workflow is the only writer of its enrolment statuses, so its ``state`` query is
the truth and the ``enrolments`` table is a projection of it. The projection is retried until it
lands, but a row can still drift afterwards: a database restored from an older backup, a row
deleted or edited by hand. This module lists the running ``CandidateWorkflow`` executions of one
task queue (visibility), queries each one's state (bounded concurrency), compares every
enrolment's status, reason and ``seq`` with its row (and, for an application's current
enrolment, with the status copied onto the application, which the Table and the board read).

On request (``--fix``) it sends the workflows that drifted the ``resync_read_model`` signal: they
project every enrolment again (the projection's ``seq`` guard keeps the newest write), after
which those candidates are checked again until they agree or a deadline passes. A row edited
in place at its own ``seq`` would survive that guard, so such rows are first marked stale
(``seq`` 0); reconcile never writes a status itself, the workflow stays the only writer.

What is compared: the enrolments a workflow still carries (it forgets finished ones past
``domain.thread.FINISHED_ENROLMENTS_KEPT``; those live on in the read model only). A change the
workflow has not projected yet (its projection is still retrying, e.g. while the database is
down) is counted as *in flight*, not as drift: the workflow repairs that on its own.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from domain.events import ReadModelResync
from domain.thread import CandidateThread
from services.drift import DriftKind, DriftReport, EnrolmentDrift, ReconcileResult, compare_thread
from store.drift import AlteredApplication, AlteredEnrolment, mark_stale, read_enrolments
from workflows.candidate import CandidateWorkflow

#: Workflows queried (or signalled) at once: enough to go through thousands of candidates in
#: seconds, few enough not to crowd out the workers' own traffic.
QUERY_CONCURRENCY = 20
#: Workflows compared per round trip to the read model.
BATCH_SIZE = 200
#: How long one ``state`` query may take before the workflow counts as unanswered.
QUERY_TIMEOUT = timedelta(seconds=10)
#: How long ``--fix`` waits for the resynced candidates to agree with the read model.
DEFAULT_WAIT = timedelta(seconds=60)


class ReconcileError(RuntimeError):
    """Temporal or the read model could not be read; the message says which and why."""


def candidate_workflows_query(task_queue: str | None) -> str:
    """The visibility query for the running candidate workflows (of one task queue, if given)."""
    query = f'WorkflowType = "{CandidateWorkflow.__name__}" AND ExecutionStatus = "Running"'
    if task_queue is not None:
        query += f' AND TaskQueue = "{task_queue}"'
    return query


async def _running_workflow_ids(client: Client, task_queue: str | None) -> AsyncIterator[list[str]]:
    """The running candidate workflows' ids, in batches of ``BATCH_SIZE``."""
    batch: list[str] = []
    async for execution in client.list_workflows(candidate_workflows_query(task_queue)):
        batch.append(execution.id)
        if len(batch) >= BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


async def _states(
    client: Client, workflow_ids: Sequence[str], limit: asyncio.Semaphore
) -> tuple[dict[str, CandidateThread], list[str]]:
    """Each workflow's ``state``; plus the ids that did not answer. Ended workflows are left out."""

    async def state_of(workflow_id: str) -> CandidateThread | None:
        async with limit:
            handle = client.get_workflow_handle(workflow_id)
            return await handle.query(CandidateWorkflow.state, rpc_timeout=QUERY_TIMEOUT)

    outcomes = await asyncio.gather(
        *(state_of(workflow_id) for workflow_id in workflow_ids), return_exceptions=True
    )
    states: dict[str, CandidateThread] = {}
    unanswered: list[str] = []
    for workflow_id, outcome in zip(workflow_ids, outcomes, strict=True):
        if isinstance(outcome, CandidateThread):
            states[workflow_id] = outcome
        elif isinstance(outcome, RPCError) and outcome.status is RPCStatusCode.NOT_FOUND:
            continue  # it ended after it was listed: nothing of it left to compare
        elif isinstance(outcome, RPCError | WorkflowQueryFailedError | TimeoutError):
            unanswered.append(workflow_id)
        elif isinstance(outcome, BaseException):
            raise outcome
    return states, unanswered


async def _compare_batch(
    client: Client, engine: AsyncEngine, workflow_ids: Sequence[str], limit: asyncio.Semaphore
) -> DriftReport:
    states, unanswered = await _states(client, workflow_ids, limit)
    rows = await read_enrolments(
        engine, (eid for thread in states.values() for eid in thread.enrolments)
    )
    report = DriftReport(unanswered=unanswered)
    for workflow_id, thread in states.items():
        report.absorb(compare_thread(workflow_id, thread, rows))
    return report


async def find_drift(
    client: Client,
    engine: AsyncEngine,
    *,
    task_queue: str | None,
    workflow_ids: Sequence[str] | None = None,
    concurrency: int = QUERY_CONCURRENCY,
) -> DriftReport:
    """Compare running candidate workflows with the read model on ``engine``.

    Checks the workflows listed by visibility on ``task_queue`` (every task queue if ``None``),
    or exactly ``workflow_ids`` when given. At most ``concurrency`` queries run at once. Raises
    ``ReconcileError`` when Temporal's visibility or the database cannot be read.
    """
    limit = asyncio.Semaphore(concurrency)
    report = DriftReport()
    try:
        if workflow_ids is not None:
            for start in range(0, len(workflow_ids), BATCH_SIZE):
                batch = workflow_ids[start : start + BATCH_SIZE]
                report.absorb(await _compare_batch(client, engine, batch, limit))
        else:
            async for batch in _running_workflow_ids(client, task_queue):
                report.absorb(await _compare_batch(client, engine, batch, limit))
    except RPCError as err:
        raise ReconcileError(f"cannot list the candidate workflows: {err}") from err
    except (SQLAlchemyError, OSError) as err:
        raise ReconcileError(f"cannot read the read model: {err}") from err
    return report


# -- repairing ---------------------------------------------------------------------------------


async def request_resync(
    client: Client,
    workflow_ids: Sequence[str],
    event_id: str,
    *,
    concurrency: int = QUERY_CONCURRENCY,
) -> list[str]:
    """Send ``resync_read_model`` to each workflow; returns the ids that received it.

    Every workflow applies a given ``event_id`` once, so repeating a call is harmless.
    """
    limit = asyncio.Semaphore(concurrency)
    event = ReadModelResync(event_id=event_id)

    async def signal(workflow_id: str) -> bool:
        async with limit:
            try:
                await client.get_workflow_handle(workflow_id).signal(
                    CandidateWorkflow.resync_read_model, event
                )
            except RPCError as err:
                if err.status is RPCStatusCode.NOT_FOUND:
                    return False  # it ended since: nothing left to repair
                raise
            return True

    try:
        delivered = await asyncio.gather(*(signal(workflow_id) for workflow_id in workflow_ids))
    except RPCError as err:
        raise ReconcileError(f"cannot signal the candidate workflows: {err}") from err
    return [wid for wid, ok in zip(workflow_ids, delivered, strict=True) if ok]


async def mark_altered_rows_stale(engine: AsyncEngine, drifts: Iterable[EnrolmentDrift]) -> int:
    """Set ``seq`` to 0 on rows altered at their own ``seq`` (an enrolment's, or the
    application showing it), so a resync overwrites them.

    The projection's guard only replaces a row with a *newer* write, which protects against
    late writes but also keeps a row edited in place. Only ``seq`` changes, never a status
    (the workflow stays the only writer of those), and only while the row still holds exactly
    what was compared: if the workflow wrote in between, the row is left alone. Returns how
    many rows were marked.
    """
    altered: list[AlteredEnrolment | AlteredApplication] = []
    for drift in drifts:
        if drift.kind is DriftKind.APPLICATION_STATUS and drift.read_model_status is not None:
            # The application row is written from the same state: rewrite it too.
            altered.append(AlteredApplication(drift.enrolment_id, drift.read_model_status))
        elif (
            drift.kind is DriftKind.DIFFERENT_STATUS
            and drift.read_model_status is not None
            and drift.read_model_seq is not None
        ):
            altered.append(
                AlteredEnrolment(
                    drift.enrolment_id,
                    drift.read_model_seq,
                    drift.read_model_status,
                    drift.read_model_reason,
                )
            )
    try:
        return await mark_stale(engine, altered)
    except (SQLAlchemyError, OSError) as err:
        raise ReconcileError(f"cannot write to the read model: {err}") from err


async def reconcile(
    client: Client,
    engine: AsyncEngine,
    *,
    task_queue: str | None,
    fix: bool = False,
    wait: timedelta = DEFAULT_WAIT,
    concurrency: int = QUERY_CONCURRENCY,
    poll_interval: timedelta = timedelta(seconds=0.5),
) -> ReconcileResult:
    """Find drift between the candidate workflows and the read model, and with ``fix`` repair it.

    The repair marks rows altered at their own ``seq`` as stale (``mark_altered_rows_stale``),
    asks each drifting workflow (and each one that did not answer) to project all its
    enrolments again, then checks those workflows again every ``poll_interval`` until they
    agree with the read model or ``wait`` has passed. Raises ``ReconcileError`` when Temporal or
    the database cannot be read.
    """
    found = await find_drift(client, engine, task_queue=task_queue, concurrency=concurrency)
    result = ReconcileResult(task_queue=task_queue, found=found, fix=fix)
    if not fix:
        return result
    targets = sorted({*found.drifting_workflows, *found.unanswered})
    if not targets:
        result.after_fix = DriftReport()
        return result
    result.marked_stale = await mark_altered_rows_stale(engine, found.drifts)
    result.resync_event_id = f"reconcile:{uuid.uuid4().hex}"
    result.resynced = await request_resync(
        client, targets, result.resync_event_id, concurrency=concurrency
    )
    started = time.monotonic()
    deadline = started + wait.total_seconds()
    while True:
        after = await find_drift(
            client,
            engine,
            task_queue=task_queue,
            workflow_ids=result.resynced,
            concurrency=concurrency,
        )
        settled = after.in_sync and after.in_flight == 0
        if settled or time.monotonic() >= deadline:
            break
        await asyncio.sleep(poll_interval.total_seconds())
    result.after_fix = after
    result.waited_seconds = round(time.monotonic() - started, 1)
    return result
