"""``DELETE /candidates/{id}``: a candidate's personal data leaves every table, and stays out.

The erased candidate had an invalid number first (its failure is on the timeline), then a valid
one: a blast went out with their name in it, a screening was running, and they replied STOP.
After the erasure no text column of any table holds their name, numbers or e-mail address, while
another candidate's data is untouched; a redelivered ATS event brings nothing back; their STOP
still holds for the number.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import JSON, String, Text, select
from sqlalchemy.ext.asyncio import AsyncEngine

from store.schema import Base
from tests.api.conftest import VALID_PHONE, Stack, multi_module_campaign

NAME = "Zebedee Quartermaine"
EMAIL = "Zebedee.Q@example.org"
OLD_PHONE = "+1555 0199"
PHONE = "+14155550199"
#: Everything of the erased candidate that must not be found anywhere.
PERSONAL = [NAME, "Zebedee", "Quartermaine", EMAIL, PHONE, PHONE[1:], OLD_PHONE, "15550199"]


@pytest.fixture
def api_database_url(database_url: str) -> str:
    """These tests run on SQLite and on PostgreSQL."""
    return database_url


async def text_values(engine: AsyncEngine) -> list[tuple[str, str, str]]:
    """``(table, column, value)`` for every text and JSON value of every table."""
    found = []
    async with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if not columns:
                continue
            for row in await connection.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if value is not None:
                        text = value if isinstance(value, str) else json.dumps(value)
                        found.append((table.name, column.name, text))
    return found


async def holding(engine: AsyncEngine, needles: list[str]) -> list[tuple[str, str, str]]:
    return [
        (table, column, value)
        for table, column, value in await text_values(engine)
        if any(needle.lower() in value.lower() for needle in needles)
    ]


def event(stack: Stack, job_id: str, stage: str, application: str, **candidate: Any) -> Any:
    body = stack.ats_event(job_id=job_id, stage_id=stage, application=application, candidate="x")
    body["candidate"] |= {"name": NAME, "email": EMAIL, "timezone": None} | candidate
    return body


async def test_erasure_removes_the_candidate_from_every_table_and_keeps_their_stop(
    stack: Stack,
) -> None:
    blast = {
        "name": "Thanks",
        "kind": "blast",
        "channel": "sms",
        "messages": ["Hi {candidate_name}, thanks for applying to {job_name}."],
    }
    blast_id = await stack.put_campaign("thanks", blast)
    screening_id = await stack.put_campaign("screening", multi_module_campaign())
    job_id = await stack.put_job(
        "erasure",
        [
            {"id": "s1", "name": "Applied", "campaign_id": blast_id},
            {"id": "s2", "name": "Screen", "campaign_id": screening_id},
        ],
    )
    start = datetime.now(UTC) - timedelta(minutes=10)
    [failed] = await stack.send_event(
        event(stack, job_id, "s1", "a1", phone=OLD_PHONE) | {"occurred_at": start.isoformat()}
    )
    await stack.wait_for(failed["id"], "failed")
    delivered_event = event(stack, job_id, "s1", "a2", phone=PHONE)
    [delivered] = await stack.send_event(delivered_event)
    await stack.wait_for(delivered["id"], "delivered")
    [running] = await stack.send_event(event(stack, job_id, "s2", "a3", phone=PHONE))
    await stack.wait_for(running["id"], "delivered")
    stop = await stack.http.post("/webhooks/twilio/inbound", data={"From": PHONE, "Body": "STOP"})
    assert stop.status_code == 200, stop.text
    other = stack.ats_event(job_id=job_id, stage_id="s1", application="b1", candidate="other")
    [kept] = await stack.send_event(other)
    await stack.wait_for(kept["id"], "delivered")
    assert await holding(stack.engine, [NAME, PHONE, EMAIL]), "nothing to erase: a broken test"

    erased = await stack.http.delete(f"/candidates/{stack.id('x')}")

    assert erased.status_code == 202, erased.text
    answer = erased.json()
    assert answer["status"] == "erased"
    assert [(e["id"], e["status"]) for e in answer["enrolments"]] == [(running["id"], "cancelled")]
    assert await holding(stack.engine, PERSONAL) == []
    assert await holding(stack.engine, ["Candidate other", VALID_PHONE])

    # Recruiters see an erased candidate, and why the screening ended.
    table = await stack.http.get(f"/jobs/{job_id}/applications")
    mine = [i for i in table.json()["items"] if i["candidate_id"] == stack.id("x")]
    assert len(mine) == 3
    assert all(i["candidate_erased"] and not i["candidate_name"] for i in mine)
    ended = await stack.enrolment(running["id"])
    assert (ended["status"], ended["status_reason"]) == ("cancelled", "candidate_erased")
    assert ended["candidate_erased"] is True
    assert all(m["recipient"] == "" and m["body"] == "" for m in ended["messages"])

    # The ATS redelivers an event from before the erasure: nothing comes back.
    again = await stack.send_event(delivered_event)
    assert [e["id"] for e in again] == [delivered["id"]]
    assert await holding(stack.engine, PERSONAL) == []

    # Their STOP still holds for the number, whoever has it next.
    newcomer = stack.ats_event(
        job_id=job_id, stage_id="s1", application="c1", candidate="new", phone=PHONE
    )
    [refused] = await stack.send_event(newcomer)
    body = await stack.wait_for(refused["id"], "failed")
    assert body["status_reason"] == "opted_out"

    audit = (await stack.http.get("/audit")).json()["entries"]
    [entry] = [e for e in audit if e["action"] == "candidate.erased"]
    assert entry["target"] == stack.id("x")
    assert entry["detail"]["enrolments_cancelled"] == [running["id"]]


async def test_erasure_is_repeatable_and_an_unknown_candidate_is_404(stack: Stack) -> None:
    campaign_id = await stack.put_campaign("screening", multi_module_campaign())
    job_id = await stack.put_job("again", [{"id": "s1", "name": "S", "campaign_id": campaign_id}])
    [running] = await stack.send_event(event(stack, job_id, "s1", "a1", phone=PHONE))
    await stack.wait_for(running["id"], "delivered")

    first, second = await asyncio.gather(
        stack.http.delete(f"/candidates/{stack.id('x')}"),
        stack.http.delete(f"/candidates/{stack.id('x')}"),
    )
    assert (first.status_code, second.status_code) == (202, 202)
    ended = [e["id"] for r in (first, second) for e in r.json()["enrolments"]]
    assert ended == [running["id"]], "both erasures ended the one running enrolment"
    assert await holding(stack.engine, PERSONAL) == []

    unknown = await stack.http.delete(f"/candidates/{stack.id('nobody')}")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "candidate_not_found"
