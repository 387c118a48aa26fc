"""``GET /healthz``: can this API process reach Temporal and the database, and can the
delivery workers reach their providers?"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from fastapi import APIRouter
from pydantic import BaseModel

from api.dependencies import ContextDep
from api.errors import ApiError, error_responses
from store.database import ping
from store.provider_health import ProviderHealth

logger = logging.getLogger(__name__)

router = APIRouter(tags=["operations"])

#: How long each dependency may take to answer before it counts as down.
CHECK_TIMEOUT = timedelta(seconds=3)


class Health(BaseModel):
    """``status`` is ``ok``, or ``degraded`` when a provider cannot send (``delivery`` says
    which and why: a configuration an admin must fix; messages wait meanwhile)."""

    status: str
    temporal: str
    database: str
    delivery: dict[str, str] = {}


async def _temporal_answers(context: ContextDep) -> bool:
    try:
        return await context.client.service_client.check_health(timeout=CHECK_TIMEOUT)
    except Exception as err:
        # A health check reports; whatever went wrong means "down".
        logger.warning("Temporal health check failed: %s", err)
        return False


@router.get("/healthz", response_model=Health, responses=error_responses(503))
async def healthz(context: ContextDep) -> Health:
    """200 when both Temporal and the database answer (``degraded``, with ``delivery``
    saying why, when a provider cannot send); 503 (error shape) otherwise."""
    temporal, database = await asyncio.gather(
        _temporal_answers(context), ping(context.engine, CHECK_TIMEOUT.total_seconds())
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
    problems = await ProviderHealth(context.sessions).problems()
    if problems:
        health.status = "degraded"
        health.delivery = {
            p.provider: f"{p.problem} (since {p.since.isoformat()})" for p in problems
        }
    return health
