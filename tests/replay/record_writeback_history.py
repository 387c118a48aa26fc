"""Record the ``WritebackWorkflow`` history the replay test guards:
``python -m tests.replay.record_writeback_history``. Run it again only when a change is meant
to be incompatible with running write-backs (and version the change instead, if any still run).

One story covers what the workflow does: the vendor rate limits (a 429), then refuses (failed),
the recruiter retries, and it is written.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from domain.writeback import WritebackState
from tests.fixtures.temporal import installed_binary
from tests.replay.record_histories import HISTORIES
from tests.workflows.test_writeback import Vendor, writing_back
from workflows.writeback import WritebackWorkflow

NAME = "writeback_busy_refused_retried_done"


async def record() -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=installed_binary("temporal-test-server"),
    )
    try:
        vendor = Vendor(["busy", "failed", "done"], busy_for=timedelta(minutes=1))
        async with writing_back(env, vendor) as handle:
            await env.sleep(timedelta(hours=1))
            await handle.signal(WritebackWorkflow.retry)
            assert await handle.result() is WritebackState.DONE
            history: WorkflowHistory = await handle.fetch_history()
            (HISTORIES / f"{NAME}.json").write_text(history.to_json())
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(record())
