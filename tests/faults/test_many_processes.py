"""The product as several processes on several machines run it: two ``enrolments api`` and two
``enrolments worker`` processes on one PostgreSQL read model and one Temporal server.

Every ATS event of a candidate goes to one API and, at the same moment, its redelivery to the
other; module progress likewise. One worker is SIGKILLed while messages are going out and not
replaced: the other takes its workflows and activities over. In the end every candidate's
enrolments show their right status through either API, the outbox holds each message exactly
once, and reconcile finds the read model in step with the workflows.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from config.ports import free_ports
from services.reconcile import reconcile
from store.database import create_engine
from tests.faults.conftest import (
    SETTLE_TIMEOUT,
    Burst,
    PlannedEnrolment,
    WorkerProcess,
    faults_scale,
    kill_mid_burst,
    read_statuses,
    temporal_address,
    wait_until,
    worker_environment,
    worker_processes,
)
from tests.fixtures.databases import scratch_postgres_database
from tests.keys import ADMIN_HEADERS

pytestmark = [pytest.mark.devserver, pytest.mark.postgres]

#: Messages per second on the delivery queue: the burst takes a few seconds to go out, so the
#: kill lands in the middle of it.
DELIVERY_RATE = 6.0


async def test_two_apis_and_two_workers_on_postgres_lose_and_repeat_nothing(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    burst = Burst.plan(candidates=18 * faults_scale())
    run = uuid.uuid4().hex[:10]
    task_queue = f"many-{run}"
    async with scratch_postgres_database("enrolments_many") as (_, _, url):
        environ = worker_environment(
            address=temporal_address(dev_env.client),
            database_url=url,
            data_dir=tmp_path,
            task_queue=task_queue,
            delivery_task_queue=f"many-delivery-{run}",
            delivery_rate=DELIVERY_RATE,
        )
        engine = create_engine(url)
        try:
            with worker_processes(environ, tmp_path) as start:
                first, second = start(), start()
                apis = {port: start("api", "--api-port", str(port)) for port in free_ports(2)}
                async with httpx.AsyncClient(headers=ADMIN_HEADERS, timeout=60) as http:
                    edges = await answering(http, apis)
                    await configure(http, edges[0], burst)
                    pushing = asyncio.create_task(push(http, edges, burst))
                    sent_before_kill = await kill_mid_burst(first, engine, burst)
                    await pushing
                    await complete_modules(http, edges, burst, engine)
                    await burst.assert_settled(engine)
                    await shown_alike_by_both(http, edges, burst)
                assert second.process.poll() is None, second.output()
                # The surviving worker answers every candidate's state query.
                result = await reconcile(dev_env.client, engine, task_queue=task_queue)
            assert 0 < sent_before_kill < burst.first_messages, "the kill did not land mid-burst"
            assert result.found.workflows == len(burst.candidates)
            assert result.found.in_sync and result.found.in_flight == 0, result.found
            assert not result.found.unanswered
        finally:
            await engine.dispose()


async def answering(http: httpx.AsyncClient, apis: dict[int, WorkerProcess]) -> list[str]:
    """The APIs' base URLs, once each answers ``/healthz``."""
    deadline = time.monotonic() + 60
    edges = []
    for port, process in apis.items():
        edge = f"http://127.0.0.1:{port}"
        while True:
            assert process.process.poll() is None, process.output()
            assert time.monotonic() < deadline, process.output()
            try:
                if (await http.get(f"{edge}/healthz")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
        edges.append(edge)
    return edges


async def configure(http: httpx.AsyncClient, edge: str, burst: Burst) -> None:
    """The burst's campaigns, and one job whose stages (named after them) link them."""
    campaigns = {
        p.request.campaign_id: p.request.campaign for p in burst.enrolments if p.request.campaign
    }
    for campaign_id, campaign in campaigns.items():
        body = campaign.model_dump(mode="json", exclude_none=True)  # the API's own model
        answer = await http.put(f"{edge}/campaigns/{campaign_id}", json=body)
        assert answer.status_code in (200, 201), answer.text
    stages = [{"id": cid, "name": cid, "campaign_id": cid} for cid in campaigns]
    job = {"name": "Many processes", "stages": stages}
    answer = await http.put(f"{edge}/jobs/job-{burst.run_id}", json=job)
    assert answer.status_code in (200, 201), answer.text


def ats_event(planned: PlannedEnrolment) -> dict[str, Any]:
    request = planned.request
    return {
        "id": request.event_id,
        "type": "application.created",
        "occurred_at": request.occurred_at.isoformat(),
        "application": {
            "id": request.application.id,
            "job_id": request.application.job_id,
            "stage_id": request.campaign_id,
        },
        "candidate": request.candidate.model_dump(mode="json", exclude_none=True),
    }


async def accepted(http: httpx.AsyncClient, url: str, body: dict[str, Any]) -> None:
    """POST ``body`` until the API takes it, as a caller retries a 503 (or a dead peer)."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while True:
        try:
            answer = await http.post(url, json=body)
            if answer.status_code < 300:
                return
            assert answer.status_code == 503, (url, answer.status_code, answer.text)
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{url} never took {body}"
        await asyncio.sleep(0.5)


async def both(http: httpx.AsyncClient, edges: list[str], n: int, path: str, body: Any) -> None:
    """``body`` to one API and, racing it, its redelivery to the other."""
    first, other = edges[n % 2], edges[(n + 1) % 2]
    await asyncio.gather(accepted(http, first + path, body), accepted(http, other + path, body))


async def push(http: httpx.AsyncClient, edges: list[str], burst: Burst) -> None:
    """Every candidate's events in order, each to both APIs, six candidates at a time."""
    limit = asyncio.Semaphore(6)

    async def candidate(n: int, planned: list[PlannedEnrolment]) -> None:
        async with limit:
            for k, enrolment in enumerate(planned):
                await both(http, edges, n + k, "/ats/events", ats_event(enrolment))

    await asyncio.gather(*(candidate(n, p) for n, p in enumerate(burst.candidates)))


async def complete_modules(
    http: httpx.AsyncClient, edges: list[str], burst: Burst, engine: Any
) -> None:
    """Once delivered, each module reported completed (to both APIs, racing)."""
    waiting = [p for p in burst.enrolments if p.modules]

    async def delivered() -> bool:
        statuses = await read_statuses(engine, [p.id for p in waiting])
        return all(statuses.get(p.id, ("",))[0] == "delivered" for p in waiting)

    async def explain() -> str:
        return str(await read_statuses(engine, [p.id for p in waiting]))

    await wait_until(delivered, within=SETTLE_TIMEOUT, explain=explain, every=0.3)

    def done(planned: PlannedEnrolment, module: str) -> dict[str, str]:
        return {
            "id": f"done-{planned.id}-{module}",
            "enrolment_id": planned.id,
            "module_id": module,
            "event": "completed",
        }

    url = "/webhooks/candidate-progress"
    await asyncio.gather(
        *(both(http, edges, n, url, done(p, m)) for n, p in enumerate(waiting) for m in p.modules),
    )


async def shown_alike_by_both(http: httpx.AsyncClient, edges: list[str], burst: Burst) -> None:
    for planned in burst.enrolments:
        shown = [(await http.get(f"{edge}/enrolments/{planned.id}")).json() for edge in edges]
        assert [(s["status"], s["status_reason"]) for s in shown] == [
            (planned.status.value, planned.reason)
        ] * 2, shown
