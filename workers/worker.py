"""The worker process: hosts ``CandidateWorkflow``, ``InterviewerWorkflow``,
``WritebackWorkflow`` and the activities they call.

Temporal workers share one process: the workflow worker (workflows plus the projection local
activity) and a delivery worker per channel, each on its own task queue rate limited
server-side, so ``sending`` lasts under load instead of overrunning a provider, and a slow
channel never holds back another; likewise a write-back worker per configured vendor ATS.
"""

from __future__ import annotations

import asyncio
import compileall
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.worker import PollerBehaviorAutoscaling, Worker

import workflows
from activities.calendar_feeds import CalendarFeedActivities
from activities.delivery import DeliveryActivities
from activities.interview_messages import InterviewMessageActivities
from activities.invitations import invitation_activities
from activities.projection import ProjectionActivities
from activities.writeback import WritebackActivities
from bridges.writeback import WRITE_RATES, vendor_writers
from bridges.writeback.base import VendorWriter
from channels.base import Channel, Provider
from channels.dispatch import ProviderChannels
from channels.providers import build_providers
from config.settings import Settings
from domain.ats import AtsSystem
from domain.channels import ChannelKind
from services.writebacks import WritebackStarter
from store.calendars import CalendarProjector
from store.database import create_engine, session_factory
from store.messages import Messages
from store.projection import EnrolmentProjector
from store.provider_health import ProviderHealth
from store.writebacks import WritebackLedger
from workers.ops import serving_ops
from workers.sandbox import workflow_runner
from workflows.candidate import CandidateWorkflow
from workflows.inputs import delivery_queue, writeback_queue
from workflows.interviewer import InterviewerWorkflow
from workflows.writeback import WritebackWorkflow


def compile_workflow_modules() -> None:
    """Write the bytecode of the modules the sandbox imports afresh for every workflow run.

    Without it (a fresh checkout, ``PYTHONDONTWRITEBYTECODE``) every new run and every replay
    of an evicted one compiles ``workflows/candidate.py`` from source: ~60 % of the cost of
    creating a workflow instance. A read-only install (``pip install`` already compiled it)
    only skips the write.
    """
    compileall.compile_dir(Path(workflows.__file__).parent, quiet=2)


def workflow_activities(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    providers: Mapping[ChannelKind, Provider],
    sends: Channel,
    writers: Mapping[AtsSystem, VendorWriter],
) -> list[Callable[..., Any]]:
    """The activities the workflows call on their own task queue: projecting the read model
    (which starts write-backs to the vendors of ``writers``), and the interviewers' e-mails and
    candidates' interview messages (``sends``: the channel every candidate's message goes
    through)."""
    projection = ProjectionActivities(
        EnrolmentProjector(sessions),
        CalendarProjector(sessions),
        WritebackStarter(set(writers), settings.task_queue, WritebackLedger(sessions)),
    )
    invitations = invitation_activities(settings, sessions, providers)
    messages = InterviewMessageActivities(
        sessions, sends, whatsapp_template=settings.whatsapp_interview_template
    )
    return [
        projection.project_enrolments,
        projection.project_calendar,
        invitations.send_invitations,
        invitations.send_availability_request,
        messages.send_interview_message,
    ]


@asynccontextmanager
async def running_workers(
    client: Client,
    settings: Settings,
    engine: AsyncEngine,
    *,
    channel: Channel | None = None,
    extra_activities: Sequence[Callable[..., Any]] = (),
) -> AsyncIterator[None]:
    """Run the workflow, delivery and write-back workers for as long as the context is open."""
    compile_workflow_modules()
    sessions = session_factory(engine)
    providers = build_providers(settings)
    sends = channel or ProviderChannels(providers, Messages(sessions), ProviderHealth(sessions))
    feeds = CalendarFeedActivities(sessions, httpx.AsyncClient(follow_redirects=True))
    writers = vendor_writers(settings)
    recording = _writing(settings, sessions, writers)
    grace = timedelta(seconds=settings.graceful_shutdown_timeout)
    workflow_worker = Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[CandidateWorkflow, InterviewerWorkflow, WritebackWorkflow],
        activities=[
            *workflow_activities(settings, sessions, providers, sends, writers),
            feeds.read_busy_times,
            feeds.find_waiting,
            recording.record_writeback_failure,
            *extra_activities,
        ],
        workflow_runner=workflow_runner(client.data_converter),
        max_cached_workflows=settings.max_cached_workflows,
        graceful_shutdown_timeout=grace,
        **worker_tuning(settings),
    )
    rate_limited = [
        *_delivery_workers(client, settings, DeliveryActivities(sends), grace),
        *_writeback_workers(client, settings, sessions, writers, grace),
    ]
    try:
        async with contextlib.AsyncExitStack() as workers:
            for worker in [workflow_worker, *rate_limited]:
                await workers.enter_async_context(worker)
            yield
    finally:
        await feeds.aclose()
        for writer in writers.values():
            await writer.aclose()
        for provider in {id(p): p for p in providers.values()}.values():
            await provider.aclose()


def worker_tuning(settings: Settings, *, workflows: bool = True) -> dict[str, Any]:
    """The worker knobs the settings set (those left unset keep the SDK's defaults), for a
    worker of workflows (and local activities) or of activities only."""
    tuning: dict[str, Any] = {}
    if settings.max_concurrent_activities is not None:
        tuning["max_concurrent_activities"] = settings.max_concurrent_activities
    if settings.poller_autoscaling:
        tuning["activity_task_poller_behavior"] = PollerBehaviorAutoscaling()
    if not workflows:
        return tuning
    if settings.max_concurrent_workflow_tasks is not None:
        tuning["max_concurrent_workflow_tasks"] = settings.max_concurrent_workflow_tasks
    if settings.max_concurrent_local_activities is not None:
        tuning["max_concurrent_local_activities"] = settings.max_concurrent_local_activities
    if settings.poller_autoscaling:
        tuning["workflow_task_poller_behavior"] = PollerBehaviorAutoscaling()
    return tuning


def _delivery_workers(
    client: Client, settings: Settings, delivery: DeliveryActivities, grace: timedelta
) -> list[Worker]:
    """One per channel's queue, rate limited there; the shared one serves workflows started
    before those existed."""
    queues = {
        delivery_queue(settings.delivery_task_queue, kind): settings.rate_for(kind.value)
        for kind in ChannelKind
    }
    queues[settings.delivery_task_queue] = settings.delivery_rate
    return [
        Worker(
            client,
            task_queue=queue,
            activities=[delivery.deliver_message],
            max_task_queue_activities_per_second=rate,
            # A stopping worker takes no new delivery and lets the running ones finish.
            graceful_shutdown_timeout=grace,
            **worker_tuning(settings, workflows=False),
        )
        for queue, rate in queues.items()
    ]


def _writeback_workers(
    client: Client,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    writers: Mapping[AtsSystem, VendorWriter],
    grace: timedelta,
) -> list[Worker]:
    """One per vendor with a writer, rate limited under the vendor's documented limit."""
    writing = _writing(settings, sessions, writers)
    return [
        Worker(
            client,
            task_queue=writeback_queue(settings.task_queue, system.value),
            activities=[writing.write_back],
            max_task_queue_activities_per_second=settings.ats_writeback_rate or WRITE_RATES[system],
            graceful_shutdown_timeout=grace,
            **worker_tuning(settings, workflows=False),
        )
        for system in writers
    ]


def _writing(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    writers: Mapping[AtsSystem, VendorWriter],
) -> WritebackActivities:
    return WritebackActivities(
        sessions,
        writers,
        enrolment_url=f"{settings.public_base}/ui/enrolments/",
        zone=settings.default_timezone,
    )


async def run_worker(
    settings: Settings, client: Client, stop: asyncio.Event, *, engine: AsyncEngine | None = None
) -> None:
    """Host the workers until ``stop`` is set, then shut down gracefully.

    Without ``engine`` the worker opens (and at the end disposes of) its own on
    ``settings.database_url``; a given engine belongs to the caller.
    """
    database = engine if engine is not None else create_engine(settings.database_url)
    try:
        async with (
            running_workers(client, settings, database),
            serving_ops(settings, client, database),
        ):
            await stop.wait()
    finally:
        if engine is None:
            await database.dispose()
