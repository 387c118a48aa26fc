"""``GET /campaigns/{id}/analytics`` and ``GET /jobs/{id}/analytics`` on a real story, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.api.conftest import INVALID_PHONE, Stack, blast_campaign, multi_module_campaign


@pytest.fixture
def api_database_url(database_url: str) -> str:
    """These tests run on SQLite and on PostgreSQL."""
    return database_url


async def test_the_funnel_counts_how_far_each_enrolment_got(stack: Stack) -> None:
    screening = await stack.put_campaign("screening", multi_module_campaign(modules=2))
    rejection = await stack.put_campaign("rejection", blast_campaign())
    job_id = await stack.put_job(
        "funnel",
        [
            {"id": "screen", "name": "Screen", "campaign_id": screening},
            {"id": "rejected", "name": "Rejected", "campaign_id": rejection},
        ],
    )
    enrolled = {}
    for name, phone in [
        ("done", None),
        ("halfway", None),
        ("silent", None),
        ("bad", INVALID_PHONE),
    ]:
        body = stack.ats_event(job_id=job_id, stage_id="screen", application=name, candidate=name)
        if phone is not None:
            body["candidate"]["phone"] = phone
        [enrolled[name]] = await stack.send_event(body)
    for name in ("done", "halfway", "silent"):
        await stack.wait_for(enrolled[name]["id"], "delivered")
    await stack.wait_for(enrolled["bad"]["id"], "failed")
    for module in ("m1", "m2"):
        assert (
            await stack.progress(enrolled["done"]["id"], module, "completed")
        ).status_code == 202
    assert (await stack.progress(enrolled["halfway"]["id"], "m1", "started")).status_code == 202
    await stack.wait_for(enrolled["done"]["id"], "completed")
    await stack.wait_for(enrolled["halfway"]["id"], "in_progress")
    blast = stack.ats_event(job_id=job_id, stage_id="rejected", application="r", candidate="r")
    [rejected] = await stack.send_event(blast)
    await stack.wait_for(rejected["id"], "delivered")

    funnel = (await stack.http.get(f"/campaigns/{screening}/analytics")).json()

    assert {k: v for k, v in funnel.items() if not k.startswith("median")} == {
        "enrolled": 4,
        "multi_module": 4,
        "delivered": 3,
        "started": 2,
        "completed": 1,
        "failed": {"invalid_phone_number": 1},
        "expired": 0,
        "cancelled": 0,
        "completion_rate": 0.25,
        "answers": [],  # no choice questions
        "modules": [
            {
                "id": "m1",
                "name": "Question 1",
                "started": 2,
                "completed": 1,
                "in_progress": 1,
                "dropped_off": 0,
            },
            {
                "id": "m2",
                "name": "Question 2",
                "started": 1,
                "completed": 1,
                "in_progress": 0,
                "dropped_off": 0,
            },
        ],
    }
    assert funnel["median_seconds_to_deliver"] >= 0
    assert funnel["median_seconds_to_complete"] >= funnel["median_seconds_to_deliver"]

    job = (await stack.http.get(f"/jobs/{job_id}/analytics")).json()
    assert (job["enrolled"], job["delivered"], job["completed"]) == (5, 4, 1)
    # The rejection blast can never complete: the rate is over the four screening chats.
    assert (job["multi_module"], job["completion_rate"]) == (4, 0.25)

    # The halfway candidate's chat ends: module 1 now counts one who dropped off.
    assert (await stack.http.post(f"/enrolments/{enrolled['halfway']['id']}/cancel")).is_success
    modules = (await stack.http.get(f"/campaigns/{screening}/analytics")).json()["modules"]
    assert (modules[0]["in_progress"], modules[0]["dropped_off"]) == (0, 1)

    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    empty = await stack.http.get(f"/jobs/{job_id}/analytics", params={"since": later})
    assert empty.json()["enrolled"] == 0
    assert empty.json()["median_seconds_to_deliver"] is None
    everything = await stack.http.get(f"/jobs/{job_id}/analytics", params={"until": later})
    assert everything.json()["enrolled"] == 5


async def test_bad_ranges_and_unknown_ids_are_clear_errors(stack: Stack) -> None:
    campaign_id = await stack.put_campaign("c", blast_campaign())
    now = datetime.now(UTC).isoformat()
    backwards = await stack.http.get(
        f"/campaigns/{campaign_id}/analytics", params={"since": now, "until": now}
    )
    assert backwards.status_code == 422
    naive = await stack.http.get(
        f"/campaigns/{campaign_id}/analytics", params={"since": "2026-12-01T10:00:00"}
    )
    assert naive.status_code == 422
    assert (await stack.http.get("/campaigns/nope/analytics")).status_code == 404
    assert (await stack.http.get("/jobs/nope/analytics")).status_code == 404
