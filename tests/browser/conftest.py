"""The whole product on one machine for the browser tests, plus a headless Chromium.

``live_stack``: a real Temporal dev server (``dev_env``), the real worker, a migrated SQLite
read model and the HTTP app served by uvicorn on a free port, all in the test session's event
loop. ``chromium``: Debian's Chromium driven by Playwright (never a downloaded browser). In CI
(``CI=true``) a missing Chromium fails the run; locally it skips the browser tests.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from playwright.async_api import Browser, Page, async_playwright
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from config.settings import Settings
from store.database import create_engine
from store.migrate import upgrade
from tests.keys import ADMIN_HEADERS, TEST_ADMIN_KEY
from workers.demo import load_demo
from workers.worker import running_workers

CHROMIUM = os.environ.get("ENROLMENTS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
DOCS = Path(__file__).resolve().parents[2] / "docs"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@dataclass(frozen=True)
class LiveStack:
    """A running product: its URL, its settings and the Temporal client behind it."""

    base_url: str
    settings: Settings
    client: Client

    def http(self) -> httpx.AsyncClient:
        """A client for the product's HTTP API."""
        return httpx.AsyncClient(base_url=self.base_url, timeout=30.0, headers=ADMIN_HEADERS)


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def live_stack(
    dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[LiveStack]:
    """The product served over HTTP on a free port, with its worker, for this test session."""
    data_dir = tmp_path_factory.mktemp("browser-stack")
    suffix = uuid.uuid4().hex[:8]
    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite+aiosqlite:///{data_dir / 'read-model.db'}",
        task_queue=f"browser-{suffix}",
        delivery_task_queue=f"browser-delivery-{suffix}",
        temporal_ui_url="http://temporal-ui.test:8233",
    )
    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    sock = _free_socket()
    host, port = sock.getsockname()
    app = create_app(settings, dev_env.client, engine=engine)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    )
    try:
        async with running_workers(dev_env.client, settings, engine):
            serving = asyncio.create_task(server.serve(sockets=[sock]))
            while not server.started:
                if serving.done():
                    serving.result()
                await asyncio.sleep(0.02)
            try:
                yield LiveStack(f"http://{host}:{port}", settings, dev_env.client)
            finally:
                server.should_exit = True
                await serving
    finally:
        sock.close()
        await engine.dispose()


def chromium_path() -> str | None:
    """Debian's Chromium binary, if installed."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    return shutil.which("chromium")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def demo_stack(live_stack: LiveStack) -> LiveStack:
    """The running product with the demo company loaded (once per session)."""
    await load_demo(live_stack.base_url, api_key=TEST_ADMIN_KEY)
    return live_stack


@asynccontextmanager
async def open_page(chromium: Browser, **options: Any) -> AsyncIterator[Page]:
    """A page in a browser context of its own (``options``: Playwright's context options),
    closed afterwards."""
    context = await chromium.new_context(**options)
    try:
        yield await context.new_page()
    finally:
        await context.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def chromium() -> AsyncIterator[Browser]:
    """Debian's headless Chromium under Playwright."""
    executable = chromium_path()
    if executable is None:
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if in_ci():
            pytest.fail(f"{message}; CI never skips browser tests", pytrace=False)
        pytest.skip(message)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (gitignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest_asyncio.fixture(loop_scope="session")
async def page(chromium: Browser) -> AsyncIterator[Page]:
    """A wide page signed in by an admin's bearer key (UI pages take it too;
    tests/browser/test_sign_in.py signs in by cookie)."""
    async with open_page(
        chromium,
        viewport={"width": 1440, "height": 900},
        device_scale_factor=1,
        extra_http_headers=ADMIN_HEADERS,
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
    """A new candidate's application enters ``stage``; the id of its enrolment."""
    enrolment_id: str = (await enrolment_of(stack, job, stage, name, phone))["id"]
    return enrolment_id


async def enrolment_of(
    stack: LiveStack, job: str, stage: str, name: str, phone: str = "+14155550123"
) -> dict[str, Any]:
    """A new candidate's application enters ``stage``; its enrolment as the API answers it
    (``id``, ``status``, ``link``...)."""
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
    enrolment: dict[str, Any] = answer["enrolments"][0]
    return enrolment


#: The demo job the page tours visit.
DEMO_JOB = "demo-backend-engineer"


async def recruiter_pages(stack: LiveStack) -> list[str]:
    """Every recruiter page of the demo company, with an enrolment and a campaign of it."""
    async with stack.http() as http:
        items = (await http.get(f"/jobs/{DEMO_JOB}/applications?limit=50")).json()["items"]
        enrolment_id = next(i["enrolment_id"] for i in items if i["enrolment_id"])
        job = (await http.get(f"/jobs/{DEMO_JOB}")).json()
        campaign_id = next(s["campaign_id"] for s in job["stages"] if s["campaign_id"])
    return [
        "/ui/",
        f"/ui/jobs/{DEMO_JOB}?view=table",
        f"/ui/jobs/{DEMO_JOB}?view=kanban",
        f"/ui/jobs/{DEMO_JOB}/analytics",
        f"/ui/jobs/{DEMO_JOB}/upload",
        f"/ui/jobs/{DEMO_JOB}/edit",
        "/ui/jobs/new",
        f"/ui/enrolments/{enrolment_id}",
        "/ui/campaigns",
        "/ui/campaigns/new",
        f"/ui/campaigns/{campaign_id}",
    ]
