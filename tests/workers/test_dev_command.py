"""``enrolments dev``: the README's first command brings up the whole product and Ctrl-C ends it.

Two stacks run side by side on their own ports and data folders; one is stopped with SIGINT
(Ctrl-C), the other with SIGTERM, and neither leaves a process behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client

from config.ports import free_ports
from tests.workers.conftest import (
    clean_environment,
    enrolments_command,
    processes_mentioning,
)
from workflows.search_attributes import REGISTRATION

pytestmark = pytest.mark.devserver

STARTUP_BUDGET = 90.0
SHUTDOWN_BUDGET = 60.0


@dataclass
class RunningStack:
    process: subprocess.Popen[bytes]
    data_dir: Path
    output: Path
    api_port: int
    temporal_port: int
    ui_port: int

    def printed(self) -> str:
        return self.output.read_text(errors="replace")


def start_stack(tmp_path: Path, name: str) -> RunningStack:
    api_port, temporal_port, ui_port = free_ports(3)
    data_dir = tmp_path / name / "data"
    output = tmp_path / f"{name}.out"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [
                *enrolments_command(),
                "dev",
                "--data-dir",
                str(data_dir),
                "--api-port",
                str(api_port),
                "--temporal-port",
                str(temporal_port),
                "--temporal-ui-port",
                str(ui_port),
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=clean_environment(),
        )
    return RunningStack(process, data_dir, output, api_port, temporal_port, ui_port)


async def wait_until_up(stack: RunningStack) -> None:
    deadline = time.monotonic() + STARTUP_BUDGET
    while "Press Ctrl-C to stop." not in stack.printed():
        assert stack.process.poll() is None, f"exited early:\n{stack.printed()}"
        assert time.monotonic() < deadline, f"not up in time:\n{stack.printed()}"
        await asyncio.sleep(0.2)


async def wait_until_gone(stack: RunningStack) -> int:
    deadline = time.monotonic() + SHUTDOWN_BUDGET
    while (code := stack.process.poll()) is None:
        assert time.monotonic() < deadline, f"still running:\n{stack.printed()}"
        await asyncio.sleep(0.1)
    return code


async def assert_whole_product_answers(stack: RunningStack) -> None:
    printed = stack.printed()
    assert f"http://127.0.0.1:{stack.api_port}/ui/" in printed
    assert f":{stack.ui_port}" in printed

    client = await Client.connect(f"127.0.0.1:{stack.temporal_port}", namespace="default")
    assert await client.service_client.check_health()
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace="default")
    )
    assert set(REGISTRATION) <= set(listed.custom_attributes)

    # The admin key dev made on its first start: kept for its owner only, in a sign-in link.
    key_file = stack.data_dir / "admin.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    # ...and the payload encryption key it made, which the Temporal UI decodes with via /codec.
    assert (stack.data_dir / "encryption.key").stat().st_mode & 0o777 == 0o600
    key = key_file.read_text().strip()
    assert f"http://127.0.0.1:{stack.api_port}/ui/sign-in#key={key}" in printed
    api = f"http://127.0.0.1:{stack.api_port}"
    async with httpx.AsyncClient(timeout=10.0) as http:
        web_ui = await http.get(f"http://127.0.0.1:{stack.ui_port}/")
        assert web_ui.status_code == 200
        ui_settings = (await http.get(f"http://127.0.0.1:{stack.ui_port}/api/v1/settings")).json()
        assert ui_settings["Codec"]["Endpoint"] == f"http://127.0.0.1:{stack.api_port}/codec"
        health = await http.get(f"{api}/healthz")
        assert health.status_code == 200, health.text
        assert (await http.get(f"{api}/jobs")).status_code == 401, "nothing open by default"
        signed = {"Authorization": f"Bearer {key}"}
        recruiter_ui = await http.get(f"{api}/ui/", headers=signed)
        assert recruiter_ui.status_code == 200
        assert (await http.get(f"{api}/livez")).status_code == 200
        assert (await http.get(f"{api}/readyz")).status_code == 200
        # One process is API and worker: its /metrics has the product's and the SDK's.
        metrics = (await http.get(f"{api}/metrics")).text
        assert "enrolments_transitions_total" in metrics
        assert "temporal_worker_task_slots_available" in metrics

    assert (stack.data_dir / "temporal.db").is_file()
    assert (stack.data_dir / "temporal.log").is_file()
    assert (stack.data_dir / "enrolments.db").is_file()


async def test_two_dev_stacks_run_side_by_side_and_stop_without_orphans(tmp_path: Path) -> None:
    stacks = [start_stack(tmp_path, "first"), start_stack(tmp_path, "second")]
    try:
        await asyncio.gather(*(wait_until_up(stack) for stack in stacks))
        for stack in stacks:
            await assert_whole_product_answers(stack)
            assert processes_mentioning(str(stack.data_dir)), "the dev server child is missing"

        stacks[0].process.send_signal(signal.SIGINT)
        stacks[1].process.send_signal(signal.SIGTERM)
        codes = await asyncio.gather(*(wait_until_gone(stack) for stack in stacks))

        assert codes == [0, 0], [stack.printed() for stack in stacks]
        for stack in stacks:
            assert processes_mentioning(str(stack.data_dir)) == [], stack.printed()
            assert "Traceback" not in stack.printed()
    finally:
        for stack in stacks:
            if stack.process.poll() is None:
                stack.process.kill()
                stack.process.wait()
            for pid in processes_mentioning(str(stack.data_dir)):
                # Only reached when the test already failed: do not leak servers into CI.
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
