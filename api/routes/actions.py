"""A recruiter's actions on an enrolment (``services.recruiter_actions``): cancel it;
re-enrol a failed or expired one, with the candidate's phone or e-mail corrected. A retried
request with the same ``Idempotency-Key`` acts once. And retry its failed write-back to the
vendor ATS (``services.writebacks``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path
from pydantic import BaseModel

from api.bodies import CheckedRoute
from api.dependencies import ContextDep
from api.errors import error_responses
from api.permissions import Recruiter
from domain.events import EnrolmentSummary
from domain.writeback import WritebackState
from services import recruiter_actions
from services.recruiter_actions import Corrections
from services.writebacks import retry_writeback

router = APIRouter(prefix="/enrolments", tags=["recruiter actions"], route_class=CheckedRoute)

EnrolmentId = Annotated[str, Path(min_length=1, max_length=40)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Send the same key again to retry: the action happens once. A key names "
        "one request: sent with another, it is 422 `idempotency_key_reused`.",
    ),
]


class ActionAnswer(BaseModel):
    """The enrolment acted on (cancel) or created (re-enrol, linked to ``reenrolment_of``)."""

    enrolment: EnrolmentSummary
    reenrolment_of: str | None = None


@router.post(
    "/{enrolment_id}/cancel",
    response_model=ActionAnswer,
    responses=error_responses(404, 409, 422),
)
async def cancel_enrolment(
    enrolment_id: EnrolmentId,
    context: ContextDep,
    who: Recruiter,
    idempotency_key: IdempotencyKey = None,
) -> ActionAnswer:
    """Cancel an unfinished enrolment (``cancelled_by_recruiter``); one whose message is with
    a provider right now ends once the send returns. 409 ``not_cancellable`` when it ended."""
    enrolment = await recruiter_actions.cancel_enrolment(
        context, enrolment_id, who, idempotency_key
    )
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
    who: Recruiter,
    corrections: Corrections | None = None,
    idempotency_key: IdempotencyKey = None,
) -> ActionAnswer:
    """Re-enrol a failed or expired enrolment: a new enrolment of the same campaign for the
    same application, through the candidate's workflow like any other (it may wait as
    ``queued``), after correcting the phone or e-mail given. 409 ``not_reenrollable`` for an
    enrolment in another status or an application that left the stage; 422 for a number or
    address that cannot be one."""
    fixed = corrections or Corrections()
    enrolment = await recruiter_actions.reenrol(context, enrolment_id, fixed, who, idempotency_key)
    return ActionAnswer(enrolment=enrolment, reenrolment_of=enrolment_id)


class WritebackAnswer(BaseModel):
    """Where the enrolment's write-back now stands."""

    writeback: WritebackState


@router.post(
    "/{enrolment_id}/writeback",
    status_code=202,
    response_model=WritebackAnswer,
    responses=error_responses(404, 409),
)
async def retry_enrolment_writeback(
    enrolment_id: EnrolmentId, context: ContextDep, who: Recruiter
) -> WritebackAnswer:
    """Write a failed write-back to the ATS again (after fixing what the vendor said: the API
    key's permissions, a reason id). 404 when the enrolment is not written back; 409
    ``writeback_not_failed`` while it is pending or once it is done. A repeat writes nothing
    twice."""
    return WritebackAnswer(writeback=await retry_writeback(context, enrolment_id, who))
