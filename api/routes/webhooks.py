"""``/webhooks``: callers outside the product report module progress and interviewer availability.

Each webhook becomes an update of the candidate's workflow carrying the outside event's id, so
a webhook delivered twice (or three times, in any order) is applied once, and the answer comes
once the read model shows the effect (no polling).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.bridge import confirmed
from api.dependencies import BridgeDep, ContextDep, SessionDep
from api.errors import ApiError, error_responses, not_found
from api.inbound import accept_event
from api.signatures import SignedRoute
from domain.candidates import Identifier
from domain.events import (
    InterviewerAvailability,
    ModuleProgress,
    ProgressEvent,
    Slot,
)
from store.catalog import Catalog
from store.views import RecruiterViews

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/webhooks", tags=["webhooks"], route_class=SignedRoute)

#: The ledger's names for the ids of each JSON webhook.
PROGRESS_SOURCE = "candidate-progress"
AVAILABILITY_SOURCE = "interviewer-availability"

#: How many candidates' workflows one availability webhook signals at once.
FAN_OUT_CONCURRENCY = 20


class Accepted(BaseModel):
    """The webhook was taken; ``detail`` says when it changed nothing."""

    accepted: bool = True
    detail: str | None = None


class ModuleProgressWebhook(BaseModel):
    """The candidate started or completed a module of a multi-module campaign."""

    model_config = ConfigDict(extra="ignore")

    id: Identifier
    enrolment_id: Identifier
    module_id: Identifier
    event: ProgressEvent


class AvailabilityWebhook(BaseModel):
    """An interviewer shared availability for a job stage."""

    model_config = ConfigDict(extra="ignore")

    id: Identifier
    job_id: Identifier
    stage_id: Identifier
    interviewer_id: Identifier
    slots: Annotated[list[Slot], Field(max_length=500)] = []


class AvailabilityAccepted(Accepted):
    """How many candidates had Auto-Match enrolments waiting in the stage (each told once)."""

    candidates: int


@router.post(
    "/candidate-progress",
    status_code=202,
    response_model=Accepted,
    responses=error_responses(400, 401, 404, 409, 413, 415, 422),
)
async def candidate_progress(
    webhook: ModuleProgressWebhook, session: SessionDep, bridge: BridgeDep, context: ContextDep
) -> Accepted:
    """Record a module start/completion. 404 when the enrolment does not exist.

    Progress that no longer applies (finished enrolment, unknown module) is accepted and
    ignored by the workflow.
    """
    enrolment = await RecruiterViews(session).enrolment_row(webhook.enrolment_id)
    if enrolment is None:
        raise not_found("enrolment", webhook.enrolment_id)
    await session.commit()
    await accept_event(context, PROGRESS_SOURCE, webhook.id, webhook)
    applied = await confirmed(
        bridge.progress(
            enrolment.candidate_id,
            ModuleProgress(
                event_id=webhook.id,
                enrolment_id=webhook.enrolment_id,
                module_id=webhook.module_id,
                event=webhook.event,
            ),
        )
    )
    if applied is None:
        return Accepted(detail="the candidate has no running workflow")
    return Accepted(detail=applied.ignored)


@router.post(
    "/interviewer-availability",
    status_code=202,
    response_model=AvailabilityAccepted,
    responses=error_responses(400, 401, 409, 413, 415, 422),
)
async def interviewer_availability(
    webhook: AvailabilityWebhook, session: SessionDep, bridge: BridgeDep, context: ContextDep
) -> AvailabilityAccepted:
    """Release every ``auto_match`` enrolment waiting in the job stage.

    Each candidate with one is told once; their workflow sends the schedule request. A
    repeat of the webhook's id releases only what was waiting when it first arrived, so a
    candidate who entered the stage since is not released by it.
    """
    catalog = Catalog(session)
    if await catalog.stage(webhook.job_id, webhook.stage_id) is None:
        raise ApiError(
            422,
            "unknown_stage",
            f"job {webhook.job_id!r} has no stage {webhook.stage_id!r}",
            {"job_id": webhook.job_id, "stage_id": webhook.stage_id},
        )
    candidates = await RecruiterViews(session).auto_match_candidates(
        webhook.job_id, webhook.stage_id
    )
    await session.commit()
    accepted = await accept_event(context, AVAILABILITY_SOURCE, webhook.id, webhook)
    event = InterviewerAvailability(
        event_id=webhook.id,
        job_id=webhook.job_id,
        stage_id=webhook.stage_id,
        interviewer_id=webhook.interviewer_id,
        slots=webhook.slots,
        received_at=accepted.received_at,
    )
    limit = asyncio.Semaphore(FAN_OUT_CONCURRENCY)

    async def tell(candidate_id: str) -> None:
        async with limit:
            await confirmed(bridge.availability(candidate_id, event))

    outcomes = await asyncio.gather(*(tell(c) for c in candidates), return_exceptions=True)
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    if failures:
        # Some candidates were told, some not: the caller retries, the told ones ignore it.
        raise failures[0]
    return AvailabilityAccepted(candidates=len(candidates))
