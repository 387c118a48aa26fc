"""``POST /ats/events``: the ATS tells us where applications are; we enrol or withdraw.

The handler only resolves: which stage, which campaign (snapshotted now), whether the event is
older than what we already know. Deciding what happens to enrolments is the candidate
workflow's job.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.bridge import EnrolmentTimeout
from api.consistency import settle_after_signal
from api.dependencies import BridgeDep, SessionDep
from api.errors import ApiError, error_responses
from api.signatures import SignedRoute
from domain.candidates import CandidateContact, Identifier
from domain.events import ApplicationRef, ApplicationWithdrawn, EnrolmentSummary, EnrolRequest
from domain.identity import enrolment_id
from domain.statuses import EnrolmentStatus
from store.catalog import Catalog
from store.schema import EnrolmentRow
from store.views import RecruiterViews

router = APIRouter(tags=["ATS"], route_class=SignedRoute)


class AtsEventType(StrEnum):
    APPLICATION_CREATED = "application.created"
    APPLICATION_STAGE_CHANGED = "application.stage_changed"
    APPLICATION_WITHDRAWN = "application.withdrawn"


class AtsEvent(BaseModel):
    """An application was created in, moved to, or withdrawn from a job stage."""

    model_config = ConfigDict(extra="forbid")

    id: Identifier
    type: AtsEventType
    occurred_at: AwareDatetime
    application: ApplicationRef
    candidate: CandidateContact


class AtsEventAccepted(BaseModel):
    """The enrolments the event created (the same ones when it is repeated; may be empty)."""

    enrolments: list[EnrolmentSummary]


@router.post(
    "/ats/events",
    status_code=202,
    response_model=AtsEventAccepted,
    responses=error_responses(400, 401, 413, 415, 422, 503),
)
async def receive_ats_event(
    event: AtsEvent, session: SessionDep, bridge: BridgeDep
) -> AtsEventAccepted:
    """Enrol the application in its new stage's campaign, or withdraw it.

    A repeat of an event id answers with the same enrolments and creates nothing. An event
    older than the last one applied to the application is acknowledged and ignored, so events
    arriving out of order never move an application back. Unknown job or stage: 422.
    """
    catalog = Catalog(session)
    application = event.application
    placement = await catalog.placement(application)
    if placement is None:
        raise ApiError(
            422,
            "unknown_job",
            f"no job {application.job_id!r}: configure it with PUT /jobs/{{job_id}} first",
            {"job_id": application.job_id},
        )
    if placement.last_event_at is not None and placement.last_event_at > event.occurred_at:
        return AtsEventAccepted(enrolments=await _enrolments_of(session, event))

    if event.type is AtsEventType.APPLICATION_WITHDRAWN:
        # End the read transaction before waiting on Temporal (SQLite writers must not wait).
        await session.commit()
        await bridge.withdraw(
            event.candidate.id,
            ApplicationWithdrawn(
                event_id=event.id, application_id=application.id, occurred_at=event.occurred_at
            ),
        )
        await catalog.record_withdrawal(
            application, event.candidate, event_at=event.occurred_at, now=datetime.now(UTC)
        )
        await session.commit()
        await settle_after_signal(
            bridge, session, event.candidate.id, lambda e: e.application_id == application.id
        )
        return AtsEventAccepted(enrolments=await _application_enrolments(session, application.id))

    if not placement.stage_found:
        raise ApiError(
            422,
            "unknown_stage",
            f"job {application.job_id!r} has no stage {application.stage_id!r}",
            {"job_id": application.job_id, "stage_id": application.stage_id},
        )
    campaign = placement.campaign
    if placement.campaign_id is not None and campaign is None:
        raise ApiError(
            422,
            "unknown_campaign",
            f"stage {application.stage_id!r} links campaign {placement.campaign_id!r}, "
            "which does not exist",
            {"campaign_id": placement.campaign_id},
        )
    await session.commit()

    request = EnrolRequest(
        event_id=event.id,
        occurred_at=event.occurred_at,
        application=application,
        candidate=event.candidate,
        campaign_id=placement.campaign_id if campaign is not None else None,
        campaign=campaign,
        auto_match=placement.auto_match and campaign is not None,
    )
    try:
        result = await bridge.enrol(request)
    except EnrolmentTimeout as err:
        raise ApiError(
            503,
            "enrolment_timeout",
            "the enrolment was not confirmed in time; send the same event again",
            headers={"Retry-After": "5"},
        ) from err
    enrolments = result.enrolments
    if not enrolments and campaign is not None:
        # The workflow no longer remembers this (old, repeated) event: the enrolment id is
        # derived from it, so the read model still knows the answer.
        enrolments = await _enrolments_of(session, event)
    current = next((e.id for e in enrolments if e.application_id == application.id), None)
    await catalog.record_application(
        application,
        event.candidate,
        current_enrolment_id=current,
        event_at=event.occurred_at,
        now=datetime.now(UTC),
    )
    await session.commit()
    return AtsEventAccepted(enrolments=enrolments)


async def _application_enrolments(
    session: AsyncSession, application_id: str
) -> list[EnrolmentSummary]:
    """Every enrolment of the application as the read model has it now, oldest first."""
    async with AsyncSession(session.bind) as fresh:
        rows = (
            (
                await fresh.execute(
                    select(EnrolmentRow)
                    .where(EnrolmentRow.application_id == application_id)
                    .order_by(EnrolmentRow.created_at)
                )
            )
            .scalars()
            .all()
        )
    return [_summary(row) for row in rows]


async def _enrolments_of(session: AsyncSession, event: AtsEvent) -> list[EnrolmentSummary]:
    """The enrolment ``event`` created, as the read model has it (none if it created none)."""
    row = await RecruiterViews(session).enrolment_row(enrolment_id(event.id, event.application.id))
    return [] if row is None else [_summary(row)]


def _summary(row: EnrolmentRow) -> EnrolmentSummary:
    return EnrolmentSummary(
        id=row.id,
        application_id=row.application_id,
        campaign_id=row.campaign_id,
        status=EnrolmentStatus(row.status),
    )
