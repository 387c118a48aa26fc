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
import math
import os
import platform
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal, NoReturn

import httpx
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from bench.baseline import BASELINE_WORKFLOW, READY_LINE
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


# --- the machine and its processes ----------------------------------------------------------


def load_average() -> str:
    """The 1/5/15-minute load averages, as ``/proc/loadavg`` has them."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def machine() -> str:
    """One line: cores, CPU model, RAM, OS, Python, date (what README figures are tagged with)."""
    model = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
                break
    return (
        f"{os.cpu_count()} cores, {model}, {ram} RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def rss_mib(pid: int) -> float | None:
    """Resident memory of ``pid`` (VmRSS) in MiB, or ``None`` if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time ``pid`` has used so far (0 if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # The command name may contain spaces: fields are counted after its closing parenthesis.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    """Direct children of ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def host_cpu_ticks() -> dict[str, int]:
    """The machine's CPU time so far by kind (``/proc/stat``): busy, idle, iowait, steal."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    except (OSError, ValueError, IndexError):
        return {}
    user, nice, system, idle, iowait, irq, softirq, steal = fields
    return {
        "busy": user + nice + system + irq + softirq,
        "idle": idle,
        "iowait": iowait,
        "steal": steal,
    }


@dataclass
class CpuMeter:
    """CPU seconds each named process spends between ``start`` and ``stop``, and how the
    machine's CPU time went meanwhile (steal: taken by the hypervisor for other machines)."""

    pids: dict[str, int]
    wall: float = 0.0
    used: dict[str, float] = field(default_factory=dict)
    host: dict[str, int] = field(default_factory=dict)
    _at_start: dict[str, float] = field(default_factory=dict)
    _host_at_start: dict[str, int] = field(default_factory=dict)
    _started: float = 0.0

    def start(self) -> None:
        self._at_start = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self._host_at_start = host_cpu_ticks()
        self._started = time.monotonic()

    def stop(self) -> None:
        self.wall = time.monotonic() - self._started
        self.used = {
            name: cpu_seconds(pid) - self._at_start[name] for name, pid in self.pids.items()
        }
        now = host_cpu_ticks()
        self.host = {k: now[k] - self._host_at_start.get(k, 0) for k in now}

    def host_report(self) -> str:
        """The machine's CPU time during the run by kind, in percent (steal and iowait are
        the signs of a noisy neighbour or a slow disk)."""
        total = sum(self.host.values())
        if not total:
            return "    machine: (no /proc/stat)"
        shares = ", ".join(f"{k} {100 * v / total:.0f} %" for k, v in self.host.items())
        return f"    machine CPU time: {shares}"

    def report(self, per: int, unit: str) -> str:
        """CPU per process, in seconds, in cores busy, and in milliseconds per ``unit``;
        then the machine's CPU time by kind."""
        lines = []
        for name, used in sorted(self.used.items(), key=lambda item: -item[1]):
            lines.append(
                f"    {name:<22} {used:7.1f} s CPU  {used / max(self.wall, 1e-9):4.2f} cores  "
                f"{1000 * used / max(per, 1):6.1f} ms per {unit}"
            )
        lines.append(self.host_report())
        return "\n".join(lines)


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


def exit_with_verdict(measurement: Coroutine[Any, Any, bool]) -> NoReturn:
    """Run a benchmark's ``measurement``; exit 0 when its targets are met, 1 when not (the
    figures are printed either way)."""
    passed = asyncio.run(measurement)
    sys.stdout.flush()
    # The Temporal client's native threads can abort interpreter teardown; skip it.
    os._exit(0 if passed else 1)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by the nearest-rank method; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def verdict(passed: bool) -> str:
    """What a target line ends with."""
    return "PASS" if passed else "FAIL"


# --- the stack ------------------------------------------------------------------------------


def _clean_environment() -> dict[str, str]:
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
                if "start-dev" in _cmdline(pid):
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
        env = _clean_environment() | self.extra_env
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
            self._spawn(
                "enrolments worker",
                _enrolments_command("worker", *database, "--delivery-rate", rate),
                worker_env,
            )
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


# --- the bench company: campaigns, jobs, ATS events -----------------------------------------


async def configure_company(http: httpx.AsyncClient, *jobs: str, expiry: str = "P7D") -> None:
    """A blast and a three-module campaign, and ``jobs`` whose stages link them.

    Each job has an ``applied`` stage (blast) and a ``screen`` stage (three modules).
    """
    campaigns: dict[str, dict[str, Any]] = {
        BLAST_CAMPAIGN: {
            "name": "Application received",
            "kind": "blast",
            "channel": "sms",
            "messages": ["Thanks for applying! We will be in touch soon."],
        },
        MULTI_MODULE_CAMPAIGN: {
            "name": "Screening chat",
            "kind": "multi_module",
            "channel": "sms",
            "messages": ["Hi! Three quick steps.", "All done, thank you!"],
            "modules": [
                {"id": MODULES[0], "name": "Meet the team", "type": "content"},
                {"id": MODULES[1], "name": "Screening questions", "type": "question"},
                {"id": MODULES[2], "name": "Book a call", "type": "schedule"},
            ],
            "expiry": expiry,
        },
    }
    for campaign_id, body in campaigns.items():
        (await http.put(f"/campaigns/{campaign_id}", json=body)).raise_for_status()
    for job_id in jobs:
        job = {
            "name": f"Bench job {job_id}",
            "stages": [
                {"id": BLAST_STAGE, "name": "Applied", "campaign_id": BLAST_CAMPAIGN},
                {"id": MULTI_MODULE_STAGE, "name": "Screen", "campaign_id": MULTI_MODULE_CAMPAIGN},
                {"id": "hired", "name": "Hired", "campaign_id": None},
            ],
        }
        (await http.put(f"/jobs/{job_id}", json=job)).raise_for_status()


@dataclass(frozen=True)
class Application:
    """One application of the load: which candidate, job and stage, and its event id."""

    event_id: str
    application_id: str
    candidate_id: str
    job_id: str
    stage_id: str = BLAST_STAGE

    def ats_event(self) -> dict[str, Any]:
        """The ``POST /ats/events`` body: the application was created in its stage."""
        number = int("".join(ch for ch in self.candidate_id if ch.isdigit()) or 0)
        return {
            "id": self.event_id,
            "type": "application.created",
            "occurred_at": datetime.now(UTC).isoformat(),
            "application": {
                "id": self.application_id,
                "job_id": self.job_id,
                "stage_id": self.stage_id,
            },
            "candidate": {
                "id": self.candidate_id,
                "name": f"Bench Candidate {number}",
                "phone": f"+1415555{number % 10_000:04d}",
                "email": None,
                "timezone": None,
            },
        }


def applications(
    run: str, job_id: str, candidates: int, per_candidate: int, stage_id: str = BLAST_STAGE
) -> list[Application]:
    """``candidates`` x ``per_candidate`` applications, round-robin over candidates (a bulk
    stage move of many candidates at once), with ids that sort in the order they are sent."""
    out = []
    for round_ in range(per_candidate):
        for c in range(candidates):
            seq = round_ * candidates + c
            out.append(
                Application(
                    event_id=f"evt-{run}-{seq:07d}",
                    application_id=f"app-{run}-{seq:07d}",
                    candidate_id=f"cand-{run}-{c:07d}",
                    job_id=job_id,
                    stage_id=stage_id,
                )
            )
    return out


@dataclass
class Posted:
    """What happened to one ATS event: when it was sent, when it was accepted, its answer."""

    application: Application
    sent: float
    accepted: float = math.nan
    status: int = 0
    enrolment_id: str | None = None
    first_status: str | None = None
    attempts: int = 0
    #: The error codes of the answers that were retried (503s).
    retried_for: list[str] = field(default_factory=list)


#: How often one ATS event is sent before the run gives up on it.
MAX_ATTEMPTS = 10


async def post_event(http: httpx.AsyncClient, application: Application) -> Posted:
    """Send one ATS event; on 503 send the same event again after its ``Retry-After``, as an
    ATS would."""
    posted = Posted(application, sent=time.monotonic())
    body = application.ats_event()
    while True:
        posted.attempts += 1
        response = await http.post("/ats/events", json=body)
        posted.status = response.status_code
        if response.status_code == 202:
            posted.accepted = time.monotonic()
            enrolments = response.json()["enrolments"]
            if enrolments:
                posted.enrolment_id = enrolments[0]["id"]
                posted.first_status = enrolments[0]["status"]
            return posted
        if response.status_code == 503 and posted.attempts < MAX_ATTEMPTS:
            posted.retried_for.append(_error_code(response))
            await asyncio.sleep(_retry_after(response))
            continue
        raise RuntimeError(
            f"POST /ats/events for {application.application_id}: "
            f"{response.status_code} {response.text[:300]}"
        )


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(float(response.headers.get("Retry-After", "1")), 30.0)
    except ValueError:
        return 1.0


def _error_code(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return f"http {response.status_code}"


async def post_all(
    http: httpx.AsyncClient, apps: Iterable[Application], concurrency: int
) -> list[Posted]:
    """Send every event as fast as ``concurrency`` requests in flight allow (closed loop)."""
    queue: asyncio.Queue[Application] = asyncio.Queue()
    for app in apps:
        queue.put_nowait(app)
    results: list[Posted] = []

    async def sender() -> None:
        while True:
            try:
                app = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            results.append(await post_event(http, app))

    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(sender())
    return results


def http_client(api_url: str, concurrency: int) -> httpx.AsyncClient:
    """An HTTP client for the API with room for ``concurrency`` requests in flight."""
    return httpx.AsyncClient(
        base_url=api_url,
        timeout=httpx.Timeout(120.0),
        limits=httpx.Limits(max_connections=concurrency + 8, max_keepalive_connections=concurrency),
        headers=BENCH_HEADERS,
    )


# --- the read model, read directly ----------------------------------------------------------


def count_statuses(read_model: Path, job_id: str) -> dict[str, int]:
    """Enrolments of ``job_id`` per status, straight from the SQLite read model."""
    with contextlib.closing(sqlite3.connect(read_model, timeout=30)) as db:
        rows = db.execute(
            "SELECT status, count(*) FROM enrolments WHERE job_id = ? GROUP BY status", (job_id,)
        ).fetchall()
    return {str(status): int(n) for status, n in rows}


async def wait_for_status(
    stack: BenchStack,
    job_id: str,
    status: str,
    expected: int,
    *,
    within: float,
    every: float = 0.2,
) -> float:
    """Poll the read model until ``expected`` enrolments of ``job_id`` have ``status``.

    Returns the monotonic time at which that was first seen. Raises ``TimeoutError`` with the
    counts per status otherwise.
    """
    deadline = time.monotonic() + within
    while True:
        counts = await asyncio.to_thread(count_statuses, stack.read_model, job_id)
        if counts.get(status, 0) >= expected:
            return time.monotonic()
        stack.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError(f"after {within:.0f}s, {job_id} has {counts}, wanted {expected}")
        await asyncio.sleep(every)


# --- the bare-Temporal baseline -------------------------------------------------------------


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
        env=_clean_environment(),
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


def run_id() -> str:
    """A short id that keeps one run's events, candidates and applications apart."""
    return f"{datetime.now(UTC):%H%M%S}{os.getpid() % 1000:03d}"
