"""Every webhook delivered three times, in random order, ends where one in-order delivery ends.

Callers retry: an ATS, a survey tool reporting module progress, a calendar reporting interviewer
availability, Twilio reporting deliveries, each may send the same event again, late, or
overtaken by a later one. Two copies of one recruiting story run side by side through the real
ASGI app, the worker and the dev server: one gets each event once in order, the other gets every
event three times, shuffled and three at a time (``FAULTS_SEED`` replays an order). Their final
statuses must match.

The story: application X is created in a stage without a campaign, then moved to Rejected (a
blast), whose message the carrier then reports undelivered; application Y enters Screening (a
three-module campaign) and works through every module; application Z enters Interview
(Auto-Match) and waits until an interviewer shares availability.
"""

from __future__ import annotations

import asyncio
import os
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from store.database import session_factory
from store.messages import Messages
from tests.api.conftest import (
    Stack,
    blast_campaign,
    multi_module_campaign,
    schedule_campaign,
)
from tests.faults.conftest import wait_until

pytestmark = pytest.mark.devserver

COPIES = 3
SETTLE_TIMEOUT = 60.0

#: Where each application must end (status, reason), in both worlds.
FINAL = {
    "X": ("failed", "unreachable"),
    "Y": ("completed", None),
    "Z": ("delivered", None),
}


@dataclass
class World:
    """One copy of the story: its own job, applications and candidates."""

    stack: Stack
    name: str
    campaigns: dict[str, str]
    job_id: str = ""
    enrolments: dict[str, str] = field(default_factory=dict)

    def app(self, role: str) -> str:
        return self.stack.id(f"{self.name}-{role}")

    async def create_job(self) -> None:
        self.job_id = await self.stack.put_job(
            f"job-{self.name}",
            [
                {"id": "applied", "name": "Applied", "campaign_id": None},
                {"id": "screen", "name": "Screening", "campaign_id": self.campaigns["screen"]},
                {"id": "rejected", "name": "Rejected", "campaign_id": self.campaigns["reject"]},
                {
                    "id": "interview",
                    "name": "Interview",
                    "campaign_id": self.campaigns["schedule"],
                    "interview_settings": {"auto_match": True},
                },
            ],
        )

    def ats_events(self) -> list[tuple[str, dict[str, Any]]]:
        """Phase one: the ATS events, in the order they happened."""
        t1 = datetime.now(UTC) - timedelta(minutes=5)
        t2 = t1 + timedelta(minutes=1)

        def event(role: str, stage: str, at: datetime, kind: str, n: int) -> dict[str, Any]:
            return self.stack.ats_event(
                job_id=self.job_id,
                stage_id=stage,
                application=f"{self.name}-{role}",
                candidate=f"{self.name}-{role}-candidate",
                type=kind,
                event=self.stack.id(f"{self.name}-ats-{n}"),
                occurred_at=at,
            )

        return [
            ("/ats/events", event("X", "applied", t1, "application.created", 1)),
            ("/ats/events", event("X", "rejected", t2, "application.stage_changed", 2)),
            ("/ats/events", event("Y", "screen", t1, "application.created", 3)),
            ("/ats/events", event("Z", "interview", t1, "application.created", 4)),
        ]

    async def webhooks(self) -> list[tuple[str, dict[str, Any]]]:
        """Phase two: progress, availability and carrier reports, in the order they happened."""
        [message] = await Messages(session_factory(self.stack.engine)).messages_for(
            self.enrolments["X"]
        )
        assert message.provider_message_id is not None
        progress = [
            ("/webhooks/candidate-progress", self._progress(n, module, what))
            for n, (module, what) in enumerate(
                (m, what) for m in ("m1", "m2", "m3") for what in ("started", "completed")
            )
        ]
        start = datetime.now(UTC) + timedelta(days=1)
        availability = {
            "id": self.stack.id(f"{self.name}-availability"),
            "job_id": self.job_id,
            "stage_id": "interview",
            "interviewer_id": "interviewer-1",
            "slots": [
                {"start": start.isoformat(), "end": (start + timedelta(minutes=30)).isoformat()}
            ],
        }
        carrier = [
            ("/webhooks/twilio/status", {"MessageSid": message.provider_message_id, **status})
            for status in (
                {"MessageStatus": "sent"},
                {"MessageStatus": "undelivered", "ErrorCode": "30003"},
            )
        ]
        return [*progress, ("/webhooks/interviewer-availability", availability), *carrier]

    def _progress(self, n: int, module: str, what: str) -> dict[str, Any]:
        return {
            "id": self.stack.id(f"{self.name}-progress-{n}"),
            "enrolment_id": self.enrolments["Y"],
            "module_id": module,
            "event": what,
        }

    async def deliver(
        self, requests: list[tuple[str, dict[str, Any]]], *, at_once: int = 1
    ) -> None:
        """POST each request, ``at_once`` at a time (in list order); each must be accepted."""

        async def post(path: str, body: dict[str, Any]) -> None:
            if path.startswith("/webhooks/twilio/"):
                response = await self.stack.http.post(path, data=body)
            else:
                response = await self.stack.http.post(path, json=body)
            assert response.status_code in (200, 202), (path, body, response.text)

        for start in range(0, len(requests), at_once):
            await asyncio.gather(*(post(*r) for r in requests[start : start + at_once]))

    async def table(self) -> dict[str, dict[str, Any]]:
        response = await self.stack.http.get(f"/jobs/{self.job_id}/applications")
        assert response.status_code == 200, response.text
        items = {item["application_id"]: item for item in response.json()["items"]}
        return {role: items[self.app(role)] for role in FINAL if self.app(role) in items}

    async def statuses(self) -> dict[str, tuple[str, str | None, str | None]]:
        """``role -> (stage, status, reason)`` as the Table view shows them."""
        return {
            role: (item["stage_id"], item["status"], item["status_reason"])
            for role, item in (await self.table()).items()
        }

    async def wait_for(self, wanted: dict[str, tuple[str, str | None]], seed: int) -> None:
        async def reached() -> bool:
            seen = await self.statuses()
            return {role: seen.get(role, (None, None, None))[1:] for role in wanted} == wanted

        async def explain() -> str:
            return f"{self.name} (seed {seed}): {await self.statuses()}, wanted {wanted}"

        await wait_until(reached, within=SETTLE_TIMEOUT, explain=explain)

    async def messages(self) -> dict[str, list[int]]:
        """``role -> [how many times each message number went out]``."""
        counts = await Messages(session_factory(self.stack.engine)).count_per_message()
        return {
            role: [n for (eid, _), n in sorted(counts.items()) if eid == enrolment]
            for role, enrolment in self.enrolments.items()
        }


def redelivered(
    requests: list[tuple[str, dict[str, Any]]], rng: random.Random
) -> list[tuple[str, dict[str, Any]]]:
    """Each request ``COPIES`` times, shuffled."""
    copies = [request for request in requests for _ in range(COPIES)]
    rng.shuffle(copies)
    return copies


async def test_webhooks_delivered_three_times_in_random_order_end_like_one_in_order_delivery(
    stack: Stack,
) -> None:
    seed = int(os.environ.get("FAULTS_SEED") or random.SystemRandom().randrange(2**32))
    rng = random.Random(seed)
    campaigns = {
        "reject": await stack.put_campaign("reject", blast_campaign()),
        "screen": await stack.put_campaign("screen", multi_module_campaign(modules=3)),
        "schedule": await stack.put_campaign("schedule", schedule_campaign()),
    }
    in_order, shuffled = World(stack, "once", campaigns), World(stack, "thrice", campaigns)
    for world in (in_order, shuffled):
        await world.create_job()

    await in_order.deliver(in_order.ats_events())
    await shuffled.deliver(redelivered(shuffled.ats_events(), rng), at_once=COPIES)
    for world in (in_order, shuffled):
        await world.wait_for(
            {"X": ("delivered", None), "Y": ("delivered", None), "Z": ("auto_match", None)}, seed
        )
        world.enrolments = {
            role: item["enrolment_id"] for role, item in (await world.table()).items()
        }

    await in_order.deliver(await in_order.webhooks())
    await shuffled.deliver(redelivered(await shuffled.webhooks(), rng), at_once=COPIES)
    for world in (in_order, shuffled):
        await world.wait_for(FINAL, seed)

    async def closing_message_sent() -> bool:
        return (await shuffled.messages())["Y"] == [1, 1] == (await in_order.messages())["Y"]

    async def explain() -> str:
        return f"seed {seed}: {await in_order.messages()} / {await shuffled.messages()}"

    await wait_until(closing_message_sent, within=SETTLE_TIMEOUT, explain=explain)
    assert await shuffled.statuses() == await in_order.statuses(), f"seed {seed}"
    assert (
        await shuffled.messages()
        == await in_order.messages()
        == {
            "X": [1],
            "Y": [1, 1],
            "Z": [1],
        }
    ), f"seed {seed}"
