"""What candidates do in their campaigns, as reported from outside: a module started or
completed (an interviewer's availability is in ``services.interviews``).

Each report becomes an update of the candidate's workflow carrying the reporter's event id, so
a report delivered twice (or three times, in any order) is applied once, and the answer comes
once the read model shows the effect (no polling). The ledger refuses an id reused with
another payload.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from domain.candidates import Identifier
from domain.events import ModuleProgress, ProgressEvent
from services.candidate_workflows import confirmed
from services.context import Context
from services.errors import not_found
from services.inbound import accept_event
from store.enrolment_view import EnrolmentViews

#: The ledger's names for the ids of each kind of report.
PROGRESS_SOURCE = "candidate-progress"


class ModuleProgressReport(BaseModel):
    """The candidate started or completed a module of a multi-module campaign."""

    model_config = ConfigDict(extra="ignore")

    id: Identifier
    enrolment_id: Identifier
    module_id: Identifier
    event: ProgressEvent


async def report_progress(context: Context, report: ModuleProgressReport) -> str | None:
    """Apply a module start/completion; returns why it changed nothing (``None``: applied).

    Raises ``Refused``: 404 for an enrolment that does not exist, 409 for an id reused with
    another payload, 503 when the workflow did not answer in time.
    """
    async with context.sessions() as session:
        enrolment = await EnrolmentViews(session).enrolment_row(report.enrolment_id)
    if enrolment is None:
        raise not_found("enrolment", report.enrolment_id)
    await accept_event(context, PROGRESS_SOURCE, report.id, report)
    applied = await confirmed(
        context.workflows.progress(
            enrolment.candidate_id,
            ModuleProgress(
                event_id=report.id,
                enrolment_id=report.enrolment_id,
                module_id=report.module_id,
                event=report.event,
            ),
        )
    )
    if applied is None:
        return "the candidate has no running workflow"
    return applied.ignored
