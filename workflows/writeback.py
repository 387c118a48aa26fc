"""``WritebackWorkflow``: writes one ended enrolment back to the vendor ATS it came from, or
the changes of its interview.

Started once per enrolment (``writeback-<enrolment id>``, reuse refused) when the read model
first holds the enrolment's end; per interview (``writeback-<interview id>``) with a ``retry``
signal each time the read model holds a change of it after its booking (each change is written
once: the ledger keys it by the interview's sequence and status). Its activity writes the
note (and rejects on a knockout) through the ``writebacks`` ledger, retried with backoff while
the vendor is down or busy (a 429 waits as long as the vendor says). A refusal that will not
heal leaves it ``failed``: the workflow then waits, up to ``KEEP_FAILED``, for the recruiter's
``retry`` from the enrolment's page (after that, a retry starts it afresh: the ledger still
knows what was done).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.contracts import (
        RECORD_WRITEBACK_FAILURE,
        WRITE_BACK,
        WriteBack,
        WritebackFailure,
    )
    from domain.writeback import WritebackState
    from workflows.inputs import WritebackWorkflowInput

#: How long the vendor may stay down or busy before the write-back counts as failed.
PATIENCE = timedelta(days=2)
#: How long a failed write-back waits for the recruiter's retry.
KEEP_FAILED = timedelta(days=30)
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=30),
    maximum_attempts=0,
)


@workflow.defn(name="WritebackWorkflow")
class WritebackWorkflow:
    @workflow.init
    def __init__(self, input: WritebackWorkflowInput) -> None:
        self._retry = False

    @workflow.signal
    def retry(self) -> None:
        """Write again: the recruiter asks after a failure, or the interview changed."""
        self._retry = True

    @workflow.run
    async def run(self, input: WritebackWorkflowInput) -> WritebackState:
        while True:
            self._retry = False
            state = await self._attempt(input)
            if state is not WritebackState.FAILED:
                if self._retry:
                    continue  # it changed again while this attempt ran
                return state
            try:
                await workflow.wait_condition(
                    lambda: self._retry, timeout=KEEP_FAILED, timeout_summary="recruiter's retry"
                )
            except TimeoutError:
                return state

    async def _attempt(self, input: WritebackWorkflowInput) -> WritebackState:
        try:
            state: WritebackState = await workflow.execute_activity(
                WRITE_BACK,
                WriteBack(enrolment_id=input.enrolment_id, interview_id=input.interview_id),
                result_type=WritebackState,
                task_queue=input.task_queue,
                start_to_close_timeout=timedelta(minutes=5),
                # It beats while it works: a worker that died is noticed in seconds, and the
                # next attempt finds in the ledger which call's answer was lost.
                heartbeat_timeout=timedelta(seconds=10),
                schedule_to_close_timeout=PATIENCE,
                retry_policy=RETRY,
                summary="note (and rejection) to the vendor",
            )
            return state
        except ActivityError as err:
            # Recorded on the workflow's own queue: the vendor's may have no worker left.
            await workflow.execute_activity(
                RECORD_WRITEBACK_FAILURE,
                WritebackFailure(
                    enrolment_id=input.enrolment_id,
                    interview_id=input.interview_id,
                    error=f"the vendor did not take it in {PATIENCE.days} days: {_last(err)}",
                ),
                start_to_close_timeout=timedelta(seconds=30),
                schedule_to_close_timeout=timedelta(hours=1),
            )
            return WritebackState.FAILED


def _last(error: BaseException) -> str:
    """The innermost cause's message: the vendor's last answer, under the timeout."""
    while error.__cause__ is not None or getattr(error, "cause", None) is not None:
        error = getattr(error, "cause", None) or error.__cause__  # type: ignore[assignment]
    return str(error)
