"""Writing enrolment changes to the read model (run as a local activity)."""

from __future__ import annotations

from temporalio import activity

from activities.contracts import PROJECT_ENROLMENTS, ProjectEnrolments, ProjectionResult
from store.projection import EnrolmentProjector


class ProjectionActivities:
    """Projects the candidate workflow's state into the SQL tables recruiters read."""

    def __init__(self, projector: EnrolmentProjector) -> None:
        self._projector = projector

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
