"""Signing in to the recruiter UI in a real Chromium: the session cookie's flags, CSRF, sign-out."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page

from tests.browser.conftest import LiveStack, open_page
from tests.keys import TEST_ADMIN_KEY

pytestmark = [pytest.mark.browser, pytest.mark.devserver]


@pytest_asyncio.fixture(loop_scope="session")
async def page(chromium: Browser) -> AsyncIterator[Page]:
    async with open_page(chromium) as page:
        yield page


async def test_sign_in_sets_a_strict_http_only_session_and_sign_out_ends_it(
    live_stack: LiveStack, page: Page
) -> None:
    base = live_stack.base_url
    await page.goto(f"{base}/ui/jobs/nurse?view=kanban")
    assert "/ui/sign-in?next=" in page.url, "a page of the UI asks who you are first"

    await page.fill("#key", "enr_aaaaaaaaaaaa_not-a-key-anyone-was-ever-given-0000")
    await page.click("button[type=submit]")
    assert "unknown or revoked" in await page.inner_text("[role=alert]")

    await page.fill("#key", TEST_ADMIN_KEY)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/ui/jobs/nurse?view=kanban")
    [cookie] = [c for c in await page.context.cookies() if c["name"] == "enrolments_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert "enrolments_session" not in await page.evaluate("document.cookie")
    assert "bootstrap admin key" in await page.inner_text("[data-testid=signed-in]")

    # The cookie alone does not change anything: the session's CSRF token must come along.
    token = await page.get_attribute("body", "data-csrf-token")
    assert token
    statuses = await page.evaluate(
        """async (token) => {
            const put = (headers) => fetch("/campaigns/csrf-check", {
                method: "PUT",
                headers: {"content-type": "application/json", ...headers},
                body: JSON.stringify(
                    {name: "CSRF check", kind: "blast", channel: "sms", messages: ["Hi"]}),
            }).then((r) => r.status);
            const signOut = await fetch("/ui/sign-out", {method: "POST", redirect: "manual",
                body: new URLSearchParams({csrf_token: "forged"})}).then((r) => r.status);
            return [await put({}), await put({"x-csrf-token": "forged"}),
                    await put({"x-csrf-token": token}), signOut];
        }""",
        token,
    )
    assert statuses == [403, 403, 200, 403]

    await page.click("form.sign-out button")
    await page.wait_for_url(f"{base}/ui/sign-in")
    assert not [c for c in await page.context.cookies() if c["name"] == "enrolments_session"]
    await page.goto(f"{base}/ui/")
    assert "/ui/sign-in?next=" in page.url


async def test_a_sign_in_link_carries_the_key_in_its_fragment(
    live_stack: LiveStack, page: Page
) -> None:
    """What ``enrolments dev`` prints: the page reads the key from ``#key=``, fills it in and
    waits for the click (a link from another site must not sign a browser in by itself)."""
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    await page.goto(f"{live_stack.base_url}/ui/sign-in#key={TEST_ADMIN_KEY}")
    await page.wait_for_timeout(300)
    assert page.url == f"{live_stack.base_url}/ui/sign-in", "not signed in without a click"
    assert await page.input_value("#key") == TEST_ADMIN_KEY
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{live_stack.base_url}/ui/")
    assert not any(TEST_ADMIN_KEY in url for url in requests), "the key never is in a URL"
