"""Bad requests get a 4xx in the one error shape, never a 500, and change nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.bodies import MAX_BODY_BYTES
from tests.api.conftest import Stack, blast_campaign

pytestmark = pytest.mark.devserver


@pytest.fixture
def api_database_url(database_url: str) -> str:
    """These tests run on SQLite and on PostgreSQL (which refuses more: NUL, long text)."""
    return database_url


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """``response`` is ``status`` with the error shape and ``code``; returns the error."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    return error


async def table_of(stack: Stack, job_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await stack.http.get(f"/jobs/{job_id}/applications")).json()[
        "items"
    ]
    return items


@pytest.fixture
async def job(stack: Stack) -> str:
    rejection = await stack.put_campaign("rejection", blast_campaign())
    return await stack.put_job("job", [{"id": "r", "name": "Rejected", "campaign_id": rejection}])


async def test_malformed_json_is_400(stack: Stack, job: str) -> None:
    response = await stack.http.post(
        "/ats/events",
        content=b'{"id": "evt_1", "type": ',
        headers={"content-type": "application/json"},
    )

    assert_error(response, 400, "malformed_json")
    assert await table_of(stack, job) == []


async def test_wrong_content_type_is_415(stack: Stack, job: str) -> None:
    event = stack.ats_event(job_id=job, stage_id="r", application="a", candidate="c")

    as_form = await stack.http.post("/ats/events", data={"id": event["id"]})
    as_text = await stack.http.post(
        "/ats/events", content=b"{}", headers={"content-type": "text/plain"}
    )
    json_to_twilio = await stack.http.post("/webhooks/twilio/status", json={"MessageSid": "x"})
    no_type = await stack.http.put("/campaigns/c1", content=b'{"name": "x"}')

    for response in (as_form, as_text, json_to_twilio, no_type):
        error = assert_error(response, 415, "unsupported_media_type")
        assert error["details"]["accepted"]
    assert await table_of(stack, job) == []


async def test_oversized_body_is_413(stack: Stack, job: str) -> None:
    huge = b'{"padding": "' + b"x" * (MAX_BODY_BYTES + 1) + b'"}'

    declared = await stack.http.post(
        "/ats/events", content=huge, headers={"content-type": "application/json"}
    )

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(huge), 64 * 1024):
            yield huge[start : start + 64 * 1024]

    streamed = await stack.http.post(
        "/ats/events", content=chunks(), headers={"content-type": "application/json"}
    )

    assert_error(declared, 413, "payload_too_large")
    assert_error(streamed, 413, "payload_too_large")
    assert await table_of(stack, job) == []


async def test_invalid_fields_are_422_with_details(stack: Stack, job: str) -> None:
    event = stack.ats_event(job_id=job, stage_id="r", application="a", candidate="c")
    event["type"] = "application.teleported"
    del event["occurred_at"]

    response = await stack.http.post("/ats/events", json=event)

    error = assert_error(response, 422, "validation_failed")
    locations = {tuple(problem["loc"]) for problem in error["details"]}
    assert ("body", "type") in locations
    assert ("body", "occurred_at") in locations
    assert await table_of(stack, job) == []


async def test_timestamps_without_a_zone_are_refused(stack: Stack, job: str) -> None:
    event = stack.ats_event(job_id=job, stage_id="r", application="a", candidate="c")
    event["occurred_at"] = "2030-01-01T10:00:00"

    assert_error(await stack.http.post("/ats/events", json=event), 422, "validation_failed")


async def test_events_for_unknown_jobs_or_stages_are_422(stack: Stack, job: str) -> None:
    unknown_job = stack.ats_event(job_id="nope", stage_id="r", application="a", candidate="c")
    unknown_stage = stack.ats_event(job_id=job, stage_id="nope", application="a", candidate="c")

    assert_error(await stack.http.post("/ats/events", json=unknown_job), 422, "unknown_job")
    assert_error(await stack.http.post("/ats/events", json=unknown_stage), 422, "unknown_stage")
    assert await table_of(stack, job) == []


async def test_unknown_ids_are_404(stack: Stack) -> None:
    assert_error(await stack.http.get("/campaigns/nope"), 404, "campaign_not_found")
    assert_error(await stack.http.get("/jobs/nope"), 404, "job_not_found")
    assert_error(await stack.http.get("/jobs/nope/applications"), 404, "job_not_found")
    assert_error(await stack.http.get("/jobs/nope/board"), 404, "job_not_found")
    assert_error(await stack.http.get("/enrolments/enr_nope"), 404, "enrolment_not_found")
    progress = await stack.progress("enr_nope", "m1", "started")
    assert_error(progress, 404, "enrolment_not_found")


async def test_unknown_routes_and_methods_answer_in_the_error_shape(stack: Stack) -> None:
    assert_error(await stack.http.get("/no/such/thing"), 404, "not_found")
    wrong_method = await stack.http.delete("/ats/events")
    assert_error(wrong_method, 405, "method_not_allowed")
    assert wrong_method.headers["allow"] == "POST"
    # Two routes share the path: the answer names the methods of both.
    on_a_job = await stack.http.delete("/jobs/j1")
    assert_error(on_a_job, 405, "method_not_allowed")
    assert on_a_job.headers["allow"] == "GET, PUT"


async def test_campaign_rules_are_checked(stack: Stack) -> None:
    two_messages = {**blast_campaign(), "messages": ["one", "two"]}
    no_modules = {"name": "x", "kind": "multi_module", "channel": "sms", "messages": ["hi"]}
    negative_expiry = {
        **no_modules,
        "modules": [{"id": "m", "name": "M", "type": "content"}],
        "expiry": "-P1D",
    }
    extra_field = {**blast_campaign(), "colour": "red"}

    for body in (two_messages, no_modules, negative_expiry, extra_field):
        response = await stack.http.put("/campaigns/c1", json=body)
        assert_error(response, 422, "validation_failed")
    assert_error(await stack.http.get("/campaigns/c1"), 404, "campaign_not_found")


async def test_job_rules_are_checked(stack: Stack) -> None:
    duplicate_stages = {
        "name": "Job",
        "stages": [{"id": "s", "name": "One"}, {"id": "s", "name": "Two"}],
    }
    unknown_campaign = {"name": "Job", "stages": [{"id": "s", "name": "S", "campaign_id": "nope"}]}

    assert_error(await stack.http.put("/jobs/j1", json=duplicate_stages), 422, "validation_failed")
    error = assert_error(
        await stack.http.put("/jobs/j1", json=unknown_campaign), 422, "unknown_campaign"
    )
    assert error["details"] == {"campaign_ids": ["nope"]}
    assert_error(await stack.http.get("/jobs/j1"), 404, "job_not_found")


async def test_a_cursor_we_did_not_hand_out_is_400(stack: Stack, job: str) -> None:
    for cursor in ("garbage", "e30", "bm90IGpzb24"):
        response = await stack.http.get(f"/jobs/{job}/applications", params={"cursor": cursor})
        assert_error(response, 400, "invalid_cursor")


async def test_unknown_status_filter_is_422(stack: Stack, job: str) -> None:
    response = await stack.http.get(f"/jobs/{job}/applications", params={"status": "lost"})

    assert_error(response, 422, "validation_failed")


async def test_nul_characters_are_refused_before_anything_is_stored(stack: Stack, job: str) -> None:
    event = stack.ats_event(job_id=job, stage_id="r", application="a", candidate="c")
    event["candidate"]["name"] = "Ana\x00"
    body = json.dumps(event).encode()
    assert b"\\u0000" in body

    refused = await stack.http.post(
        "/ats/events", content=body, headers={"content-type": "application/json"}
    )
    form = await stack.http.post(
        "/webhooks/twilio/status", data={"MessageSid": "SM\x00", "MessageStatus": "delivered"}
    )
    in_path = await stack.http.get("/jobs/j%00b")
    in_query = await stack.http.get(f"/jobs/{job}/applications", params={"stage_id": "r\x00"})

    assert_error(refused, 422, "invalid_character")
    assert_error(form, 422, "invalid_character")
    assert_error(in_path, 422, "invalid_character")
    assert_error(in_query, 422, "invalid_character")
    assert await table_of(stack, job) == []


async def test_durations_are_bounded_iso_8601_strings_and_the_error_names_the_field(
    stack: Stack,
) -> None:
    multi = {
        "name": "x",
        "kind": "multi_module",
        "channel": "sms",
        "messages": ["hi"],
        "modules": [{"id": "m", "name": "M", "type": "content"}],
    }

    for expiry in ("P3000000D", 3, "3", "PT0S", "soon"):
        error = assert_error(
            await stack.http.put("/campaigns/c1", json={**multi, "expiry": expiry}),
            422,
            "validation_failed",
        )
        assert error["message"].startswith("expiry: "), error
    stored = await stack.http.put("/campaigns/c1", json={**multi, "expiry": "P366D"})
    assert stored.status_code == 200, stored.text
    assert stored.json()["expiry"] == "P366D"


async def test_a_time_zone_must_be_an_iana_name(stack: Stack, job: str) -> None:
    event = stack.ats_event(job_id=job, stage_id="r", application="a", candidate="c")
    event["candidate"]["timezone"] = "Mars/Olympus"

    error = assert_error(await stack.http.post("/ats/events", json=event), 422, "validation_failed")

    assert error["message"].startswith("candidate.timezone: 'Mars/Olympus' is not an IANA"), error
    assert await table_of(stack, job) == []
