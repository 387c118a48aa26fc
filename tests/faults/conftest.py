"""Fault tolerance: break a piece of the running product, then check nothing was lost.

Every test here pushes a burst of enrolments (or webhooks, or hostile requests), breaks
something in the middle (the worker process, the Temporal server, the read-model database),
repairs it, and then checks the outcome a recruiter and a candidate would see: every enrolment
in its right status in the read model, and exactly one message per (enrolment, message number)
in the outbox.

Sizes are small so CI stays fast; ``FAULTS_SCALE=N`` (an integer, default 1) multiplies the
number of candidates for a run on demand, e.g. ``FAULTS_SCALE=10 pytest tests/faults``.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from config.settings import Settings
from domain.campaigns import Campaign, CampaignKind, CampaignModule, ModuleType
from domain.candidates import CandidateContact
from domain.channels import ChannelKind
from domain.enrolments import StatusReason
from domain.events import ApplicationRef, EnrolRequest, ModuleProgress, ProgressEvent
from domain.identity import enrolment_id
from domain.statuses import EnrolmentStatus as S
from services.candidate_workflows import CandidateWorkflows
from store.database import create_engine, session_factory
from store.messages import Messages
from store.schema import EnrolmentRow, MessageRow

# The HTTP stack of the API tests (real ASGI app, in-process worker, SQLite), reused as is.
from tests.api.conftest import Stack, api_database_url, open_stack, stack
from tests.keys import ADMIN_HEADERS
from tests.workers.conftest import clean_environment, enrolments_command

__all__ = ["api_database_url", "open_stack", "stack"]

VALID_PHONE = "+14155550123"
#: Parses, but is no one's number: the outbox channel refuses it for good.
INVALID_PHONE = "+1555"


def faults_scale() -> int:
    """The ``FAULTS_SCALE`` multiplier (at least 1)."""
    try:
        return max(1, int(os.environ.get("FAULTS_SCALE", "1")))
    except ValueError:
        return 1


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def wait_until(
    check: Callable[[], Awaitable[bool]],
    *,
    within: float,
    explain: Callable[[], Awaitable[str]],
    every: float = 0.2,
) -> None:
    """Poll ``check`` until it holds; after ``within`` seconds fail with ``explain()``."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within:.0f}s: {await explain()}")
        await asyncio.sleep(every)


# -- campaigns and the burst ------------------------------------------------------------------

REJECTION = Campaign(
    name="Rejection", kind=CampaignKind.BLAST, channel=ChannelKind.SMS, messages=["Thanks, no."]
)
ROLE_CLOSED = Campaign(
    name="Role closed", kind=CampaignKind.BLAST, channel=ChannelKind.SMS, messages=["Closed."]
)
SCREENING = Campaign(
    name="Screening",
    kind=CampaignKind.MULTI_MODULE,
    channel=ChannelKind.SMS,
    messages=["Welcome! One question for you.", "Thanks, we'll be in touch."],
    modules=[CampaignModule(id="q1", name="Availability", type=ModuleType.QUESTION)],
)


@dataclass(frozen=True)
class PlannedEnrolment:
    """One enrolment of the burst and where it must end."""

    request: EnrolRequest
    status: S
    reason: str | None = None
    #: Message numbers the candidate must receive, each exactly once.
    messages: tuple[int, ...] = ()
    #: Modules to report completed once it is delivered (multi-module campaigns).
    modules: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return enrolment_id(self.request.event_id, self.request.application.id)

    @property
    def candidate_id(self) -> str:
        return self.request.candidate.id


@dataclass
class Burst:
    """Candidates of three kinds, each enrolled like the ATS bridge does.

    - two blasts in a row (the second waits as ``queued`` while the first is ``sending``):
      both ``delivered``, one message each;
    - a blast to an invalid phone number: ``failed`` (``invalid_phone_number``), no message;
    - a one-module screening campaign, completed once delivered: ``completed``, its welcome
      and its closing message.
    """

    run_id: str
    candidates: list[list[PlannedEnrolment]] = field(default_factory=list)

    @classmethod
    def plan(cls, candidates: int) -> Burst:
        burst = cls(run_id=uuid.uuid4().hex[:10])
        for number in range(candidates):
            kind = number % 3
            if kind == 0:
                burst.candidates.append(
                    [
                        burst._planned(number, 0, REJECTION, S.DELIVERED, messages=(1,)),
                        burst._planned(number, 1, ROLE_CLOSED, S.DELIVERED, messages=(1,)),
                    ]
                )
            elif kind == 1:
                burst.candidates.append(
                    [
                        burst._planned(
                            number,
                            0,
                            REJECTION,
                            S.FAILED,
                            reason=StatusReason.INVALID_PHONE_NUMBER,
                            phone=INVALID_PHONE,
                        )
                    ]
                )
            else:
                burst.candidates.append(
                    [
                        burst._planned(
                            number, 0, SCREENING, S.COMPLETED, messages=(1, 2), modules=("q1",)
                        )
                    ]
                )
        return burst

    def _planned(
        self,
        number: int,
        application: int,
        campaign: Campaign,
        status: S,
        *,
        reason: str | None = None,
        messages: tuple[int, ...] = (),
        modules: tuple[str, ...] = (),
        phone: str = VALID_PHONE,
    ) -> PlannedEnrolment:
        candidate = f"fault-{self.run_id}-c{number}"
        request = EnrolRequest(
            event_id=f"evt-{self.run_id}-{number}-{application}",
            occurred_at=datetime.now(UTC),
            application=ApplicationRef(
                id=f"{candidate}-a{application}", job_id=f"job-{self.run_id}", stage_id="s1"
            ),
            candidate=CandidateContact(id=candidate, name=f"Candidate {number}", phone=phone),
            campaign_id=f"campaign-{campaign.name.lower().replace(' ', '-')}",
            campaign=campaign,
        )
        return PlannedEnrolment(request, status, reason, messages, modules)

    @property
    def enrolments(self) -> list[PlannedEnrolment]:
        return [planned for candidate in self.candidates for planned in candidate]

    @property
    def messages(self) -> dict[tuple[str, int], int]:
        """The outbox the burst must leave: each expected message exactly once."""
        return {(p.id, n): 1 for p in self.enrolments for n in p.messages}

    @property
    def first_messages(self) -> int:
        return sum(1 for p in self.enrolments if 1 in p.messages)

    async def push(self, bridge: CandidateWorkflows, *, concurrency: int = 6) -> None:
        """Enrol everything, as an ATS does: each candidate's events in order, retried until
        accepted (same event id, so a retry never enrols twice)."""
        limit = asyncio.Semaphore(concurrency)

        async def candidate(planned: list[PlannedEnrolment]) -> None:
            async with limit:
                for enrolment in planned:
                    await enrol_until_accepted(bridge, enrolment.request)

        await asyncio.gather(*(candidate(planned) for planned in self.candidates))

    async def complete_modules(self, bridge: CandidateWorkflows, engine: AsyncEngine) -> None:
        """Report every module completed for the multi-module enrolments, once delivered."""
        waiting = [p for p in self.enrolments if p.modules]
        reported: set[str] = set()

        async def completed(planned: PlannedEnrolment, module: str) -> bool:
            answer = await bridge.progress(
                planned.candidate_id,
                ModuleProgress(
                    event_id=f"done-{planned.id}-{module}",
                    enrolment_id=planned.id,
                    module_id=module,
                    event=ProgressEvent.COMPLETED,
                ),
            )
            return answer is not None

        async def report_delivered() -> bool:
            statuses = await read_statuses(engine, [p.id for p in waiting])
            for planned in waiting:
                status = statuses.get(planned.id, (None, None))[0]
                if planned.id not in reported and status == S.DELIVERED:
                    for module in planned.modules:
                        await until_accepted(partial(completed, planned, module))
                    reported.add(planned.id)
            return len(reported) == len(waiting)

        async def explain() -> str:
            return f"{len(waiting) - len(reported)} multi-module enrolments never delivered"

        await wait_until(report_delivered, within=SETTLE_TIMEOUT, explain=explain, every=0.3)

    async def assert_settled(self, engine: AsyncEngine) -> None:
        """Wait until every enrolment shows its final status in the read model, then check the
        outbox holds exactly one message per (enrolment, message number)."""
        expected = {p.id: (p.status.value, p.reason) for p in self.enrolments}

        outbox = Messages(session_factory(engine))

        async def settled() -> bool:
            # A closing message goes out just after its enrolment is ``completed``.
            sent = await outbox.count_per_message()
            return set(sent) >= set(self.messages) and (
                await read_statuses(engine, list(expected)) == expected
            )

        async def explain() -> str:
            seen = await read_statuses(engine, list(expected))
            wrong = {
                eid: (seen.get(eid), want)
                for eid, want in expected.items()
                if seen.get(eid) != want
            }
            unsent = sorted(set(self.messages) - set(await outbox.count_per_message()))
            return (
                f"{len(wrong)} enrolments not settled (seen, wanted): {list(wrong.items())[:5]}; "
                f"messages not sent: {unsent[:5]}"
            )

        await wait_until(settled, within=SETTLE_TIMEOUT, explain=explain, every=0.3)
        counts = await outbox.count_per_message()
        assert counts == self.messages, {
            "twice": {k: n for k, n in counts.items() if n > 1},
            "missing": sorted(set(self.messages) - set(counts)),
            "unexpected": sorted(set(counts) - set(self.messages)),
        }


#: How long a burst may take to settle after the fault is repaired. Generous on purpose: an
#: activity that was running in a SIGKILLed worker is retried only after its 30 s timeout.
SETTLE_TIMEOUT = 120.0


async def enrol_until_accepted(
    bridge: CandidateWorkflows, request: EnrolRequest, *, within: float = SETTLE_TIMEOUT
) -> None:
    """Send the enrol update until it is answered (an ATS retries a failed delivery)."""
    deadline = time.monotonic() + within
    while True:
        try:
            await bridge.enrol(request)
            return
        except Exception:
            # Worker gone, server restarting, update lost with it: the same event id again.
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def until_accepted(
    send: Callable[[], Awaitable[bool]], *, within: float = SETTLE_TIMEOUT
) -> None:
    """Send an event until the candidate's workflow takes it."""
    deadline = time.monotonic() + within
    while True:
        try:
            assert await send(), "the candidate's workflow does not exist"
            return
        except AssertionError:
            raise
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


# -- the read model --------------------------------------------------------------------------


async def read_statuses(
    engine: AsyncEngine, enrolment_ids: Sequence[str]
) -> dict[str, tuple[str, str | None]]:
    """``enrolment id -> (status, status_reason)`` as the read model holds them."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(EnrolmentRow.id, EnrolmentRow.status, EnrolmentRow.status_reason).where(
                EnrolmentRow.id.in_(enrolment_ids)
            )
        )
        return {eid: (status, reason) for eid, status, reason in rows}


async def outbox_size(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(MessageRow)) or 0)


# -- processes -------------------------------------------------------------------------------


def temporal_address(client: Client) -> str:
    """``host:port`` of the Temporal frontend ``client`` talks to."""
    return client.service_client.config.target_host


@dataclass
class WorkerProcess:
    """One ``enrolments`` process (a worker, or the API), as an operator runs it."""

    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, in-flight tasks are abandoned mid-way."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


@contextmanager
def worker_processes(
    environ: Mapping[str, str], logs: Path
) -> Iterator[Callable[..., WorkerProcess]]:
    """Start ``enrolments worker`` processes on demand (or, given its arguments, another
    ``enrolments`` command); every one is killed on the way out."""
    started: list[WorkerProcess] = []

    def start(*command: str) -> WorkerProcess:
        command = command or ("worker",)
        log = logs / f"{command[0]}-{len(started) + 1}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [*enrolments_command(), *command, "--log-level", "warning"],
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=clean_environment(environ),
            )
        worker = WorkerProcess(process, log)
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.kill()


async def kill_mid_burst(worker: WorkerProcess, engine: AsyncEngine, burst: Burst) -> int:
    """SIGKILL ``worker`` once a quarter of the burst's first messages went out; returns how
    many had (the test checks the kill landed before the last)."""

    async def some_sent() -> bool:
        assert worker.process.poll() is None, worker.output()
        return await outbox_size(engine) >= max(3, burst.first_messages // 4)

    async def explain() -> str:
        return f"no message went out; the worker said:\n{worker.output()}"

    await wait_until(some_sent, within=60, explain=explain, every=0.05)
    worker.kill()
    return await outbox_size(engine)


def worker_environment(
    *,
    address: str,
    database_url: str,
    data_dir: Path,
    task_queue: str,
    delivery_task_queue: str,
    delivery_rate: float,
) -> dict[str, str]:
    """The environment of an ``enrolments worker`` for one test's task queues."""
    return {
        "TEMPORAL_ADDRESS": address,
        "TEMPORAL_NAMESPACE": "default",
        "ENROLMENTS_DATA_DIR": str(data_dir),
        "ENROLMENTS_DATABASE_URL": database_url,
        "ENROLMENTS_TASK_QUEUE": task_queue,
        "ENROLMENTS_DELIVERY_TASK_QUEUE": delivery_task_queue,
        "ENROLMENTS_DELIVERY_RATE": str(delivery_rate),
    }


def bridge_for(
    client: Client, task_queue: str, delivery_task_queue: str, *, enrol_timeout: float = 20.0
) -> CandidateWorkflows:
    return CandidateWorkflows(
        client,
        task_queue=task_queue,
        delivery_task_queue=delivery_task_queue,
        enrol_timeout=timedelta(seconds=enrol_timeout),
    )


@dataclass
class KilledWorkerStack:
    """The real API in this process on a SQLite read model, beside ``enrolments worker``
    processes (``start_worker``; ``first`` is running) on the dev server."""

    stack: Stack
    first: WorkerProcess
    start_worker: Callable[[], WorkerProcess]


@asynccontextmanager
async def api_beside_worker_processes(
    dev_env: WorkflowEnvironment,
    sqlite_url: str,
    tmp_path: Path,
    name: str,
    **configured: Any,
) -> AsyncIterator[KilledWorkerStack]:
    """The API and a first worker process, both with ``configured`` settings (the workers get
    them as ``ENROLMENTS_*`` variables), on task queues of their own."""
    run = uuid.uuid4().hex[:10]
    settings = Settings(
        data_dir=tmp_path,
        database_url=sqlite_url,
        task_queue=f"faults-{name}-{run}",
        delivery_task_queue=f"faults-{name}-delivery-{run}",
        **configured,
    )
    environ = worker_environment(
        address=temporal_address(dev_env.client),
        database_url=sqlite_url,
        data_dir=tmp_path,
        task_queue=settings.task_queue,
        delivery_task_queue=settings.delivery_task_queue,
        delivery_rate=100.0,
    ) | {f"ENROLMENTS_{key.upper()}": str(value) for key, value in configured.items()}
    engine = create_engine(sqlite_url)
    app = create_app(settings, dev_env.client, engine=engine)
    try:
        with worker_processes(environ, tmp_path) as start_worker:
            first = start_worker()
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app),
                    base_url="http://test",
                    headers=ADMIN_HEADERS,
                    timeout=60,
                ) as http,
            ):
                stack = Stack(http, app, settings, engine, dev_env, run)
                yield KilledWorkerStack(stack, first, start_worker)
    finally:
        await engine.dispose()
