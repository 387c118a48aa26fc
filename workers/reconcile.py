"""``enrolments reconcile``: compare every candidate workflow with the read model, repair drift.

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
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from config.settings import Settings
from domain.enrolments import Enrolment
from domain.events import ReadModelResync
from domain.thread import CandidateThread
from store.database import create_engine
from store.drift import (
    AlteredApplication,
    AlteredEnrolment,
    ReadModelEnrolment,
    mark_stale,
    read_enrolments,
)
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
#: How many differences the report prints.
DEFAULT_SHOWN = 20

EXIT_IN_SYNC = 0
EXIT_DRIFT = 1


class ReconcileError(RuntimeError):
    """Temporal or the read model could not be read; the message says which and why."""


class DriftKind(StrEnum):
    """How a read-model row disagrees with its workflow."""

    #: The workflow projected the enrolment, but the read model has no row for it.
    MISSING_ROW = "missing_row"
    #: The row holds an older change (lower ``seq``) than the workflow projected.
    OLDER_SEQ = "older_seq"
    #: Same ``seq``, another status or reason: the row was altered after it was written.
    DIFFERENT_STATUS = "different_status"
    #: The enrolment row agrees, but its application (the Table and the board read
    #: ``applications.status``) shows another status.
    APPLICATION_STATUS = "application_status"


class EnrolmentDrift(BaseModel):
    """One enrolment whose row disagrees with its workflow's state."""

    model_config = ConfigDict(frozen=True)

    kind: DriftKind
    candidate_id: str
    workflow_id: str
    enrolment_id: str
    workflow_status: str
    workflow_reason: str | None
    workflow_seq: int
    #: The status the read model shows (for ``application_status``: the application's copy).
    read_model_status: str | None = None
    read_model_reason: str | None = None
    read_model_seq: int | None = None

    def describe(self) -> str:
        """One line for the operator: which enrolment, and both sides of the difference."""
        ours = _status_text(self.workflow_status, self.workflow_reason, self.workflow_seq)
        if self.read_model_status is None or self.read_model_seq is None:
            theirs = "no row"
        elif self.kind is DriftKind.APPLICATION_STATUS:
            theirs = f"shows its application as {self.read_model_status}"
        else:
            theirs = _status_text(
                self.read_model_status, self.read_model_reason, self.read_model_seq
            )
        return (
            f"{self.enrolment_id} (candidate {self.candidate_id}): {self.kind.value}: "
            f"workflow {ours}, read model {theirs}"
        )


class DriftReport(BaseModel):
    """One comparison of workflows with the read model."""

    workflows: int = 0
    enrolments: int = 0
    #: Enrolments with changes their workflow has not projected yet (its projection retries).
    in_flight: int = 0
    drifts: list[EnrolmentDrift] = Field(default_factory=list)
    #: Workflows whose ``state`` query failed or timed out: they could not be compared.
    unanswered: list[str] = Field(default_factory=list)
    #: Workflow ids with enrolments in flight.
    in_flight_workflows: list[str] = Field(default_factory=list)

    @property
    def counts(self) -> dict[DriftKind, int]:
        """How many drifting enrolments of each kind (every kind present, zero or not)."""
        counts = dict.fromkeys(DriftKind, 0)
        for drift in self.drifts:
            counts[drift.kind] += 1
        return counts

    @property
    def drifting_workflows(self) -> list[str]:
        """The workflow ids with at least one drifting enrolment, sorted."""
        return sorted({drift.workflow_id for drift in self.drifts})

    @property
    def in_sync(self) -> bool:
        """Every compared enrolment agrees and every workflow answered."""
        return not self.drifts and not self.unanswered

    def absorb(self, other: DriftReport) -> None:
        """Add ``other``'s findings to this report."""
        self.workflows += other.workflows
        self.enrolments += other.enrolments
        self.in_flight += other.in_flight
        self.drifts.extend(other.drifts)
        self.unanswered.extend(other.unanswered)
        self.in_flight_workflows.extend(other.in_flight_workflows)


class ReconcileResult(BaseModel):
    """What ``reconcile`` found, what it asked the workflows to do, and where that left things."""

    task_queue: str | None
    found: DriftReport
    fix: bool
    resync_event_id: str | None = None
    #: Rows altered at their own ``seq`` whose ``seq`` was reset so the resync rewrites them.
    marked_stale: int = 0
    #: Workflow ids sent the ``resync_read_model`` signal.
    resynced: list[str] = Field(default_factory=list)
    #: The resynced workflows checked again after the fix (``None`` without ``--fix``).
    after_fix: DriftReport | None = None
    waited_seconds: float = 0.0

    @property
    def converged(self) -> bool:
        """No drift is left (after the fix, if one was asked for) and every workflow answered."""
        if self.after_fix is None:
            return self.found.in_sync
        return self.after_fix.in_sync and self.after_fix.in_flight == 0

    @property
    def exit_code(self) -> int:
        """0 when converged, 1 when drift (or an unanswered workflow) remains."""
        return EXIT_IN_SYNC if self.converged else EXIT_DRIFT


# -- comparing ---------------------------------------------------------------------------------


def compare_thread(
    workflow_id: str,
    thread: CandidateThread,
    rows: Mapping[str, ReadModelEnrolment],
) -> DriftReport:
    """Compare one workflow's enrolments with their rows (``enrolment id -> row``).

    The workflow's state must have been read *before* the rows: the workflow being the only
    writer, a row with a higher ``seq`` than the state then only means the workflow moved on in
    between, which is not drift.
    """
    report = DriftReport(workflows=1)
    for enrolment in thread.enrolments.values():
        report.enrolments += 1
        if thread.resync_pending or enrolment.unprojected:
            report.in_flight += 1
            continue
        drift = _drift_of(workflow_id, enrolment, rows.get(enrolment.id))
        if drift is not None:
            report.drifts.append(drift)
    if report.in_flight:
        report.in_flight_workflows.append(workflow_id)
    return report


def _drift_of(
    workflow_id: str, enrolment: Enrolment, row: ReadModelEnrolment | None
) -> EnrolmentDrift | None:
    if row is None:
        kind = DriftKind.MISSING_ROW
    elif row.seq < enrolment.seq:
        kind = DriftKind.OLDER_SEQ
    elif row.seq == enrolment.seq and (row.status, row.status_reason) != (
        enrolment.status.value,
        enrolment.status_reason,
    ):
        kind = DriftKind.DIFFERENT_STATUS
    elif (
        row.seq == enrolment.seq
        and row.is_current
        and row.application_status != enrolment.status.value
    ):
        kind = DriftKind.APPLICATION_STATUS
    else:
        return None
    return EnrolmentDrift(
        kind=kind,
        candidate_id=enrolment.candidate_id,
        workflow_id=workflow_id,
        enrolment_id=enrolment.id,
        workflow_status=enrolment.status.value,
        workflow_reason=enrolment.status_reason,
        workflow_seq=enrolment.seq,
        read_model_status=_shown_status(kind, row),
        read_model_reason=row.status_reason if row is not None else None,
        read_model_seq=row.seq if row is not None else None,
    )


def _shown_status(kind: DriftKind, row: ReadModelEnrolment | None) -> str | None:
    if row is None:
        return None
    return row.application_status if kind is DriftKind.APPLICATION_STATUS else row.status


# -- reading both sides ------------------------------------------------------------------------


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


# -- reporting ---------------------------------------------------------------------------------


def render(result: ReconcileResult, *, shown: int = DEFAULT_SHOWN) -> str:
    """The report ``enrolments reconcile`` prints: counts, then the first ``shown`` differences."""
    found = result.found
    where = f"task queue {result.task_queue}" if result.task_queue else "every task queue"
    lines = [
        f"Checked {found.workflows} candidate workflow(s) on {where}: "
        f"{found.enrolments} enrolment(s), {len(found.drifts)} drifting, "
        f"{found.in_flight} in flight, {len(found.unanswered)} workflow(s) unanswered.",
    ]
    lines += _report_lines(found, shown)
    if result.fix:
        after = result.after_fix
        if after is None or result.resync_event_id is None:
            lines.append("Nothing to repair.")
        else:
            if result.marked_stale:
                lines.append(
                    f"Marked {result.marked_stale} row(s) altered at their own seq as stale."
                )
            lines.append(
                f"Asked {len(result.resynced)} workflow(s) to project their enrolments again "
                f"(signal resync_read_model, event {result.resync_event_id}); "
                f"checked them again for {result.waited_seconds:.1f}s."
            )
            if result.converged:
                lines.append(
                    f"Converged: all {after.enrolments} enrolment(s) of the repaired workflows "
                    "agree with the read model."
                )
            else:
                lines.append(
                    f"Still drifting: {len(after.drifts)} enrolment(s), {after.in_flight} in "
                    f"flight, {len(after.unanswered)} workflow(s) unanswered."
                )
                lines += _report_lines(after, shown)
    elif found.drifts:
        lines.append("Run with --fix to ask the drifting workflows to project again.")
    return "\n".join(lines)


def _report_lines(report: DriftReport, shown: int) -> list[str]:
    lines = []
    if report.drifts:
        width = max(len(kind.value) for kind in DriftKind)
        lines += [f"  {kind.value:<{width}}  {n}" for kind, n in report.counts.items()]
        first = report.drifts[:shown]
        lines.append(f"First {len(first)} of {len(report.drifts)} difference(s):")
        lines += [f"  {drift.describe()}" for drift in first]
    if report.unanswered:
        names = ", ".join(report.unanswered[:shown])
        more = len(report.unanswered) - shown
        lines.append(f"Unanswered: {names}" + (f" and {more} more" if more > 0 else ""))
    return lines


def _status_text(status: str, reason: str | None, seq: int) -> str:
    return f"{status}{f' ({reason})' if reason else ''} at seq {seq}"


async def run_reconcile(
    settings: Settings,
    client: Client,
    *,
    fix: bool,
    wait: timedelta = DEFAULT_WAIT,
    shown: int = DEFAULT_SHOWN,
    concurrency: int = QUERY_CONCURRENCY,
) -> int:
    """What ``enrolments reconcile`` does: check (and with ``fix`` repair), print, exit code.

    Compares the workflows on ``settings.task_queue`` with the read model at
    ``settings.database_url``. Returns 0 when they agree (after the repair), 1 otherwise;
    raises ``ReconcileError`` when either side cannot be read.
    """
    if concurrency < 1 or shown < 0 or wait < timedelta(0):
        raise ReconcileError("--concurrency must be at least 1, --show and --wait at least 0")
    engine = create_engine(settings.database_url)
    try:
        result = await reconcile(
            client,
            engine,
            task_queue=settings.task_queue,
            fix=fix,
            wait=wait,
            concurrency=concurrency,
        )
    finally:
        await engine.dispose()
    print(render(result, shown=shown), flush=True)
    return result.exit_code


__all__ = [
    "DEFAULT_SHOWN",
    "DEFAULT_WAIT",
    "QUERY_CONCURRENCY",
    "DriftKind",
    "DriftReport",
    "EnrolmentDrift",
    "ReadModelEnrolment",
    "ReconcileError",
    "ReconcileResult",
    "candidate_workflows_query",
    "compare_thread",
    "find_drift",
    "mark_altered_rows_stale",
    "reconcile",
    "render",
    "request_resync",
    "run_reconcile",
]
