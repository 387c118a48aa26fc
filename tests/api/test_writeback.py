"""Write-back to the ATS over HTTP: an enrolment that came through a vendor's webhook ends, and
one note (and, on a knockout where the stage says so, one rejection) reaches that vendor's API
(a fake of each, checking what the vendor checks), under repeated webhooks, a 429, a lost
answer and a refusal that the recruiter retries from the enrolment's page. The rejection's
echo, the vendor's own webhook saying the application was rejected, changes nothing."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.applications import Starlette

from tests.api.conftest import Stack, StackFactory
from tests.api.test_ats_vendors import SECRET, STAGES, Vendor, accepted
from tests.api.test_candidate_side import path_of, screening
from tests.api.test_interviews import free, interviewer, schedule_campaign, tomorrow
from tests.fakes.ats_writeback import FakeAts, writeback_settings
from tests.fakes.http import serving
from tests.fakes.vendors import API_KEY, FakeLever

pytestmark = pytest.mark.devserver

#: The vendor's rejection reason id each stage is configured with.
REASONS = {"greenhouse": "4001", "lever": "reason-1", "ashby": "archive-1", "workable": "77"}


@asynccontextmanager
async def vendor_stack(
    open_stack: StackFactory, system: str, **settings: Any
) -> AsyncIterator[tuple[Stack, FakeAts, Vendor]]:
    """A stack whose ``system`` bridge and write-back point at fakes (Lever's inbound API and
    its write API served together, as Lever serves them)."""
    fake, lever = FakeAts(system), FakeLever()
    app = Starlette(routes=[*fake.app().routes, *lever.app.routes])
    async with serving(app) as url:
        lever.url = url
        bridge = {
            "greenhouse_secret": SECRET,
            "lever_signature_token": SECRET,
            "lever_api_key": API_KEY,
            "lever_api_url": url,
            "ashby_secret": SECRET,
            "workable_secret": SECRET,
        }
        # Each vendor's own rate (Workable's: one write-back every 4 s) is not what these
        # tests are about: they would only wait for it.
        paced = {"ats_writeback_rate": 50.0}
        configured = bridge | writeback_settings(system, url) | paced | settings
        async with open_stack(**configured) as stack:
            vendor = Vendor(system, str(random.randrange(10**5, 10**6)), lever)
            yield stack, fake, vendor


async def screening_job(stack: Stack, vendor: Vendor, *, reject: bool = True) -> str:
    """A job mapped to the vendor's: its Screen stage runs the screening (a knockout question)
    and rejects a knocked-out application at the vendor."""
    campaign = await stack.put_campaign("screening", screening())
    job_id = stack.id(f"{vendor.name}-job")
    on_knockout = {"ats_action": "reject", "reason": REASONS[vendor.name]} if reject else None
    response = await stack.http.put(
        f"/jobs/{job_id}",
        json={
            "name": "Warehouse",
            "ats": {"system": vendor.name, "job_id": vendor.job},
            "stages": [
                {"id": "applied", "name": "Applied", "ats_stage_id": STAGES["applied"]},
                {
                    "id": "screen",
                    "name": "Screen",
                    "campaign_id": campaign,
                    "ats_stage_id": STAGES["screen"],
                    "on_knockout": on_knockout,
                },
                {"id": "rejected", "name": "Rejected", "ats_stage_id": STAGES["rejected"]},
            ],
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["stages"][1]["on_knockout"] == on_knockout
    return job_id


async def screened(stack: Stack, vendor: Vendor, n: int, work: str) -> str:
    """Application ``n`` moved to Screen at the vendor, then the candidate answers on their
    page (``work``: "no" knocks them out); returns the enrolment's id once it ended."""
    moved = vendor.delivery(n, "moved", "screen", datetime.now(UTC) - timedelta(minutes=1))
    [enrolment] = (await accepted(stack, *moved))["enrolments"]
    await stack.wait_for(enrolment["id"], "delivered")
    page = path_of(enrolment["link"])
    await stack.http.post(f"{page}/modules/meet/complete", json={"answers": {}})
    answers = {"shifts": ["Nights"], "work": work, "years": 3}
    done = await stack.http.post(f"{page}/modules/questions/complete", json={"answers": answers})
    assert done.json()["status"] == "completed", done.text
    # The vendor redelivers the move, at once and again: nothing ends twice.
    repeats = await asyncio.gather(
        *(stack.http.post(moved[0], content=moved[1], headers=moved[2]) for _ in range(3))
    )
    assert all(r.status_code == 200 for r in repeats)
    return str(enrolment["id"])


async def written_back(
    stack: Stack, enrolment_id: str, state: str = "done", *, within: float = 30
) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        shown = await stack.enrolment(enrolment_id)
        if shown["writeback"] == state:
            return shown
        await asyncio.sleep(0.1)
    raise AssertionError(f"writeback is {shown['writeback']} ({shown['writeback_error']})")


@pytest.mark.parametrize("system", ["greenhouse", "lever", "ashby", "workable"])
async def test_a_knockout_writes_one_note_and_one_rejection_and_the_echo_changes_nothing(
    open_stack: StackFactory, system: str
) -> None:
    async with vendor_stack(open_stack, system) as (stack, fake, vendor):
        await screening_job(stack, vendor)
        enrolment_id = await screened(stack, vendor, 0, work="no")
        await written_back(stack, enrolment_id)

        echo = vendor.delivery(0, "withdrawn", None, datetime.now(UTC))
        for _ in range(2):  # the vendor's webhook for the rejection we made, twice
            await accepted(stack, *echo)
        await asyncio.sleep(1.0)
        shown = await stack.enrolment(enrolment_id)
        assert (shown["status"], shown["status_reason"]) == ("completed", "knocked_out")
        assert shown["writeback"] == "done"

    [(noted_on, note)] = fake.notes
    application, candidate = vendor.person(0)
    assert noted_on == (candidate if system == "ashby" else application)
    assert 'Campaign "Warehouse screening" for Warehouse: knocked out.' in note
    assert "- Right to work?: no" in note and "- Which shifts?: Nights" in note
    assert f"Enrolment {enrolment_id}: " in note and f"/ui/enrolments/{enrolment_id}" in note
    assert fake.rejections == [(application, REASONS[system])]


async def test_a_completed_enrolment_is_noted_and_a_stage_without_on_knockout_rejects_nothing(
    open_stack: StackFactory,
) -> None:
    async with vendor_stack(open_stack, "greenhouse") as (stack, fake, vendor):
        await screening_job(stack, vendor, reject=False)
        passed = await screened(stack, vendor, 0, work="yes")
        out = await screened(stack, vendor, 1, work="no")
        await written_back(stack, passed)
        await written_back(stack, out)
    assert len(fake.notes) == 2 and fake.rejections == []
    assert any("Warehouse: completed." in text for _, text in fake.notes)


async def test_a_429_waits_and_a_refusal_fails_until_the_recruiter_retries(
    open_stack: StackFactory,
) -> None:
    async with vendor_stack(open_stack, "greenhouse") as (stack, fake, vendor):
        await screening_job(stack, vendor)
        fake.busy = 2  # two 429s with Retry-After: 1
        first = await screened(stack, vendor, 0, work="no")
        await written_back(stack, first)
        assert len(fake.notes) == 1 and len(fake.rejections) == 1

        fake.refuse = 403  # the key lost its permission
        second = await screened(stack, vendor, 1, work="no")
        failed = await written_back(stack, second, "failed")
        assert failed["writeback_error"].startswith("403")
        page = (await stack.http.get(f"/ui/enrolments/{second}")).text
        assert 'data-writeback="failed"' in page and 'id="writeback-form"' in page
        early = await stack.http.post(f"/enrolments/{first}/writeback")
        assert early.status_code == 409 and early.json()["error"]["code"] == "writeback_not_failed"

        fake.refuse = None
        retried = await asyncio.gather(
            *(stack.http.post(f"/enrolments/{second}/writeback") for _ in range(3))
        )
        assert 202 in [r.status_code for r in retried], [r.text for r in retried]
        await written_back(stack, second)
    assert len(fake.notes) == 2 and len(fake.rejections) == 2


async def test_a_note_whose_answer_was_lost_is_found_not_written_again(
    open_stack: StackFactory,
) -> None:
    async with vendor_stack(open_stack, "lever", vendor_timeout=1.0) as (stack, fake, vendor):
        await screening_job(stack, vendor)
        fake.stall = 3.0  # the note is written; its answer comes after our timeout
        enrolment_id = await screened(stack, vendor, 0, work="no")
        await written_back(stack, enrolment_id)
    assert fake.listed == 1, "the second attempt looked for the note first"
    assert len(fake.notes) == 1 and len(fake.rejections) == 1


async def test_an_interview_cancelled_after_the_booking_is_noted_once(
    open_stack: StackFactory,
) -> None:
    async with vendor_stack(open_stack, "workable") as (stack, fake, vendor):
        ana = await interviewer(stack, "ana")
        await free(stack, ana, (tomorrow(9), tomorrow(10)))
        campaign = await stack.put_campaign("schedule", schedule_campaign())
        job_id = stack.id("workable-job")
        settings = {"interviewer_ids": [ana], "min_notice": "PT0M", "location": "Room 4"}
        response = await stack.http.put(
            f"/jobs/{job_id}",
            json={
                "name": "Warehouse",
                "ats": {"system": "workable", "job_id": vendor.job},
                "stages": [
                    {
                        "id": "screen",
                        "name": "Interview",
                        "campaign_id": campaign,
                        "ats_stage_id": STAGES["screen"],
                        "interview_settings": settings,
                    }
                ],
            },
        )
        assert response.status_code == 200, response.text
        moved = vendor.delivery(0, "moved", "screen", datetime.now(UTC) - timedelta(minutes=1))
        [enrolment] = (await accepted(stack, *moved))["enrolments"]
        await stack.wait_for(enrolment["id"], "delivered")
        page = path_of(enrolment["link"])
        booked = await stack.http.post(
            f"{page}/modules/book/book", json={"start": tomorrow(9).isoformat()}
        )
        interview_id = booked.json()["interview"]["id"]
        await written_back(stack, enrolment["id"])
        cancels = await asyncio.gather(
            *(stack.http.post(f"/interviews/{interview_id}/cancel") for _ in range(2))
        )
        assert 200 in [c.status_code for c in cancels], [c.text for c in cancels]
        await until_notes(fake, 2)
        # Booked again (a new interview, after the outcome's note): a note of its own.
        again = await stack.http.post(
            f"{page}/modules/book/book", json={"start": tomorrow(9, 30).isoformat()}
        )
        assert again.status_code == 200, again.text
        await until_notes(fake, 3)
        await asyncio.sleep(1.0)  # and no fourth
        assert (await stack.enrolment(enrolment["id"]))["writeback"] == "done"

    outcome, cancelled, rebooked = (text for _, text in fake.notes)
    assert "Interview: " in outcome and "with Ana, Room 4 (booked)" in outcome
    assert cancelled.startswith("Interview for Warehouse on ") and "cancelled." in cancelled
    assert f"Interview {interview_id} #" in cancelled
    assert rebooked.startswith("Interview for Warehouse booked: ") and len(fake.notes) == 3


async def until_notes(fake: FakeAts, count: int) -> None:
    for _ in range(300):
        if len(fake.notes) >= count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{len(fake.notes)} notes, not {count}: {fake.notes}")


async def test_a_rejection_whose_answer_was_lost_is_not_made_twice(
    open_stack: StackFactory,
) -> None:
    async with vendor_stack(open_stack, "greenhouse", vendor_timeout=1.0) as (stack, fake, vendor):
        await screening_job(stack, vendor)
        fake.stall, fake.stall_on = 3.0, "reject"  # rejected; the answer comes too late
        enrolment_id = await screened(stack, vendor, 0, work="no")
        await written_back(stack, enrolment_id)
    assert len(fake.notes) == 1 and len(fake.rejections) == 1
