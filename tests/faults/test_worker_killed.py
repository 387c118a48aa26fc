"""A worker process SIGKILLed in the middle of a burst, then a new one started.

The worker runs as operators run it (``enrolments worker``, a process of its own) against the
Temporal dev server, with the read model and the outbox in a SQLite file. The delivery rate is
low enough that the kill lands while messages are still going out. Temporal hands the abandoned
workflow and activity tasks to the new worker; the idempotency key keeps a retried delivery
from texting anyone twice.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from store.database import create_engine
from tests.faults.conftest import (
    Burst,
    bridge_for,
    faults_scale,
    kill_mid_burst,
    temporal_address,
    worker_environment,
    worker_processes,
)

pytestmark = pytest.mark.devserver

#: Messages per second: a burst of ~40 deliveries takes several seconds to go out.
DELIVERY_RATE = 6.0


async def test_worker_killed_mid_burst_loses_no_enrolment_and_texts_no_one_twice(
    dev_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
) -> None:
    burst = Burst.plan(candidates=24 * faults_scale())
    run = uuid.uuid4().hex[:10]
    task_queue, delivery_task_queue = f"faults-kill-{run}", f"faults-kill-delivery-{run}"
    bridge = bridge_for(dev_env.client, task_queue, delivery_task_queue)
    environ = worker_environment(
        address=temporal_address(dev_env.client),
        database_url=sqlite_url,
        data_dir=tmp_path,
        task_queue=task_queue,
        delivery_task_queue=delivery_task_queue,
        delivery_rate=DELIVERY_RATE,
    )
    engine = create_engine(sqlite_url)
    try:
        with worker_processes(environ, tmp_path) as start_worker:
            first = start_worker()
            pushing = asyncio.create_task(burst.push(bridge))
            sent_before_kill = await kill_mid_burst(first, engine, burst)
            start_worker()

            await pushing
            await burst.complete_modules(bridge, engine)
            await burst.assert_settled(engine)

        assert 0 < sent_before_kill < burst.first_messages, "the kill did not land mid-burst"
    finally:
        await engine.dispose()
