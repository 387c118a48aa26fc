"""The candidate's pages on a phone in Debian's Chromium: a candidate goes through content and
questions (a validation error on the way) and completes while the recruiter's Table turns
``completed`` by itself; the same with JavaScript off, ending in a knockout; an expired link;
every candidate page passes axe-core."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import LiveStack, api, enrolment_of, job_with_campaign, keep, open_page
from tests.browser.test_accessibility import require_axe, violations

pytestmark = [pytest.mark.browser, pytest.mark.devserver]

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True}


def campaign(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Warehouse screening",
        "kind": "multi_module",
        "channel": "sms",
        "messages": ["Hi {first_name}, three quick steps: {link}"],
        "modules": [
            {
                "id": "meet",
                "name": "Meet the team",
                "type": "content",
                "body": "We are **twelve** people.\n\n- nights\n- days",
            },
            {
                "id": "qs",
                "name": "A few questions",
                "type": "question",
                "questions": [
                    {
                        "id": "shift",
                        "prompt": "Which shift suits you?",
                        "answer": "choice",
                        "options": ["Mornings", "Nights"],
                    },
                    {
                        "id": "work",
                        "prompt": "Do you have the right to work here?",
                        "answer": "yes_no",
                        "knockout": ["no"],
                    },
                    {"id": "years", "prompt": "Years of experience", "answer": "number"},
                ],
            },
        ],
        **overrides,
    }


async def enrolled(stack: LiveStack, name: str, **overrides: Any) -> tuple[str, str, str]:
    """``(job id, enrolment id, link path)`` of a new candidate in a new job's campaign."""
    job = await job_with_campaign(stack, "cand", "Warehouse", "Screen", campaign(**overrides))
    enrolment = await enrolment_of(stack, job, "s1", name)
    link: str = enrolment["link"]
    return job, enrolment["id"], link[link.index("/c/") :]


async def test_a_candidate_completes_on_a_phone_while_the_table_follows(
    live_stack: LiveStack, chromium: Browser, page: Page, artifacts: Path
) -> None:
    job, _, link = await enrolled(live_stack, "Grace Hopper")
    await page.goto(f"{live_stack.base_url}/ui/jobs/{job}?view=table")
    badge = page.locator("#table-body .badge").first
    async with open_page(chromium, **PHONE) as phone:
        await phone.goto(f"{live_stack.base_url}{link}")
        for _ in range(40):  # the welcome is being delivered: the page refreshes by itself
            if await phone.locator("#start").count():
                break
            await phone.wait_for_timeout(250)
            await phone.reload()
        await expect(phone.locator("h1")).to_have_text("Hi Grace!")
        await phone.click("#start")
        await expect(phone.locator(".progress")).to_contain_text("Step 1 of 2")
        await expect(phone.locator(".body strong")).to_have_text("twelve")
        await expect(badge).to_have_attribute("data-status", "in_progress", timeout=10_000)
        await phone.click("#save")
        await expect(phone.locator(".progress")).to_contain_text("Step 2 of 2")
        await phone.check("text=Nights")
        await phone.fill('input[name="q.years"]', "a few")
        await phone.click("#save")
        await expect(phone.locator("#problems")).to_be_visible()
        await expect(phone.locator("#error-work")).to_have_text("This question needs an answer.")
        await expect(phone.locator('input[name="q.years"]')).to_have_attribute(
            "aria-invalid", "true"
        )
        assert await phone.evaluate("document.documentElement.scrollWidth") <= 360
        await phone.screenshot(path=artifacts / "candidate-phone.png", full_page=True)
        keep(artifacts, "candidate-phone.png")
        await phone.check("text=Yes")
        await phone.fill('input[name="q.years"]', "4")
        await phone.click("#save")
        await expect(phone.locator("#message")).to_have_attribute("data-kind", "thanks")
    await expect(badge).to_have_attribute("data-status", "completed", timeout=10_000)


async def test_without_javascript_a_knockout_ends_it(
    live_stack: LiveStack, chromium: Browser
) -> None:
    _, enrolment_id, link = await enrolled(live_stack, "Alan Turing")
    async with open_page(chromium, java_script_enabled=False, **PHONE) as phone:
        for _ in range(40):
            await phone.goto(f"{live_stack.base_url}{link}")
            if await phone.locator("#start").count():
                break
            await phone.wait_for_timeout(250)
        await phone.click("#start")
        await phone.click("#save")
        await phone.check("text=Mornings")
        await phone.check("text=No")
        await phone.fill('input[name="q.years"]', "2")
        await phone.click("#save")
        await expect(phone.locator("#message")).to_have_attribute("data-kind", "thanks")
    shown = await api(live_stack, "GET", f"/enrolments/{enrolment_id}")
    assert (shown["status"], shown["status_reason"]) == ("completed", "knocked_out")


async def test_an_expired_link_and_every_candidate_page_pass_axe(
    live_stack: LiveStack, chromium: Browser
) -> None:
    require_axe()
    _, enrolment_id, link = await enrolled(live_stack, "Ada Lovelace", expiry="PT3S")
    _, _, open_link = await enrolled(live_stack, "Katherine Johnson")
    async with open_page(chromium, **PHONE) as phone:
        found: dict[str, list[str]] = {}
        for _ in range(40):  # the welcome is being delivered: the page waits (and refreshes)
            await phone.goto(f"{live_stack.base_url}{open_link}")
            if await phone.locator("#start").count():
                break
            await phone.wait_for_timeout(250)
        for path in (open_link, f"/c/{'x' * 22}"):
            await phone.goto(f"{live_stack.base_url}{path}")
            if problems := await violations(phone):
                found[path] = problems
        for _ in range(80):
            await phone.goto(f"{live_stack.base_url}{link}")
            if await phone.locator('#message[data-kind="ended_expired"]').count():
                break
            await phone.wait_for_timeout(250)
        await expect(phone.locator("h1")).to_have_text("This link is closed")
        assert "Meet the team" not in await phone.content(), "an ended campaign shows no modules"
        if problems := await violations(phone):
            found["expired"] = problems
        await phone.goto(f"{live_stack.base_url}{open_link}")
        await phone.click("#start")
        await phone.click("#save")
        await phone.click("#save")  # every answer missing: errors on the page
        if problems := await violations(phone):
            found["errors"] = problems
    assert found == {}
    assert (await api(live_stack, "GET", f"/enrolments/{enrolment_id}"))["status"] == "expired"
