"""Applying an ATS event: the one use case every way into the product ends in.

An event says where an application is (created in, moved to, or withdrawn from a job stage).
Applying it goes down once: resolve the stage's campaign here, accept the event id in the
ledger (the same id with another payload is refused), then hand the event to the candidate's
workflow, which alone decides whether it is new, a repeat or stale, and answers once the read
model shows its effect.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, timedelta
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from domain.addresses import AddressProblem, address_for, normalise_phone
from domain.candidates import CandidateContact, Identifier, TimeZoneName
from domain.channels import ChannelKind
from domain.events import (
    ApplicationRef,
    ApplicationWithdrawn,
    EnrolmentSummary,
    EnrolRequest,
)
from domain.identity import enrolment_id
from domain.statuses import EnrolmentStatus
from services.candidate_links import new_link
from services.candidate_workflows import confirmed
from services.context import Context
from services.errors import ErrorBody, Refused, internal_error, invalid_input, outage
from services.inbound import accept_event
from services.interviews import ask_stage_interviewers, stage_has_free_slot
from store.enrolment_view import EnrolmentViews
from store.opt_outs import OptOuts
from store.placements import Placement, Placements

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


class BatchResult(BaseModel):
    """One event of a batch: the enrolments it concerns, or why it was refused."""

    id: str | None
    enrolments: list[EnrolmentSummary] | None = None
    error: ErrorBody | None = None


class AtsEventBatchAccepted(BaseModel):
    """One result per event of the batch, in the batch's order."""

    results: list[BatchResult]


#: Candidates whose events of one batch are applied at once (each candidate's in order).
BATCH_CONCURRENCY = 32


def _id_of(raw: Any) -> str | None:
    """The id an event of a batch gives itself, as far as it can be read."""
    value = raw.get("id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None


class AtsEvents:
    """Applies ATS events to the candidates' workflows."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._sessions = context.sessions
        self._workflows = context.workflows

    async def apply(
        self,
        event: AtsEvent,
        source: str = ATS_SOURCE,
        said: dict[str, Any] | None = None,
        placement: Placement | None = None,
    ) -> AtsEventAccepted:
        """Apply ``event``; raises ``Refused`` for an unknown job, stage or campaign (422),
        an event id reused with another payload (409), or no answer in time (503). ``said``
        is what a repeat must say alike (default: the whole event); ``placement`` what the
        catalog says of its job stage, when the caller read it already."""
        placement = self._checked(event, placement or await self._placement(event))
        said = event.said() if said is None else said
        if event.type is AtsEventType.APPLICATION_WITHDRAWN:
            withdrawal = ApplicationWithdrawn(
                event_id=event.id,
                application_id=event.application.id,
                occurred_at=event.occurred_at,
                application=event.application,
            )
            return await self.withdraw(source, said, event.candidate.contact(), withdrawal)
        await accept_event(self._context, source, event.id, said)
        campaign = placement.campaign
        candidate = self._reachable(event.candidate.contact(), placement)
        request = EnrolRequest(
            event_id=event.id,
            occurred_at=event.occurred_at,
            application=event.application,
            candidate=candidate,
            campaign_id=placement.campaign_id if campaign is not None else None,
            campaign=campaign,
            auto_match=placement.auto_match
            and campaign is not None
            and not await stage_has_free_slot(self._context, event.application),
            job_name=placement.job_name,
            stage_name=placement.stage_name,
            quiet_hours=self._context.settings.quiet_hours_window
            if campaign is not None and campaign.quiet_hours
            else None,
            opted_out=campaign is not None and await self._opted_out(campaign.channel, candidate),
            link=new_link(self._context.settings)
            if campaign is not None and campaign.has_page
            else None,
        )
        result = await confirmed(self._workflows.enrol(request))
        if any(e.status == EnrolmentStatus.AUTO_MATCH for e in result.enrolments):
            await ask_stage_interviewers(self._context, event.application)
        if not result.enrolments and campaign is not None:
            return AtsEventAccepted(enrolments=await self._forgotten(event))
        return AtsEventAccepted(enrolments=result.enrolments)

    async def apply_batch(
        self, events: list[Any], source: str = ATS_SOURCE
    ) -> AtsEventBatchAccepted:
        """Apply each event as ``apply`` does, each candidate's in the batch's order, several
        candidates at once. An event that does not validate, or that ``apply`` refuses, gets
        its error in its result; the others are applied all the same."""
        results: list[BatchResult] = [BatchResult(id=_id_of(raw)) for raw in events]
        by_candidate: dict[str, list[tuple[int, AtsEvent]]] = {}
        for index, raw in enumerate(events):
            try:
                event = AtsEvent.model_validate(raw)
            except ValidationError as err:
                results[index].error = invalid_input(err.errors(), f"events[{index}]")
                continue
            by_candidate.setdefault(event.candidate.id, []).append((index, event))
        limit = asyncio.Semaphore(BATCH_CONCURRENCY)

        async def candidate(queue: list[tuple[int, AtsEvent]]) -> None:
            async with limit:
                for index, event in queue:
                    try:
                        accepted = await self.apply(event, source)
                    except Refused as err:
                        results[index].error = err.body()
                    except Exception as err:
                        # Temporal or the database went away (or a bug): this event is not
                        # applied, the ones before it are, and the rest of the batch goes on.
                        results[index].error = outage(err) or internal_error(err, event.id)
                    else:
                        results[index].enrolments = accepted.enrolments

        await asyncio.gather(*(candidate(queue) for queue in by_candidate.values()))
        return AtsEventBatchAccepted(results=results)

    async def withdraw(
        self,
        source: str,
        said: dict[str, Any],
        candidate: CandidateContact,
        withdrawal: ApplicationWithdrawn,
        *,
        start: bool = True,
    ) -> AtsEventAccepted:
        """Accept the event id, then withdraw the application in the candidate's workflow,
        starting it unless ``start`` is false (then a candidate without a workflow has nothing
        to withdraw: no enrolments)."""
        await accept_event(self._context, source, withdrawal.event_id, said)
        settle = timedelta(seconds=self._context.settings.withdrawal_settle)
        withdrawal = withdrawal.model_copy(update={"settle": settle})
        if start:
            result = await confirmed(self._workflows.withdraw(candidate, withdrawal))
            return AtsEventAccepted(enrolments=result.enrolments)
        known = await confirmed(self._workflows.withdraw_existing(candidate.id, withdrawal))
        return AtsEventAccepted(enrolments=[] if known is None else known.enrolments)

    def _reachable(self, candidate: CandidateContact, placement: Placement) -> CandidateContact:
        """``candidate`` with a national phone number read in the job's region (else the
        deployment's) as E.164; a number that cannot be read stays as it came (the candidate's
        thread fails what it cannot deliver, saying why)."""
        region = placement.default_region or self._context.settings.default_region
        if not candidate.phone or region is None:
            return candidate
        try:
            phone = normalise_phone(candidate.phone, default_region=region)
        except AddressProblem:
            return candidate
        return candidate.model_copy(update={"phone": phone})

    async def _opted_out(self, channel: ChannelKind, candidate: CandidateContact) -> bool:
        """Whether the address ``channel`` reaches ``candidate`` at has opted out (STOP)."""
        try:
            address = address_for(channel, candidate)
        except AddressProblem:
            return False  # the thread fails it for its address
        return await OptOuts(self._sessions).is_opted_out(address)

    async def _placement(self, event: AtsEvent) -> Placement | None:
        async with self._sessions() as session:
            return await Placements(session).placement(event.application)

    @staticmethod
    def _checked(event: AtsEvent, placement: Placement | None) -> Placement:
        """``placement``, unless the event's job stage cannot take it (``Refused`` 422)."""
        application = event.application
        if placement is None:
            raise Refused(
                422,
                "unknown_job",
                f"no job {application.job_id!r}: configure it with PUT /jobs/{{job_id}} first",
                {"job_id": application.job_id},
            )
        if event.type is AtsEventType.APPLICATION_WITHDRAWN:
            return placement  # Withdrawn from wherever it is: the stage needs no campaign.
        if not placement.stage_found:
            raise Refused(
                422,
                "unknown_stage",
                f"job {application.job_id!r} has no stage {application.stage_id!r}",
                {"job_id": application.job_id, "stage_id": application.stage_id},
            )
        if placement.campaign_id is not None and placement.campaign is None:
            raise Refused(
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
            row = await EnrolmentViews(session).enrolment_row(
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
