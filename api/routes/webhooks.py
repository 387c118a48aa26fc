"""``/webhooks``: callers outside the product report module progress and interviewer availability.

Each handler translates HTTP into one use case (``services.progress``): a webhook delivered
twice (or three times, in any order) is applied once, and the answer comes once the read model
shows the effect.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.bodies import CheckedRoute
from api.dependencies import ContextDep
from api.errors import error_responses
from api.permissions import SIGNED_WEBHOOK
from services.availability import AvailabilityReport, report_availability
from services.progress import ModuleProgressReport, report_progress

router = APIRouter(
    prefix="/webhooks", tags=["webhooks"], route_class=CheckedRoute, dependencies=[SIGNED_WEBHOOK]
)


class Accepted(BaseModel):
    """The webhook was taken; ``detail`` says when it changed nothing."""

    accepted: bool = True
    detail: str | None = None


class AvailabilityAccepted(Accepted):
    """How many candidates had Auto-Match enrolments waiting in the stage (each told once)."""

    candidates: int


@router.post(
    "/candidate-progress",
    status_code=202,
    response_model=Accepted,
    responses=error_responses(400, 401, 404, 409, 413, 415, 422),
)
async def candidate_progress(webhook: ModuleProgressReport, context: ContextDep) -> Accepted:
    """Record a module start/completion. 404 when the enrolment does not exist.

    Progress that no longer applies (finished enrolment, unknown module) is accepted and
    ignored by the workflow.
    """
    return Accepted(detail=await report_progress(context, webhook))


@router.post(
    "/interviewer-availability",
    status_code=202,
    response_model=AvailabilityAccepted,
    responses=error_responses(400, 401, 409, 413, 415, 422),
)
async def interviewer_availability(
    webhook: AvailabilityReport, context: ContextDep
) -> AvailabilityAccepted:
    """Release every ``auto_match`` enrolment waiting in the job stage.

    Each candidate with one is told once; their workflow sends the schedule request. A
    repeat of the webhook's id releases only what was waiting when it first arrived, so a
    candidate who entered the stage since is not released by it.
    """
    return AvailabilityAccepted(candidates=await report_availability(context, webhook))
