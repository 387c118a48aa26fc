"""``DELETE /candidates/{candidate_id}`` (admin): erase a candidate's personal data.

The candidate's workflow does the erasure (it alone writes their enrolments and knows which
messages are in flight): it cancels what is unsent (``candidate_erased``), ends what runs, calls
off every message, keeps only the candidate's id, and then empties the read model of their
name, numbers, addresses and message bodies. ``opt_outs`` only ever holds hashes, so a STOP of
theirs is still honoured. The erasure is recorded in the audit log.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel

from api.access import PrincipalDep
from api.bridge import confirmed
from api.dependencies import ContextDep
from api.errors import error_responses, not_found
from domain.events import EnrolmentSummary, ErasureRequest
from store.access import record
from store.candidates import candidate_known

router = APIRouter(prefix="/candidates", tags=["privacy"])

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
async def erase_candidate(
    candidate_id: CandidateId, context: ContextDep, who: PrincipalDep
) -> Erasure:
    """Erase the candidate's personal data everywhere (GDPR art. 17). Repeatable: erasing an
    erased candidate again changes nothing but the audit log."""
    request = ErasureRequest(event_id=f"erasure-{uuid.uuid4()}")
    bridge = context.bridge
    result = await confirmed(bridge.erase(candidate_id, request))
    if result is None:
        # No workflow runs for them. Rows left by one an operator terminated are still erased.
        # (A session of its own, closed before the workflow is asked: on SQLite the API and
        # the projection share one connection.)
        async with context.sessions() as session:
            known = await candidate_known(session, candidate_id)
        if not known:
            raise not_found("candidate", candidate_id)
        result = await confirmed(bridge.erase(candidate_id, request, start=True))
        if result is None:  # pragma: no cover - with start, the workflow exists
            raise not_found("candidate", candidate_id)
    ended = [e.id for e in result.enrolments]
    detail = {"enrolments_cancelled": ended, "read_model_erased": result.erased}
    async with context.sessions.begin() as session:
        record(session, who.actor, "candidate.erased", candidate_id, detail, datetime.now(UTC))
    return Erasure(
        candidate_id=candidate_id,
        erased_at=result.erased_at,
        status="erased" if result.erased else "erasing",
        enrolments=result.enrolments,
    )
