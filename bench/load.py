"""The load benchmarks send: the bench company (a blast and a three-module campaign), one
application per candidate, ATS events posted as an ATS would (retrying what says retry), and
waiting for statuses in the read model."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import sqlite3
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.stack import (
    BENCH_HEADERS,
    BLAST_CAMPAIGN,
    BLAST_STAGE,
    MODULES,
    MULTI_MODULE_CAMPAIGN,
    MULTI_MODULE_STAGE,
    BenchStack,
)


async def configure_company(http: httpx.AsyncClient, *jobs: str, expiry: str = "P7D") -> None:
    """A blast and a three-module campaign, and ``jobs`` whose stages link them.

    Each job has an ``applied`` stage (blast) and a ``screen`` stage (three modules).
    """
    campaigns: dict[str, dict[str, Any]] = {
        BLAST_CAMPAIGN: {
            "name": "Application received",
            "kind": "blast",
            "channel": "sms",
            "messages": ["Thanks for applying! We will be in touch soon."],
        },
        MULTI_MODULE_CAMPAIGN: {
            "name": "Screening chat",
            "kind": "multi_module",
            "channel": "sms",
            "messages": ["Hi! Three quick steps.", "All done, thank you!"],
            "modules": [
                {"id": MODULES[0], "name": "Meet the team", "type": "content"},
                {"id": MODULES[1], "name": "Screening questions", "type": "question"},
                {"id": MODULES[2], "name": "Book a call", "type": "schedule"},
            ],
            "expiry": expiry,
        },
    }
    for campaign_id, body in campaigns.items():
        (await http.put(f"/campaigns/{campaign_id}", json=body)).raise_for_status()
    for job_id in jobs:
        job = {
            "name": f"Bench job {job_id}",
            "stages": [
                {"id": BLAST_STAGE, "name": "Applied", "campaign_id": BLAST_CAMPAIGN},
                {"id": MULTI_MODULE_STAGE, "name": "Screen", "campaign_id": MULTI_MODULE_CAMPAIGN},
                {"id": "hired", "name": "Hired", "campaign_id": None},
            ],
        }
        (await http.put(f"/jobs/{job_id}", json=job)).raise_for_status()


@dataclass(frozen=True)
class Application:
    """One application of the load: which candidate, job and stage, and its event id."""

    event_id: str
    application_id: str
    candidate_id: str
    job_id: str
    stage_id: str = BLAST_STAGE

    def ats_event(self) -> dict[str, Any]:
        """The ``POST /ats/events`` body: the application was created in its stage."""
        number = int("".join(ch for ch in self.candidate_id if ch.isdigit()) or 0)
        return {
            "id": self.event_id,
            "type": "application.created",
            "occurred_at": datetime.now(UTC).isoformat(),
            "application": {
                "id": self.application_id,
                "job_id": self.job_id,
                "stage_id": self.stage_id,
            },
            "candidate": {
                "id": self.candidate_id,
                "name": f"Bench Candidate {number}",
                "phone": f"+1415555{number % 10_000:04d}",
                "email": None,
                "timezone": None,
            },
        }


def applications(
    run: str, job_id: str, candidates: int, per_candidate: int, stage_id: str = BLAST_STAGE
) -> list[Application]:
    """``candidates`` x ``per_candidate`` applications, round-robin over candidates (a bulk
    stage move of many candidates at once), with ids that sort in the order they are sent."""
    out = []
    for round_ in range(per_candidate):
        for c in range(candidates):
            seq = round_ * candidates + c
            out.append(
                Application(
                    event_id=f"evt-{run}-{seq:07d}",
                    application_id=f"app-{run}-{seq:07d}",
                    candidate_id=f"cand-{run}-{c:07d}",
                    job_id=job_id,
                    stage_id=stage_id,
                )
            )
    return out


@dataclass
class Posted:
    """What happened to one ATS event: when it was sent, when it was accepted, its answer."""

    application: Application
    sent: float
    accepted: float = math.nan
    status: int = 0
    enrolment_id: str | None = None
    first_status: str | None = None
    attempts: int = 0
    #: The error codes of the answers that were retried (503s).
    retried_for: list[str] = field(default_factory=list)


#: How often one ATS event is sent before the run gives up on it.
MAX_ATTEMPTS = 10


async def post_event(http: httpx.AsyncClient, application: Application) -> Posted:
    """Send one ATS event; on 503 send the same event again after its ``Retry-After``, as an
    ATS would."""
    posted = Posted(application, sent=time.monotonic())
    body = application.ats_event()
    while True:
        posted.attempts += 1
        response = await http.post("/ats/events", json=body)
        posted.status = response.status_code
        if response.status_code == 202:
            posted.accepted = time.monotonic()
            enrolments = response.json()["enrolments"]
            if enrolments:
                posted.enrolment_id = enrolments[0]["id"]
                posted.first_status = enrolments[0]["status"]
            return posted
        if response.status_code == 503 and posted.attempts < MAX_ATTEMPTS:
            posted.retried_for.append(_error_code(response))
            await asyncio.sleep(_retry_after(response))
            continue
        raise RuntimeError(
            f"POST /ats/events for {application.application_id}: "
            f"{response.status_code} {response.text[:300]}"
        )


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(float(response.headers.get("Retry-After", "1")), 30.0)
    except ValueError:
        return 1.0


def _error_code(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return f"http {response.status_code}"


async def post_all(
    http: httpx.AsyncClient, apps: Iterable[Application], concurrency: int
) -> list[Posted]:
    """Send every event as fast as ``concurrency`` requests in flight allow (closed loop)."""
    queue: asyncio.Queue[Application] = asyncio.Queue()
    for app in apps:
        queue.put_nowait(app)
    results: list[Posted] = []

    async def sender() -> None:
        while True:
            try:
                app = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            results.append(await post_event(http, app))

    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(sender())
    return results


@functools.cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


def http_client(api_url: str, concurrency: int, *, as_admin: bool = True) -> httpx.AsyncClient:
    """An HTTP client for the API with room for ``concurrency`` requests in flight (as the
    bench's admin, or as nobody: a candidate's phone). An idle connection is dropped after
    2 s, before the server's keep-alive (uvicorn's 5 s) closes it under a request."""
    return httpx.AsyncClient(
        base_url=api_url,
        timeout=httpx.Timeout(120.0),
        # One TLS context for every client: a client of its own would load the CA bundle
        # (tens of milliseconds of the bench's CPU, when 500 phones open at once).
        verify=_tls(),
        limits=httpx.Limits(
            max_connections=concurrency + 8,
            max_keepalive_connections=concurrency,
            keepalive_expiry=2.0,
        ),
        headers=BENCH_HEADERS if as_admin else None,
    )


def count_statuses(read_model: Path, job_id: str) -> dict[str, int]:
    """Enrolments of ``job_id`` per status, straight from the SQLite read model."""
    with contextlib.closing(sqlite3.connect(read_model, timeout=30)) as db:
        rows = db.execute(
            "SELECT status, count(*) FROM enrolments WHERE job_id = ? GROUP BY status", (job_id,)
        ).fetchall()
    return {str(status): int(n) for status, n in rows}


async def wait_for_status(
    stack: BenchStack,
    job_id: str,
    status: str,
    expected: int,
    *,
    within: float,
    every: float = 0.2,
) -> float:
    """Poll the read model until ``expected`` enrolments of ``job_id`` have ``status``.

    Returns the monotonic time at which that was first seen. Raises ``TimeoutError`` with the
    counts per status otherwise.
    """
    deadline = time.monotonic() + within
    while True:
        counts = await asyncio.to_thread(count_statuses, stack.read_model, job_id)
        if counts.get(status, 0) >= expected:
            return time.monotonic()
        stack.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError(f"after {within:.0f}s, {job_id} has {counts}, wanted {expected}")
        await asyncio.sleep(every)


async def enrol_in_batches(
    http: httpx.AsyncClient, job_id: str, stage_id: str, candidates: int, run: str, batch: int = 500
) -> list[dict[str, Any]]:
    """``candidates`` new applications entering ``stage_id`` through ``POST /ats/events/batch``,
    ``batch`` at a time; every event's result, in order."""
    results: list[dict[str, Any]] = []
    for start in range(0, candidates, batch):
        events = [
            {
                "id": f"evt-{run}-{n}",
                "type": "application.created",
                "occurred_at": datetime.now(UTC).isoformat(),
                "application": {"id": f"app-{run}-{n:05d}", "job_id": job_id, "stage_id": stage_id},
                "candidate": {
                    "id": f"cand-{run}-{n}",
                    "name": f"Candidate {n}",
                    "phone": "+14155550123",
                },
            }
            for n in range(start, min(candidates, start + batch))
        ]
        answer = await http.post("/ats/events/batch", json={"events": events}, timeout=600)
        answer.raise_for_status()
        results += answer.json()["results"]
    return results
