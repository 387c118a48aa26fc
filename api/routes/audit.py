"""``GET /audit`` (admin): who changed configuration or keys or erased a candidate, what, when."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.bodies import CheckedRoute
from api.dependencies import SessionDep
from api.errors import error_responses
from api.permissions import ADMINS
from store.access import AuditEntry, audit_entries

router = APIRouter(tags=["operations"], route_class=CheckedRoute, dependencies=[ADMINS])


class AuditPage(BaseModel):
    """The newest entries first; ``next_before`` asks for the page after this one."""

    entries: list[AuditEntry]
    next_before: int | None


@router.get("/audit", response_model=AuditPage, responses=error_responses(401, 403, 422))
async def audit(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> AuditPage:
    """Configuration changes (``campaign.saved``, ``job.saved``), key changes
    (``key.created``, ``key.revoked``) and erasures (``candidate.erased``), newest first."""
    found = await audit_entries(session, limit=limit + 1, before=before)
    page = found[:limit]
    return AuditPage(
        entries=page,
        next_before=page[-1].id if len(found) > limit else None,
    )
