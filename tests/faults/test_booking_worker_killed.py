"""The booking race again, with the worker SIGKILLed in the middle of it: 50 candidates after
10 slots still get exactly 10 interviews, never two in one slot, and every other candidate a
clean 409 once they try again (a request the dead worker held answers 503: retry).

The worker runs as operators run it (``enrolments worker``, a process of its own); the API is
the real app in this process. Temporal hands the dead worker's tasks to the new one, and the
interviewer's workflow decides every booking again from its history.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from store.schema import InterviewRow
from tests.api.test_interviews import enrol, free, interviewer, scheduling_job, tomorrow
from tests.faults.conftest import (
    api_beside_worker_processes,
    wait_until,
)

pytestmark = pytest.mark.devserver

CANDIDATES, SLOTS = 50, 10
#: How long a candidate keeps trying (a 503 says: try again).
PATIENCE = 120.0


async def interviews_booked(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        count = await connection.scalar(select(func.count()).select_from(InterviewRow))
        return int(count or 0)


async def test_a_worker_killed_mid_race_still_leaves_one_interview_per_slot(
    dev_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
) -> None:
    async with api_beside_worker_processes(dev_env, sqlite_url, tmp_path, "book") as running:
        stack, first = running.stack, running.first
        http, engine = stack.http, stack.engine
        ana = await interviewer(stack, "ana")
        await free(stack, ana, (tomorrow(9), tomorrow(9) + timedelta(minutes=30 * SLOTS)))
        job_id = await scheduling_job(stack, [ana])
        enrolled = await asyncio.gather(
            *(enrol(stack, job_id, f"racer{n}") for n in range(CANDIDATES))
        )
        await asyncio.gather(*(stack.wait_for(e, "delivered") for e, _ in enrolled))
        picks = [tomorrow(9) + timedelta(minutes=30 * (n % SLOTS)) for n in range(CANDIDATES)]

        async def pick(page: str, start: datetime) -> dict[str, Any]:
            deadline = time.monotonic() + PATIENCE
            while True:
                answer = await http.post(
                    f"{page}/modules/book/book", json={"start": start.isoformat()}
                )
                if answer.status_code in (200, 409) or time.monotonic() > deadline:
                    assert answer.status_code in (200, 409), answer.text
                    return {"status": answer.status_code, **answer.json()}
                await asyncio.sleep(0.5)

        racing = asyncio.gather(*(pick(p, s) for (_, p), s in zip(enrolled, picks, strict=True)))

        async def some_booked() -> bool:
            assert first.process.poll() is None, first.output()
            return await interviews_booked(engine) >= 2

        async def explain() -> str:
            return f"no interview was booked; worker said:\n{first.output()}"

        await wait_until(some_booked, within=60, explain=explain, every=0.02)
        first.kill()
        booked_before_kill = await interviews_booked(engine)
        running.start_worker()
        answers = await racing

        won = [a["interview"] for a in answers if a["status"] == 200]
        assert len(won) == SLOTS, [a.get("error", {}).get("code") for a in answers]
        assert sorted(datetime.fromisoformat(i["start"]) for i in won) == sorted(set(picks))
        lost = [a["error"]["code"] for a in answers if a["status"] == 409]
        assert lost == ["slot_taken"] * (CANDIDATES - SLOTS)
        listed = await http.get(
            "/interviews",
            params={
                "job_id": job_id,
                "from": tomorrow(0).isoformat(),
                "to": tomorrow(23).isoformat(),
            },
        )
        interviews = listed.json()["interviews"]
        assert sorted(i["id"] for i in interviews) == sorted(i["id"] for i in won)
        held = sorted(
            (datetime.fromisoformat(i["start"]), datetime.fromisoformat(i["end"]))
            for i in interviews
        )
        assert all(a[1] <= b[0] for a, b in pairwise(held)), "two in one slot"
    assert booked_before_kill < SLOTS, "the kill did not land mid-race"
