"""The read model's PostgreSQL database unavailable for a while, and drift repaired by reconcile.

Each test gets a database of its own on the local PostgreSQL server and switches it off with
``ALTER DATABASE ... ALLOW_CONNECTIONS false`` (and ends its open connections), which is what
the workers see when the database is down: every connection attempt is refused. The messaging
provider is not the read model, so the outbox channel here stores its messages in a SQLite file
of its own and deliveries keep going during the outage.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from channels.dispatch import ProviderChannels
from channels.outbox import OutboxProvider
from config.settings import Settings
from domain.candidates import CandidateContact
from domain.channels import ChannelKind
from domain.events import ApplicationRef, EnrolRequest
from domain.identity import enrolment_id
from domain.statuses import EnrolmentStatus as S
from services.candidate_workflows import CandidateWorkflows
from services.drift import DriftKind
from services.reconcile import find_drift, reconcile
from store.database import create_engine, session_factory
from store.messages import Messages
from store.provider_health import ProviderHealth
from store.schema import ApplicationRow, EnrolmentRow, MessageRow
from tests.faults.conftest import (
    REJECTION,
    VALID_PHONE,
    bridge_for,
    faults_scale,
    temporal_address,
    unique,
    wait_until,
)
from tests.fixtures.databases import scratch_postgres_database
from tests.keys import ADMIN_HEADERS
from tests.workers.conftest import clean_environment, enrolments_command
from workers.reconcile import render
from workers.worker import running_workers

pytestmark = [pytest.mark.postgres, pytest.mark.devserver]

#: Messages per second: slow enough that some are still ``sending`` when the database goes.
DELIVERY_RATE = 3.0
CONVERGE_TIMEOUT = 60.0


@dataclass
class SwitchableDatabase:
    """A PostgreSQL database of this test's own that can be made unreachable and back."""

    admin: AsyncEngine
    name: str
    url: str

    async def switch_off(self) -> None:
        """Refuse every new connection and end the open ones, as a database outage does."""
        async with self.admin.connect() as connection:
            await connection.execute(text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false'))
            await connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :db"),
                {"db": self.name},
            )

    async def switch_on(self) -> None:
        async with self.admin.connect() as connection:
            await connection.execute(text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true'))


@pytest_asyncio.fixture(loop_scope="session")
async def switchable_database() -> AsyncIterator[SwitchableDatabase]:
    async with scratch_postgres_database("enrolments_faults") as (admin, name, url):
        yield SwitchableDatabase(admin, name, url)


@dataclass
class ReadModelStack:
    """The ASGI app and a worker on the switchable read model; deliveries go to SQLite."""

    http: httpx.AsyncClient
    bridge: CandidateWorkflows
    settings: Settings
    engine: AsyncEngine
    channel_engine: AsyncEngine
    job_id: str

    def ats_event(self, candidate: str, *, event: str | None = None) -> dict[str, Any]:
        return {
            "id": event or unique("evt"),
            "type": "application.created",
            "occurred_at": datetime.now(UTC).isoformat(),
            "application": {"id": f"{candidate}-app", "job_id": self.job_id, "stage_id": "s1"},
            "candidate": {"id": candidate, "name": f"Candidate {candidate}", "phone": VALID_PHONE},
        }

    async def post_event(self, body: dict[str, Any]) -> str:
        response = await self.http.post("/ats/events", json=body)
        assert response.status_code == 202, response.text
        [enrolment] = response.json()["enrolments"]
        return str(enrolment["id"])

    async def table(self) -> dict[str, str | None]:
        """The Table view's JSON: ``application id -> status``, every page."""
        statuses: dict[str, str | None] = {}
        cursor = None
        while True:
            params = {"limit": "500", **({"cursor": cursor} if cursor else {})}
            response = await self.http.get(f"/jobs/{self.job_id}/applications", params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            statuses.update({item["application_id"]: item["status"] for item in page["items"]})
            if not (cursor := page["next_cursor"]):
                return statuses

    async def enrolment_status(self, enrolment: str) -> str | None:
        response = await self.http.get(f"/enrolments/{enrolment}")
        return str(response.json()["status"]) if response.status_code == 200 else None

    async def state_status(self, candidate: str, enrolment: str) -> S | None:
        """The enrolment's status in its workflow's state (the ``state`` query)."""
        thread = await self.bridge.state(candidate)
        found = thread.enrolments.get(enrolment) if thread is not None else None
        return found.status if found is not None else None

    async def sent_messages(self) -> int:
        async with self.channel_engine.connect() as connection:
            count = await connection.scalar(select(func.count()).select_from(MessageRow))
            return int(count or 0)


@asynccontextmanager
async def read_model_stack(
    env: WorkflowEnvironment, database_url: str, channel_url: str, tmp_path: Path
) -> AsyncIterator[ReadModelStack]:
    run = uuid.uuid4().hex[:10]
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        task_queue=f"faults-db-{run}",
        delivery_task_queue=f"faults-db-delivery-{run}",
        delivery_rate=DELIVERY_RATE,
    )
    engine = create_engine(database_url)
    channel_engine = create_engine(channel_url)
    channel_sessions = session_factory(channel_engine)
    channel = ProviderChannels(
        dict.fromkeys(ChannelKind, OutboxProvider()),
        Messages(channel_sessions),
        ProviderHealth(channel_sessions),
    )
    try:
        async with running_workers(env.client, settings, engine, channel=channel):
            app = create_app(settings, env.client, engine=engine)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://test", headers=ADMIN_HEADERS
            ) as http:
                campaign = (await http.put(f"/campaigns/{run}", json=REJECTION.model_dump())).json()
                assert campaign["kind"] == "blast", campaign
                job_id = f"job-{run}"
                stages = [{"id": "s1", "name": "Rejected", "campaign_id": run}]
                response = await http.put(f"/jobs/{job_id}", json={"name": "Job", "stages": stages})
                assert response.status_code == 200, response.text
                bridge = bridge_for(
                    env.client, settings.task_queue, settings.delivery_task_queue, enrol_timeout=60
                )
                yield ReadModelStack(http, bridge, settings, engine, channel_engine, job_id)
    finally:
        await engine.dispose()
        await channel_engine.dispose()


async def test_read_model_outage_keeps_workflows_going_and_the_views_converge(
    dev_env: WorkflowEnvironment,
    switchable_database: SwitchableDatabase,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    before, during = 8 * faults_scale(), 4 * faults_scale()
    run = uuid.uuid4().hex[:8]
    async with read_model_stack(dev_env, switchable_database.url, sqlite_url, tmp_path) as stack:
        # Before: enrolled through the API, most still sending (delivery is rate limited).
        candidates = [f"before-{run}-{n}" for n in range(before)]
        enrolled = dict(
            zip(
                candidates,
                await asyncio.gather(*(stack.post_event(stack.ats_event(c)) for c in candidates)),
                strict=True,
            )
        )
        sending_at_cut = sum(1 for s in (await stack.table()).values() if s == S.SENDING)

        await switchable_database.switch_off()
        try:
            health = await stack.http.get("/healthz")
            assert health.status_code == 503, health.text
            assert health.json()["error"]["details"]["database"] == "unreachable"

            # During: the workflows finish the sends under way and take new enrolments (the
            # bridge's update answers once its bounded wait for the read model is over).
            late = {
                f"during-{run}-{n}": EnrolRequest(
                    event_id=f"evt-during-{run}-{n}",
                    occurred_at=datetime.now(UTC),
                    application=ApplicationRef(
                        id=f"during-{run}-{n}-app", job_id=stack.job_id, stage_id="s1"
                    ),
                    candidate=CandidateContact(
                        id=f"during-{run}-{n}", name="Late candidate", phone=VALID_PHONE
                    ),
                    campaign_id=run,
                    campaign=REJECTION,
                )
                for n in range(during)
            }
            answering = [asyncio.create_task(stack.bridge.enrol(r)) for r in late.values()]
            late_enrolments = {
                c: enrolment_id(r.event_id, r.application.id) for c, r in late.items()
            }

            async def workflow_statuses() -> tuple[list[S | None], list[S | None]]:
                earlier = asyncio.gather(*(stack.state_status(c, e) for c, e in enrolled.items()))
                later = asyncio.gather(
                    *(stack.state_status(c, e) for c, e in late_enrolments.items())
                )
                return await earlier, await later

            async def workflows_kept_going() -> bool:
                earlier, later = await workflow_statuses()
                return all(s is S.DELIVERED for s in earlier) and None not in later

            async def explain_workflows() -> str:
                return f"workflow statuses during the outage: {await workflow_statuses()}"

            await wait_until(
                workflows_kept_going, within=CONVERGE_TIMEOUT, explain=explain_workflows
            )
            assert await stack.sent_messages() >= before
            still_down = await stack.http.get("/healthz")
            assert still_down.status_code == 503, "the database came back on its own"
        finally:
            await switchable_database.switch_on()

        answers = await asyncio.wait_for(asyncio.gather(*answering), timeout=CONVERGE_TIMEOUT)
        assert all(answer.enrolments for answer in answers)

        # After: the projections' retries land; the Table, the board and each enrolment agree.
        applications = {f"{c}-app" for c in candidates}

        async def views_converged() -> bool:
            table = await stack.table()
            late_statuses = [await stack.enrolment_status(e) for e in late_enrolments.values()]
            return {a: table.get(a) for a in applications} == dict.fromkeys(
                applications, S.DELIVERED.value
            ) and late_statuses == [S.DELIVERED.value] * during

        async def explain_views() -> str:
            return f"Table: {await stack.table()}"

        await wait_until(views_converged, within=CONVERGE_TIMEOUT, explain=explain_views)
        board = (await stack.http.get(f"/jobs/{stack.job_id}/board")).json()
        assert board["counts"] == {S.DELIVERED.value: before + during}
        report = await find_drift(
            dev_env.client, stack.engine, task_queue=stack.settings.task_queue
        )
        assert report.in_sync and report.in_flight == 0, report
        assert report.enrolments == before + during

    assert sending_at_cut > 0, "every message was out before the outage: it proved nothing"


async def test_reconcile_finds_drift_in_the_read_model_and_the_workflows_repair_it(
    dev_env: WorkflowEnvironment,
    switchable_database: SwitchableDatabase,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    run = uuid.uuid4().hex[:8]
    async with read_model_stack(dev_env, switchable_database.url, sqlite_url, tmp_path) as stack:
        candidates = [f"drift-{run}-{n}" for n in range(8 * faults_scale())]
        enrolments = await asyncio.gather(
            *(stack.post_event(stack.ats_event(c)) for c in candidates)
        )

        async def all_delivered() -> bool:
            return set((await stack.table()).values()) == {S.DELIVERED.value}

        async def explain() -> str:
            return f"Table: {await stack.table()}"

        await wait_until(all_delivered, within=CONVERGE_TIMEOUT, explain=explain)

        # Drift, as a restore from an older backup or a hand edit leaves it.
        lost, old, edited, app_edited = (
            enrolments[:2],
            enrolments[2:4],
            enrolments[4],
            enrolments[5],
        )
        async with stack.engine.begin() as connection:
            await connection.execute(delete(EnrolmentRow).where(EnrolmentRow.id.in_(lost)))
            await connection.execute(
                update(EnrolmentRow)
                .where(EnrolmentRow.id.in_(old))
                .values(status=S.SENDING.value, seq=1)
            )
            await connection.execute(
                update(EnrolmentRow)
                .where(EnrolmentRow.id == edited)
                .values(status=S.FAILED.value, status_reason="opted_out")
            )
            await connection.execute(
                update(ApplicationRow)
                .where(ApplicationRow.current_enrolment_id == app_edited)
                .values(status=S.SENDING.value)
            )

        found = await reconcile(dev_env.client, stack.engine, task_queue=stack.settings.task_queue)
        assert found.found.counts == {
            DriftKind.MISSING_ROW: 2,
            DriftKind.OLDER_SEQ: 2,
            DriftKind.DIFFERENT_STATUS: 1,
            DriftKind.APPLICATION_STATUS: 1,
        }, render(found)
        assert {d.enrolment_id for d in found.found.drifts} == {*lost, *old, edited, app_edited}
        assert found.exit_code == 1

        fixed = await reconcile(
            dev_env.client,
            stack.engine,
            task_queue=stack.settings.task_queue,
            fix=True,
            wait=timedelta(seconds=CONVERGE_TIMEOUT),
        )
        assert fixed.converged, render(fixed)
        assert fixed.exit_code == 0
        assert len(fixed.resynced) == 6
        assert fixed.marked_stale == 2  # the edited enrolment row and the edited application
        assert set((await stack.table()).values()) == {S.DELIVERED.value}
        for enrolment in enrolments:
            assert await stack.enrolment_status(enrolment) == S.DELIVERED.value
        assert (
            await find_drift(dev_env.client, stack.engine, task_queue=stack.settings.task_queue)
        ).in_sync

        # The operator's command does the same, and says so with its exit code.
        async with stack.engine.begin() as connection:
            await connection.execute(delete(EnrolmentRow).where(EnrolmentRow.id == enrolments[6]))
        environ = {
            "TEMPORAL_ADDRESS": temporal_address(dev_env.client),
            "ENROLMENTS_DATABASE_URL": switchable_database.url,
            "ENROLMENTS_TASK_QUEUE": stack.settings.task_queue,
        }
        code, printed = await run_enrolments("reconcile", environ=environ)
        assert code == 1, printed
        assert "1 drifting" in printed and enrolments[6] in printed, printed
        code, printed = await run_enrolments("reconcile", "--fix", "--wait", "30", environ=environ)
        assert code == 0, printed
        assert "Converged" in printed, printed
        assert await stack.enrolment_status(enrolments[6]) == S.DELIVERED.value


async def test_the_api_answers_503_while_the_read_model_is_down(
    dev_env: WorkflowEnvironment,
    switchable_database: SwitchableDatabase,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    async with read_model_stack(dev_env, switchable_database.url, sqlite_url, tmp_path) as stack:
        event = stack.ats_event(f"outage-{uuid.uuid4().hex[:8]}")
        await switchable_database.switch_off()
        try:
            refused = await stack.http.post("/ats/events", json=event)
            read = await stack.http.get(f"/jobs/{stack.job_id}/applications")
        finally:
            await switchable_database.switch_on()
        # Nothing was lost: the ATS retries the same event once the database is back.
        await stack.post_event(event)

    assert (refused.status_code, refused.json()["error"]["code"]) == (503, "database_unavailable")
    assert read.status_code == 503, read.text


async def run_enrolments(*args: str, environ: dict[str, str]) -> tuple[int, str]:
    """Run ``enrolments <args>`` without blocking the event loop the worker runs on."""
    process = await asyncio.create_subprocess_exec(
        *enrolments_command(),
        *args,
        env=clean_environment(environ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=90)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")
