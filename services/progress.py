"""What candidates do in their campaigns, as reported from outside: a module started or
completed, an interviewer's availability.

Each report becomes an update of the candidate's workflow carrying the reporter's event id, so
a report delivered twice (or three times, in any order) is applied once, and the answer comes
once the read model shows the effect (no polling). The ledger refuses an id reused with
another payload.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from domain.candidates import Identifier
from domain.events import InterviewerAvailability, ModuleProgress, ProgressEvent, Slot
from services.candidate_workflows import confirmed
from services.context import Context
from services.errors import Refused, not_found
from services.inbound import accept_event
from store.catalog import Catalog
from store.enrolment_view import EnrolmentViews

#: The ledger's names for the ids of each kind of report.
PROGRESS_SOURCE = "candidate-progress"
AVAILABILITY_SOURCE = "interviewer-availability"
#: How many candidates' workflows one availability report tells at once.
FAN_OUT_CONCURRENCY = 20


class ModuleProgressReport(BaseModel):
    """The candidate started or completed a module of a multi-module campaign."""

    model_config = ConfigDict(extra="ignore")

    id: Identifier
    enrolment_id: Identifier
    module_id: Identifier
    event: ProgressEvent


class AvailabilityReport(BaseModel):
    """An interviewer shared availability for a job stage."""

    model_config = ConfigDict(extra="ignore")

    id: Identifier
    job_id: Identifier
    stage_id: Identifier
    interviewer_id: Identifier
    slots: Annotated[list[Slot], Field(max_length=500)] = []


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


async def report_availability(context: Context, report: AvailabilityReport) -> int:
    """Release every ``auto_match`` enrolment waiting in the job stage; returns how many
    candidates had one (each told once: their workflow sends the schedule request).

    A repeat of the report's id releases only what was waiting when it first arrived, so a
    candidate who entered the stage since is not released by it. Raises ``Refused``: 422 for
    an unknown stage, 409 for an id reused with another payload, 503 (retry) when some
    candidate's workflow did not answer.
    """
    async with context.sessions() as session:
        if await Catalog(session).stage(report.job_id, report.stage_id) is None:
            raise Refused(
                422,
                "unknown_stage",
                f"job {report.job_id!r} has no stage {report.stage_id!r}",
                {"job_id": report.job_id, "stage_id": report.stage_id},
            )
        candidates = await EnrolmentViews(session).auto_match_candidates(
            report.job_id, report.stage_id
        )
    accepted = await accept_event(context, AVAILABILITY_SOURCE, report.id, report)
    event = InterviewerAvailability(
        event_id=report.id,
        job_id=report.job_id,
        stage_id=report.stage_id,
        interviewer_id=report.interviewer_id,
        slots=report.slots,
        received_at=accepted.received_at,
    )
    limit = asyncio.Semaphore(FAN_OUT_CONCURRENCY)

    async def tell(candidate_id: str) -> None:
        async with limit:
            await confirmed(context.workflows.availability(candidate_id, event))

    outcomes = await asyncio.gather(*(tell(c) for c in candidates), return_exceptions=True)
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    if failures:
        # Some candidates were told, some not: the caller retries, the told ones ignore it.
        raise failures[0]
    return len(candidates)
