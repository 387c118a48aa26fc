"""A recruiter's job page in a real headless Chromium, against the whole running product.

The demo company is loaded through the HTTP API first, so the page looks the way a newcomer
sees it; one more candidate is then enrolled and driven by webhooks while the page is open.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import LiveStack, keep
from workers.demo_company import JOBS

pytestmark = [pytest.mark.browser, pytest.mark.devserver]

JOB = "demo-backend-engineer"
SCREENING_MODULES = ["meet-the-team", "screening-questions", "book-a-call"]


async def enrol_in_screen(stack: LiveStack, name: str) -> tuple[str, str]:
    """A new application in the job's Screen stage; returns (application id, enrolment id)."""
    tag = uuid.uuid4().hex[:8]
    application_id = f"app-{tag}"
    async with stack.http() as http:
        response = await http.post(
            "/ats/events",
            json={
                "id": f"evt-{tag}",
                "type": "application.created",
                "occurred_at": datetime.now(UTC).isoformat(),
                "application": {"id": application_id, "job_id": JOB, "stage_id": "screen"},
                "candidate": {"id": f"cand-{tag}", "name": name, "phone": "+14155550199"},
            },
        )
    assert response.status_code == 202, response.text
    [enrolment] = response.json()["enrolments"]
    return application_id, enrolment["id"]


async def progress(stack: LiveStack, enrolment_id: str, module_id: str, event: str) -> None:
    async with stack.http() as http:
        response = await http.post(
            "/webhooks/candidate-progress",
            json={
                "id": f"{enrolment_id}-{module_id}-{event}",
                "enrolment_id": enrolment_id,
                "module_id": module_id,
                "event": event,
            },
        )
    assert response.status_code == 202, response.text


async def test_recruiter_watches_a_card_change_status_without_reloading(
    demo_stack: LiveStack, page: Page, artifacts: Path
) -> None:
    application_id, enrolment_id = await enrol_in_screen(demo_stack, "Grace Hopper")
    # history.replaceState counts as a same-document navigation; a reload fires "load" again.
    loads: list[str] = []
    page.on("load", lambda loaded: loads.append(loaded.url))

    await page.goto(f"{demo_stack.base_url}/ui/jobs/{JOB}")
    table = page.locator('[data-view="table"]')
    await expect(table).to_be_visible()
    row = table.locator(f'tr[data-application-id="{application_id}"]')
    await expect(row.locator(".badge")).to_have_attribute("data-status", "delivered")
    assert await table.locator("tr[data-application-id] .badge[data-status]").count() >= 10
    await page.screenshot(path=artifacts / "table.png", full_page=True)

    await page.evaluate("window.__sameDocument = true")
    loads.clear()
    await page.click("#view-kanban-btn")
    kanban = page.locator('[data-view="kanban"]')
    await expect(kanban).to_be_visible()
    await expect(table).to_be_hidden()
    assert page.url.endswith("?view=kanban")
    card = kanban.locator(f'[data-application-id="{application_id}"]')
    badge = card.locator(".badge")
    await expect(badge).to_have_attribute("data-status", "delivered")
    # The name is a link to the enrolment's page; no internal id shows under it.
    name = card.locator("a.card-name")
    await expect(name).to_have_text("Grace Hopper")
    await expect(name).to_have_attribute("href", f"/ui/enrolments/{enrolment_id}")
    assert application_id not in await card.inner_text()

    await progress(demo_stack, enrolment_id, SCREENING_MODULES[0], "started")
    await expect(badge).to_have_attribute("data-status", "in_progress", timeout=10_000)
    await expect(badge).to_have_text("In progress")
    for module_id in SCREENING_MODULES:
        await progress(demo_stack, enrolment_id, module_id, "completed")
    await expect(badge).to_have_attribute("data-status", "completed", timeout=10_000)
    await expect(badge).to_have_text("Completed")

    assert await page.evaluate("window.__sameDocument") is True
    assert loads == []
    await page.mouse.move(0, 0)
    await page.wait_for_timeout(1700)  # let the change highlight fade before the screenshot
    await page.screenshot(path=artifacts / "kanban.png", full_page=True)
    keep(artifacts, "kanban.png")


async def test_timeline_opens_from_a_row_with_a_link_to_the_workflow(
    demo_stack: LiveStack, page: Page, artifacts: Path
) -> None:
    application_id, enrolment_id = await enrol_in_screen(demo_stack, "Katherine Johnson")
    await page.goto(f"{demo_stack.base_url}/ui/jobs/{JOB}?view=table")
    row = page.locator(f'[data-view="table"] tr[data-application-id="{application_id}"]')
    await row.locator(f'[data-timeline="{enrolment_id}"]').click()

    drawer = page.locator("#timeline-drawer")
    await expect(drawer).to_be_visible()
    await expect(drawer.locator("#drawer-title")).to_have_text("Katherine Johnson")
    await expect(drawer.locator(".timeline li").first).to_be_visible()
    # Once delivered, the message shows who carried it and how far it got.
    await expect(drawer.locator(".messages [data-delivery]").first).to_contain_text("outbox")
    link = drawer.locator("a[data-workflow-link]")
    href = await link.get_attribute("href")
    candidate_id = application_id.replace("app-", "cand-")
    assert href == (
        f"{demo_stack.settings.temporal_ui_url}/namespaces/{demo_stack.client.namespace}"
        f"/workflows/candidate-{candidate_id}"
    )
    await page.screenshot(path=artifacts / "timeline.png")


async def test_filters_narrow_the_table_to_one_status(demo_stack: LiveStack, page: Page) -> None:
    await page.goto(f"{demo_stack.base_url}/ui/jobs/{JOB}")
    await expect(page.locator('[data-view="table"] tr[data-application-id]').first).to_be_visible()
    await page.select_option("#status-filter", "delivered")
    assert "status=delivered" in page.url
    badges = page.locator('[data-view="table"] tr[data-application-id] .badge')
    await expect(badges.first).to_have_attribute("data-status", "delivered")
    statuses = set(await badges.evaluate_all("nodes => nodes.map(n => n.dataset.status)"))
    assert statuses == {"delivered"}


async def test_jobs_page_lists_every_job_with_its_counts(
    demo_stack: LiveStack, page: Page, artifacts: Path
) -> None:
    await page.goto(f"{demo_stack.base_url}/ui/")
    for job_id in JOBS:  # the demo's jobs (other tests of the session may add their own)
        await expect(page.locator(f'[data-job-id="{job_id}"]')).to_be_visible()
    # The page follows the figures by itself: a new application shows without a reload.
    total = page.locator(f'[data-job-id="{JOB}"] .job-total strong')
    before = int(await total.inner_text())
    await enrol_in_screen(demo_stack, "Katherine Johnson")
    await expect(total).to_have_text(str(before + 1), timeout=10_000)
    await expect(page.locator(f'[data-job-id="{JOB}"] h2')).to_have_text("Senior Backend Engineer")
    await page.screenshot(path=artifacts / "jobs.png", full_page=True)


async def test_unknown_job_shows_a_not_found_page(demo_stack: LiveStack, page: Page) -> None:
    response = await page.goto(f"{demo_stack.base_url}/ui/jobs/no-such-job")
    assert response is not None and response.status == 404
    await expect(page.locator("#not-found h1")).to_have_text("Job not found")


async def test_table_loads_more_rows_and_keeps_them_live(demo_stack: LiveStack, page: Page) -> None:
    await page.goto(f"{demo_stack.base_url}/ui/jobs/{JOB}?page_size=5")
    rows = page.locator('[data-view="table"] tr[data-application-id]')
    await expect(rows).to_have_count(5)
    await page.click("#load-more")
    await expect(rows).to_have_count(10)
    await page.wait_for_timeout(2000)  # a few polls later the loaded pages are still there
    await expect(rows).to_have_count(10)
    ids = await rows.evaluate_all("nodes => nodes.map(n => n.dataset.applicationId)")
    assert ids == sorted(ids) and len(set(ids)) == 10
