"""What every benchmark shares: a real stack on free ports, the bench job, load, and measuring.

``BenchStack`` starts the product as a user runs it, in a temporary data folder:

- ``dev`` mode: one ``enrolments dev`` process (the embedded stack: Temporal dev server on a
  SQLite file as its child, the worker and the HTTP API in one Python process, SQLite read model);
- ``split`` mode: the Temporal dev server (``workers.dev_server.DevServer``, same SQLite file and
  search attributes), then ``enrolments worker`` and ``enrolments api`` as separate processes, so
  the worker's memory and CPU can be read on their own.

Every process it starts runs in its own process group and is stopped (SIGTERM, then SIGKILL) when
the stack stops, also on Ctrl-C. The bench process itself only generates load and measures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Literal

import httpx
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from bench.measure import child_pids, process_cmdline
from config.ports import free_ports
from config.temporal import DEV_NAMESPACE
from workers.dev_server import DevServer, die_with_parent

StackMode = Literal["dev", "split"]


#: High enough that the delivery queue's rate limit is never what a benchmark measures.
UNLIMITED_DELIVERY_RATE = 10_000.0


#: The admin key every stack the benches start accepts, and every request sends.
BENCH_ADMIN_KEY = f"bench-{os.urandom(16).hex()}"


BENCH_HEADERS = {"Authorization": f"Bearer {BENCH_ADMIN_KEY}"}


BLAST_CAMPAIGN = "bench-blast"


MULTI_MODULE_CAMPAIGN = "bench-three-modules"


MODULES = ("welcome-video", "screening-questions", "book-a-call")


BLAST_STAGE = "applied"


MULTI_MODULE_STAGE = "screen"


TASK_QUEUE = "enrolments"


DELIVERY_TASK_QUEUE = "enrolments-delivery"


def stack_parser(module: str, doc: str | None, *, stack: str = "dev") -> argparse.ArgumentParser:
    """A benchmark's parser with the options of the stack it starts (``BenchStack``)."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {module}",
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", choices=["dev", "split"], default=stack)
    parser.add_argument("--delivery-rate", type=float, default=UNLIMITED_DELIVERY_RATE)
    parser.add_argument("--warm-up", type=int, default=20, help="untimed events first")
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    return parser


def add_burst_options(
    parser: argparse.ArgumentParser,
    *,
    candidates: int,
    applications: int,
    in_flight: str,
    timeout: float,
) -> None:
    """N candidates x M applications sent as ATS events, ``--concurrency`` of them at once."""
    parser.add_argument(
        "--candidates", type=int, default=candidates, help=f"N (default {candidates:,})"
    )
    parser.add_argument(
        "--applications",
        type=int,
        default=applications,
        help=f"M applications per candidate (default {applications})",
    )
    parser.add_argument("--concurrency", type=int, default=32, help=f"{in_flight} (default 32)")
    parser.add_argument("--timeout", type=float, default=timeout, help="seconds per phase")


def clean_environment() -> dict[str, str]:
    # Our own settings only: a developer's ENROLMENTS_*/TEMPORAL_* must not leak into a bench.
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.upper().startswith(("ENROLMENTS_", "TEMPORAL_", "TWILIO_"))
    }
    env["PYTHONUNBUFFERED"] = "1"
    # A benchmark measures throughput at any hour: quiet hours would hold it at night.
    env["ENROLMENTS_QUIET_HOURS"] = "off"
    # The bench calls the API as an admin, with a key of its own.
    env["ENROLMENTS_BOOTSTRAP_ADMIN_KEY"] = BENCH_ADMIN_KEY
    return env


def _enrolments_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "workers.cli", *args]


class _Child:
    """One process the bench started, in its own process group, logging to a file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        self._log_file: IO[bytes] = log.open("ab")
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            # Killed with the bench too (SIGKILL included), so no stack outlives a run.
            preexec_fn=die_with_parent(os.getpid()),
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def exited(self) -> int | None:
        return self.process.poll()

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    async def stop(self, grace: float = 20.0) -> None:
        """SIGTERM (the CLI's orderly stop), SIGKILL after ``grace`` seconds, then reap."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(self.process.wait, grace)
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            await asyncio.to_thread(self.process.wait)
        self._log_file.close()


class BenchStack:
    """The product on free ports in a temporary folder (see the module docstring for modes)."""

    def __init__(
        self,
        mode: StackMode = "dev",
        *,
        delivery_rate: float = UNLIMITED_DELIVERY_RATE,
        keep: bool = False,
        extra_env: dict[str, str] | None = None,
        max_cached_workflows: int | None = None,
    ) -> None:
        self.mode: StackMode = mode
        self.max_cached_workflows = max_cached_workflows
        self.delivery_rate = delivery_rate
        self.keep = keep
        self.extra_env = dict(extra_env or {})
        self.data_dir = Path(tempfile.mkdtemp(prefix=f"enrolments-bench-{mode}-"))
        self.api_port, self.temporal_port, self.ui_port = free_ports(3)
        self._children: list[_Child] = []
        self._dev_server: DevServer | None = None
        self._worker: tuple[list[str], dict[str, str]] | None = None
        self.client: Client | None = None

    # -- where things are ---------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def temporal_address(self) -> str:
        return f"127.0.0.1:{self.temporal_port}"

    @property
    def read_model(self) -> Path:
        """The SQLite file of the read model."""
        return self.data_dir / "enrolments.db"

    @property
    def database_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.read_model}"

    def process_ids(self) -> dict[str, int]:
        """Every process of the stack by role, plus this bench process."""
        pids = {"bench (load generator)": os.getpid()}
        if self.mode == "dev":
            dev = self._children[0].pid
            pids["enrolments dev (worker+api)"] = dev
            for pid in child_pids(dev):
                if "start-dev" in process_cmdline(pid):
                    pids["temporal dev server"] = pid
        else:
            if self._dev_server is not None and self._dev_server.pid is not None:
                pids["temporal dev server"] = self._dev_server.pid
            for child in self._children:
                pids[child.name] = child.pid
        return pids

    @property
    def worker_pid(self) -> int:
        """The process hosting the worker (in ``dev`` mode it also serves HTTP)."""
        wanted = "enrolments worker" if self.mode == "split" else "enrolments dev"
        return next(c.pid for c in self._children if c.name == wanted)

    # -- life cycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> BenchStack:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start every process and return once the API answers ``/healthz`` and a worker polls."""
        env = clean_environment() | self.extra_env
        rate = repr(self.delivery_rate)
        if self.mode == "dev":
            self._spawn(
                "enrolments dev",
                _enrolments_command(
                    "dev",
                    "--data-dir", str(self.data_dir),
                    "--api-port", str(self.api_port),
                    "--temporal-port", str(self.temporal_port),
                    "--temporal-ui-port", str(self.ui_port),
                    "--delivery-rate", rate,
                ),
                env,
            )  # fmt: skip
        else:
            self._dev_server = DevServer(
                data_dir=self.data_dir, port=self.temporal_port, ui_port=self.ui_port
            )
            await self._dev_server.start()
            env |= {"TEMPORAL_ADDRESS": self.temporal_address, "TEMPORAL_NAMESPACE": DEV_NAMESPACE}
            database = ["--database-url", self.database_url]
            migrate = await asyncio.to_thread(
                subprocess.run,
                _enrolments_command("migrate", *database),
                env=env,
                capture_output=True,
                text=True,
            )
            if migrate.returncode != 0:
                raise RuntimeError(f"enrolments migrate failed:\n{migrate.stderr}")
            worker_env = dict(env)
            if self.max_cached_workflows is not None:
                worker_env["ENROLMENTS_MAX_CACHED_WORKFLOWS"] = str(self.max_cached_workflows)
            self._worker = (
                _enrolments_command("worker", *database, "--delivery-rate", rate),
                worker_env,
            )
            self._spawn("enrolments worker", *self._worker)
            self._spawn(
                "enrolments api",
                _enrolments_command(
                    "api", *database, "--api-port", str(self.api_port), "--log-level", "warning"
                ),
                env,
            )
        await self._wait_healthy()
        self.client = await Client.connect(
            self.temporal_address, namespace=DEV_NAMESPACE, data_converter=pydantic_data_converter
        )
        await wait_for_pollers(self.client, TASK_QUEUE)
        await wait_for_pollers(self.client, DELIVERY_TASK_QUEUE, activities=True)

    async def stop(self) -> None:
        """Stop the API, then the worker, then Temporal; delete the folder unless ``keep``."""
        for child in reversed(self._children):
            await child.stop()
        self._children.clear()
        if self._dev_server is not None:
            await self._dev_server.stop()
            self._dev_server = None
        if self.keep:
            print(f"kept the stack's data folder: {self.data_dir}")
        else:
            await asyncio.to_thread(shutil.rmtree, self.data_dir, ignore_errors=True)

    async def add_worker(self) -> str:
        """Start one more ``enrolments worker`` like the first (``split``); returns its name."""
        if self._worker is None:
            raise RuntimeError("only a split stack runs workers of their own")
        name = f"enrolments worker {sum('worker' in c.name for c in self._children) + 1}"
        self._spawn(name, *self._worker)
        return name

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> None:
        log = self.data_dir / f"{name.replace(' ', '-')}.log"
        self._children.append(_Child(name, command, env, log))

    async def _wait_healthy(self, within: float = 120.0) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(
            base_url=self.api_url, timeout=5.0, headers=BENCH_HEADERS
        ) as http:
            while True:
                for child in self._children:
                    if child.exited() is not None:
                        raise RuntimeError(
                            f"{child.name} exited with {child.exited()}:\n{child.tail()}"
                        )
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/healthz")).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the stack did not become healthy within {within:.0f}s")
                await asyncio.sleep(0.25)

    def check_alive(self) -> None:
        """Raise if a process of the stack has died (a crash must not look like slowness)."""
        for child in self._children:
            if child.exited() is not None:
                raise RuntimeError(f"{child.name} exited with {child.exited()}:\n{child.tail()}")

    def temporal(self) -> Client:
        """The Temporal client (pydantic data converter) connected by ``start``."""
        if self.client is None:
            raise RuntimeError("the stack is not started")
        return self.client


async def wait_for_pollers(
    client: Client, task_queue: str, *, activities: bool = False, within: float = 60.0
) -> None:
    """Return once some worker polls ``task_queue`` (workflow or activity tasks)."""
    kind = (
        TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY
        if activities
        else TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW
    )
    deadline = time.monotonic() + within
    while True:
        described = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=task_queue),
                task_queue_type=kind,
            )
        )
        if described.pollers:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"no worker polls {task_queue} after {within:.0f}s")
        await asyncio.sleep(0.2)


def run_id() -> str:
    """A short id that keeps one run's events, candidates and applications apart."""
    return f"{datetime.now(UTC):%H%M%S}{os.getpid() % 1000:03d}"
