"""The worker's ops port (``ENROLMENTS_METRICS_PORT``): ``/metrics`` (the SDK's worker metrics
and the product's), ``/livez`` (the process runs) and ``/readyz`` (it reaches Temporal and the
database), for Prometheus and for the orchestrator's health checks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from temporalio.client import Client

from config.settings import Settings
from config.telemetry import exported_metrics
from config.temporal import HEALTH_CHECK_TIMEOUT, temporal_answers
from store.database import ping
from workers.supervision import (
    bind_http_socket,
    finish,
    http_server,
    serve_http,
    wait_until_serving,
)

PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8"


def ops_app(client: Client, engine: AsyncEngine) -> Starlette:
    """The ops endpoints of a worker connected with ``client`` to Temporal."""

    async def livez(request: Request) -> Response:
        return JSONResponse({"status": "alive"})

    async def readyz(request: Request) -> Response:
        temporal, database = await asyncio.gather(
            temporal_answers(client), ping(engine, HEALTH_CHECK_TIMEOUT.total_seconds())
        )
        body = {
            "status": "ok" if temporal and database else "unavailable",
            "temporal": "ok" if temporal else "unreachable",
            "database": "ok" if database else "unreachable",
        }
        return JSONResponse(body, status_code=200 if temporal and database else 503)

    async def metrics(request: Request) -> Response:
        return PlainTextResponse(await exported_metrics(), media_type=PROMETHEUS)

    return Starlette(
        routes=[
            Route("/livez", livez),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
        ]
    )


@contextlib.asynccontextmanager
async def serving_ops(
    settings: Settings, client: Client, engine: AsyncEngine
) -> AsyncIterator[None]:
    """Serve the ops endpoints while the context is open (nothing without a metrics port)."""
    if settings.metrics_port is None:
        yield
        return
    sock = bind_http_socket(
        settings,
        settings.metrics_port,
        serving="the worker's metrics and health",
        choose="choose another ENROLMENTS_METRICS_PORT",
    )
    server = http_server(ops_app(client, engine), access_log=False)
    task = asyncio.create_task(serve_http(server, sock), name="worker ops port")
    try:
        await wait_until_serving(server, task)
        yield
    finally:
        server.should_exit = True
        await finish(task, within=5.0)
