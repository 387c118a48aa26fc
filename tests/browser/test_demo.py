"""The demo company: every status within a minute, nothing created twice, signed when asked."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api.signatures import verify_webhook
from domain.statuses import EnrolmentStatus
from store.database import create_engine
from store.schema import ApplicationRow, EnrolmentRow
from tests.browser.conftest import LiveStack
from tests.keys import TEST_ADMIN_KEY
from workers.demo import load_demo
from workers.demo_company import APPLICATIONS, JOBS, NIGHT_SHIFT, C

EVERY_STATUS = {status.value for status in EnrolmentStatus}
#: ``sending`` lasts only until the channel answers; the timelines show it was there.
LASTING_STATUSES = EVERY_STATUS - {"sending"}


async def statuses_shown(stack: LiveStack) -> set[str]:
    """Every status the demo jobs' pages count right now."""
    shown: set[str] = set()
    async with stack.http() as http:
        for job_id in JOBS:
            counts = (await http.get(f"/ui/jobs/{job_id}/counts")).json()
            shown |= {status for status, n in counts["statuses"].items() if n}
    return shown


async def rows(stack: LiveStack) -> tuple[int, int]:
    engine = create_engine(stack.settings.database_url)
    try:
        async with engine.connect() as connection:
            applications = await connection.scalar(select(func.count()).select_from(ApplicationRow))
            enrolments = await connection.scalar(select(func.count()).select_from(EnrolmentRow))
    finally:
        await engine.dispose()
    return int(applications or 0), int(enrolments or 0)


@pytest.mark.devserver
async def test_demo_company_shows_every_status_within_a_minute(demo_stack: LiveStack) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    shown = await statuses_shown(demo_stack)
    while not LASTING_STATUSES.issubset(shown) and loop.time() < deadline:
        await asyncio.sleep(1)
        shown = await statuses_shown(demo_stack)
    assert shown >= LASTING_STATUSES

    async with demo_stack.http() as http:
        page = (await http.get("/jobs/demo-backend-engineer/applications")).json()
        enrolment_id = next(i["enrolment_id"] for i in page["items"] if i["enrolment_id"])
        timeline = (await http.get(f"/enrolments/{enrolment_id}")).json()["timeline"]
    assert timeline[0]["status"] == "sending"


@pytest.mark.devserver
async def test_loading_the_demo_twice_creates_nothing_twice_and_keeps_edits(
    demo_stack: LiveStack,
) -> None:
    before = await rows(demo_stack)
    assert before[0] >= 30
    async with demo_stack.http() as http:
        job = (await http.get("/jobs/demo-support-specialist")).json()
        job["stages"][0]["campaign_id"] = None  # a recruiter unlinks a stage's campaign
        edit = {k: job[k] for k in ("name", "stages", "ats")}
        assert (await http.put("/jobs/demo-support-specialist", json=edit)).status_code == 200
        audited = len((await http.get("/audit?limit=500")).json()["entries"])

    await load_demo(demo_stack.base_url, api_key=TEST_ADMIN_KEY)

    assert await rows(demo_stack) == before
    async with demo_stack.http() as http:
        kept = (await http.get("/jobs/demo-support-specialist")).json()
        assert kept["stages"][0]["campaign_id"] is None, "the edit stays"
        assert len((await http.get("/audit?limit=500")).json()["entries"]) == audited


async def test_demo_requests_are_signed_when_a_secret_is_set() -> None:
    secret = "whsec_" + "c2VjcmV0LWZvci10aGUtZGVtbw=="
    signed_paths: list[str] = []
    applications: set[str] = set()
    candidates: set[str] = set()

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        body: dict[str, Any] = json.loads(request.content) if request.content else {}
        if request.method == "POST":
            verify_webhook(secret, request.headers, request.content)
            signed_paths.append(path)
        if path == "/ats/events":
            applications.add(body["application"]["id"])
            candidates.add(body["candidate"]["id"])
            enrolment = {"id": f"enr-{body['id']}", "application_id": "a", "campaign_id": "c"}
            return httpx.Response(202, json={"enrolments": [{**enrolment, "status": "sending"}]})
        if path.startswith("/enrolments/"):
            return httpx.Response(200, json={"status": "delivered"})
        return httpx.Response(202 if request.method == "POST" else 200, json={})

    await load_demo(
        "http://demo.test", webhook_secret=secret, transport=httpx.MockTransport(answer)
    )

    assert "/ats/events" in signed_paths
    assert "/webhooks/candidate-progress" in signed_paths
    assert "/webhooks/interviewer-availability" in signed_paths
    # What the README says the demo loads (``description()``) is what its stories send.
    assert len(applications) == APPLICATIONS
    assert len(candidates) == len(C) + len(NIGHT_SHIFT)
