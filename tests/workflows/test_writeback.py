"""``WritebackWorkflow`` on the time-skipping server, with its activities faked under their
real names: a refusal waits for the recruiter's retry (and ends after ``KEEP_FAILED`` without
one); a vendor down for longer than ``PATIENCE`` is recorded as failed; a 429 waits as long as
the vendor says."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import activity
from temporalio.client import WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.contracts import (
    RECORD_WRITEBACK_FAILURE,
    WRITE_BACK,
    WriteBack,
    WritebackFailure,
)
from domain.identity import writeback_workflow_id
from domain.writeback import WritebackState
from workers.sandbox import workflow_runner
from workflows.inputs import WritebackWorkflowInput
from workflows.writeback import KEEP_FAILED, PATIENCE, WritebackWorkflow


@dataclass
class Vendor:
    """What the write-back activity answers, attempt after attempt (``"down"``: it raises as
    an unreachable vendor does; ``"busy"``: a 429 asking for ``busy_for``)."""

    answers: list[str]
    busy_for: timedelta = timedelta(minutes=10)
    attempts: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    env: WorkflowEnvironment | None = None

    @activity.defn(name=WRITE_BACK)
    async def write_back(self, input: WriteBack) -> WritebackState:
        assert self.env is not None
        self.attempts.append((await self.env.get_current_time()).timestamp())
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if answer == "down":
            raise ApplicationError("503 from the vendor")
        if answer == "busy":
            raise ApplicationError("429", type="VendorBusy", next_retry_delay=self.busy_for)
        return WritebackState(answer)

    @activity.defn(name=RECORD_WRITEBACK_FAILURE)
    async def record_writeback_failure(self, input: WritebackFailure) -> None:
        self.failures.append(input.error)


@asynccontextmanager
async def writing_back(
    env: WorkflowEnvironment, vendor: Vendor
) -> AsyncIterator[WorkflowHandle[WritebackWorkflow, WritebackState]]:
    vendor.env = env
    task_queue = f"writeback-{uuid.uuid4()}"
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=[WritebackWorkflow],
        activities=[vendor.write_back, vendor.record_writeback_failure],
        workflow_runner=workflow_runner(env.client.data_converter),
    ):
        enrolment = f"enr_{uuid.uuid4().hex[:12]}"
        yield await env.client.start_workflow(
            WritebackWorkflow.run,
            WritebackWorkflowInput(enrolment_id=enrolment, task_queue=task_queue),
            id=writeback_workflow_id(enrolment),
            task_queue=task_queue,
        )


async def test_a_refusal_waits_for_the_recruiters_retry(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    vendor = Vendor(["failed", "done"])
    async with writing_back(time_skipping_env, vendor) as handle:
        await time_skipping_env.sleep(timedelta(days=3))
        assert len(vendor.attempts) == 1  # failed: nothing happens until someone asks
        await handle.signal(WritebackWorkflow.retry)
        assert await handle.result() is WritebackState.DONE
    assert len(vendor.attempts) == 2


async def test_a_failed_write_back_ends_after_waiting_long_enough(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    vendor = Vendor(["failed"])
    async with writing_back(time_skipping_env, vendor) as handle:
        assert await handle.result() is WritebackState.FAILED
        waited = (await time_skipping_env.get_current_time()).timestamp() - vendor.attempts[0]
    assert waited >= KEEP_FAILED.total_seconds()


async def test_a_vendor_down_for_days_is_recorded_as_failed(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    vendor = Vendor(["down"])
    async with writing_back(time_skipping_env, vendor) as handle:
        await time_skipping_env.sleep(PATIENCE + timedelta(hours=1))
        assert vendor.failures and "did not take it in 2 days" in vendor.failures[0]
        await handle.signal(WritebackWorkflow.retry)  # the recruiter tries again: still down
        await time_skipping_env.sleep(PATIENCE + timedelta(hours=1))
        assert len(vendor.failures) == 2
    gaps = sorted(b - a for a, b in zip(vendor.attempts, vendor.attempts[1:], strict=False))
    # Backed off to at most 30 minutes apart; the one longer gap waited for the recruiter.
    assert gaps[-2] <= 30 * 60 + 5 and gaps[-1] > 3600


async def test_a_429_waits_as_long_as_the_vendor_asks(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    vendor = Vendor(["busy", "busy", "done"], busy_for=timedelta(minutes=10))
    async with writing_back(time_skipping_env, vendor) as handle:
        assert await handle.result() is WritebackState.DONE
    gaps = [b - a for a, b in zip(vendor.attempts, vendor.attempts[1:], strict=False)]
    assert len(gaps) == 2 and all(gap >= 600 for gap in gaps)
