"""Every recruiter page passes axe-core's WCAG 2 A/AA rules in Chromium, and works from the
keyboard: the Table's controls are reachable with Tab and a status never shows by colour alone.

axe-core comes from npm (``tests/browser/axe``, installed by ``scripts/test.sh``), loaded from
disk into the page under test: nothing is fetched from a CDN.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page

from tests.browser.conftest import LiveStack, in_ci, open_page, recruiter_pages
from tests.keys import ADMIN_HEADERS

pytestmark = [pytest.mark.browser, pytest.mark.devserver]

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
JOB = "demo-backend-engineer"


def require_axe() -> None:
    """Skip without axe-core locally; in CI its absence is a failure."""
    if not AXE.exists():
        message = f"axe-core is not installed ({AXE}): npm install --prefix tests/browser/axe"
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest_asyncio.fixture(loop_scope="session")
async def page(chromium: Browser) -> AsyncIterator[Page]:
    require_axe()
    async with open_page(
        chromium, viewport={"width": 1280, "height": 900}, extra_http_headers=ADMIN_HEADERS
    ) as page:
        yield page


async def violations(page: Page) -> list[str]:
    await page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = await page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
        })"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
    ]


async def test_every_recruiter_page_passes_axe(demo_stack: LiveStack, page: Page) -> None:
    pages = [*await recruiter_pages(demo_stack), "/ui/sign-in"]
    found: dict[str, list[str]] = {}
    for path in pages:
        await page.goto(f"{demo_stack.base_url}{path}")
        await page.wait_for_load_state("networkidle")
        problems = await violations(page)
        if problems:
            found[path] = problems
    assert found == {}


async def test_the_table_works_from_the_keyboard(demo_stack: LiveStack, page: Page) -> None:
    await page.goto(f"{demo_stack.base_url}/ui/jobs/{JOB}?view=table")
    await page.wait_for_selector("#table-body tr")
    reached: set[str] = set()
    for _ in range(60):
        await page.keyboard.press("Tab")
        reached.add(await page.evaluate("document.activeElement && document.activeElement.id"))
    assert {"view-kanban-btn", "status-filter", "search", "export-csv"} <= reached
    # A status is written out, not only coloured.
    badge = page.locator("#table-body .badge").first
    assert (await badge.inner_text()).strip() != ""
