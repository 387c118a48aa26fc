"""Erasing a candidate's personal data (GDPR art. 17).

The candidate's workflow does the erasure (it alone writes their enrolments and knows which
messages are in flight): it cancels what is unsent (``candidate_erased``), ends what runs, calls
off every message, keeps only the candidate's id, and then empties the read model of their
name, numbers, addresses and message bodies. ``opt_outs`` only ever holds hashes, so a STOP of
theirs is still honoured. The erasure is recorded in the audit log.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from domain.access import Principal
from domain.events import ErasureRequest, ErasureResult
from services.candidate_workflows import confirmed
from services.context import Context
from services.errors import not_found
from store.access import record
from store.candidates import candidate_known


async def erase_candidate(context: Context, candidate_id: str, who: Principal) -> ErasureResult:
    """Erase the candidate's personal data everywhere. Repeatable: erasing an erased candidate
    again changes nothing but the audit log. Raises ``Refused``: 404 for a candidate nobody
    knows, 503 when the workflow did not answer in time."""
    request = ErasureRequest(event_id=f"erasure-{uuid.uuid4()}")
    workflows = context.workflows
    result = await confirmed(workflows.erase(candidate_id, request))
    if result is None:
        # No workflow runs for them. Rows left by one an operator terminated are still erased.
        # (A session of its own, closed before the workflow is asked: on SQLite the API and
        # the projection share one connection.)
        async with context.sessions() as session:
            known = await candidate_known(session, candidate_id)
        if not known:
            raise not_found("candidate", candidate_id)
        result = await confirmed(workflows.erase(candidate_id, request, start=True))
        if result is None:  # pragma: no cover - with start, the workflow exists
            raise not_found("candidate", candidate_id)
    ended = [e.id for e in result.enrolments]
    detail = {"enrolments_cancelled": ended, "read_model_erased": result.erased}
    async with context.sessions.begin() as session:
        record(session, who.actor, "candidate.erased", candidate_id, detail, datetime.now(UTC))
    return result
