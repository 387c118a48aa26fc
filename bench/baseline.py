"""The bare-Temporal baseline: a workflow that runs one no-op activity, and its worker process.

Kept in a module of its own with nothing but ``temporalio`` imported, so the workflow sandbox
re-imports as little as a minimal Temporal application would: the baseline measures what the
dev server and the SDK cost, not our code. Run as a process (``python -m bench.baseline``) so
its worker, like ours, has a Python interpreter to itself.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

BASELINE_WORKFLOW = "BenchBaseline"
#: Printed on stdout once the worker polls, so the bench knows it can start workflows.
READY_LINE = "baseline worker ready"


@activity.defn(name="bench_noop")
async def noop() -> None:
    """Does nothing: the cost measured is Temporal's own."""


@workflow.defn(name=BASELINE_WORKFLOW)
class BaselineWorkflow:
    """Runs one no-op activity and completes."""

    @workflow.run
    async def run(self) -> None:
        await workflow.execute_activity(noop, start_to_close_timeout=timedelta(seconds=30))


async def serve(address: str, namespace: str, task_queue: str) -> None:
    """Host the baseline workflow and activity on ``task_queue`` until SIGTERM or SIGINT."""
    client = await Client.connect(address, namespace=namespace)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with Worker(
        client, task_queue=task_queue, workflows=[BaselineWorkflow], activities=[noop]
    ):
        print(READY_LINE, flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.baseline --address HOST:PORT --task-queue NAME``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", required=True)
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--task-queue", required=True)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.address, args.namespace, args.task_queue))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
