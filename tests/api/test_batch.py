"""``POST /ats/events/batch``: many events at once, one result each, in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.api.conftest import Stack, blast_campaign, multi_module_campaign
from tests.api.test_races import application_row

pytestmark = pytest.mark.devserver


async def job_with_campaigns(stack: Stack) -> str:
    screening = await stack.put_campaign("screening", multi_module_campaign(modules=1))
    rejection = await stack.put_campaign("rejection", blast_campaign())
    return await stack.put_job(
        "job",
        [
            {"id": "applied", "name": "Applied"},
            {"id": "screen", "name": "Screen", "campaign_id": screening},
            {"id": "rejected", "name": "Rejected", "campaign_id": rejection},
        ],
    )


async def test_each_event_gets_its_result_in_order(stack: Stack) -> None:
    job = await job_with_campaigns(stack)
    now = datetime.now(UTC)
    first = stack.ats_event(job_id=job, stage_id="screen", application="a1", candidate="c1")
    second = stack.ats_event(job_id=job, stage_id="rejected", application="a2", candidate="c2")
    unknown_job = stack.ats_event(
        job_id="no-such-job", stage_id="x", application="a3", candidate="c3"
    )
    invalid = {"id": "evt-broken", "type": "application.created", "occurred_at": "yesterday"}
    moved_later = stack.ats_event(
        job_id=job, stage_id="rejected", application="a1", candidate="c1",
        type="application.stage_changed", occurred_at=now + timedelta(seconds=1),
    )  # fmt: skip
    events = [first, invalid, second, unknown_job, moved_later, None, "not an event"]

    response = await stack.http.post("/ats/events/batch", json={"events": events})

    assert response.status_code == 202, response.text
    results = response.json()["results"]
    assert [r["id"] for r in results] == [e["id"] for e in events[:5]] + [None, None]
    assert [r["enrolments"][0]["status"] for r in (results[0], results[2])] == ["sending"] * 2
    # The rejection waits for the screening's welcome, still being sent, to come back.
    assert results[4]["enrolments"][0]["status"] in {"sending", "queued"}
    assert results[1]["error"]["code"] == "validation_failed"
    assert "events[1].occurred_at" in results[1]["error"]["message"]
    assert results[3]["error"]["code"] == "unknown_job"
    assert [r["error"]["code"] for r in results[5:]] == ["validation_failed"] * 2
    row = await application_row(stack, stack.id("a1"))
    assert row is not None and row.stage_id == "rejected", "a candidate's events apply in order"
    screening = await stack.wait_for(results[0]["enrolments"][0]["id"], "cancelled")
    assert screening["status_reason"] == "left_stage"

    again = await stack.http.post("/ats/events/batch", json={"events": events})
    repeated = again.json()["results"]
    assert [r.get("enrolments") and r["enrolments"][0]["id"] for r in repeated] == [
        r.get("enrolments") and r["enrolments"][0]["id"] for r in results
    ], "a repeated batch creates nothing"


async def test_a_batch_of_a_thousand_is_the_limit(stack: Stack) -> None:
    event = {"id": "x"}
    too_many = await stack.http.post("/ats/events/batch", json={"events": [event] * 1001})
    assert too_many.status_code == 422
    empty = await stack.http.post("/ats/events/batch", json={"events": []})
    assert empty.status_code == 422
    thousand = await stack.http.post("/ats/events/batch", json={"events": [event] * 1000})
    assert thousand.status_code == 202
    assert {r["error"]["code"] for r in thousand.json()["results"]} == {"validation_failed"}
