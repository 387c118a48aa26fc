"""``enrolments import-jobs`` and ``enrolments import``, against fake vendor APIs and the app."""

from __future__ import annotations

import base64
import io
import random
import uuid
from datetime import UTC, datetime
from functools import partial

import httpx
import pytest

from bridges import greenhouse
from domain.ats import AtsSystem
from services.candidate_imports import read_rows
from tests.api.conftest import Stack, StackFactory, blast_campaign
from tests.fakes.vendors import API_KEY, FakeAshby, FakeGreenhouse, FakeLever, running
from workers.imports import api_client, import_applications, import_jobs

pytestmark = pytest.mark.devserver


def _client(url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=url + "/", auth=(API_KEY, ""))


async def test_greenhouse_jobs_become_mapped_jobs_and_a_second_import_keeps_campaigns(
    stack: Stack,
) -> None:
    vendor_job = random.randrange(10**6, 10**7)
    fake = FakeGreenhouse(
        jobs=[{"id": vendor_job, "name": "Night nurse", "status": "open"}]
        + [{"id": vendor_job + n, "name": f"Job {n}", "status": "open"} for n in range(1, 4)],
        stages={
            str(vendor_job): [
                {"id": 12, "name": "Phone Screen", "priority": 1, "active": True},
                {"id": 11, "name": "Application Review", "priority": 0, "active": True},
                {"id": 13, "name": "Old stage", "priority": 2, "active": False},
            ]
        },
    )
    async with running(fake) as url, _client(url) as vendor:
        out = io.StringIO()
        # Harvest in pages of two: the Link header is followed.
        two_per_page = partial(greenhouse.list_jobs, per_page=2)
        assert await import_jobs(AtsSystem.GREENHOUSE, vendor, stack.http, out, two_per_page) == (
            4,
            4,
        )
        job = (await stack.http.get(f"/jobs/greenhouse-{vendor_job}")).json()
        assert job["ats"] == {"system": "greenhouse", "job_id": str(vendor_job)}
        assert [(s["name"], s["ats_stage_id"]) for s in job["stages"]] == [
            ("Application Review", "11"),
            ("Phone Screen", "12"),
            ("Hired", "hired"),
        ]
        # A recruiter links a campaign; the vendor renames a stage and adds one.
        campaign = await stack.put_campaign("screen", blast_campaign())
        job["stages"][1]["campaign_id"] = campaign
        edited = {k: job[k] for k in ("name", "ats", "stages")}
        assert (
            await stack.http.put(f"/jobs/greenhouse-{vendor_job}", json=edited)
        ).status_code == 200
        fake.stages[str(vendor_job)][0]["name"] = "Phone screen (15 min)"
        fake.stages[str(vendor_job)].append({"id": 14, "name": "Onsite", "priority": 3})

        await import_jobs(AtsSystem.GREENHOUSE, vendor, stack.http, out)
        again = (await stack.http.get(f"/jobs/greenhouse-{vendor_job}")).json()
    stages = {s["ats_stage_id"]: s for s in again["stages"]}
    assert (
        stages["12"]["campaign_id"] == campaign and stages["12"]["name"] == "Phone screen (15 min)"
    )
    assert stages["12"]["id"] == job["stages"][1]["id"], "a mapped stage keeps its id"
    assert [s["ats_stage_id"] for s in again["stages"]] == ["11", "12", "14", "hired"]
    assert "created" in out.getvalue() and "updated" in out.getvalue()


async def test_lever_postings_share_the_account_stages(stack: Stack) -> None:
    fake = FakeLever(
        postings=[
            {"id": f"posting-{n}", "text": f"Posting {n}", "state": "published"} for n in range(3)
        ],
        stages=[{"id": "lead-new", "text": "New lead"}, {"id": "s-screen", "text": "Phone screen"}],
    )
    async with running(fake) as url, _client(url) as vendor:
        assert await import_jobs(AtsSystem.LEVER, vendor, stack.http, io.StringIO()) == (3, 3)
    job = (await stack.http.get("/jobs/lever-posting-2")).json()
    assert [s["ats_stage_id"] for s in job["stages"]] == ["lead-new", "s-screen", "hired"]


async def test_ashby_jobs_take_their_interview_plan(stack: Stack) -> None:
    plan = [
        {"id": "st-2", "title": "Onsite", "orderInInterviewPlan": 2},
        {"id": "st-1", "title": "Application Review", "orderInInterviewPlan": 1},
    ]
    fake = FakeAshby(
        jobs=[
            {
                "id": f"ashby-{n}",
                "title": f"Designer {n}",
                "status": "Open",
                "defaultInterviewPlanId": "p1",
            }
            for n in range(150)
        ]
        + [{"id": "closed", "title": "Closed", "status": "Closed", "defaultInterviewPlanId": "p1"}],
        plans={"p1": plan},
    )
    async with running(fake) as url, _client(url) as vendor:
        assert await import_jobs(AtsSystem.ASHBY, vendor, stack.http, io.StringIO()) == (150, 150)
    job = (await stack.http.get("/jobs/ashby-ashby-149")).json()
    assert [s["ats_stage_id"] for s in job["stages"]] == ["st-1", "st-2"]
    assert (await stack.http.get("/jobs/ashby-closed")).status_code == 404


CSV = """name,phone,email,timezone
Ada Lovelace,+44 20 7946 0018,ada@example.com,Europe/London
,+14155550123,,
Grace Hopper,+1 415 555 0124,,America/New_York
Bad Phone,12345,,
Only Mail,,only@example.com,
Wrong Zone,+14155550125,,Mars/Olympus
Ada Again,+442079460018,,
"""


async def test_a_csv_enrols_its_valid_rows_and_names_the_others(stack: Stack) -> None:
    campaign = await stack.put_campaign("upload", blast_campaign())
    job = await stack.put_job(
        "bulk", [{"id": "applied", "name": "Applied", "campaign_id": campaign}]
    )
    saved_at = datetime.now(UTC)
    events, problems = read_rows(CSV.encode(), job, "applied", saved_at)
    assert [(p.line, p.message.split(" ")[0]) for p in problems] == [
        (3, "no"),
        (5, "phone"),
        (7, "time"),
        (8, "the"),
    ]
    assert problems[-1].message == "the same candidate as line 2"
    seen: list[tuple[int, int]] = []
    outcome = await import_applications(
        events, stack.http, progress=lambda done, total: seen.append((done, total)), batch_size=2
    )
    assert outcome.applied == 3 and outcome.problems == []
    assert seen == [(2, 3), (3, 3)]
    board = (await stack.http.get(f"/jobs/{job}/board")).json()
    assert board["columns"][0]["total"] == 3

    rows = read_rows(CSV.encode(), job, "applied", saved_at)[0]
    again = await import_applications(rows, stack.http)
    assert (again.applied, again.already, again.problems) == (3, 0, [])
    board = (await stack.http.get(f"/jobs/{job}/board")).json()
    assert board["columns"][0]["total"] == 3, "importing the same file again enrols nobody twice"

    edited = CSV + "Katherine Johnson,+14155550126,,\n"
    later = await import_applications(
        read_rows(edited.encode(), job, "applied", datetime.now(UTC))[0], stack.http
    )
    assert (later.applied, later.already, later.problems) == (1, 3, [])
    board = (await stack.http.get(f"/jobs/{job}/board")).json()
    assert board["columns"][0]["total"] == 4, "an edited file adds its new rows only"


async def test_rows_for_an_unknown_stage_come_back_with_their_line(stack: Stack) -> None:
    job = await stack.put_job("bulk", [{"id": "applied", "name": "Applied"}])
    events, _ = read_rows(CSV.encode(), job, "no-such-stage", datetime.now(UTC))
    outcome = await import_applications(events, stack.http)
    assert outcome.applied == 0
    assert [p.line for p in outcome.problems] == [2, 4, 6]
    assert all("no-such-stage" in p.message for p in outcome.problems)


async def test_the_import_signs_its_batches_when_the_api_wants_signatures(
    open_stack: StackFactory,
) -> None:
    secret = "whsec_" + base64.b64encode(b"the import test's own 32 bytes..").decode()
    async with open_stack(webhook_secret=secret) as stack:
        campaign = await stack.put_campaign("upload", blast_campaign())
        job = await stack.put_job(
            "bulk", [{"id": "applied", "name": "Applied", "campaign_id": campaign}]
        )
        # People of their own: candidate workflows outlive a test's stack on the shared server.
        people = [uuid.uuid4().hex for _ in range(2)]
        csv_text = "name,email\n" + "".join(f"P {p},{p}@example.com\n" for p in people)
        events, _ = read_rows(csv_text.encode(), job, "applied", datetime.now(UTC))
        refused = await stack.http.post("/ats/events/batch", json={"events": [events[0][1]]})
        assert refused.status_code == 401, "the batch endpoint wants a signature"

        transport = httpx.ASGITransport(app=stack.app)
        async with api_client("http://test", stack.settings, transport) as api:
            outcome = await import_applications(events, api)
        assert outcome.applied == 2 and outcome.problems == []
