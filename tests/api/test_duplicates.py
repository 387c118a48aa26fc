"""Callers retry: repeated ATS events and webhooks, in any order, are applied once."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from store.schema import ApplicationRow, EnrolmentRow, MessageRow
from tests.api.conftest import Stack, blast_campaign, multi_module_campaign

pytestmark = pytest.mark.devserver


@pytest.fixture
def api_database_url(database_url: str) -> str:
    """These tests run on SQLite and on PostgreSQL."""
    return database_url


async def count(stack: Stack, table: type[ApplicationRow | EnrolmentRow | MessageRow]) -> int:
    async with stack.engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(table)) or 0)


async def test_a_repeated_ats_event_returns_the_same_enrolment_and_creates_nothing(
    stack: Stack,
) -> None:
    rejection = await stack.put_campaign("rejection", blast_campaign())
    job = await stack.put_job("job", [{"id": "r", "name": "Rejected", "campaign_id": rejection}])
    event = stack.ats_event(job_id=job, stage_id="r", application="a", candidate="c")

    first = await stack.send_event(event)
    await stack.wait_for(first[0]["id"], "delivered")
    again = await stack.send_event(event)
    once_more = await stack.send_event(event)

    assert [e["id"] for e in again] == [e["id"] for e in once_more] == [e["id"] for e in first]
    assert (await count(stack, ApplicationRow), await count(stack, EnrolmentRow)) == (1, 1)
    assert await count(stack, MessageRow) == 1
    [item] = (await stack.http.get(f"/jobs/{job}/applications")).json()["items"]
    assert (item["enrolment_id"], item["status"]) == (first[0]["id"], "delivered")


async def test_an_older_event_never_moves_an_application_back(stack: Stack) -> None:
    rejection = await stack.put_campaign("rejection", blast_campaign())
    screening = await stack.put_campaign("screening", multi_module_campaign(modules=1))
    job = await stack.put_job(
        "job",
        [
            {"id": "screen", "name": "Screen", "campaign_id": screening},
            {"id": "rejected", "name": "Rejected", "campaign_id": rejection},
        ],
    )
    now = datetime.now(UTC)
    created = stack.ats_event(
        job_id=job,
        stage_id="screen",
        application="a",
        candidate="c",
        occurred_at=now - timedelta(minutes=5),
    )
    rejected = stack.ats_event(
        job_id=job,
        stage_id="rejected",
        application="a",
        candidate="c",
        type="application.stage_changed",
        occurred_at=now,
    )

    [rejection_enrolment] = await stack.send_event(rejected)
    late = await stack.send_event(created)

    assert late == []
    [item] = (await stack.http.get(f"/jobs/{job}/applications")).json()["items"]
    assert (item["stage_id"], item["enrolment_id"]) == ("rejected", rejection_enrolment["id"])
    assert await count(stack, EnrolmentRow) == 1
    await stack.wait_for(rejection_enrolment["id"], "delivered")


async def test_progress_webhooks_three_times_in_any_order_complete_once(stack: Stack) -> None:
    screening = await stack.put_campaign("screening", multi_module_campaign(modules=3))
    job = await stack.put_job("job", [{"id": "s", "name": "Screen", "campaign_id": screening}])
    [enrolment] = await stack.send_event(
        stack.ats_event(job_id=job, stage_id="s", application="a", candidate="c")
    )
    await stack.wait_for(enrolment["id"], "delivered")
    webhooks = [
        {
            "id": f"prg_{uuid.uuid4().hex}",
            "enrolment_id": enrolment["id"],
            "module_id": module,
            "event": event,
        }
        for module in ("m1", "m2", "m3")
        for event in ("started", "completed")
    ]
    deliveries = webhooks * 3
    random.Random(7).shuffle(deliveries)

    for body in deliveries:
        response = await stack.http.post("/webhooks/candidate-progress", json=body)
        assert response.status_code == 202, response.text

    completed = await stack.wait_for(enrolment["id"], "completed")
    details = [entry["detail"] for entry in completed["timeline"]]
    assert details.count("every module completed") == 1
    assert all(details.count(f"module 'Question {i}' completed") == 1 for i in (1, 2, 3))


async def test_a_repeated_availability_webhook_releases_each_candidate_once(stack: Stack) -> None:
    booking = await stack.put_campaign("booking", multi_module_campaign(modules=1))
    job = await stack.put_job(
        "job",
        [
            {
                "id": "i",
                "name": "Interview",
                "campaign_id": booking,
                "interview_settings": {"auto_match": True},
            }
        ],
    )
    [waiting] = await stack.send_event(
        stack.ats_event(job_id=job, stage_id="i", application="a", candidate="c")
    )
    body = {"id": "avail", "job_id": job, "stage_id": "i", "interviewer_id": "x", "slots": []}

    first = await stack.http.post("/webhooks/interviewer-availability", json=body)
    await stack.wait_for(waiting["id"], "delivered")
    second = await stack.http.post("/webhooks/interviewer-availability", json=body)

    assert (first.json()["candidates"], second.json()["candidates"]) == (1, 0)
    assert await count(stack, MessageRow) == 1


async def test_a_late_repeat_of_an_availability_releases_nobody_who_arrived_since(
    stack: Stack,
) -> None:
    booking = await stack.put_campaign("booking", multi_module_campaign(modules=1))
    job = await stack.put_job(
        "job",
        [
            {
                "id": "i",
                "name": "Interview",
                "campaign_id": booking,
                "interview_settings": {"auto_match": True},
            }
        ],
    )
    [first] = await stack.send_event(
        stack.ats_event(job_id=job, stage_id="i", application="a", candidate="c")
    )
    body = {"id": "avail", "job_id": job, "stage_id": "i", "interviewer_id": "x", "slots": []}
    assert (await stack.http.post("/webhooks/interviewer-availability", json=body)).is_success
    await stack.wait_for(first["id"], "delivered")
    [later] = await stack.send_event(
        stack.ats_event(job_id=job, stage_id="i", application="b", candidate="d")
    )

    repeat = await stack.http.post("/webhooks/interviewer-availability", json=body)
    reused = await stack.http.post(
        "/webhooks/interviewer-availability", json={**body, "interviewer_id": "y"}
    )

    assert repeat.status_code == 202, repeat.text
    assert (reused.status_code, reused.json()["error"]["code"]) == (409, "event_id_reused")
    assert (await stack.enrolment(later["id"]))["status"] == "auto_match"
