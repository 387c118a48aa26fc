"""``/webhooks``: callers outside the product report progress, availability and deliveries.

Each webhook becomes a signal to the candidate's workflow carrying the outside event's id, so
a webhook delivered twice (or three times, in any order) is applied once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.responses import Response

from api.consistency import settle_after_signal
from api.dependencies import BridgeDep, ContextDep, SessionDep
from api.errors import ApiError, CheckedRoute, error_responses
from api.inbound import accept_event
from api.signatures import SignedRoute, verified_twilio_form
from channels.addresses import normalise_phone
from channels.base import PermanentDeliveryError
from domain.candidates import Identifier
from domain.events import (
    DeliveryOutcome,
    DeliveryReceipt,
    InterviewerAvailability,
    ModuleProgress,
    ProgressEvent,
    Slot,
)
from store.catalog import Catalog
from store.opt_outs import OptOuts
from store.outbox import Outbox
from store.views import RecruiterViews

logger = logging.getLogger(__name__)

signed = APIRouter(prefix="/webhooks", tags=["webhooks"], route_class=SignedRoute)
twilio = APIRouter(
    prefix="/webhooks/twilio",
    tags=["webhooks"],
    route_class=CheckedRoute,
    dependencies=[Depends(verified_twilio_form)],
)

#: The ledger's names for the ids of each JSON webhook.
PROGRESS_SOURCE = "candidate-progress"
AVAILABILITY_SOURCE = "interviewer-availability"

#: How many candidates' workflows one availability webhook signals at once.
FAN_OUT_CONCURRENCY = 20

#: Replies Twilio treats as opting out and back in (its standard keywords).
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "YES", "UNSTOP"})

#: Twilio statuses that settle a message; the others (queued, sent...) are on the way.
TWILIO_OUTCOMES = {
    "delivered": DeliveryOutcome.DELIVERED,
    "undelivered": DeliveryOutcome.FAILED,
    "failed": DeliveryOutcome.FAILED,
}

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


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


TwilioText = Annotated[str, StringConstraints(max_length=1600)]


class TwilioStatusCallback(BaseModel):
    """The fields of Twilio's message status callback we use (it sends more)."""

    MessageSid: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    MessageStatus: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    ErrorCode: TwilioText | None = None
    ErrorMessage: TwilioText | None = None


class TwilioInboundMessage(BaseModel):
    """The fields of Twilio's incoming-message webhook we use (it sends more)."""

    From: Annotated[str, StringConstraints(min_length=1, max_length=320)]
    Body: TwilioText = ""
    MessageSid: TwilioText | None = None


@signed.post(
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
        raise ApiError(404, "enrolment_not_found", f"no enrolment {webhook.enrolment_id!r}")
    await session.commit()
    await accept_event(context, PROGRESS_SOURCE, webhook.id, webhook)
    delivered = await bridge.progress(
        enrolment.candidate_id,
        ModuleProgress(
            event_id=webhook.id,
            enrolment_id=webhook.enrolment_id,
            module_id=webhook.module_id,
            event=webhook.event,
        ),
    )
    if delivered:
        await settle_after_signal(
            bridge, session, enrolment.candidate_id, lambda e: e.id == webhook.enrolment_id
        )
    return Accepted(detail=None if delivered else "the candidate has no running workflow")


@signed.post(
    "/interviewer-availability",
    status_code=202,
    response_model=AvailabilityAccepted,
    responses=error_responses(400, 401, 409, 413, 415, 422),
)
async def interviewer_availability(
    webhook: AvailabilityWebhook, session: SessionDep, bridge: BridgeDep, context: ContextDep
) -> AvailabilityAccepted:
    """Release every ``auto_match`` enrolment waiting in the job stage.

    Each candidate with one is signalled once; their workflow sends the schedule request. A
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
            await bridge.availability(candidate_id, event)

    outcomes = await asyncio.gather(*(tell(c) for c in candidates), return_exceptions=True)
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    if failures:
        # Some candidates were told, some not: the caller retries, the told ones ignore it.
        raise failures[0]
    return AvailabilityAccepted(candidates=len(candidates))


@twilio.post(
    "/status",
    response_model=Accepted,
    responses=error_responses(400, 401, 413, 415, 422),
)
async def twilio_status(
    callback: Annotated[TwilioStatusCallback, Form()],
    context: ContextDep,
    session: SessionDep,
    bridge: BridgeDep,
) -> Accepted:
    """Twilio's status callback: a delivered/undelivered/failed message becomes a receipt.

    Other statuses (queued, sent...) and messages we did not send are acknowledged and ignored.
    """
    outcome = TWILIO_OUTCOMES.get(callback.MessageStatus.lower())
    if outcome is None:
        return Accepted(detail=f"status {callback.MessageStatus!r} settles nothing")
    message = await Outbox(context.sessions).by_provider_message_id(callback.MessageSid)
    if message is None:
        return Accepted(detail=f"no message {callback.MessageSid!r} was sent by us")
    enrolment = await RecruiterViews(session).enrolment_row(message.enrolment_id)
    await session.commit()
    if enrolment is None:
        return Accepted(detail=f"enrolment {message.enrolment_id!r} is not in the read model")
    reason = None
    if outcome is DeliveryOutcome.FAILED:
        reason = f"twilio {callback.MessageStatus.lower()}"
        if callback.ErrorCode:
            reason += f" (error {callback.ErrorCode})"
    await bridge.receipt(
        enrolment.candidate_id,
        DeliveryReceipt(
            event_id=f"twilio:{callback.MessageSid}:{callback.MessageStatus.lower()}",
            enrolment_id=message.enrolment_id,
            message_number=message.message_number,
            outcome=outcome,
            reason=reason,
        ),
    )
    return Accepted()


@twilio.post(
    "/inbound",
    response_class=Response,
    responses={
        200: {"content": {"application/xml": {}}, "description": "Empty TwiML"},
        **error_responses(400, 401, 413, 415, 422),
    },
)
async def twilio_inbound(
    message: Annotated[TwilioInboundMessage, Form()], context: ContextDep
) -> Response:
    """An incoming message: STOP-type replies opt the sender out, START-type opt back in.

    Answers with empty TwiML (Twilio itself sends the carrier's opt-out confirmation).
    """
    keyword = message.Body.strip().upper()
    opted_out = True if keyword in STOP_WORDS else False if keyword in START_WORDS else None
    if opted_out is not None:
        try:
            address = normalise_phone(message.From)
        except PermanentDeliveryError:
            logger.info("opt-out keyword from an unusable number %r ignored", message.From)
        else:
            await OptOuts(context.sessions).set(address, opted_out)
    return Response(EMPTY_TWIML, media_type="application/xml")
