"""A worker stopped in the middle of a burst lets the deliveries it is running finish.

The provider takes a second per message. While some are being sent the worker is stopped (as
a deploy does): it takes nothing new, every send already running completes (none is cancelled
halfway, so none is sent twice), and a fresh worker delivers the rest, each message once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from channels.base import SendResult
from config.settings import Settings
from domain.campaigns import Campaign, CampaignKind
from domain.candidates import CandidateContact
from domain.channels import ChannelKind
from domain.events import ApplicationRef, EnrolRequest
from domain.identity import idempotency_key
from domain.messages import OutboundMessage
from domain.statuses import EnrolmentStatus as S
from store.database import create_engine
from tests.faults.conftest import bridge_for, read_statuses, wait_until
from workers.worker import running_workers

BLAST = Campaign(name="Slow", kind=CampaignKind.BLAST, channel=ChannelKind.SMS, messages=["Hi"])
CANDIDATES = 8


class SlowProvider:
    """Takes ``seconds`` per message; records what it started, finished and had cut off."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.running: set[str] = set()
        self.finished: Counter[str] = Counter()
        self.cut_off: list[str] = []

    async def send(self, message: OutboundMessage) -> SendResult:
        key = message.idempotency_key
        self.running.add(key)
        try:
            await asyncio.sleep(self.seconds)
        except asyncio.CancelledError:
            self.cut_off.append(key)
            raise
        finally:
            self.running.discard(key)
        self.finished[key] += 1
        return SendResult(provider_message_id=f"slow-{key}")

    async def has_running(self, count: int) -> bool:
        return len(self.running) >= count

    async def explain(self) -> str:
        return f"running {sorted(self.running)}, finished {dict(self.finished)}"


async def test_stopping_a_worker_mid_burst_lets_running_deliveries_finish(
    dev_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:8]
    settings = Settings(
        data_dir=tmp_path,
        database_url=sqlite_url,
        task_queue=f"grace-{run}",
        delivery_task_queue=f"grace-delivery-{run}",
        sms_rate=4.0,  # a burst that takes a while: some running, some waiting
        graceful_shutdown_timeout=20.0,
    )
    engine = create_engine(sqlite_url)
    provider = SlowProvider(seconds=1.0)
    bridge = bridge_for(dev_env.client, settings.task_queue, settings.delivery_task_queue)
    requests = [
        EnrolRequest(
            event_id=f"evt-{run}-{n}",
            occurred_at=datetime.now(UTC),
            application=ApplicationRef(id=f"app-{run}-{n}", job_id="job", stage_id="s1"),
            candidate=CandidateContact(id=f"grace-{run}-{n}", name="C", phone="+14155550123"),
            campaign_id="slow",
            campaign=BLAST,
        )
        for n in range(CANDIDATES)
    ]
    try:
        async with running_workers(dev_env.client, settings, engine, channel=provider):
            answers = await asyncio.gather(*(bridge.enrol(request) for request in requests))
            await wait_until(lambda: provider.has_running(2), within=20, explain=provider.explain)
            running_at_stop = set(provider.running)
        # The context's exit is the worker's graceful shutdown.
        assert provider.cut_off == [], "a running delivery was cancelled by the shutdown"
        assert running_at_stop <= set(provider.finished), "a running delivery did not finish"
        assert len(provider.finished) < CANDIDATES, "nothing was left for the next worker"

        ids = [answer.enrolments[0].id for answer in answers]

        async def all_delivered() -> bool:
            statuses = await read_statuses(engine, ids)
            return [status for status, _ in statuses.values()] == [S.DELIVERED] * len(ids)

        async def explain() -> str:
            return f"{await read_statuses(engine, ids)}; {await provider.explain()}"

        async with running_workers(dev_env.client, settings, engine, channel=provider):
            await wait_until(all_delivered, within=60, explain=explain)
        assert set(provider.finished) == {idempotency_key(i, 1) for i in ids}
        assert set(provider.finished.values()) == {1}, "a message was sent twice"
    finally:
        await engine.dispose()
