"""The Temporal dev server stopped and started again on its SQLite file in the middle of a burst.

The server is the embedded stack's own (``workers.dev_server.DevServer``, persisting to
``temporal.db``); the worker keeps running through the outage and reconnects by itself, and the
ATS side retries each event it could not deliver (same event id). Everything the server had
persisted survives the restart: no enrolment is lost, no message goes out twice.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from config.ports import free_ports
from config.settings import Settings
from store.database import create_engine
from tests.faults.conftest import Burst, bridge_for, faults_scale, outbox_size, wait_until
from tests.fixtures.temporal import installed_binary
from workers.dev_server import DevServer
from workers.worker import running_workers

pytestmark = pytest.mark.devserver

DELIVERY_RATE = 6.0
#: How long the server stays down: long enough for the worker's polls and the ATS's calls to
#: fail and back off.
OUTAGE_SECONDS = 2.0


async def test_temporal_restarted_mid_burst_loses_no_enrolment_and_texts_no_one_twice(
    sqlite_url: str, tmp_path: Path
) -> None:
    burst = Burst.plan(candidates=18 * faults_scale())
    port, ui_port = free_ports(2)
    server = DevServer(
        data_dir=tmp_path / "temporal",
        port=port,
        ui_port=ui_port,
        cli=Path(installed_binary("temporal")),
    )
    run = uuid.uuid4().hex[:10]
    settings = Settings(
        data_dir=tmp_path,
        database_url=sqlite_url,
        task_queue=f"faults-restart-{run}",
        delivery_task_queue=f"faults-restart-delivery-{run}",
        delivery_rate=DELIVERY_RATE,
    )
    engine = create_engine(sqlite_url)
    await server.start()
    try:
        client = await Client.connect(
            server.address, namespace=server.namespace, data_converter=pydantic_data_converter
        )
        bridge = bridge_for(client, settings.task_queue, settings.delivery_task_queue)
        async with running_workers(client, settings, engine):
            pushing = asyncio.create_task(burst.push(bridge))

            async def some_sent() -> bool:
                return await outbox_size(engine) >= max(3, burst.first_messages // 4)

            async def explain() -> str:
                return f"no message went out; server log:\n{server.log_tail()}"

            await wait_until(some_sent, within=60, explain=explain, every=0.05)
            await server.stop()
            sent_before_restart = await outbox_size(engine)
            await asyncio.sleep(OUTAGE_SECONDS)
            await server.start()

            await pushing
            await burst.complete_modules(bridge, engine)
            await burst.assert_settled(engine)

        assert 0 < sent_before_restart < burst.first_messages, "the restart was not mid-burst"
        assert server.db_path.is_file()
    finally:
        await server.stop()
        await engine.dispose()
