"""A recruiter's actions on an enrolment: cancel it; re-enrol a failed or expired one, with the
candidate's phone or e-mail corrected.

Each is an update of the candidate's workflow (it alone changes enrolments), answered once the
read model shows the change. An idempotency key names one request: the same request again acts
once, another request with it is refused. Every action that happened is in the audit log, once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from channels.addresses import normalise_email, normalise_phone
from channels.base import PermanentDeliveryError
from domain.access import Principal
from domain.events import ActionResult, CancelEnrolment, EnrolmentSummary, Reenrol
from services.candidate_links import new_link
from services.candidate_workflows import confirmed
from services.context import Context
from services.errors import Refused, not_found
from services.inbound import claim_idempotency_key
from store.access import record
from store.enrolment_view import EnrolmentViews


class Corrections(BaseModel):
    """The candidate's corrected contact details (leave out what stays)."""

    model_config = ConfigDict(extra="forbid")

    phone: Annotated[str, Field(max_length=64)] | None = None
    email: Annotated[str, Field(max_length=320)] | None = None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if not value else _checked(normalise_phone, value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if not value else _checked(normalise_email, value)


def _checked(normalise: Callable[[str], str], value: str) -> str:
    try:
        return normalise(value)
    except PermanentDeliveryError as err:
        raise ValueError(err.detail) from None


async def cancel_enrolment(
    context: Context, enrolment_id: str, who: Principal, idempotency_key: str | None = None
) -> EnrolmentSummary:
    """Cancel an unfinished enrolment (``cancelled_by_recruiter``); one whose message is with
    a provider right now ends once the send returns. Raises ``Refused``: 404, 409
    ``not_cancellable`` when it ended, 422 ``idempotency_key_reused``."""
    candidate_id = await _candidate_of(context, enrolment_id)
    detail = {"enrolment_id": enrolment_id}
    if idempotency_key is not None:
        await claim_idempotency_key(context, idempotency_key, {"cancel": detail})
    request = CancelEnrolment(
        event_id=idempotency_key or f"cancel-{uuid.uuid4()}", enrolment_id=enrolment_id
    )
    result = await confirmed(context.workflows.cancel(candidate_id, request))
    enrolment, repeated = _acted_on(result, "not_cancellable")
    if not repeated:
        await _audit(context, who, "enrolment.cancelled", candidate_id, detail)
    return enrolment


async def reenrol(
    context: Context,
    enrolment_id: str,
    corrections: Corrections,
    who: Principal,
    idempotency_key: str | None = None,
) -> EnrolmentSummary:
    """Re-enrol a failed or expired enrolment: a new enrolment of the same campaign for the
    same application (it may wait ``queued``), after correcting the phone or e-mail given.
    Raises ``Refused``: 404, 409 ``not_reenrollable`` (another status, already re-enrolled,
    the application left the stage), 422 ``idempotency_key_reused``."""
    candidate_id = await _candidate_of(context, enrolment_id)
    if idempotency_key is not None:
        asked = {"enrolment_id": enrolment_id, **corrections.model_dump()}
        await claim_idempotency_key(context, idempotency_key, {"reenrol": asked})
    request = Reenrol(
        event_id=idempotency_key or f"reenrol-{uuid.uuid4()}",
        enrolment_id=enrolment_id,
        phone=corrections.phone,
        email=corrections.email,
        link=new_link(context.settings),
    )
    result = await confirmed(context.workflows.reenrol(candidate_id, request))
    enrolment, repeated = _acted_on(result, "not_reenrollable")
    if not repeated:
        detail = {
            "enrolment_id": enrolment_id,
            "new_enrolment_id": enrolment.id,
            "corrected": sorted(k for k, v in corrections.model_dump().items() if v),
        }
        await _audit(context, who, "enrolment.reenrolled", candidate_id, detail)
    return enrolment


async def _candidate_of(context: Context, enrolment_id: str) -> str:
    # A session of its own, closed before the workflow is asked: on SQLite the API and the
    # projection share one connection, which an open session would hold while it waits.
    async with context.sessions() as session:
        row = await EnrolmentViews(session).enrolment_row(enrolment_id)
    if row is None:
        raise not_found("enrolment", enrolment_id)
    return row.candidate_id


def _acted_on(result: ActionResult | None, refused_code: str) -> tuple[EnrolmentSummary, bool]:
    """The enrolment the workflow acted on, and whether the request was a repeat (audited
    when it first acted); 404 without a workflow, 409 ``refused_code`` when refused."""
    if result is None or (result.enrolment is None and result.refused is None):
        raise Refused(404, "enrolment_not_found", "the candidate's workflow does not run")
    if result.refused is not None or result.enrolment is None:
        raise Refused(409, refused_code, result.refused or "refused")
    return result.enrolment, result.repeated


async def _audit(
    context: Context, who: Principal, action: str, candidate_id: str, detail: dict[str, Any]
) -> None:
    async with context.sessions.begin() as session:
        record(session, who.actor, action, candidate_id, detail, datetime.now(UTC))
