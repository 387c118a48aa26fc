"""``POST /ats/events``: the ATS tells us where applications are; we enrol or withdraw.

The handler translates HTTP into one call of the ATS-event use case (``api.ats_events``);
deciding what happens to enrolments is the candidate workflow's job.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.bodies import CheckedRoute
from api.dependencies import ContextDep
from api.errors import error_responses
from api.permissions import SIGNED_WEBHOOK
from services.ats_events import AtsEvent, AtsEventAccepted, AtsEventBatchAccepted, AtsEvents

router = APIRouter(tags=["ATS"], route_class=CheckedRoute, dependencies=[SIGNED_WEBHOOK])


@router.post(
    "/ats/events",
    status_code=202,
    response_model=AtsEventAccepted,
    responses=error_responses(400, 401, 409, 413, 415, 422, 503),
)
async def receive_ats_event(event: AtsEvent, context: ContextDep) -> AtsEventAccepted:
    """Enrol the application in its new stage's campaign, or withdraw it.

    The candidate's workflow orders each application's events by ``occurred_at`` (then id): a
    repeated or older event changes nothing and answers with the enrolments it created, in
    their current status. An event id reused with a different payload: 409
    ``event_id_reused``. Unknown job, stage or campaign: 422.
    """
    return await AtsEvents(context).apply(event)


#: The most events one batch may carry.
MAX_BATCH = 1000


class AtsEventBatch(BaseModel):
    """Up to ``MAX_BATCH`` ATS events; each is validated on its own (a bad one gets its error in
    its result, the others are applied)."""

    model_config = ConfigDict(extra="forbid")

    events: Annotated[list[Any], Field(min_length=1, max_length=MAX_BATCH)]


@router.post(
    "/ats/events/batch",
    status_code=202,
    response_model=AtsEventBatchAccepted,
    responses=error_responses(400, 401, 413, 415, 422),
)
async def receive_ats_event_batch(
    batch: AtsEventBatch, context: ContextDep
) -> AtsEventBatchAccepted:
    """Apply many events at once (a bulk stage move, an import): one result per event, in
    order, each as ``POST /ats/events`` answers it (``enrolments``) or its ``error``. Each
    candidate's events are applied in the batch's order; a repeated batch creates nothing."""
    return await AtsEvents(context).apply_batch(batch.events)
