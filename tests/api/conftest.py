"""The product over HTTP: the real ASGI app, a real worker, the Temporal dev server, SQLite.

``stack`` is the whole story in one process: ``create_app`` served through httpx's
``ASGITransport``, the workflow and delivery workers (outbox channel) on task queues of this
test's own, and a migrated SQLite file. Every id a test makes goes through ``stack.id`` so
tests sharing the session's dev server never share a candidate's workflow.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.signatures import sign_webhook
from config.settings import Settings
from store.database import create_engine
from tests.keys import ADMIN_HEADERS
from workers.worker import running_workers

VALID_PHONE = "+14155550123"
#: Parses but is no one's number: the outbox channel refuses it for good.
INVALID_PHONE = "+1555"

#: How long a test waits for a workflow to move an enrolment on.
STATUS_TIMEOUT = timedelta(seconds=20)


def blast_campaign(
    message: str = "Thanks for applying, we will not move forward.",
) -> dict[str, Any]:
    return {"name": "Rejection", "kind": "blast", "channel": "sms", "messages": [message]}


def multi_module_campaign(modules: int = 2, expiry: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Screening",
        "kind": "multi_module",
        "channel": "sms",
        "messages": ["Welcome! A few questions for you.", "Thanks, we'll be in touch."],
        "modules": [
            {"id": f"m{i}", "name": f"Question {i}", "type": "question"}
            for i in range(1, modules + 1)
        ],
    }
    if expiry is not None:
        body["expiry"] = expiry
    return body


def schedule_campaign() -> dict[str, Any]:
    return {
        "name": "Book your interview",
        "kind": "multi_module",
        "channel": "sms",
        "messages": ["Pick a time for your interview."],
        "modules": [{"id": "book", "name": "Book a slot", "type": "schedule"}],
    }


@dataclass
class Stack:
    """The app over HTTP plus what the tests need to drive and observe it."""

    http: httpx.AsyncClient
    app: FastAPI
    settings: Settings
    engine: AsyncEngine
    env: WorkflowEnvironment
    run_id: str

    def id(self, name: str) -> str:
        """``name`` made unique to this test (candidate ids pick workflows on a shared server)."""
        return f"{name}-{self.run_id}"

    async def put_campaign(self, name: str, body: dict[str, Any]) -> str:
        campaign_id = self.id(name)
        response = await self.http.put(f"/campaigns/{campaign_id}", json=body)
        assert response.status_code == 200, response.text
        return campaign_id

    async def put_job(self, name: str, stages: list[dict[str, Any]]) -> str:
        job_id = self.id(name)
        response = await self.http.put(f"/jobs/{job_id}", json={"name": name, "stages": stages})
        assert response.status_code == 200, response.text
        return job_id

    def ats_event(
        self,
        *,
        job_id: str,
        stage_id: str,
        application: str,
        candidate: str,
        type: str = "application.created",
        event: str | None = None,
        phone: str | None = VALID_PHONE,
        occurred_at: datetime | None = None,
    ) -> dict[str, Any]:
        """An ATS event body; ``application``/``candidate`` are made unique with ``id``."""
        return {
            "id": event or f"evt_{uuid.uuid4().hex}",
            "type": type,
            "occurred_at": (occurred_at or datetime.now(UTC)).isoformat(),
            "application": {"id": self.id(application), "job_id": job_id, "stage_id": stage_id},
            "candidate": {
                "id": self.id(candidate),
                "name": f"Candidate {candidate}",
                "phone": phone,
                "email": None,
                "timezone": "Europe/London",
            },
        }

    async def send_event(self, body: dict[str, Any], **headers: str) -> list[dict[str, Any]]:
        """POST an ATS event, expect 202, return the enrolments it answered with."""
        response = await self.http.post("/ats/events", json=body, headers=headers)
        assert response.status_code == 202, response.text
        enrolments: list[dict[str, Any]] = response.json()["enrolments"]
        return enrolments

    async def enrolment(self, enrolment_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/enrolments/{enrolment_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def wait_for(self, enrolment_id: str, status: str) -> dict[str, Any]:
        """Poll ``GET /enrolments/{id}`` until it shows ``status``; fail after a timeout."""
        deadline = time.monotonic() + STATUS_TIMEOUT.total_seconds()
        seen = None
        while time.monotonic() < deadline:
            body = await self.enrolment(enrolment_id)
            seen = body["status"]
            if seen == status:
                return body
            await asyncio.sleep(0.05)
        raise AssertionError(f"enrolment {enrolment_id} stayed {seen}, never {status}")

    async def progress(self, enrolment_id: str, module_id: str, event: str) -> httpx.Response:
        return await self.http.post(
            "/webhooks/candidate-progress",
            json={
                "id": f"prg_{uuid.uuid4().hex}",
                "enrolment_id": enrolment_id,
                "module_id": module_id,
                "event": event,
            },
        )


StackFactory = Callable[..., AbstractAsyncContextManager[Stack]]


@pytest.fixture
def api_database_url(sqlite_url: str) -> str:
    """The read model the stack runs on: SQLite; a module may override it (``database_url``
    runs its tests on SQLite and PostgreSQL)."""
    return sqlite_url


@pytest.fixture
def open_stack(dev_env: WorkflowEnvironment, api_database_url: str, tmp_path: Path) -> StackFactory:
    """Opens a ``Stack``; keyword arguments override settings (e.g. ``webhook_secret``)."""

    @asynccontextmanager
    async def opened(**overrides: Any) -> AsyncIterator[Stack]:
        run_id = uuid.uuid4().hex[:10]
        settings = Settings(
            data_dir=tmp_path,
            database_url=api_database_url,
            task_queue=f"api-{run_id}",
            delivery_task_queue=f"api-delivery-{run_id}",
            **overrides,
        )
        engine = create_engine(settings.database_url)
        try:
            async with running_workers(dev_env.client, settings, engine):
                app = create_app(settings, dev_env.client, engine=engine)
                transport = httpx.ASGITransport(app=app)
                # ASGITransport does not run the app's lifespan (what it opens, it closes).
                async with (
                    app.router.lifespan_context(app),
                    httpx.AsyncClient(
                        transport=transport, base_url="http://test", headers=ADMIN_HEADERS
                    ) as http,
                ):
                    yield Stack(http, app, settings, engine, dev_env, run_id)
        finally:
            await engine.dispose()

    return opened


@pytest.fixture
async def stack(open_stack: StackFactory) -> AsyncIterator[Stack]:
    async with open_stack() as opened:
        yield opened


def signed_headers(
    secret: str, body: bytes, *, webhook_id: str | None = None, at: float | None = None
) -> dict[str, str]:
    """Standard Webhooks headers for ``body`` (what a signed caller sends)."""
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time() if at is None else at)
    return {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign_webhook(secret, webhook_id, timestamp, body),
    }


def as_bytes(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()
