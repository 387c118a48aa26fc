"""Health and metrics: ``/livez`` (the process is up), ``/readyz`` (it can reach Temporal and
the database), ``/healthz`` (readiness plus whether the delivery workers can reach their
providers), ``/metrics`` (Prometheus text). All public: they carry counts, never ids."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from api.bodies import CheckedRoute
from api.dependencies import ContextDep
from api.errors import ApiError, error_responses
from api.permissions import PUBLIC_ROUTE
from config.telemetry import exported_metrics, meter
from config.temporal import HEALTH_CHECK_TIMEOUT, temporal_answers
from domain.metrics import DESCRIPTIONS, ENROLMENTS_BY_STATUS
from domain.statuses import EnrolmentStatus
from store.database import ping
from store.provider_health import ProviderHealth
from store.views import enrolments_by_status

# Public: counts and states, never an id.
router = APIRouter(tags=["operations"], route_class=CheckedRoute, dependencies=[PUBLIC_ROUTE])

#: Prometheus' text format.
PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8"


class Health(BaseModel):
    """``status`` is ``ok``, or ``degraded`` when a provider cannot send (``delivery`` says
    which and why: a configuration an admin must fix; messages wait meanwhile)."""

    status: str
    temporal: str
    database: str
    delivery: dict[str, str] = {}


class Liveness(BaseModel):
    status: str = "alive"


async def _ready(context: ContextDep) -> Health:
    """The dependencies' state; raises 503 (error shape) when one is unreachable."""
    temporal, database = await asyncio.gather(
        temporal_answers(context.client),
        ping(context.engine, HEALTH_CHECK_TIMEOUT.total_seconds()),
    )
    health = Health(
        status="ok" if temporal and database else "unavailable",
        temporal="ok" if temporal else "unreachable",
        database="ok" if database else "unreachable",
    )
    if not (temporal and database):
        raise ApiError(
            503, "unhealthy", "a dependency is unreachable", health.model_dump(mode="json")
        )
    return health


@router.get("/livez", response_model=Liveness)
async def livez() -> Liveness:
    """200 while the process serves requests (restart it when this fails)."""
    return Liveness()


@router.get("/readyz", response_model=Health, responses=error_responses(503))
async def readyz(context: ContextDep) -> Health:
    """200 when both Temporal and the database answer; 503 (error shape) otherwise (send it no
    traffic until it recovers)."""
    return await _ready(context)


@router.get("/healthz", response_model=Health, responses=error_responses(503))
async def healthz(context: ContextDep) -> Health:
    """200 when both Temporal and the database answer (``degraded``, with ``delivery``
    saying why, when a provider cannot send); 503 (error shape) otherwise."""
    health = await _ready(context)
    problems = await ProviderHealth(context.sessions).problems()
    if problems:
        health.status = "degraded"
        health.delivery = {
            p.provider: f"{p.problem} (since {p.since.isoformat()})" for p in problems
        }
    return health


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {PROMETHEUS: {}}, "description": "Prometheus text"}},
)
async def metrics(context: ContextDep) -> PlainTextResponse:
    """Requests, outside events, transitions, messages, enrolments by status and, in the
    process that runs them (the embedded stack), the SDK's worker metrics."""
    async with context.sessions() as session:
        counts = await enrolments_by_status(session)
    gauge = meter().create_gauge(ENROLMENTS_BY_STATUS, DESCRIPTIONS[ENROLMENTS_BY_STATUS])
    for status in EnrolmentStatus:
        gauge.set(counts.get(status.value, 0), {"status": status.value})
    return PlainTextResponse(await exported_metrics(), media_type=PROMETHEUS)
