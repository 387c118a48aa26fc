"""``GET /campaigns/{id}/analytics`` and ``GET /jobs/{id}/analytics``: the funnel of the
enrolments created in a date range (``since`` inclusive, ``until`` exclusive)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime

from api.bodies import CheckedRoute
from api.dependencies import ContextDep
from api.errors import ApiError, error_responses
from api.permissions import RECRUITERS
from services.errors import not_found
from store.analytics import Analytics, Funnel
from store.catalog import Catalog

router = APIRouter(tags=["analytics"], route_class=CheckedRoute, dependencies=[RECRUITERS])

Since = Annotated[
    AwareDatetime | None,
    Query(description="Only enrolments created at or after this time (RFC 3339, with a zone)."),
]
Until = Annotated[
    AwareDatetime | None, Query(description="Only enrolments created before this time.")
]


def _check_range(since: AwareDatetime | None, until: AwareDatetime | None) -> None:
    if since is not None and until is not None and since >= until:
        raise ApiError(
            422,
            "validation_failed",
            "since must be before until",
            [{"loc": ["query", "since"], "message": "must be before until", "type": "value_error"}],
        )


@router.get(
    "/campaigns/{campaign_id}/analytics",
    response_model=Funnel,
    responses=error_responses(404, 422),
)
async def campaign_analytics(
    campaign_id: Annotated[str, Path(min_length=1, max_length=200)],
    context: ContextDep,
    since: Since = None,
    until: Until = None,
) -> Funnel:
    """The campaign's funnel: enrolled, delivered, started, completed; failed by reason,
    expired, cancelled; completion rate; median times to deliver and to complete; each
    module's starts and completions."""
    _check_range(since, until)
    # Each read in a session of its own, closed at once: the funnel opens its own (and on
    # SQLite the engine has one connection).
    async with context.sessions() as session:
        found = await Catalog(session).campaign(campaign_id) is not None
    if not found:
        raise not_found("campaign", campaign_id)
    return await Analytics(context.sessions).funnel(
        campaign_id=campaign_id, since=since, until=until
    )


@router.get(
    "/jobs/{job_id}/analytics",
    response_model=Funnel,
    responses=error_responses(404, 422),
)
async def job_analytics(
    job_id: Annotated[str, Path(min_length=1, max_length=200)],
    context: ContextDep,
    since: Since = None,
    until: Until = None,
) -> Funnel:
    """The funnel of every enrolment of the job (all its stages' campaigns)."""
    _check_range(since, until)
    async with context.sessions() as session:
        found = await Catalog(session).job_exists(job_id)
    if not found:
        raise not_found("job", job_id)
    return await Analytics(context.sessions).funnel(job_id=job_id, since=since, until=until)
