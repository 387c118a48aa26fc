"""Applying an ATS event: the one use case every way into the product ends in.

An event says where an application is (created in, moved to, or withdrawn from a job stage).
Applying it goes down once: resolve the stage's campaign here, accept the event id in the
ledger (the same id with another payload is refused), then hand the event to the candidate's
workflow, which alone decides whether it is new, a repeat or stale, and answers once the read
model shows its effect.
"""

from __future__ import annotations

from datetime import UTC
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from api.bridge import confirmed
from api.dependencies import ApiContext
from api.errors import ApiError
from api.inbound import accept_event
from domain.candidates import CandidateContact, Identifier, TimeZoneName
from domain.events import (
    ApplicationRef,
    ApplicationWithdrawn,
    EnrolmentSummary,
    EnrolRequest,
)
from domain.identity import enrolment_id
from domain.statuses import EnrolmentStatus
from store.catalog import Catalog, Placement
from store.views import RecruiterViews

#: The ledger's name for ids of ``POST /ats/events`` (vendor bridges name their own).
ATS_SOURCE = "ats"


class AtsEventType(StrEnum):
    APPLICATION_CREATED = "application.created"
    APPLICATION_STAGE_CHANGED = "application.stage_changed"
    APPLICATION_WITHDRAWN = "application.withdrawn"


class AtsCandidate(CandidateContact):
    """The candidate an ATS event is about: their time zone must be an IANA name."""

    timezone: TimeZoneName | None = None

    def contact(self) -> CandidateContact:
        return CandidateContact.model_validate(self.model_dump())


class AtsEvent(BaseModel):
    """An application was created in, moved to, or withdrawn from a job stage."""

    model_config = ConfigDict(extra="forbid")

    id: Identifier
    type: AtsEventType
    occurred_at: AwareDatetime
    application: ApplicationRef
    candidate: AtsCandidate

    def said(self) -> dict[str, Any]:
        """What the event says, with ``occurred_at`` in UTC: a repeat written with another
        offset for the same instant says the same."""
        said = self.model_dump(mode="json")
        said["occurred_at"] = self.occurred_at.astimezone(UTC).isoformat()
        return said


class AtsEventAccepted(BaseModel):
    """The enrolments the event created, in their current status (the same ones when it is
    repeated; may be empty). For a withdrawal: the application's enrolments."""

    enrolments: list[EnrolmentSummary]


class AtsEvents:
    """Applies ATS events to the candidates' workflows."""

    def __init__(self, context: ApiContext) -> None:
        self._context = context
        self._sessions = context.sessions
        self._bridge = context.bridge

    async def apply(self, event: AtsEvent, source: str = ATS_SOURCE) -> AtsEventAccepted:
        """Apply ``event``; raises ``ApiError`` for an unknown job, stage or campaign (422),
        an event id reused with another payload (409), or no answer in time (503)."""
        placement = await self._placement(event)
        await accept_event(self._context, source, event.id, event.said())
        if event.type is AtsEventType.APPLICATION_WITHDRAWN:
            withdrawal = ApplicationWithdrawn(
                event_id=event.id,
                application_id=event.application.id,
                occurred_at=event.occurred_at,
                application=event.application,
            )
            result = await confirmed(self._bridge.withdraw(event.candidate.contact(), withdrawal))
            return AtsEventAccepted(enrolments=result.enrolments)
        campaign = placement.campaign
        request = EnrolRequest(
            event_id=event.id,
            occurred_at=event.occurred_at,
            application=event.application,
            candidate=event.candidate.contact(),
            campaign_id=placement.campaign_id if campaign is not None else None,
            campaign=campaign,
            auto_match=placement.auto_match and campaign is not None,
            job_name=placement.job_name,
            stage_name=placement.stage_name,
            quiet_hours=self._context.settings.quiet_hours_window
            if campaign is not None and campaign.quiet_hours
            else None,
        )
        result = await confirmed(self._bridge.enrol(request))
        if not result.enrolments and campaign is not None:
            return AtsEventAccepted(enrolments=await self._forgotten(event))
        return AtsEventAccepted(enrolments=result.enrolments)

    async def _placement(self, event: AtsEvent) -> Placement:
        application = event.application
        async with self._sessions() as session:
            placement = await Catalog(session).placement(application)
        if placement is None:
            raise ApiError(
                422,
                "unknown_job",
                f"no job {application.job_id!r}: configure it with PUT /jobs/{{job_id}} first",
                {"job_id": application.job_id},
            )
        if event.type is AtsEventType.APPLICATION_WITHDRAWN:
            return placement  # Withdrawn from wherever it is: the stage needs no campaign.
        if not placement.stage_found:
            raise ApiError(
                422,
                "unknown_stage",
                f"job {application.job_id!r} has no stage {application.stage_id!r}",
                {"job_id": application.job_id, "stage_id": application.stage_id},
            )
        if placement.campaign_id is not None and placement.campaign is None:
            raise ApiError(
                422,
                "unknown_campaign",
                f"stage {application.stage_id!r} links campaign {placement.campaign_id!r}, "
                "which does not exist",
                {"campaign_id": placement.campaign_id},
            )
        return placement

    async def _forgotten(self, event: AtsEvent) -> list[EnrolmentSummary]:
        """The enrolment a repeated event created long ago, which the workflow no longer holds
        (finished and projected): its id is derived from the event, the read model has it."""
        async with self._sessions() as session:
            row = await RecruiterViews(session).enrolment_row(
                enrolment_id(event.id, event.application.id)
            )
        if row is None:
            return []
        return [
            EnrolmentSummary(
                id=row.id,
                application_id=row.application_id,
                campaign_id=row.campaign_id,
                status=EnrolmentStatus(row.status),
            )
        ]
