"""Writing workflows' state to the read model (run as local activities): a candidate's
enrolment changes, an interviewer's calendar."""

from __future__ import annotations

from temporalio import activity

from activities.contracts import (
    PROJECT_CALENDAR,
    PROJECT_ENROLMENTS,
    ProjectCalendar,
    ProjectEnrolments,
    ProjectionResult,
)
from store.calendars import CalendarProjector
from store.projection import EnrolmentProjector


class ProjectionActivities:
    """Projects the workflows' state into the SQL tables recruiters (and candidates) read."""

    def __init__(self, projector: EnrolmentProjector, calendars: CalendarProjector) -> None:
        self._projector = projector
        self._calendars = calendars

    @activity.defn(name=PROJECT_CALENDAR)
    async def project_calendar(self, input: ProjectCalendar) -> int:
        """Write an interviewer's windows and changed interviews (each guarded by the calendar
        version); returns the version the read model now holds."""
        return await self._calendars.project(
            input.interviewer_id,
            input.version,
            input.windows,
            input.interviews,
            input.feed,
            input.asked_at,
        )

    @activity.defn(name=PROJECT_ENROLMENTS)
    async def project_enrolments(self, input: ProjectEnrolments) -> ProjectionResult:
        """Upsert the candidate, enrolments and applications (guarded by ``seq``) and append
        the enrolments' timeline entries."""
        enrolments, applications = await self._projector.project(
            input.candidate,
            input.enrolments,
            input.applications,
            candidate_erased_at=input.candidate_erased_at,
            erase=input.erase,
        )
        return ProjectionResult(projected=enrolments, applications=applications)
