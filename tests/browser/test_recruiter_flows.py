"""The recruiter's product in Debian's Chromium: fix a number and resend a failed campaign
(the enrolment page following it live); search, export and bulk-cancel in the Table; read the
funnel; upload candidates. Screenshots land in tests/artifacts (docs/ on request)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import LiveStack, api, enrol, job_with_campaign, keep

pytestmark = [pytest.mark.browser, pytest.mark.devserver]


async def test_fix_the_number_and_resend_a_failed_campaign(
    live_stack: LiveStack, page: Page, artifacts: Path
) -> None:
    blast = {"name": "Thanks", "kind": "blast", "channel": "sms", "messages": ["Thanks!"]}
    job = await job_with_campaign(live_stack, "fix", "Fix", "Applied", blast)
    enrolment_id = await enrol(live_stack, job, "s1", "Alan Turing", phone="+1555")

    # Fails at once (no valid number): the page says why, in words.
    await page.goto(f"{live_stack.base_url}/ui/enrolments/{enrolment_id}")
    await expect(page.locator('[data-testid="status"]')).to_have_attribute("data-status", "failed")
    await expect(page.locator('[data-testid="reason"]')).to_have_text(
        "The phone number is not a valid number"
    )
    await page.fill("#reenrol-form input[name=phone]", "12345")
    await page.click("#reenrol-form button[type=submit]")
    await expect(page.locator("#action-error")).to_be_visible()
    await page.fill("#reenrol-form input[name=phone]", "+14155550123")
    await page.click("#reenrol-form button[type=submit]")
    await page.wait_for_url(lambda url: enrolment_id not in url)
    # The new enrolment's page follows it by itself: sending, then delivered, no reload.
    await expect(page.locator('[data-testid="status"]')).to_have_attribute(
        "data-status", "delivered", timeout=15_000
    )
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
    assert lines[0].startswith(
        "application_id,candidate_id,candidate_name,candidate_phone,candidate_email"
    )
    assert len(lines) == 4 and all("Marie Curie" in line for line in lines[1:])

    for queued in enrolled[1:]:
        await page.check(f'input[data-select="{queued["id"]}"]')
    await expect(page.locator("#bulk-count")).to_have_text("2 selected")
    await page.click("#bulk-cancel")
    # Asked in the page (never the browser's confirm()), in words.
    dialog = page.locator("dialog.confirm-dialog")
    await expect(dialog).to_contain_text("Cancel 2 enrolments?")
    await dialog.locator("button[data-confirm=yes]").click()
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
