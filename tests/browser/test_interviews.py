"""Interviews in Debian's Chromium: the interviewer ticks their free hours on their own page on a
phone, a candidate picks one of those times on theirs (the slots by day, one tap, the booked
interview shown after), and the recruiter's agenda lists it; every page passes axe-core."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, expect

from config.interviewer_links import interviewer_link
from tests.browser.conftest import LiveStack, api, enrolment_of, open_page
from tests.browser.test_accessibility import require_axe, violations
from tests.browser.test_candidate_pages import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.devserver]


def tomorrow(hour: int, minute: int = 0) -> datetime:
    day = datetime.now(UTC).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


async def test_a_candidate_books_on_a_phone_and_the_agenda_shows_it(
    live_stack: LiveStack, chromium: Browser, page: Page
) -> None:
    require_axe()
    tag = uuid.uuid4().hex[:6]
    ana = f"ana-{tag}"
    await api(
        live_stack,
        "PUT",
        f"/interviewers/{ana}",
        {"name": "Ana Ruiz", "email": "ana@example.com", "timezone": "Europe/Madrid"},
    )
    campaign = {
        "name": "Book your interview",
        "kind": "multi_module",
        "channel": "sms",
        "messages": ["Pick a time: {link}"],
        "modules": [{"id": "book", "name": "Pick a time", "type": "schedule"}],
    }
    await api(live_stack, "PUT", f"/campaigns/book-{tag}", campaign)
    job = f"interviews-{tag}"
    settings = {"interviewer_ids": [ana], "min_notice": "PT0M", "location": "Main office"}
    stages = [
        {
            "id": "s1",
            "name": "Interview",
            "campaign_id": f"book-{tag}",
            "interview_settings": settings,
        }
    ]
    await api(live_stack, "PUT", f"/jobs/{job}", {"name": "Barista", "stages": stages})
    link = (await enrolment_of(live_stack, job, "s1", "Grace Hopper"))["link"]

    found: dict[str, list[str]] = {}
    own = interviewer_link(live_stack.settings, ana)
    madrid = ZoneInfo("Europe/Madrid")
    nine = tomorrow(9).astimezone(madrid)  # Ana ticks the hour that starts 09:00 UTC
    async with open_page(chromium, **PHONE) as phone:
        await phone.goto(f"{live_stack.base_url}{own[own.index('/i/') :]}")
        assert await phone.evaluate("document.documentElement.scrollWidth") <= 360
        if problems := await violations(phone):
            found["interviewer"] = problems
        await phone.check(f'input[name="free"][value="{nine.isoformat()}"]')
        await phone.click("#save")
        await expect(phone.locator("#saved")).to_be_visible()
        await expect(phone.locator('input[name="free"]:checked')).to_have_count(1)

    async with open_page(chromium, **PHONE) as phone:
        for _ in range(40):  # the welcome is being delivered
            await phone.goto(f"{live_stack.base_url}{link[link.index('/c/') :]}")
            if await phone.locator("#start").count():
                break
            await phone.wait_for_timeout(250)
        await phone.click("#start")
        times = phone.locator('input[name="start"]')
        await expect(times).to_have_count(3)
        assert await phone.evaluate("document.documentElement.scrollWidth") <= 360
        if problems := await violations(phone):
            found["slots"] = problems
        await phone.check("text=09:30")
        await phone.click("#save")
        await expect(phone.locator("#interview")).to_contain_text("09:30")
        await expect(phone.locator("#interview")).to_contain_text("Main office")
        if problems := await violations(phone):
            found["booked"] = problems

    day = tomorrow(0).date().isoformat()
    await page.goto(f"{live_stack.base_url}/ui/jobs/{job}/interviews?view=day&date={day}")
    item = page.locator(f'[data-testid="agenda-{day}"] .agenda-item')
    await expect(item).to_contain_text("Grace Hopper")
    await expect(item).to_contain_text("with Ana Ruiz")
    if problems := await violations(page):
        found["agenda"] = problems
    assert found == {}
