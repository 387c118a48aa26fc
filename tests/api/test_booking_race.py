"""The race that matters most: many candidates after few slots get one interview per slot and
clean 409s whose fresh slots leave the lost time out, on SQLite and on PostgreSQL (with a
worker killed mid-race: ``tests/faults/test_booking_worker_killed.py``)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest

from tests.api.conftest import Stack
from tests.api.test_interviews import enrol, free, interviewer, scheduling_job, tomorrow

pytestmark = pytest.mark.devserver


@pytest.fixture
def api_database_url(database_url: str) -> str:
    """The race runs on SQLite and on PostgreSQL."""
    return database_url


async def test_fifty_candidates_racing_for_ten_slots_get_ten_interviews(stack: Stack) -> None:
    ana = await interviewer(stack, "ana")
    await free(stack, ana, (tomorrow(9), tomorrow(14)))  # ten 30-minute slots, end to end
    job_id = await scheduling_job(stack, [ana])
    enrolled = await asyncio.gather(*(enrol(stack, job_id, f"racer{n}") for n in range(50)))
    await asyncio.gather(*(stack.wait_for(e, "delivered") for e, _ in enrolled))
    picks = [tomorrow(9) + timedelta(minutes=30 * (n % 10)) for n in range(50)]

    async def pick(page: str, start: datetime) -> Any:
        return await stack.http.post(f"{page}/modules/book/book", json={"start": start.isoformat()})

    answers = await asyncio.gather(*(pick(p, s) for (_, p), s in zip(enrolled, picks, strict=True)))
    codes = Counter(a.status_code for a in answers)
    assert codes == {200: 10, 409: 40}, codes
    won = [a.json()["interview"] for a in answers if a.status_code == 200]
    assert sorted(datetime.fromisoformat(i["start"]) for i in won) == sorted(set(picks))
    for answer, start in zip(answers, picks, strict=True):
        if answer.status_code == 409:
            error = answer.json()["error"]
            assert error["code"] == "slot_taken"
            fresh = [datetime.fromisoformat(s["start"]) for s in error["details"]["slots"]]
            assert start not in fresh
    listed = await stack.http.get(
        "/interviews",
        params={"job_id": job_id, "from": tomorrow(0).isoformat(), "to": tomorrow(23).isoformat()},
    )
    interviews = listed.json()["interviews"]
    assert len(interviews) == 10
    held = [
        (datetime.fromisoformat(i["start"]), datetime.fromisoformat(i["end"])) for i in interviews
    ]
    assert all(a[1] <= b[0] for a, b in pairwise(held)), "two interviews in one slot"
