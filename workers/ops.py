"""The worker's ops port (``ENROLMENTS_METRICS_PORT``): ``/metrics`` (the SDK's worker metrics
and the product's), ``/livez`` (the process runs) and ``/readyz`` (it reaches Temporal and the
database), for Prometheus and for the orchestrator's health checks."""

from __future__ import annotations

import asyncio
import contextlib
import socket
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
from workers.supervision import StartupError, finish, http_server, serve_http, wait_until_serving

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


def bind_ops_socket(settings: Settings, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in settings.api_host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.api_host, port))
    except OSError as error:
        sock.close()
        raise StartupError(
            f"cannot listen on {settings.api_host}:{port} for the worker's metrics and health "
            f"({error.strerror}); choose another ENROLMENTS_METRICS_PORT"
        ) from None
    return sock


@contextlib.asynccontextmanager
async def serving_ops(
    settings: Settings, client: Client, engine: AsyncEngine
) -> AsyncIterator[None]:
    """Serve the ops endpoints while the context is open (nothing without a metrics port)."""
    if settings.metrics_port is None:
        yield
        return
    sock = bind_ops_socket(settings, settings.metrics_port)
    server = http_server(ops_app(client, engine), access_log=False)
    task = asyncio.create_task(serve_http(server, sock), name="worker ops port")
    try:
        await wait_until_serving(server, task)
        yield
    finally:
        server.should_exit = True
        await finish(task, within=5.0)
