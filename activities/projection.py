"""Writing workflows' state to the read model (run as local activities): a candidate's
enrolment changes, an interviewer's calendar. Once an enrolment's end is in the read model, its
write-back to the vendor ATS is started (``services.writebacks.WritebackStarter``, handed in
by the worker)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from temporalio import activity
from temporalio.client import Client

from activities.contracts import (
    PROJECT_CALENDAR,
    PROJECT_ENROLMENTS,
    ProjectCalendar,
    ProjectEnrolments,
    ProjectionResult,
)
from domain.enrolments import Enrolment
from domain.interviews import Interview
from store.calendars import CalendarProjector
from store.projection import EnrolmentProjector


class AfterProjection(Protocol):
    """Told what the read model now holds (``services.writebacks.WritebackStarter``)."""

    async def enrolments(self, client: Client, enrolments: Sequence[Enrolment]) -> None: ...

    async def interviews(self, client: Client, interviews: Sequence[Interview]) -> None: ...


class ProjectionActivities:
    """Projects the workflows' state into the SQL tables recruiters (and candidates) read."""

    def __init__(
        self,
        projector: EnrolmentProjector,
        calendars: CalendarProjector,
        projected: AfterProjection | None = None,
    ) -> None:
        self._projector = projector
        self._calendars = calendars
        self._projected = projected

    @activity.defn(name=PROJECT_CALENDAR)
    async def project_calendar(self, input: ProjectCalendar) -> int:
        """Write an interviewer's windows and changed interviews (each guarded by the calendar
        version); returns the version the read model now holds. Then the changes of
        interviews go on to be written back to their vendor ATS."""
        version = await self._calendars.project(
            input.interviewer_id,
            input.version,
            input.windows,
            input.interviews,
            input.feed,
            input.asked_at,
        )
        if self._projected is not None and input.interviews:
            await self._projected.interviews(activity.client(), input.interviews)
        return version

    @activity.defn(name=PROJECT_ENROLMENTS)
    async def project_enrolments(self, input: ProjectEnrolments) -> ProjectionResult:
        """Upsert the candidate, enrolments and applications (guarded by ``seq``) and append
        the enrolments' timeline entries; then start the write-back of those that ended (a
        retry starts none twice: each has one workflow id)."""
        enrolments, applications = await self._projector.project(
            input.candidate,
            input.enrolments,
            input.applications,
            candidate_erased_at=input.candidate_erased_at,
            erase=input.erase,
        )
        if self._projected is not None:
            await self._projected.enrolments(activity.client(), input.enrolments)
        return ProjectionResult(projected=enrolments, applications=applications)
