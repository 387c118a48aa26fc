"""A demo company, created through the public HTTP API, so a newcomer sees every status quickly.

Three jobs with stages linked to blasts, multi-module campaigns and Auto-Match scheduling, and
a few dozen applications driven through their stories with the same calls an ATS and a
messaging provider would make: ``PUT /campaigns``, ``PUT /jobs``, ``POST /ats/events`` and the
candidate-progress and interviewer-availability webhooks. Within a minute the jobs show every
status: ``sending`` while messages go out, ``delivered``, ``in_progress``, ``completed``,
``queued`` (a candidate whose thread is busy), ``auto_match``, ``failed`` (invalid phone
numbers), ``cancelled`` (withdrawals) and ``expired`` (a campaign that expires after 30 seconds).
The screening chat nudges, 20 and 40 seconds after delivery, whoever has not completed it.

The demo's campaigns send at any hour (``"quiet_hours": false``), so it shows every status day
and night, except the night-shift briefing: it goes to three candidates in London, Shanghai and
Los Angeles, eight hours apart, so at any hour one of them is in their quiet hours (21:00-08:00)
and their briefing waits for the morning, with the reason on its timeline.

Every event and webhook has a fixed id, so loading the demo twice creates nothing twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from api.signatures import sign_webhook
from workers.demo_company import (
    BACKEND,
    CAMPAIGNS,
    EVENTS_START,
    JOBS,
    LINKED_APPLICATION,
    NIGHT_SHIFT,
    SCREENING_MODULES,
    SUPPORT,
    WAREHOUSE,
    C,
    DemoCandidate,
)

logger = logging.getLogger(__name__)

#: Statuses in which an enrolment has not reached the candidate yet.
NOT_YET_DELIVERED = frozenset({"sending", "queued", "auto_match"})
#: How long one story waits for its message to be delivered before it gives up on its next steps.
DELIVERY_WAIT = timedelta(seconds=45)
#: Requests in flight at once: enough to be quick, few enough for a 2-core laptop.
CONCURRENCY = 6


class DemoFailed(RuntimeError):
    """The server refused a demo request it should have taken."""


@dataclass
class DemoLoader:
    """Sends the demo's requests; every story below is a method of one loader."""

    http: httpx.AsyncClient
    webhook_secret: str | None
    gate: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(CONCURRENCY))
    clock: int = 0
    #: The candidates' links the ATS events answered with, by application.
    links: dict[str, str] = field(default_factory=dict)

    async def request(self, method: str, path: str, body: dict[str, Any], signed: bool) -> Any:
        """Send one JSON request (signed if a secret is set), retrying while the stack warms up."""
        content = json.dumps(body, separators=(",", ":")).encode()
        for attempt in range(8):
            headers = {"content-type": "application/json"}
            if signed and self.webhook_secret:
                timestamp = int(time.time())
                webhook_id = str(body.get("id") or path)
                headers.update(
                    {
                        "webhook-id": webhook_id,
                        "webhook-timestamp": str(timestamp),
                        "webhook-signature": sign_webhook(
                            self.webhook_secret, webhook_id, timestamp, content
                        ),
                    }
                )
            try:
                async with self.gate:
                    response = await self.http.request(
                        method, path, content=content, headers=headers
                    )
            except httpx.TransportError as err:
                logger.info("demo: %s %s failed (%s), retrying", method, path, err)
            else:
                if response.status_code < 300:
                    return response.json()
                if response.status_code != 503:
                    raise DemoFailed(f"{method} {path} -> {response.status_code}: {response.text}")
            await asyncio.sleep(min(0.5 * 2**attempt, 5.0))
        raise DemoFailed(f"{method} {path}: the server did not answer in time")

    # -- the calls an ATS, a chat provider and an interviewer's calendar make ----------------

    async def ats(
        self,
        event_id: str,
        kind: str,
        job_id: str,
        application_id: str,
        stage_id: str,
        candidate: DemoCandidate,
        step: int,
    ) -> str | None:
        """Send one ATS event; returns the id of the enrolment it created, if any."""
        body = {
            "id": f"demo-evt-{event_id}",
            "type": f"application.{kind}",
            "occurred_at": (EVENTS_START + timedelta(minutes=step)).isoformat(),
            "application": {"id": application_id, "job_id": job_id, "stage_id": stage_id},
            "candidate": candidate.as_json(),
        }
        answer = await self.request("POST", "/ats/events", body, signed=True)
        enrolments = answer.get("enrolments") or []
        if enrolments and enrolments[0].get("link"):
            self.links[application_id] = str(enrolments[0]["link"])
        return str(enrolments[0]["id"]) if enrolments else None

    async def progress(self, enrolment_id: str, module_id: str, event: str) -> None:
        body = {
            "id": f"demo-progress-{enrolment_id}-{module_id}-{event}",
            "enrolment_id": enrolment_id,
            "module_id": module_id,
            "event": event,
        }
        await self.request("POST", "/webhooks/candidate-progress", body, signed=True)

    async def availability(self, job_id: str, stage_id: str) -> None:
        start = datetime(2030, 1, 7, 14, 0, tzinfo=UTC)
        body = {
            "id": f"demo-availability-{job_id}-{stage_id}",
            "job_id": job_id,
            "stage_id": stage_id,
            "interviewer_id": "demo-interviewer-1",
            "slots": [
                {
                    "start": (start + timedelta(hours=h)).isoformat(),
                    "end": (start + timedelta(hours=h, minutes=45)).isoformat(),
                }
                for h in range(4)
            ],
        }
        await self.request("POST", "/webhooks/interviewer-availability", body, signed=True)

    async def delivered(self, enrolment_id: str | None) -> bool:
        """Wait until the enrolment reached the candidate (or ended); ``False`` on timeout."""
        if enrolment_id is None:
            return False
        deadline = time.monotonic() + DELIVERY_WAIT.total_seconds()
        while time.monotonic() < deadline:
            async with self.gate:
                response = await self.http.get(f"/enrolments/{enrolment_id}")
            if response.status_code == 200 and response.json()["status"] not in NOT_YET_DELIVERED:
                return True
            await asyncio.sleep(0.3)
        logger.warning("demo: enrolment %s was not delivered in time", enrolment_id)
        return False

    async def work_through(
        self, enrolment_id: str | None, modules: list[str], done: int | None
    ) -> None:
        """Once delivered, the candidate starts the first module and completes ``done`` of them.

        ``done=None``: the candidate has not opened the campaign yet.
        """
        if not await self.delivered(enrolment_id) or enrolment_id is None or done is None:
            return
        await self.progress(enrolment_id, modules[0], "started")
        for module_id in modules[:done]:
            await self.progress(enrolment_id, module_id, "completed")

    # -- the stories ------------------------------------------------------------------------

    # long: one line per demo application, so the demo company's whole cast reads in one place.
    def stories(self) -> list[Callable[[], Awaitable[None]]]:
        """Every application's story; they run concurrently."""
        b, w, s = BACKEND, WAREHOUSE, SUPPORT

        def created(
            app: str, job: str, stage: str, cand: DemoCandidate
        ) -> Callable[[], Awaitable[None]]:
            async def story() -> None:
                await self.ats(f"{app}-created", "created", job, app, stage, cand, 0)

            return story

        def screened(
            app: str, job: str, stage: str, cand: DemoCandidate, done: int | None
        ) -> Callable[[], Awaitable[None]]:
            async def story() -> None:
                enrolment = await self.ats(f"{app}-created", "created", job, app, stage, cand, 0)
                await self.work_through(enrolment, SCREENING_MODULES, done)

            return story

        async def moved_after_screen(app: str, cand: DemoCandidate, to: str, done: int) -> None:
            enrolment = await self.ats(f"{app}-created", "created", b, app, "screen", cand, 0)
            await self.work_through(enrolment, SCREENING_MODULES, done)
            await self.ats(f"{app}-to-{to}", "stage_changed", b, app, to, cand, 60)

        async def withdrawn(app: str, job: str, stage: str, cand: DemoCandidate) -> None:
            enrolment = await self.ats(f"{app}-created", "created", job, app, stage, cand, 0)
            if stage != "interview":
                await self.delivered(enrolment)
            await self.ats(f"{app}-withdrawn", "withdrawn", job, app, stage, cand, 120)

        async def busy_candidate() -> None:
            # Mia holds her thread with the screening chat; her warehouse application waits.
            enrolment = await self.ats("b05-created", "created", b, "demo-b05", "screen", C[5], 0)
            await self.delivered(enrolment)
            await self.ats("w09-created", "created", w, "demo-w09", "applied", C[5], 0)

        async def shift_check(
            app: str, cand: DemoCandidate, done: int | None, then: str | None
        ) -> None:
            enrolment = await self.ats(f"{app}-created", "created", w, app, "applied", cand, 0)
            await self.work_through(enrolment, ["shifts"], done)
            if then is not None:
                await self.ats(f"{app}-to-{then}", "stage_changed", w, app, then, cand, 60)

        async def support_interviews() -> None:
            # Two candidates wait for the interviewer; one withdraws first; then the
            # interviewer's availability arrives and the other two are sent their booking.
            await asyncio.gather(
                self.ats("s06-created", "created", s, "demo-s06", "interview", C[30], 0),
                self.ats("s07-created", "created", s, "demo-s07", "interview", C[31], 0),
                withdrawn("demo-s08", s, "interview", C[32]),
            )
            await self.availability(s, "interview")

        return [
            # Senior Backend Engineer
            created("demo-b01", b, "applied", C[1]),
            created("demo-b02", b, "applied", C[2]),
            screened("demo-b03", b, "screen", C[3], 0),
            screened("demo-b04", b, "screen", C[4], 3),
            busy_candidate,
            screened("demo-b06", b, "screen", C[6], None),
            lambda: moved_after_screen("demo-b07", C[7], "interview", 3),
            created("demo-b08", b, "interview", C[8]),
            lambda: withdrawn("demo-b09", b, "interview", C[9]),
            lambda: moved_after_screen("demo-b10", C[10], "rejected", 0),
            created("demo-b11", b, "applied", C[11]),
            lambda: moved_after_screen("demo-b12", C[12], "offer", 3),
            created("demo-b13", b, "rejected", C[13]),
            lambda: withdrawn("demo-b14", b, "screen", C[14]),
            screened("demo-b15", b, "screen", C[15], 2),
            # Warehouse Associate: a 30-second check, so expiries show up quickly
            lambda: shift_check("demo-w01", C[16], None, None),
            lambda: shift_check("demo-w02", C[17], None, None),
            lambda: shift_check("demo-w03", C[18], None, None),
            lambda: shift_check("demo-w04", C[19], 1, None),
            lambda: shift_check("demo-w05", C[20], 0, None),
            lambda: shift_check("demo-w06", C[21], 1, "interview"),
            lambda: shift_check("demo-w07", C[22], 1, "hired"),
            created("demo-w08", w, "applied", C[23]),
            created("demo-w10", w, "rejected", C[24]),
            # Customer Support Specialist
            created("demo-s01", s, "applied", C[25]),
            created("demo-s02", s, "applied", C[26]),
            screened("demo-s03", s, "phone-screen", C[27], None),
            screened("demo-s04", s, "phone-screen", C[28], 1),
            screened("demo-s05", s, "phone-screen", C[29], 3),
            support_interviews,
            created("demo-s09", s, "rejected", C[33]),
            created("demo-s10", s, "rejected", C[34]),
            *(
                created(f"demo-w{11 + n}", w, "briefing", candidate)
                for n, candidate in enumerate(NIGHT_SHIFT)
            ),
        ]


async def load_demo(
    base_url: str,
    *,
    webhook_secret: str | None = None,
    api_key: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> str | None:
    """Create the demo company through the HTTP API at ``base_url`` and play its stories;
    returns the link of a candidate who has not opened their screening page yet.

    Returns once every story has made its calls (a few seconds on the embedded stack); the
    30-second campaign expires on its own afterwards. Safe to run again: campaigns and jobs
    are created only when missing (edits to them stay), and every event and webhook has a
    fixed id, so nothing is created twice. Requests are signed (Standard
    Webhooks) with ``webhook_secret``, by default ``ENROLMENTS_WEBHOOK_SECRET`` when set.
    With authentication on, ``api_key`` (an admin's) goes with every request. Raises
    ``DemoFailed`` if the server refuses a request.
    """
    secret = (
        webhook_secret
        if webhook_secret is not None
        else os.environ.get("ENROLMENTS_WEBHOOK_SECRET")
    )
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    async with httpx.AsyncClient(
        base_url=base_url, timeout=httpx.Timeout(60.0), transport=transport, headers=headers
    ) as http:
        loader = DemoLoader(http=http, webhook_secret=secret or None)
        # Only what is missing: a recruiter's edits to the demo company stay as they are.
        for path, definition in [
            *((f"/campaigns/{key}", campaign) for key, campaign in CAMPAIGNS.items()),
            *((f"/jobs/{key}", job) for key, job in JOBS.items()),
        ]:
            if (await http.get(path)).status_code == 404:
                await loader.request("PUT", path, definition, signed=False)
        results = await asyncio.gather(
            *(story() for story in loader.stories()), return_exceptions=True
        )
    failures = [r for r in results if isinstance(r, BaseException)]
    for failure in failures:
        logger.error("demo story failed: %s", failure)
    if failures:
        raise DemoFailed(f"{len(failures)} demo stories failed; first: {failures[0]}")
    logger.info("demo company loaded: %d jobs, %d stories", len(JOBS), len(results))
    return loader.links.get(LINKED_APPLICATION)
