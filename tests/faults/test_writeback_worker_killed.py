"""The write-back with the worker SIGKILLed while Greenhouse is taking a note: every knocked-out
candidate still gets exactly one note and one rejection.

The worker runs as operators run it (``enrolments worker``, a process of its own); the API is
the real app in this process and Greenhouse is the fake of its Harvest v3 API. The first note is
written at the fake, whose answer never comes; the worker dies. Temporal notices by the missed
heartbeats and hands the write-back to the new worker, whose ledger says the note's call was
made: it looks for the note at Greenhouse, finds it, and goes on to the rejection.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from config.settings import Settings
from store.database import create_engine
from tests.api.conftest import Stack
from tests.api.test_ats_vendors import SECRET, Vendor
from tests.api.test_writeback import screened, screening_job, written_back
from tests.fakes.ats_writeback import FakeAts, writeback_settings
from tests.fakes.http import serving
from tests.fakes.vendors import FakeLever
from tests.faults.conftest import temporal_address, wait_until, worker_environment, worker_processes
from tests.keys import ADMIN_HEADERS

pytestmark = pytest.mark.devserver

CANDIDATES = 4


async def test_a_worker_killed_mid_note_leaves_one_note_and_one_rejection_each(
    dev_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:10]
    greenhouse = FakeAts("greenhouse", stall=60.0)  # the first note's answer never comes
    async with serving(greenhouse.app()) as url:
        written = writeback_settings("greenhouse", url)
        settings = Settings(
            data_dir=tmp_path,
            database_url=sqlite_url,
            task_queue=f"faults-writeback-{run}",
            delivery_task_queue=f"faults-writeback-delivery-{run}",
            greenhouse_secret=SECRET,
            **written,
        )
        environ = worker_environment(
            address=temporal_address(dev_env.client),
            database_url=sqlite_url,
            data_dir=tmp_path,
            task_queue=settings.task_queue,
            delivery_task_queue=settings.delivery_task_queue,
            delivery_rate=100.0,
        ) | {f"ENROLMENTS_{name.upper()}": str(value) for name, value in written.items()}
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
                    vendor = Vendor("greenhouse", str(random.randrange(10**5, 10**6)), FakeLever())
                    await screening_job(stack, vendor)
                    ended = await asyncio.gather(
                        *(screened(stack, vendor, n, work="no") for n in range(CANDIDATES))
                    )

                    async def noted() -> bool:
                        assert first.process.poll() is None, first.output()
                        return bool(greenhouse.notes)

                    async def explain() -> str:
                        return f"no note reached Greenhouse; worker said:\n{first.output()}"

                    await wait_until(noted, within=60, explain=explain, every=0.02)
                    first.kill()
                    start_worker()
                    for enrolment_id in ended:
                        await written_back(stack, enrolment_id, within=90)
        finally:
            await engine.dispose()

    applications = sorted(vendor.person(n)[0] for n in range(CANDIDATES))
    assert sorted(key for key, _ in greenhouse.notes) == applications, greenhouse.notes
    assert sorted(key for key, _ in greenhouse.rejections) == applications
    assert greenhouse.listed >= 1, "the new worker looked for the note whose answer was lost"
