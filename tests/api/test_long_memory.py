"""A candidate lives for years: an ATS event repeated after more than a thousand newer ones of
the same candidate is still recognised, and creates nothing (over HTTP, dev server, SQLite)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from domain.identity import candidate_workflow_id
from tests.api.conftest import Stack, blast_campaign, multi_module_campaign
from tests.api.test_races import enrolments_of
from workflows.candidate import CandidateWorkflow

pytestmark = pytest.mark.devserver

#: Newer events of the same candidate before the repeat (of which more than a hundred finished
#: blasts, so the workflow no longer holds the repeated event's enrolment).
NEWER_BLASTS = 110
NEWER_MOVES = 900


async def test_an_event_repeated_after_a_thousand_newer_ones_creates_nothing(
    stack: Stack,
) -> None:
    screening = await stack.put_campaign("screening", multi_module_campaign(modules=1))
    rejection = await stack.put_campaign("rejection", blast_campaign())
    job = await stack.put_job(
        "job",
        [
            {"id": "applied", "name": "Applied", "campaign_id": None},
            {"id": "screen", "name": "Screen", "campaign_id": screening},
            {"id": "rejected", "name": "Rejected", "campaign_id": rejection},
        ],
    )
    start = datetime.now(UTC) - timedelta(days=30)
    first = stack.ats_event(
        job_id=job, stage_id="screen", application="first", candidate="c", occurred_at=start
    )
    [campaign] = await stack.send_event(first)
    await stack.wait_for(campaign["id"], "delivered")
    response = await stack.progress(campaign["id"], "m1", "completed")
    assert response.status_code == 202, response.text
    await stack.wait_for(campaign["id"], "completed")

    limit = asyncio.Semaphore(5)

    async def newer(n: int, stage: str) -> None:
        body = stack.ats_event(
            job_id=job,
            stage_id=stage,
            application=f"{stage}-{n}",
            candidate="c",
            occurred_at=start + timedelta(minutes=n + 1),
        )
        async with limit:
            await stack.send_event(body)

    await asyncio.gather(*(newer(n, "rejected") for n in range(NEWER_BLASTS)))
    await asyncio.gather(*(newer(n, "applied") for n in range(NEWER_MOVES)))
    blasts = [
        e
        for n in range(NEWER_BLASTS)
        for e in await enrolments_of(stack, stack.id(f"rejected-{n}"))
    ]
    for enrolment in blasts:
        await stack.wait_for(enrolment, "delivered")
    handle = stack.env.client.get_workflow_handle_for(
        CandidateWorkflow.run, candidate_workflow_id(stack.id("c"))
    )
    thread = await handle.query(CandidateWorkflow.state)
    assert campaign["id"] not in thread.enrolments, "long finished: only the read model has it"

    again = await stack.send_event(first)

    assert [(e["id"], e["status"]) for e in again] == [(campaign["id"], "completed")]
    assert list(await enrolments_of(stack, stack.id("first"))) == [campaign["id"]]
    [next_blast] = await stack.send_event(
        stack.ats_event(
            job_id=job, stage_id="rejected", application=f"new-{uuid.uuid4().hex}", candidate="c"
        )
    )
    assert next_blast["status"] == "sending", "nothing holds the candidate's thread"
    await stack.wait_for(next_blast["id"], "delivered")
