"""The editors in Debian's Chromium: build a multi-module campaign from rows (add, reorder,
remove), see every problem at once on its field, save it, link it and watch an enrolment's page
follow it to completed by itself; build a job from stage rows with a campaign picker."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.async_api import Locator, Page, expect

from tests.browser.conftest import LiveStack, api, enrol, keep

pytestmark = [pytest.mark.browser, pytest.mark.devserver]


async def values(rows: Locator, field: str) -> list[str]:
    """What each row's ``field`` holds, in the rows' order on the page."""
    found: list[str] = await rows.locator(f'[name="{field}"]').evaluate_all(
        "nodes => nodes.map(node => node.value)"
    )
    return found


async def test_build_a_campaign_from_rows_save_it_and_watch_an_enrolment_complete(
    live_stack: LiveStack, page: Page, artifacts: Path
) -> None:
    campaign_id = f"ui-{uuid.uuid4().hex[:6]}"
    await page.goto(f"{live_stack.base_url}/ui/campaigns/new")
    # A blast on SMS: one message, no modules, no subject. Multi-module shows the rest.
    modules_box = page.locator('[data-rows="module"]')
    await expect(modules_box).to_be_hidden()
    await expect(page.locator("#field-subject")).to_be_hidden()
    await page.fill("#field-name", "Warehouse screening")
    await page.fill("#field-campaign_id", campaign_id)
    await page.select_option("#field-kind", "multi_module")
    await expect(modules_box).to_be_visible()
    await page.fill("#field-welcome", "Hi ")
    await page.click("#field-welcome")
    await page.keyboard.press("End")
    await page.click('button[data-placeholder="first_name"]')
    await expect(page.locator("#preview article").first).to_contain_text("Hi Ada")

    # Modules are rows: add three, move the last up, remove the first.
    modules = modules_box.locator(":scope > .row-list > [data-row]")
    for name in ("Intro", "Availability", "Right to work"):
        await modules_box.locator(":scope > [data-row-add]").click()
        await modules.last.locator('[name="module_name"]').fill(name)
    await modules.nth(2).locator("[data-row-up]").click()
    await modules.first.locator("[data-row-remove]").click()
    assert await values(modules, "module_name") == ["Right to work", "Availability"]
    await expect(page.locator("#preview .preview-step").first).to_have_text(
        "Module 1: Right to work · Questions"
    )
    # A module's content by its type: questions are rows of their own, inside it.
    first = modules.first
    await first.locator('[name="module_body"]').wait_for(state="hidden")
    await first.locator('[data-rows="question"] [data-row-add]').click()
    question = first.locator('[data-rows="question"] [data-row]').last
    await question.locator('[name="question_prompt"]').fill("Right to work here?")
    await question.locator('[name="question_answer"]').select_option("yes_no")
    await expect(question.locator('[name="question_options"]')).to_be_hidden()
    await question.locator('[name="question_knockout"]').fill("no")
    await expect(page.frame_locator("#page-preview").locator("legend").first).to_contain_text(
        "Right to work here?", timeout=5_000
    )
    closings = page.locator('[data-rows="closing"]')
    await closings.locator("[data-row-add]").click()
    await closings.locator('[name="closing"]').fill("Thanks {first_name}, bye {nope}")
    await expect(page.locator("#preview mark.unknown")).to_have_text("{nope}")
    await page.fill("#field-expiry", "forever")
    await page.fill("#field-nudges_after", "2h, 1h")
    await page.fill("#field-nudges_message", "Still there, {first_name}?")

    # Every problem at once, each on its field; what was typed stays, rows in their order.
    await page.click("#campaign-form button[type=submit]")
    summary = page.locator("#form-errors")
    await expect(summary).to_contain_text("3 problems to fix")
    await expect(page.locator("#error-closing-0")).to_contain_text("{nope} is not a placeholder")
    await expect(page.locator("#error-expiry")).to_contain_text("'forever' is not a duration")
    await expect(page.locator("#error-nudges_after")).to_contain_text("must grow")
    await expect(page.locator("#field-expiry")).to_have_attribute("aria-invalid", "true")
    assert await values(modules, "module_name") == ["Right to work", "Availability"]
    await closings.locator('[name="closing"]').fill("Thanks {first_name}, that is all.")
    await page.fill("#field-expiry", "3d")
    await page.fill("#field-nudges_after", "2h, 1d")
    await page.evaluate("window.scrollTo(0, 0)")  # the sticky top bar at the top of the shot
    await page.screenshot(path=artifacts / "campaign-form.png", full_page=True)
    keep(artifacts, "campaign-form.png")
    await page.click("#campaign-form button[type=submit]")
    await expect(page.locator(f'tr[data-campaign-id="{campaign_id}"]')).to_be_visible()
    stored = await api(live_stack, "GET", f"/campaigns/{campaign_id}")
    assert [m["id"] for m in stored["modules"]] == ["right-to-work", "availability"]
    assert stored["modules"][0]["questions"][0]["knockout"] == ["no"]
    assert (stored["expiry"], stored["nudges"]["after"]) == ("P3D", ["PT2H", "P1D"])

    job = f"ui-job-{uuid.uuid4().hex[:6]}"
    stages = [{"id": "screen", "name": "Screen", "campaign_id": campaign_id}]
    await api(live_stack, "PUT", f"/jobs/{job}", {"name": "Warehouse", "stages": stages})
    enrolment_id = await enrol(live_stack, job, "screen", "Ada Lovelace")
    await page.goto(f"{live_stack.base_url}/ui/enrolments/{enrolment_id}")
    status = page.locator('[data-testid="status"]')
    await expect(status).to_have_attribute("data-status", "delivered", timeout=15_000)
    await expect(page.locator('[data-testid="expires"]')).to_be_visible()
    for module_id in ("right-to-work", "availability"):
        progress = {
            "id": f"p-{enrolment_id}-{module_id}",
            "enrolment_id": enrolment_id,
            "module_id": module_id,
            "event": "completed",
        }
        await api(live_stack, "POST", "/webhooks/candidate-progress", progress)
    # The page follows by itself; once completed, no expiry is shown.
    await expect(status).to_have_attribute("data-status", "completed", timeout=15_000)
    await expect(page.locator('[data-testid="expires"]')).to_have_count(0)
    await expect(page.locator('[data-testid="messages"]')).to_contain_text("Closing message")


async def test_build_a_job_from_stage_rows(live_stack: LiveStack, page: Page) -> None:
    campaign_id = f"jobform-{uuid.uuid4().hex[:6]}"
    blast = {"name": "Thanks", "kind": "blast", "channel": "sms", "messages": ["Thanks!"]}
    await api(live_stack, "PUT", f"/campaigns/{campaign_id}", blast)
    job = f"form-job-{uuid.uuid4().hex[:6]}"
    await page.goto(f"{live_stack.base_url}/ui/jobs/new")
    await page.fill("#field-job_id", job)
    await page.fill("#field-name", "Forklift driver")
    box = page.locator('[data-rows="stage"]')
    stages = box.locator("[data-row]")
    for name in ("Applied", "Phone screen", "Offer"):
        await box.locator("[data-row-add]").click()
        await stages.last.locator('[name="stage_name"]').fill(name)
    await stages.first.locator('[name="stage_campaign"]').select_option(campaign_id)
    await stages.first.locator('[name="stage_ats_stage"]').fill("101")
    await stages.nth(1).locator('[name="stage_auto_match"]').check()
    await stages.nth(2).locator("[data-row-remove]").click()
    await page.fill("#field-ats_job_id", f"gh-{job}")  # without saying which vendor
    await page.click("#job-form button[type=submit]")
    await expect(page.locator("#error-ats_system")).to_contain_text("Choose the vendor ATS")
    assert await values(stages, "stage_name") == ["Applied", "Phone screen"]
    await page.select_option("#field-ats_system", "greenhouse")
    await page.click("#job-form button[type=submit]")
    await page.wait_for_url(f"**/ui/jobs/{job}")
    stored = await api(live_stack, "GET", f"/jobs/{job}")
    assert [(s["id"], s["campaign_id"], s["ats_stage_id"]) for s in stored["stages"]] == [
        ("applied", campaign_id, "101"),
        ("phone-screen", None, None),
    ]
    assert stored["stages"][1]["interview_settings"]["auto_match"] is True

    # Reordered in the editor, saved in the new order; the ticks stay with their stages.
    await page.goto(f"{live_stack.base_url}/ui/jobs/{job}/edit")
    await stages.nth(1).locator("[data-row-up]").click()
    await page.click("#job-form button[type=submit]")
    await page.wait_for_url(f"**/ui/jobs/{job}")
    stored = await api(live_stack, "GET", f"/jobs/{job}")
    assert [
        (s["id"], (s["interview_settings"] or {}).get("auto_match")) for s in stored["stages"]
    ] == [
        ("phone-screen", True),
        ("applied", None),
    ]
