"""ATSs retry, reorder and race: events about one application sent at the same time, over HTTP,
dozens of times, end in the state the newest event says (SQLite and PostgreSQL).

Each trial is its own candidate; the trials run side by side, each sending its events
concurrently, in a random order of start, so requests meet at every await on the way to the
candidate's workflow.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from temporalio.api.enums.v1 import EventType

from domain.identity import candidate_workflow_id
from store.schema import ApplicationRow, EnrolmentRow
from tests.api.conftest import Stack, blast_campaign, multi_module_campaign
from workflows.search_attributes import APPLICATION_IDS, VALUE_BUDGET

pytestmark = pytest.mark.devserver

TRIALS = 24
#: Statuses in which an enrolment waits for, or takes, the candidate's thread.
LIVE = {"queued", "auto_match", "sending", "delivered", "in_progress"}


@pytest.fixture
def api_database_url(database_url: str) -> str:
    """These tests run on SQLite and on PostgreSQL."""
    return database_url


async def screening_job(stack: Stack) -> str:
    """A job: Applied (no campaign), Screen and Interview (multi-module), Rejected (blast)."""
    screening = await stack.put_campaign("screening", multi_module_campaign(modules=1))
    interview = await stack.put_campaign("interview", multi_module_campaign(modules=2))
    rejection = await stack.put_campaign("rejection", blast_campaign())
    return await stack.put_job(
        "job",
        [
            {"id": "applied", "name": "Applied", "campaign_id": None},
            {"id": "screen", "name": "Screen", "campaign_id": screening},
            {"id": "interview", "name": "Interview", "campaign_id": interview},
            {"id": "rejected", "name": "Rejected", "campaign_id": rejection},
        ],
    )


async def race(*sends: Callable[[], Coroutine[Any, Any, httpx.Response]]) -> list[httpx.Response]:
    """Start the sends together, in a random order."""
    order = list(sends)
    random.shuffle(order)
    tasks = [asyncio.create_task(send()) for send in order]
    responses = await asyncio.gather(*tasks)
    for response in responses:
        assert response.status_code == 202, response.text
    return list(responses)


def post(stack: Stack, body: dict[str, Any]) -> Callable[[], Coroutine[Any, Any, httpx.Response]]:
    return lambda: stack.http.post("/ats/events", json=body)


async def enrolments_of(stack: Stack, application_id: str) -> dict[str, tuple[str, str]]:
    """``enrolment id -> (stage, status)`` for the application, from the read model."""
    async with stack.engine.connect() as connection:
        rows = await connection.execute(
            select(EnrolmentRow.id, EnrolmentRow.stage_id, EnrolmentRow.status).where(
                EnrolmentRow.application_id == application_id
            )
        )
        return {eid: (stage, status) for eid, stage, status in rows}


async def application_row(stack: Stack, application_id: str) -> ApplicationRow | None:
    async with stack.engine.connect() as connection:
        found = (
            await connection.execute(
                select(ApplicationRow).where(ApplicationRow.id == application_id)
            )
        ).first()
    return None if found is None else ApplicationRow(**found._asdict())


async def settle(stack: Stack, application_id: str) -> dict[str, tuple[str, str]]:
    """The application's enrolments once none is still ``sending`` (sends in flight return)."""
    for _ in range(400):
        enrolments = await enrolments_of(stack, application_id)
        if all(status != "sending" for _, status in enrolments.values()):
            return enrolments
        await asyncio.sleep(0.05)
    raise AssertionError(f"{application_id} still sending: {enrolments}")


async def test_an_older_stage_change_racing_a_newer_one_never_wins(stack: Stack) -> None:
    job = await screening_job(stack)
    now = datetime.now(UTC)

    async def trial(n: int) -> None:
        app, person = f"a{n}", f"c{n}"
        await stack.send_event(
            stack.ats_event(
                job_id=job,
                stage_id="applied",
                application=app,
                candidate=person,
                occurred_at=now - timedelta(minutes=10),
            )
        )
        older, newer = (
            stack.ats_event(
                job_id=job,
                stage_id=stage,
                application=app,
                candidate=person,
                type="application.stage_changed",
                occurred_at=now - timedelta(minutes=m),
            )
            for stage, m in (("screen", 5), ("interview", 1))
        )
        await race(post(stack, older), post(stack, newer))

        row = await application_row(stack, stack.id(app))
        assert row is not None and row.stage_id == "interview", f"trial {n}: {row}"
        enrolments = await settle(stack, stack.id(app))
        live = {stage for stage, status in enrolments.values() if status in LIVE}
        assert live == {"interview"}, f"trial {n}: {enrolments}"
        assert row.current_enrolment_id is not None
        assert enrolments[row.current_enrolment_id][0] == "interview"

    await asyncio.gather(*(trial(n) for n in range(TRIALS)))
    board = (await stack.http.get(f"/jobs/{job}/board")).json()
    columns = {c["stage_id"]: c["total"] for c in board["columns"]}
    assert columns == {"applied": 0, "screen": 0, "interview": TRIALS, "rejected": 0}


async def test_a_withdrawal_racing_an_older_stage_change_leaves_nothing_live(
    stack: Stack,
) -> None:
    job = await screening_job(stack)
    now = datetime.now(UTC)

    async def trial(n: int) -> None:
        person = f"c{n}"
        # The candidate's thread is busy with another application: a new campaign would queue.
        [busy] = await stack.send_event(
            stack.ats_event(
                job_id=job,
                stage_id="screen",
                application=f"other{n}",
                candidate=person,
                occurred_at=now - timedelta(minutes=20),
            )
        )
        app = f"a{n}"
        await stack.send_event(
            stack.ats_event(
                job_id=job,
                stage_id="applied",
                application=app,
                candidate=person,
                occurred_at=now - timedelta(minutes=10),
            )
        )
        moved = stack.ats_event(
            job_id=job,
            stage_id="interview",
            application=app,
            candidate=person,
            type="application.stage_changed",
            occurred_at=now - timedelta(minutes=5),
        )
        withdrawn = stack.ats_event(
            job_id=job,
            stage_id="applied",
            application=app,
            candidate=person,
            type="application.withdrawn",
            occurred_at=now - timedelta(minutes=1),
        )
        await race(post(stack, moved), post(stack, withdrawn))

        row = await application_row(stack, stack.id(app))
        assert row is not None and row.withdrawn, f"trial {n}: {row}"
        enrolments = await settle(stack, stack.id(app))
        assert all(s not in LIVE for _, s in enrolments.values()), f"trial {n}: {enrolments}"
        assert (await stack.enrolment(busy["id"]))["status"] in LIVE

    await asyncio.gather(*(trial(n) for n in range(TRIALS)))


async def test_a_withdrawal_of_an_application_never_seen_creates_nothing(stack: Stack) -> None:
    job = await screening_job(stack)
    now = datetime.now(UTC)
    withdrawn = stack.ats_event(
        job_id=job,
        stage_id="screen",
        application="ghost",
        candidate="c",
        type="application.withdrawn",
        occurred_at=now,
    )

    assert await stack.send_event(withdrawn) == []
    assert await application_row(stack, stack.id("ghost")) is None
    assert (await stack.http.get(f"/jobs/{job}/applications")).json()["items"] == []

    # The ATS's older "created" arrives late: the application existed, it was withdrawn.
    late = stack.ats_event(
        job_id=job,
        stage_id="screen",
        application="ghost",
        candidate="c",
        occurred_at=now - timedelta(minutes=1),
    )
    assert await stack.send_event(late) == []
    row = await application_row(stack, stack.id("ghost"))
    assert row is not None and row.withdrawn and row.current_enrolment_id is None
    assert await enrolments_of(stack, stack.id("ghost")) == {}


async def test_an_event_id_reused_with_another_payload_is_refused_and_changes_nothing(
    stack: Stack,
) -> None:
    job = await screening_job(stack)
    event = stack.ats_event(job_id=job, stage_id="rejected", application="a", candidate="c")
    [enrolment] = await stack.send_event(event)
    await stack.wait_for(enrolment["id"], "delivered")
    before = (await stack.http.get(f"/jobs/{job}/applications")).json()

    moved = {**event, "application": {**event["application"], "stage_id": "screen"}}
    renamed = {**event, "candidate": {**event["candidate"], "name": "Someone Else"}}
    other_app = {**event, "application": {**event["application"], "id": stack.id("b")}}
    for reused in (moved, renamed, other_app):
        refused = await stack.http.post("/ats/events", json=reused)
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "event_id_reused"

    assert (await stack.http.get(f"/jobs/{job}/applications")).json() == before
    assert await application_row(stack, stack.id("b")) is None
    # A plain repeat, with the same instant written in another offset, answers as it is now.
    later_offset = datetime.fromisoformat(event["occurred_at"]).astimezone(
        datetime.now().astimezone().tzinfo
    )
    repeat = {**event, "occurred_at": later_offset.isoformat()}
    assert [(e["id"], e["status"]) for e in await stack.send_event(repeat)] == [
        (enrolment["id"], "delivered")
    ]


async def test_racing_repeats_of_one_event_enrol_once(stack: Stack) -> None:
    job = await screening_job(stack)

    async def trial(n: int) -> None:
        event = stack.ats_event(
            job_id=job, stage_id="rejected", application=f"a{n}", candidate=f"c{n}"
        )
        responses = await race(*(post(stack, event) for _ in range(4)))
        ids = {tuple(e["id"] for e in r.json()["enrolments"]) for r in responses}
        assert len(ids) == 1 and len(next(iter(ids))) == 1, f"trial {n}: {ids}"
        assert len(await enrolments_of(stack, stack.id(f"a{n}"))) == 1

    await asyncio.gather(*(trial(n) for n in range(TRIALS)))


async def test_a_candidate_with_two_hundred_applications_keeps_working(stack: Stack) -> None:
    job = await screening_job(stack)
    person = "many"
    [holder] = await stack.send_event(
        stack.ats_event(job_id=job, stage_id="screen", application="first", candidate=person)
    )
    limit = asyncio.Semaphore(5)  # Temporal takes 10 updates in flight per workflow

    async def apply(n: int) -> None:
        body = stack.ats_event(job_id=job, stage_id="rejected", application="x", candidate=person)
        body["application"]["id"] = str(uuid.uuid4())
        async with limit:
            [queued] = await stack.send_event(body)
        assert queued["status"] == "queued"

    await asyncio.gather(*(apply(n) for n in range(200)))

    # Still answering, with every application in the views and findable ones within limits.
    [later] = await stack.send_event(
        stack.ats_event(job_id=job, stage_id="rejected", application="last", candidate=person)
    )
    assert later["status"] == "queued"
    handle = stack.env.client.get_workflow_handle(candidate_workflow_id(stack.id(person)))
    history = await handle.fetch_history()
    failed = [
        e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]
    assert failed == []
    found = (await handle.describe()).typed_search_attributes.get(APPLICATION_IDS) or []
    assert len(found) >= 40 and len(str(found)) <= VALUE_BUDGET
    page = (await stack.http.get(f"/jobs/{job}/applications?limit=500")).json()
    assert len(page["items"]) == 202
    assert (await stack.enrolment(holder["id"]))["status"] in LIVE


async def test_applications_in_a_removed_stage_stay_on_the_board(stack: Stack) -> None:
    job = await screening_job(stack)
    [enrolment] = await stack.send_event(
        stack.ats_event(job_id=job, stage_id="rejected", application="a", candidate="c")
    )
    stages = (await stack.http.get(f"/jobs/{job}")).json()["stages"]
    kept = [s for s in stages if s["id"] != "rejected"]
    response = await stack.http.put(f"/jobs/{job}", json={"name": "job", "stages": kept})
    assert response.status_code == 200, response.text

    board = (await stack.http.get(f"/jobs/{job}/board")).json()
    [removed] = [c for c in board["columns"] if c["stage_id"] == "rejected"]
    assert removed["removed"] is True
    assert [card["enrolment_id"] for card in removed["cards"]] == [enrolment["id"]]
    table = (await stack.http.get(f"/jobs/{job}/applications")).json()["items"]
    assert [item["stage_id"] for item in table] == ["rejected"]


async def test_an_ats_rejecting_a_candidates_applications_at_once_messages_none_of_them(
    stack: Stack,
) -> None:
    """Withdrawals of three applications of one candidate, sent together: the first frees the
    thread, and neither queued campaign goes out before its own withdrawal arrives."""
    job = await screening_job(stack)

    async def trial(n: int) -> None:
        person = f"c{n}"
        apps = [f"a{n}-{k}" for k in range(3)]
        enrolled = [
            (await stack.send_event(
                stack.ats_event(job_id=job, stage_id="screen", application=app, candidate=person)
            ))[0]
            for app in apps
        ]  # fmt: skip
        await stack.wait_for(enrolled[0]["id"], "delivered")
        assert [e["status"] for e in enrolled[1:]] == ["queued", "queued"]
        await race(
            *(
                post(
                    stack,
                    stack.ats_event(
                        job_id=job,
                        stage_id="screen",
                        application=app,
                        candidate=person,
                        type="application.withdrawn",
                    ),
                )
                for app in apps
            )
        )
        first, *queued = [await stack.wait_for(e["id"], "cancelled") for e in enrolled]
        assert len(first["messages"]) == 1
        assert [shown["messages"] for shown in queued] == [[], []], "no queued one went out"

    await asyncio.gather(*(trial(n) for n in range(3)))
