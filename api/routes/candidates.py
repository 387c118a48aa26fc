"""``DELETE /candidates/{candidate_id}`` (admin): erase a candidate's personal data
(``services.erasure``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel

from api.bodies import CheckedRoute
from api.dependencies import ContextDep
from api.errors import error_responses
from api.permissions import Admin
from domain.events import EnrolmentSummary
from services.erasure import erase_candidate as erase

router = APIRouter(prefix="/candidates", tags=["privacy"], route_class=CheckedRoute)

CandidateId = Annotated[str, Path(min_length=1, max_length=200)]


class Erasure(BaseModel):
    """An accepted erasure: the enrolments it ended, and whether the read model is erased yet
    (``erasing``: once the candidate's messages in flight return, within seconds)."""

    candidate_id: str
    erased_at: datetime
    status: Literal["erased", "erasing"]
    enrolments: list[EnrolmentSummary]


@router.delete(
    "/{candidate_id}",
    status_code=202,
    response_model=Erasure,
    responses=error_responses(401, 403, 404, 503),
)
async def erase_candidate(candidate_id: CandidateId, context: ContextDep, who: Admin) -> Erasure:
    """Erase the candidate's personal data everywhere (GDPR art. 17). Repeatable: erasing an
    erased candidate again changes nothing but the audit log."""
    result = await erase(context, candidate_id, who)
    return Erasure(
        candidate_id=candidate_id,
        erased_at=result.erased_at,
        status="erased" if result.erased else "erasing",
        enrolments=result.enrolments,
    )
