"""The recruiter's product in Debian's Chromium: create a campaign, link it and watch an
enrolment complete; fix a number and resend a failed campaign; search, export and bulk-cancel
in the Table; read the funnel. Screenshots land in tests/artifacts (docs/ on request)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import DOCS, LiveStack, open_page
from tests.keys import ADMIN_HEADERS

pytestmark = [pytest.mark.browser, pytest.mark.devserver]


@pytest_asyncio.fixture(loop_scope="session")
async def page(chromium: Browser) -> AsyncIterator[Page]:
    async with open_page(
        chromium, viewport={"width": 1440, "height": 900}, extra_http_headers=ADMIN_HEADERS
    ) as page:
        yield page


def keep(artifacts: Path, page_name: str) -> None:
    """Copy a screenshot into docs/ when asked (UPDATE_DOCS_SCREENSHOTS=1)."""
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS"):
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(artifacts / page_name, DOCS / page_name)


async def api(stack: LiveStack, method: str, path: str, body: Any = None) -> Any:
    async with stack.http() as http:
        response = await http.request(method, path, json=body)
    assert response.status_code < 300, response.text
    return response.json()


async def job_with_campaign(
    stack: LiveStack, prefix: str, job_name: str, stage_name: str, campaign: dict[str, Any]
) -> str:
    """A new campaign and a new job whose one stage, ``s1``, links it; returns the job id."""
    campaign_id = f"{prefix}-{uuid.uuid4().hex[:6]}"
    await api(stack, "PUT", f"/campaigns/{campaign_id}", campaign)
    job = f"{prefix}-job-{uuid.uuid4().hex[:6]}"
    stages = [{"id": "s1", "name": stage_name, "campaign_id": campaign_id}]
    await api(stack, "PUT", f"/jobs/{job}", {"name": job_name, "stages": stages})
    return job


async def enrol(
    stack: LiveStack, job: str, stage: str, name: str, phone: str = "+14155550123"
) -> str:
    tag = uuid.uuid4().hex[:8]
    answer = await api(
        stack,
        "POST",
        "/ats/events",
        {
            "id": f"evt-{tag}",
            "type": "application.created",
            "occurred_at": datetime.now(UTC).isoformat(),
            "application": {"id": f"app-{tag}", "job_id": job, "stage_id": stage},
            "candidate": {"id": f"cand-{tag}", "name": name, "phone": phone},
        },
    )
    enrolment_id: str = answer["enrolments"][0]["id"]
    return enrolment_id


async def test_create_a_campaign_link_it_and_watch_an_enrolment_complete(
    live_stack: LiveStack, page: Page, artifacts: Path
) -> None:
    campaign_id = f"ui-{uuid.uuid4().hex[:6]}"
    await page.goto(f"{live_stack.base_url}/ui/campaigns/new")
    await page.fill("input[name=campaign_id]", campaign_id)
    await page.fill("input[name=name]", "Warehouse screening")
    await page.select_option("#kind", "multi_module")
    await page.fill("#welcome", "Hi ")
    await page.click("#welcome")
    await page.keyboard.press("End")
    await page.click('button[data-placeholder="first_name"]')
    await expect(page.locator("#preview")).to_have_text("Hi Ada")
    await page.fill("#welcome", "Hi {first_name}, a question about {nope}")
    await expect(page.locator("#preview mark.unknown")).to_have_text("{nope}")
    await page.click("button[type=submit]")
    # Validated like the API: a multi-module campaign without modules is refused...
    errors = page.locator("#form-errors")
    await expect(errors).to_contain_text("at least one module")
    await page.fill("textarea[name=modules]", "q1 | Availability | question")
    await page.click("button[type=submit]")
    # ...and so is the unknown placeholder; what was typed stays in the form.
    await expect(errors).to_contain_text("nope")
    await expect(page.locator("input[name=name]")).to_have_value("Warehouse screening")
    await page.fill("#welcome", "Hi {first_name}, one question for you.")
    await page.screenshot(path=artifacts / "campaign-form.png", full_page=True)
    keep(artifacts, "campaign-form.png")
    await page.click("button[type=submit]")
    await expect(page.locator(f'tr[data-campaign-id="{campaign_id}"]')).to_be_visible()

    job = f"ui-job-{uuid.uuid4().hex[:6]}"
    stages = [{"id": "screen", "name": "Screen", "campaign_id": campaign_id}]
    await api(live_stack, "PUT", f"/jobs/{job}", {"name": "Warehouse", "stages": stages})
    enrolment_id = await enrol(live_stack, job, "screen", "Ada Lovelace")
    await page.goto(f"{live_stack.base_url}/ui/enrolments/{enrolment_id}")
    await expect(page.locator('[data-testid="timeline"] li').first).to_be_visible()
    await api(
        live_stack,
        "POST",
        "/webhooks/candidate-progress",
        {
            "id": f"p-{enrolment_id}",
            "enrolment_id": enrolment_id,
            "module_id": "q1",
            "event": "completed",
        },
    )
    await page.goto(f"{live_stack.base_url}/ui/jobs/{job}?view=table")
    await expect(page.locator("#table-body .badge").first).to_have_attribute(
        "data-status", "completed", timeout=15_000
    )


async def test_fix_the_number_and_resend_a_failed_campaign(
    live_stack: LiveStack, page: Page, artifacts: Path
) -> None:
    blast = {"name": "Thanks", "kind": "blast", "channel": "sms", "messages": ["Thanks!"]}
    job = await job_with_campaign(live_stack, "fix", "Fix", "Applied", blast)
    enrolment_id = await enrol(live_stack, job, "s1", "Alan Turing", phone="+1555")

    await page.goto(f"{live_stack.base_url}/ui/enrolments/{enrolment_id}")
    for _ in range(40):
        if await page.locator('[data-testid="status"]').get_attribute("data-status") == "failed":
            break
        await page.wait_for_timeout(250)
        await page.reload()
    await expect(page.locator('[data-testid="reason"]')).to_have_text("Invalid phone number")
    await page.fill("#reenrol-form input[name=phone]", "12345")
    await page.click("#reenrol-form button[type=submit]")
    await expect(page.locator("#action-error")).to_be_visible()
    await page.fill("#reenrol-form input[name=phone]", "+14155550123")
    await page.click("#reenrol-form button[type=submit]")
    await page.wait_for_url(lambda url: enrolment_id not in url)
    for _ in range(40):
        if await page.locator('[data-testid="status"]').get_attribute("data-status") == "delivered":
            break
        await page.wait_for_timeout(250)
        await page.reload()
    await expect(page.locator('[data-testid="messages"]')).to_contain_text("+14155550123")
    await page.screenshot(path=artifacts / "enrolment.png", full_page=True)
    keep(artifacts, "enrolment.png")


async def test_search_export_and_bulk_cancel_in_the_table(
    live_stack: LiveStack, page: Page
) -> None:
    campaign = {
        "name": "Screening",
        "kind": "multi_module",
        "channel": "sms",
        "messages": ["Hi"],
        "modules": [{"id": "m1", "name": "Q", "type": "question"}],
    }
    job = await job_with_campaign(live_stack, "bulk", "Bulk", "Screen", campaign)
    tag = uuid.uuid4().hex[:6]
    enrolled = []
    for n in range(3):  # one candidate: the first runs, the others wait as queued
        answer = await api(
            live_stack,
            "POST",
            "/ats/events",
            {
                "id": f"evt-{tag}-{n}",
                "type": "application.created",
                "occurred_at": datetime.now(UTC).isoformat(),
                "application": {"id": f"app-{tag}-{n}", "job_id": job, "stage_id": "s1"},
                "candidate": {"id": f"cand-{tag}", "name": "Marie Curie", "phone": "+14155550123"},
            },
        )
        enrolled.append(answer["enrolments"][0])
    await enrol(live_stack, job, "s1", "Niels Bohr", phone="+14155550199")

    await page.goto(f"{live_stack.base_url}/ui/jobs/{job}?view=table")
    rows = page.locator("#table-body tr")
    await expect(rows).to_have_count(4)
    await page.fill("#search", "curie")
    await expect(rows).to_have_count(3)
    await page.fill("#search", "555-0199")
    await expect(rows).to_have_count(1)
    await page.fill("#search", "curie")
    await expect(rows).to_have_count(3)
    href = await page.get_attribute("#export-csv", "href")
    assert href is not None and "q=curie" in href
    exported = await page.request.get(f"{live_stack.base_url}{href}")
    lines = (await exported.text()).strip().splitlines()
    assert lines[0].startswith("application_id,candidate_id,candidate_name")
    assert len(lines) == 4 and all("Marie Curie" in line for line in lines[1:])

    page.on("dialog", lambda dialog: dialog.accept())
    for queued in enrolled[1:]:
        await page.check(f'input[data-select="{queued["id"]}"]')
    await expect(page.locator("#bulk-count")).to_have_text("2 selected")
    await page.click("#bulk-cancel")
    await expect(page.locator("#bulk-result")).to_have_text("2 cancelled")
    for queued in enrolled[1:]:
        row = page.locator(f'tr:has(input[data-select="{queued["id"]}"]) .badge')
        await expect(row).to_have_attribute("data-status", "cancelled", timeout=10_000)

    # Sorting by a column header: ascending, then descending, said to assistive technology.
    await page.fill("#search", "")
    await expect(rows).to_have_count(4)
    header = page.locator('th:has(button[data-sort="candidate"])')
    await page.click('button[data-sort="candidate"]')
    await expect(rows.first.locator(".candidate-name")).to_have_text("Marie Curie")
    await expect(header).to_have_attribute("aria-sort", "ascending")
    await page.click('button[data-sort="candidate"]')
    await expect(rows.first.locator(".candidate-name")).to_have_text("Niels Bohr")
    await expect(header).to_have_attribute("aria-sort", "descending")


async def test_the_analytics_page_draws_the_funnel(
    demo_stack: LiveStack, page: Page, artifacts: Path
) -> None:
    await page.goto(f"{demo_stack.base_url}/ui/jobs/demo-backend-engineer/analytics")
    enrolled = int(await page.locator('[data-testid="enrolled"]').inner_text())
    assert enrolled > 0
    funnel = page.locator('svg[aria-label^="Funnel"]')
    await expect(funnel).to_be_visible()
    await expect(funnel).to_contain_text(f"{enrolled} (100.0%)")
    await page.screenshot(path=artifacts / "analytics.png", full_page=True)
    keep(artifacts, "analytics.png")
    tomorrow = datetime.now(UTC).date().replace(year=datetime.now(UTC).year + 1).isoformat()
    await page.fill('input[name="since"]', tomorrow)
    await page.click("#range-form button[type=submit]")
    await expect(page.locator('[data-testid="enrolled"]')).to_have_text("0")


async def test_upload_a_csv_of_candidates_with_per_row_errors(
    live_stack: LiveStack, page: Page, tmp_path: Path, artifacts: Path
) -> None:
    blast = {"name": "Hello", "kind": "blast", "channel": "sms", "messages": ["Hello!"]}
    job = await job_with_campaign(live_stack, "upload", "Upload", "Applied", blast)
    tag = uuid.uuid4().hex[:4]
    rows = ["name,phone,email"]
    rows += [f"Person {n} {tag},+1415555{n:04d},p{n}.{tag}@example.org" for n in range(60)]
    rows += [",+14155559999,", "No Contact,,", "Bad Phone,12345,"]
    csv_file = tmp_path / "candidates.csv"
    csv_file.write_text("\n".join(rows) + "\n")

    await page.goto(f"{live_stack.base_url}/ui/jobs/{job}/upload")
    await page.set_input_files("#upload-file", str(csv_file))
    await page.click("#upload-form button[type=submit]")
    summary = page.locator("#upload-summary")
    problems = page.locator("#upload-problems tbody tr")
    await expect(summary).to_contain_text("Done.", timeout=120_000)
    refused = await page.locator("#upload-problems tbody").inner_text()
    assert await summary.inner_text() == (
        "Done. 60 enrolled, 0 imported before, 3 not imported."
    ), refused
    await expect(problems).to_have_count(3)
    await expect(problems.first).to_contain_text("62")  # the file's own line numbers
    await expect(problems.first).to_contain_text("no name")
    await page.screenshot(path=artifacts / "upload.png", full_page=True)
    keep(artifacts, "upload.png")

    await page.click("#upload-form button[type=submit]")  # the same file again
    await expect(summary).not_to_have_text("Done. 60 enrolled, 0 imported before, 3 not imported.")
    await expect(summary).to_have_text(
        "Done. 60 enrolled, 0 imported before, 3 not imported.", timeout=120_000
    )
    answer = await api(live_stack, "GET", f"/jobs/{job}/applications?limit=500")
    assert len(answer["items"]) == 60, "uploading the same file twice creates nothing twice"


async def test_create_and_edit_a_job_in_the_admin(live_stack: LiveStack, page: Page) -> None:
    campaign_id = f"jobform-{uuid.uuid4().hex[:6]}"
    blast = {"name": "Thanks", "kind": "blast", "channel": "sms", "messages": ["Thanks!"]}
    await api(live_stack, "PUT", f"/campaigns/{campaign_id}", blast)
    job = f"form-job-{uuid.uuid4().hex[:6]}"
    await page.goto(f"{live_stack.base_url}/ui/jobs/new")
    await page.fill("input[name=job_id]", job)
    await page.fill("input[name=name]", "Forklift driver")
    await page.fill(
        "textarea[name=stages]",
        "applied | Applied | nope | - | -\nscreen | Screen | - | auto-match",
    )
    await page.click("#job-form button[type=submit]")
    await expect(page.locator("#form-errors")).to_contain_text("nope")
    await page.fill(
        "textarea[name=stages]",
        f"applied | Applied | {campaign_id} | - | 101\nscreen | Screen | - | auto-match",
    )
    await page.select_option("select[name=ats_system]", "greenhouse")
    await page.fill("input[name=ats_job_id]", f"gh-{job}")
    await page.click("#job-form button[type=submit]")
    await page.wait_for_url(f"**/ui/jobs/{job}")
    stored = await api(live_stack, "GET", f"/jobs/{job}")
    assert [(s["id"], s["campaign_id"], s["ats_stage_id"]) for s in stored["stages"]] == [
        ("applied", campaign_id, "101"),
        ("screen", None, None),
    ]
    assert stored["stages"][1]["interview_settings"] == {"auto_match": True}
    assert stored["ats"] == {"system": "greenhouse", "job_id": f"gh-{job}"}
    await page.goto(f"{live_stack.base_url}/ui/jobs/{job}/edit")
    await expect(page.locator("textarea[name=stages]")).to_have_value(
        f"applied | Applied | {campaign_id} | - | 101\nscreen | Screen | - | auto-match | -"
    )
