"""Bare Temporal on the same server, the yardstick of every ratio: ``bench.baseline``'s
workflow started as fast as it goes, finished by its own worker process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from temporalio.client import Client

from bench.baseline import BASELINE_WORKFLOW, READY_LINE
from bench.measure import percentile
from bench.stack import BenchStack, clean_environment
from workers.dev_server import die_with_parent


@dataclass
class BaselineResult:
    workflows: int
    seconds: float
    start_p50_ms: float
    start_p99_ms: float
    cpu: float = 0.0  # seconds spent by the bare client and worker

    @property
    def rate(self) -> float:
        return self.workflows / self.seconds


@contextlib.asynccontextmanager
async def baseline_worker(stack: BenchStack, task_queue: str) -> AsyncIterator[int]:
    """A ``python -m bench.baseline`` worker process on ``task_queue``; yields its pid."""
    log = stack.data_dir / "baseline-worker.log"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.baseline",
        "--address", stack.temporal_address,
        "--task-queue", task_queue,
        stdout=asyncio.subprocess.PIPE,
        stderr=log.open("ab"),
        start_new_session=True,
        preexec_fn=die_with_parent(os.getpid()),
        env=clean_environment(),
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
        if READY_LINE not in line.decode():
            raise RuntimeError(f"the baseline worker did not start; see {log}")
        yield process.pid
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=20)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()


async def run_baseline(
    client: Client, task_queue: str, workflows: int, concurrency: int, *, within: float
) -> BaselineResult:
    """Start ``workflows`` baseline workflows as fast as ``concurrency`` starters can, and time
    them until the last one has completed (completion is read from visibility)."""
    query = f"TaskQueue = '{task_queue}' AND ExecutionStatus = 'Completed'"
    # Earlier runs on this task queue (a warm-up) are counted first and waited for on top.
    already = (await client.count_workflows(query)).count
    ids = [f"baseline-{task_queue}-{already + n:07d}" for n in range(workflows)]
    queue: asyncio.Queue[str] = asyncio.Queue()
    for workflow_id in ids:
        queue.put_nowait(workflow_id)
    start_latencies: list[float] = []

    async def starter() -> None:
        while True:
            try:
                workflow_id = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            sent = time.monotonic()
            await client.start_workflow(BASELINE_WORKFLOW, id=workflow_id, task_queue=task_queue)
            start_latencies.append(time.monotonic() - sent)

    began = time.monotonic()
    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(starter())
    deadline = began + within
    while (await client.count_workflows(query)).count < already + workflows:
        if time.monotonic() > deadline:
            raise TimeoutError(f"baseline: not every workflow completed within {within:.0f}s")
        await asyncio.sleep(0.2)
    seconds = time.monotonic() - began
    return BaselineResult(
        workflows=workflows,
        seconds=seconds,
        start_p50_ms=1000 * percentile(start_latencies, 50),
        start_p99_ms=1000 * percentile(start_latencies, 99),
    )
