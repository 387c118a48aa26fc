"""``/webhooks/twilio``: Twilio's status callbacks and incoming messages, signed by Twilio.

A status callback moves its message forward in the ledger (queued, sent, delivered, read;
undelivered and failed are final); a repeated or reordered one changes nothing. When the
welcome message of an enrolment turns out undelivered, its candidate's workflow is told, with
the reason Twilio's ``ErrorCode`` maps to. An incoming STOP-type reply opts the sender out,
a START-type one back in.

https://www.twilio.com/docs/messaging/guides/track-outbound-message-status,
https://help.twilio.com/articles/223134027 (opt-out keywords)
"""

from __future__ import annotations

import logging
import string
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from pydantic import BaseModel, StringConstraints
from starlette.responses import Response

from api.bodies import CheckedRoute
from api.dependencies import BridgeDep, ContextDep
from api.errors import error_responses
from api.routes.webhooks import Accepted
from api.signatures import verified_twilio_form
from channels.addresses import normalise_phone
from channels.base import PermanentDeliveryError
from channels.twilio import failure_reason
from domain.events import DeliveryOutcome, DeliveryReceipt
from domain.sending import WELCOME_MESSAGE
from store.messages import UNDELIVERED, Messages, ReportOutcome
from store.opt_outs import OptOuts

logger = logging.getLogger(__name__)

router = APIRouter(
    prefix="/webhooks/twilio",
    tags=["webhooks"],
    route_class=CheckedRoute,
    dependencies=[Depends(verified_twilio_form)],
)

#: Twilio's default opt-out and opt-in keywords.
STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
START_WORDS = frozenset({"START", "YES", "UNSTOP"})

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


def keyword(body: str) -> str:
    """A reply as a keyword: trimmed of whitespace and punctuation, upper case ("Stop." is
    STOP)."""
    return body.strip().strip(string.punctuation + string.whitespace).upper()


@router.post("/status", response_model=Accepted, responses=error_responses(400, 401, 413, 415, 422))
async def twilio_status(
    callback: Annotated[TwilioStatusCallback, Form()], context: ContextDep, bridge: BridgeDep
) -> Accepted:
    """Record how far the message got; an undelivered welcome fails its enrolment.

    The workflow is told again when a repeated report finds the welcome already undelivered
    (telling it may have failed the first time: it applies each report once).
    """
    error_code = (callback.ErrorCode or "").strip() or None
    report = await Messages(context.sessions).report(
        callback.MessageSid, callback.MessageStatus, error_code, datetime.now(UTC)
    )
    if report.outcome is ReportOutcome.KEPT:
        return Accepted(detail="kept until the message's send is recorded")
    message = report.message
    if message is None:
        return Accepted(detail=f"status {callback.MessageStatus!r} changes nothing")
    if message.status not in UNDELIVERED or message.message_number != WELCOME_MESSAGE:
        return Accepted()
    code = message.error_code
    told = await bridge.receipt(
        message.candidate_id,
        DeliveryReceipt(
            event_id=f"twilio:{callback.MessageSid}:{message.status}",
            enrolment_id=message.enrolment_id,
            message_number=message.message_number,
            outcome=DeliveryOutcome.FAILED,
            reason=f"twilio {message.status}" + (f" (error {code})" if code else ""),
            failure=failure_reason(code),
        ),
    )
    return Accepted(detail=None if told else "the candidate has no running workflow")


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
    """An incoming message: STOP-type replies opt the sender out, START-type opt back in.

    Answers with empty TwiML (Twilio itself sends the carrier's opt-out confirmation).
    """
    word = keyword(message.Body)
    opted_out = True if word in STOP_WORDS else False if word in START_WORDS else None
    if opted_out is not None:
        try:
            address = normalise_phone(message.From)
        except PermanentDeliveryError:
            logger.info("opt-out keyword from an unusable number ignored")
        else:
            await OptOuts(context.sessions).set(address, opted_out)
    return Response(EMPTY_TWIML, media_type="application/xml")
