"""``/webhooks/twilio``: Twilio's status callbacks (``services.delivery_reports``) and incoming
messages (``services.replies``), signed by Twilio.

https://www.twilio.com/docs/messaging/guides/track-outbound-message-status
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from pydantic import BaseModel, StringConstraints
from starlette.responses import Response

from api.bodies import CheckedRoute
from api.dependencies import ContextDep
from api.errors import error_responses
from api.permissions import TWILIO_WEBHOOK
from api.routes.webhooks import Accepted
from api.signatures import verified_twilio_form
from services.delivery_reports import record_report
from services.replies import receive_reply

router = APIRouter(
    prefix="/webhooks/twilio",
    tags=["webhooks"],
    route_class=CheckedRoute,
    dependencies=[TWILIO_WEBHOOK, Depends(verified_twilio_form)],
)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

TwilioText = Annotated[str, StringConstraints(max_length=1600)]


class TwilioStatusCallback(BaseModel):
    """The fields of Twilio's message status callback we use (it sends more)."""

    MessageSid: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    MessageStatus: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    ErrorCode: Annotated[str, StringConstraints(max_length=20)] | None = None
    ErrorMessage: TwilioText | None = None


class TwilioInboundMessage(BaseModel):
    """The fields of Twilio's incoming-message webhook we use (it sends more)."""

    From: Annotated[str, StringConstraints(min_length=1, max_length=320)]
    Body: TwilioText = ""
    MessageSid: TwilioText | None = None


@router.post("/status", response_model=Accepted, responses=error_responses(400, 401, 413, 415, 422))
async def twilio_status(
    callback: Annotated[TwilioStatusCallback, Form()], context: ContextDep
) -> Accepted:
    """Record how far the message got; an undelivered welcome fails its enrolment.

    The workflow is told again when a repeated report finds the welcome already undelivered
    (telling it may have failed the first time: it applies each report once).
    """
    error_code = (callback.ErrorCode or "").strip() or None
    detail = await record_report(context, callback.MessageSid, callback.MessageStatus, error_code)
    return Accepted(detail=detail)


@router.post(
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
    """An incoming message: STOP-type replies opt the sender out, START-type opt back in; any
    other reply answers the question the sender's conversation waits on (or is kept on the
    timeline for the recruiter).

    Answers with empty TwiML (Twilio itself sends the carrier's opt-out confirmation).
    """
    await receive_reply(context, message.From, message.Body, message.MessageSid)
    return Response(EMPTY_TWIML, media_type="application/xml")
