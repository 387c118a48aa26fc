"""The worker's workflow runner: the SDK's sandbox, answering payload contexts itself.

It must only do so where the answer cannot matter (a codec and storage that read no context),
and the workflow must still run inside the sandbox. That the encrypting codec still applies
through it is shown end to end by tests/e2e/test_encrypted_history.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Sequence

from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import PayloadCodec, SerializationContext, WithSerializationContext
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from config.encryption import data_converter, new_key_setting
from tests.workers.clock_workflow import ReadsTheClock
from workers.sandbox import ContextFreeSandbox, workflow_runner


class ContextAwareCodec(PayloadCodec, WithSerializationContext):
    """A codec that would encode differently per workflow or activity."""

    def with_context(self, context: SerializationContext) -> ContextAwareCodec:
        return self

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)


def test_our_converters_skip_the_trip_into_the_sandbox_per_payload() -> None:
    assert isinstance(workflow_runner(data_converter(None)), ContextFreeSandbox)
    assert isinstance(workflow_runner(data_converter(new_key_setting("k"))), ContextFreeSandbox)


def test_a_codec_that_reads_the_context_is_asked_through_the_sandbox() -> None:
    aware = dataclasses.replace(pydantic_data_converter, payload_codec=ContextAwareCodec())
    assert type(workflow_runner(aware)) is SandboxedWorkflowRunner


async def test_the_workflow_still_runs_in_the_sandbox(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Reading the wall clock in workflow code fails the workflow task, as the sandbox does."""
    client = time_skipping_env.client
    task_queue = f"sandbox-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[ReadsTheClock],
        workflow_runner=workflow_runner(client.data_converter),
    ):
        handle = await client.start_workflow(
            ReadsTheClock.run, id=f"clock-{uuid.uuid4()}", task_queue=task_queue
        )
        for _ in range(100):
            history = await handle.fetch_history()
            failed = [
                event.workflow_task_failed_event_attributes.failure.message
                for event in history.events
                if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
            ]
            if failed:
                break
            await asyncio.sleep(0.1)
        await handle.terminate()
    assert failed and "datetime.datetime.now" in failed[0]
