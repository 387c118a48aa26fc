"""A recruiter's actions on an enrolment: cancel it; re-enrol a failed or expired one, with the
candidate's phone or e-mail corrected.

Each is an update of the candidate's workflow (it alone changes enrolments), answered once the
read model shows the change. A retried request with the same ``Idempotency-Key`` acts once.
Every action is in the audit log.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, Path
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.access import PrincipalDep
from api.bodies import CheckedRoute
from api.bridge import confirmed
from api.dependencies import ContextDep
from api.errors import ApiError, error_responses, not_found
from api.inbound import claim_idempotency_key
from channels.addresses import normalise_email, normalise_phone
from channels.base import PermanentDeliveryError
from domain.events import ActionResult, CancelEnrolment, EnrolmentSummary, Reenrol
from store.access import record
from store.views import RecruiterViews

router = APIRouter(prefix="/enrolments", tags=["recruiter actions"], route_class=CheckedRoute)

EnrolmentId = Annotated[str, Path(min_length=1, max_length=40)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Send the same key again to retry: the action happens once.",
    ),
]


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


class ActionAnswer(BaseModel):
    """The enrolment acted on (cancel) or created (re-enrol, linked to ``reenrolment_of``)."""

    enrolment: EnrolmentSummary
    reenrolment_of: str | None = None


async def _candidate_of(context: ContextDep, enrolment_id: str) -> str:
    # A session of its own, closed before the workflow is asked: on SQLite the API and the
    # projection share one connection, which an open session would hold while it waits.
    async with context.sessions() as session:
        row = await RecruiterViews(session).enrolment_row(enrolment_id)
    if row is None:
        raise not_found("enrolment", enrolment_id)
    return row.candidate_id


def _answered(result: ActionResult | None, code: str) -> tuple[EnrolmentSummary, bool]:
    """The enrolment the workflow acted on and whether the request was a repeat (nothing to
    audit again); 404 without a workflow, 409 ``code`` when it refused."""
    if result is None or (result.enrolment is None and result.refused is None):
        raise ApiError(404, "enrolment_not_found", "the candidate's workflow does not run")
    if result.refused is not None or result.enrolment is None:
        raise ApiError(409, code, result.refused or "refused")
    return result.enrolment, result.repeated


@router.post(
    "/{enrolment_id}/cancel",
    response_model=ActionAnswer,
    responses=error_responses(404, 409, 422),
)
async def cancel_enrolment(
    enrolment_id: EnrolmentId,
    context: ContextDep,
    who: PrincipalDep,
    idempotency_key: IdempotencyKey = None,
) -> ActionAnswer:
    """Cancel an unfinished enrolment (``cancelled_by_recruiter``); one whose message is with
    a provider right now ends once the send returns. 409 ``not_cancellable`` when it ended."""
    candidate_id = await _candidate_of(context, enrolment_id)
    detail = {"enrolment_id": enrolment_id}
    if idempotency_key is not None:
        await claim_idempotency_key(context, idempotency_key, {"cancel": detail})
    request = CancelEnrolment(
        event_id=idempotency_key or f"cancel-{uuid.uuid4()}", enrolment_id=enrolment_id
    )
    result = await confirmed(context.bridge.cancel(candidate_id, request))
    enrolment, repeated = _answered(result, "not_cancellable")
    if not repeated:
        async with context.sessions.begin() as session:
            record(session, who.actor, "enrolment.cancelled", candidate_id, detail, _now())
    return ActionAnswer(enrolment=enrolment)


@router.post(
    "/{enrolment_id}/reenrol",
    status_code=201,
    response_model=ActionAnswer,
    responses=error_responses(400, 404, 409, 413, 415, 422),
)
async def reenrol(
    enrolment_id: EnrolmentId,
    context: ContextDep,
    who: PrincipalDep,
    corrections: Corrections | None = None,
    idempotency_key: IdempotencyKey = None,
) -> ActionAnswer:
    """Re-enrol a failed or expired enrolment: a new enrolment of the same campaign for the
    same application, through the candidate's workflow like any other (it may wait as
    ``queued``), after correcting the phone or e-mail given. 409 ``not_reenrollable`` for an
    enrolment in another status or an application that left the stage; 422 for a number or
    address that cannot be one."""
    candidate_id = await _candidate_of(context, enrolment_id)
    fixed = corrections or Corrections()
    if idempotency_key is not None:
        asked = {"enrolment_id": enrolment_id, **fixed.model_dump()}
        await claim_idempotency_key(context, idempotency_key, {"reenrol": asked})
    request = Reenrol(
        event_id=idempotency_key or f"reenrol-{uuid.uuid4()}",
        enrolment_id=enrolment_id,
        phone=fixed.phone,
        email=fixed.email,
    )
    result = await confirmed(context.bridge.reenrol(candidate_id, request))
    enrolment, repeated = _answered(result, "not_reenrollable")
    if not repeated:
        corrected = sorted(k for k, v in fixed.model_dump().items() if v)
        detail = {
            "enrolment_id": enrolment_id,
            "new_enrolment_id": enrolment.id,
            "corrected": corrected,
        }
        async with context.sessions.begin() as session:
            record(session, who.actor, "enrolment.reenrolled", candidate_id, detail, _now())
    return ActionAnswer(enrolment=enrolment, reenrolment_of=enrolment_id)


def _now() -> datetime:
    return datetime.now(UTC)
