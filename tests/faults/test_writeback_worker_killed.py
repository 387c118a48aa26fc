"""The write-back with the worker SIGKILLed while Greenhouse is taking a note: every knocked-out
candidate still gets exactly one note and one rejection.

The worker runs as operators run it (``enrolments worker``, a process of its own); the API is
the real app in this process and Greenhouse is the fake of its Harvest v3 API. The first note is
written at the fake, whose answer never comes; the worker dies. Temporal notices by the missed
heartbeats and hands the write-back to the new worker, whose ledger says the note's call was
made: it looks for the note at Greenhouse, finds it, and goes on to the rejection.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.api.test_ats_vendors import SECRET, Vendor
from tests.api.test_writeback import screened, screening_job, written_back
from tests.fakes.ats_writeback import FakeAts, writeback_settings
from tests.fakes.http import serving
from tests.fakes.vendors import FakeLever
from tests.faults.conftest import api_beside_worker_processes, wait_until

pytestmark = pytest.mark.devserver

CANDIDATES = 4


async def test_a_worker_killed_mid_note_leaves_one_note_and_one_rejection_each(
    dev_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
) -> None:
    greenhouse = FakeAts("greenhouse", stall=60.0)  # the first note's answer never comes
    async with (
        serving(greenhouse.app()) as url,
        api_beside_worker_processes(
            dev_env,
            sqlite_url,
            tmp_path,
            "writeback",
            greenhouse_secret=SECRET,
            **writeback_settings("greenhouse", url),
        ) as running,
    ):
        stack, first = running.stack, running.first
        vendor = Vendor("greenhouse", str(random.randrange(10**5, 10**6)), FakeLever())
        await screening_job(stack, vendor)
        ended = await asyncio.gather(
            *(screened(stack, vendor, n, work="no") for n in range(CANDIDATES))
        )

        async def noted() -> bool:
            assert first.process.poll() is None, first.output()
            return bool(greenhouse.notes)

        async def explain() -> str:
            return f"no note reached Greenhouse; worker said:\n{first.output()}"

        await wait_until(noted, within=60, explain=explain, every=0.02)
        first.kill()
        running.start_worker()
        for enrolment_id in ended:
            await written_back(stack, enrolment_id, within=90)

    applications = sorted(vendor.person(n)[0] for n in range(CANDIDATES))
    assert sorted(key for key, _ in greenhouse.notes) == applications, greenhouse.notes
    assert sorted(key for key, _ in greenhouse.rejections) == applications
    assert greenhouse.listed >= 1, "the new worker looked for the note whose answer was lost"
