"""A candidate's workflow on the time-skipping server, with an in-memory channel and read model.

The delivery activity is the real ``DeliveryActivities`` around a recording channel; the
projection is a fake registered under the real activity's name that keeps the read model in
memory with the same ``seq`` guard.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

import pytest_asyncio
from temporalio import activity
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.contracts import PROJECT_ENROLMENTS, ProjectEnrolments, ProjectionResult
from activities.delivery import DeliveryActivities
from channels.base import (
    PermanentDeliveryError,
    SendResult,
    TransientDeliveryError,
)
from domain.application_events import RULES
from domain.applications import ApplicationState
from domain.campaigns import Campaign, CampaignKind, CampaignModule, ModuleType
from domain.candidates import CandidateContact
from domain.channels import ChannelKind
from domain.enrolments import Enrolment, StatusReason, TimelineEntry
from domain.events import (
    ApplicationRef,
    ApplicationWithdrawn,
    CandidateReply,
    EnrolmentSummary,
    EnrolRequest,
    EnrolResult,
    InterviewerAvailability,
    ModuleProgress,
    ProgressResult,
    ReplyResult,
)
from domain.identity import candidate_workflow_id
from domain.messages import OutboundMessage
from domain.statuses import EnrolmentStatus
from domain.thread import CandidateThread
from domain.timing import QuietHours
from workers.sandbox import workflow_runner
from workflows.candidate import CandidateWorkflow
from workflows.inputs import CandidateWorkflowInput, delivery_queue
from workflows.search_attributes import at_start

T = TypeVar("T")

VALID_PHONE = "+14155550123"


def blast(name: str = "Thanks, but no") -> Campaign:
    return Campaign(
        name=name, kind=CampaignKind.BLAST, channel=ChannelKind.SMS, messages=["Thank you."]
    )


def multi_module(
    name: str = "Screening",
    modules: int = 2,
    expiry: timedelta | None = None,
    closing: bool = False,
) -> Campaign:
    return Campaign(
        name=name,
        kind=CampaignKind.MULTI_MODULE,
        channel=ChannelKind.WHATSAPP,
        messages=["Welcome!", *(["Thanks, we'll be in touch."] if closing else [])],
        modules=[
            CampaignModule(id=f"m{i}", name=f"Module {i}", type=ModuleType.QUESTION)
            for i in range(1, modules + 1)
        ],
        expiry=expiry,
    )


class RecordingChannel:
    """Accepts messages once per idempotency key; can refuse or stall on demand."""

    def __init__(self) -> None:
        self.sent: dict[str, OutboundMessage] = {}
        self.attempts = 0
        self.transient_failures_left = 0

    async def send(self, message: OutboundMessage) -> SendResult:
        self.attempts += 1
        if self.transient_failures_left:
            self.transient_failures_left -= 1
            raise TransientDeliveryError("provider timed out")
        phone = message.candidate.phone
        if not phone:
            raise PermanentDeliveryError(StatusReason.MISSING_PHONE_NUMBER, "no phone number")
        if not phone.startswith("+1415"):
            raise PermanentDeliveryError(StatusReason.INVALID_PHONE_NUMBER, f"{phone} is invalid")
        duplicate = message.idempotency_key in self.sent
        self.sent.setdefault(message.idempotency_key, message)
        return SendResult(
            provider_message_id=f"fake-{message.idempotency_key}", duplicate=duplicate
        )


@dataclass
class MemoryReadModel:
    """The read model in memory, with the same ``seq`` guard as the SQL one."""

    rows: dict[str, Enrolment] = field(default_factory=dict)
    timeline: dict[str, dict[int, TimelineEntry]] = field(default_factory=dict)
    applications: dict[str, ApplicationState] = field(default_factory=dict)
    #: Each candidate's contact details as last projected.
    candidates: dict[str, CandidateContact] = field(default_factory=dict)
    #: The candidates whose read model was erased, in the order it happened.
    erased: list[str] = field(default_factory=list)

    @activity.defn(name=PROJECT_ENROLMENTS)
    async def project_enrolments(self, input: ProjectEnrolments) -> ProjectionResult:
        self.candidates[input.candidate.id] = input.candidate
        if input.erase:
            self.erased.append(input.candidate.id)
        for enrolment in input.enrolments:
            current = self.rows.get(enrolment.id)
            if current is None or current.seq < enrolment.seq:
                self.rows[enrolment.id] = enrolment
            for entry in enrolment.unprojected:
                self.timeline.setdefault(enrolment.id, {}).setdefault(entry.seq, entry)
        for application in input.applications:
            shown = self.applications.get(application.id)
            if shown is None or shown.seq < application.seq:
                self.applications[application.id] = application
        return ProjectionResult(
            projected={e.id: e.seq for e in input.enrolments},
            applications={a.id: a.seq for a in input.applications},
        )

    def statuses(self, enrolment_id: str) -> list[EnrolmentStatus]:
        entries = sorted(self.timeline.get(enrolment_id, {}).values(), key=lambda t: t.seq)
        statuses: list[EnrolmentStatus] = []
        for entry in entries:
            if not statuses or statuses[-1] != entry.status:
                statuses.append(entry.status)
        return statuses


async def answered(update: Callable[[], Awaitable[T]], within: float = 30.0) -> T:
    """An update's answer, the update sent again if none comes within ``within`` seconds: like
    a query (``CandidateUnderTest.state``), an update that reaches the time-skipping server as
    a new run takes over can wait forever (it hung CI twice, on a loaded machine). The workflow
    applies an event id once, so the repeat changes nothing."""
    for _ in range(4):
        try:
            return await asyncio.wait_for(update(), within)
        except TimeoutError:
            continue
    raise AssertionError(f"the update was not answered in {4 * within:.0f} s")


@dataclass
class CandidateUnderTest:
    """One candidate's workflow and what the outside world sees of it."""

    env: WorkflowEnvironment
    handle: WorkflowHandle[CandidateWorkflow, None]
    contact: CandidateContact
    channel: RecordingChannel
    read_model: MemoryReadModel
    events: int = 0

    async def enter_stage(
        self, campaign: Campaign | None, *, quiet_hours: QuietHours | None = None, **where: Any
    ) -> EnrolResult:
        """Send the ATS event 'application entered a stage' (happening now) as the update;
        ``where`` are ``ats_event``'s keywords (application, job, stage...)."""
        request = self.ats_event(campaign, **where)
        return await self.send(request.model_copy(update={"quiet_hours": quiet_hours}))

    def ats_event(
        self,
        campaign: Campaign | None,
        *,
        application: str = "app-1",
        job: str = "job-1",
        stage: str = "screen",
        auto_match: bool = False,
        event_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> EnrolRequest:
        """The ATS event 'application entered a stage', not sent yet."""
        self.events += 1
        return EnrolRequest(
            event_id=event_id or f"evt-{self.events}",
            occurred_at=occurred_at or datetime.now(UTC),
            application=ApplicationRef(id=application, job_id=job, stage_id=stage),
            candidate=self.contact,
            campaign_id=None if campaign is None else f"cmp-{campaign.name}",
            campaign=campaign,
            auto_match=auto_match,
        )

    async def send(self, request: EnrolRequest) -> EnrolResult:
        """Send an ATS event already made (a repeat, or one arriving late) as the update."""
        return await answered(lambda: self.handle.execute_update(CandidateWorkflow.enrol, request))

    async def withdraw(self, event: ApplicationWithdrawn) -> EnrolResult:
        """Send the ATS event 'application withdrawn' as the withdraw update."""
        return await answered(lambda: self.handle.execute_update(CandidateWorkflow.withdraw, event))

    async def progress(self, event: ModuleProgress) -> ProgressResult:
        """Module progress as the API sends it: an update answered once projected."""
        return await answered(lambda: self.handle.execute_update(CandidateWorkflow.progress, event))

    async def reply(self, event: CandidateReply) -> ReplyResult:
        """A reply in the chat, as the API sends it."""
        return await answered(lambda: self.handle.execute_update(CandidateWorkflow.reply, event))

    async def availability(self, event: InterviewerAvailability) -> list[EnrolmentSummary]:
        """Interviewer availability as the API sends it."""
        return await answered(
            lambda: self.handle.execute_update(CandidateWorkflow.availability, event)
        )

    async def signal(self, name: str, payload: Any) -> None:
        await self.handle.signal(name, payload)

    async def state(self) -> CandidateThread:
        """The workflow's state. Asked with a short deadline, and again: a query that reaches
        the time-skipping server as a new run takes over can hang to its deadline
        (temporalio/sdk-java#1537)."""
        for _ in range(20):
            try:
                thread: CandidateThread = await self.handle.query(
                    "state", result_type=CandidateThread, rpc_timeout=timedelta(seconds=3)
                )
                return thread
            except RPCError as err:
                # CANCELLED: our own deadline passed first.
                if err.status not in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
                    raise
        raise AssertionError("the workflow's state query never answered")

    async def wait_for(
        self, check: Callable[[CandidateThread], bool], within: float = 10.0
    ) -> CandidateThread:
        """Poll the workflow's state until ``check`` holds (in real time, not skipped time)."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            thread = await self.state()
            if check(thread):
                return thread
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"condition not reached; state: {thread.model_dump_json()}")
            await asyncio.sleep(0.05)

    async def wait_status(self, enrolment_id: str, status: EnrolmentStatus) -> CandidateThread:
        """Wait until the enrolment has ``status`` in the workflow and in the read model."""
        thread = await self.wait_for(lambda t: t.enrolments[enrolment_id].status is status)
        await self.wait_projected(enrolment_id, status)
        return thread

    async def wait_projected(self, enrolment_id: str, status: EnrolmentStatus) -> None:
        for _ in range(200):
            row = self.read_model.rows.get(enrolment_id)
            if row is not None and row.status is status:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"read model never showed {enrolment_id} as {status}")


@pytest_asyncio.fixture(loop_scope="session")
async def candidate(time_skipping_env: WorkflowEnvironment) -> AsyncIterator[CandidateUnderTest]:
    """A fresh candidate (valid phone) with its workflow running on its own task queue."""
    async with candidate_factory(time_skipping_env) as make:
        yield await make(
            CandidateContact(id=f"cand-{uuid.uuid4().hex[:8]}", name="Ada", phone=VALID_PHONE)
        )


class StartCandidate(Protocol):
    """``candidate_factory.start``: start a candidate's workflow."""

    def __call__(
        self,
        contact: CandidateContact,
        *,
        findable_by: ApplicationRef | None = None,
        rules: int = RULES,
    ) -> Awaitable[CandidateUnderTest]: ...


class candidate_factory:
    """Runs a worker on a fresh task queue and starts candidates' workflows on it."""

    def __init__(self, env: WorkflowEnvironment, *, event_budget: int | None = None) -> None:
        self.env = env
        self.task_queue = f"test-{uuid.uuid4()}"
        self.channel = RecordingChannel()
        self.read_model = MemoryReadModel()
        self.event_budget = event_budget
        self.started: list[WorkflowHandle[Any, Any]] = []
        delivery = DeliveryActivities(self.channel).deliver_message
        self.workers = [
            Worker(
                env.client,
                task_queue=self.task_queue,
                workflows=[CandidateWorkflow],
                activities=[self.read_model.project_enrolments, delivery],
                workflow_runner=workflow_runner(env.client.data_converter),
            ),
            # Workflows started like the ATS bridge starts them send on a queue per channel.
            *(
                Worker(
                    env.client,
                    task_queue=delivery_queue(self.task_queue, kind),
                    activities=[delivery],
                )
                for kind in ChannelKind
            ),
        ]

    async def __aenter__(self) -> StartCandidate:
        for worker in self.workers:
            await worker.__aenter__()
        return self.start

    async def __aexit__(self, *exc: object) -> None:
        # Left running, their timers would hold the shared test server's clock for later tests.
        # The workers stop first: terminating a workflow whose task is in flight leaves the
        # test server's time-skipping lock held.
        for worker in self.workers:
            await worker.__aexit__(None, None, None)
        for handle in self.started:
            with contextlib.suppress(RPCError):
                await handle.terminate("test over")

    async def start(
        self,
        contact: CandidateContact,
        *,
        findable_by: ApplicationRef | None = None,
        rules: int = RULES,
    ) -> CandidateUnderTest:
        """Start ``contact``'s workflow; ``findable_by`` the application whose enrolment starts
        it, like the ATS bridge (which sends that enrolment with the start); ``rules`` older
        than the current ones start it like a workflow running since before them."""
        workflow_input = CandidateWorkflowInput(
            thread=CandidateThread(candidate=contact, rules=rules),
            delivery_task_queue=self.task_queue,
            search_attributes_set=findable_by is not None,
            per_channel_queues=rules >= RULES,
            settled_statuses=rules >= RULES,
        )
        if self.event_budget is not None:
            workflow_input.event_budget = self.event_budget
        await self.env.client.start_workflow(
            CandidateWorkflow.run,
            workflow_input,
            id=candidate_workflow_id(contact.id),
            task_queue=self.task_queue,
            search_attributes=None if findable_by is None else at_start(contact.id, findable_by),
        )
        # Not bound to the first run: signals and queries follow continue-as-new.
        handle = self.env.client.get_workflow_handle_for(
            CandidateWorkflow.run, candidate_workflow_id(contact.id)
        )
        self.started.append(handle)
        return CandidateUnderTest(self.env, handle, contact, self.channel, self.read_model)
