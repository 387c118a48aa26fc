"""Every recruiter page fits a phone (390 pixels), a small laptop (1,024) and a desktop (1,440)
without the page scrolling sideways: a wide table may scroll inside its own box on a phone,
never the page. And the API docs render every operation (Swagger UI reads OpenAPI 3.1)."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import LiveStack, open_page, recruiter_pages
from tests.keys import ADMIN_HEADERS

pytestmark = [pytest.mark.browser, pytest.mark.devserver]

WIDTHS = (390, 1024, 1440)

#: Where the page is wider than the window, and what sticks out (outside boxes that scroll).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const clipped = (node) => {
    for (let up = node.parentElement; up && up !== document.body; up = up.parentElement) {
      if (["auto", "scroll", "hidden"].includes(getComputedStyle(up).overflowX)) return true;
    }
    return false;
  };
  const out = [...document.body.querySelectorAll("*")]
    .filter((node) => node.getBoundingClientRect().right > width + 1 && !clipped(node))
    .slice(0, 3)
    .map((node) => `${node.tagName.toLowerCase()}.${node.className}`);
  const scrolled = document.documentElement.scrollWidth;
  return scrolled > width ? [scrolled, out] : null;
}"""


async def test_every_page_fits_every_width(demo_stack: LiveStack, chromium: Browser) -> None:
    pages = await recruiter_pages(demo_stack)
    too_wide: dict[str, object] = {}
    for width in WIDTHS:
        viewport = {"width": width, "height": 900}
        async with open_page(chromium, viewport=viewport, extra_http_headers=ADMIN_HEADERS) as page:
            for path in pages:
                await page.goto(f"{demo_stack.base_url}{path}")
                await page.wait_for_load_state("networkidle")
                overflow = await page.evaluate(OVERFLOW)
                if overflow is not None:
                    too_wide[f"{width} {path}"] = overflow
    assert too_wide == {}


async def test_the_api_docs_render_every_operation(
    live_stack: LiveStack, chromium: Browser
) -> None:
    async with open_page(chromium) as page:
        await page.goto(f"{live_stack.base_url}/docs")
        operations = page.locator(".opblock")
        await expect(operations.first).to_be_visible(timeout=15_000)
        assert await operations.count() >= 20
        await expect(page.locator("body")).not_to_contain_text("Unable to render this definition")
        await expect(page.locator(".opblock-summary-path").first).to_be_visible()
