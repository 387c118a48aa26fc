"""The candidate's own interview: what their page shows of it, and moving or cancelling it
themselves (up to the minimum notice; moved at most ``CANDIDATE_CHANGES`` times). Each change
is decided by the interviewer's workflow, like a booking."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel

from domain.campaigns import ModuleType
from domain.interviews import (
    CANDIDATE_CHANGES,
    Interview,
    InterviewChange,
    InterviewStatus,
    Reschedule,
)
from domain.jobs import InterviewSettings
from services.candidate_workflows import confirmed
from services.context import Context
from services.errors import Refused, not_found
from services.interviewer_workflows import interviewer_workflows
from services.interviews import (
    Slots,
    candidate_zone,
    changed_or_refused,
    free_by_interviewer,
    holding,
    offered,
    settings_of,
)
from store.calendars import Calendars
from store.candidate_view import LinkedEnrolment
from store.catalog import Catalog, stage_settings


async def candidate_reschedule(
    context: Context, found: LinkedEnrolment, interview_id: str, start: datetime
) -> Interview:
    """Move the candidate's interview to the slot at ``start`` (same interviewer). Raises
    ``Refused``: 404, 409 ``slot_taken`` (with fresh slots), ``too_late`` (inside the minimum
    notice), ``too_many_changes`` (moved twice already: the recruiter can), ``interview_ended``."""
    current = await _theirs(context, found, interview_id)
    settings = await settings_of(context, found)
    request = Reschedule(interview_id=interview_id, start=start, rules=settings.rules())
    result = await confirmed(
        interviewer_workflows(context).reschedule(current.interviewer_id, request)
    )
    if result.refused == "slot_taken":
        free = await free_by_interviewer(context, settings, datetime.now(UTC))
        fresh = offered(found, free.get(current.interviewer_id, []))
        raise Refused(
            409,
            "slot_taken",
            "that time is not free any more; pick another",
            {"slots": fresh.model_dump(mode="json")["slots"], "timezone": fresh.timezone},
        )
    return changed_or_refused(result, interview_id)


async def candidate_cancel(
    context: Context, found: LinkedEnrolment, interview_id: str
) -> Interview:
    """The candidate cancels their interview, up to the minimum notice before it. Raises
    ``Refused`` 404, 409 ``too_late``, ``interview_ended``."""
    current = await _theirs(context, found, interview_id)
    settings = await settings_of(context, found)
    change = InterviewChange(
        interview_id=interview_id,
        status=InterviewStatus.CANCELLED,
        candidate_notice=settings.min_notice,
    )
    result = await confirmed(interviewer_workflows(context).change(current.interviewer_id, change))
    return changed_or_refused(result, interview_id)


async def candidate_confirm(
    context: Context, found: LinkedEnrolment, interview_id: str
) -> Interview:
    """The candidate confirms they will come. Raises ``Refused`` 404, 409 ``interview_ended``."""
    current = await _theirs(context, found, interview_id)
    calendars = interviewer_workflows(context)
    result = await confirmed(calendars.confirm(current.interviewer_id, interview_id))
    return changed_or_refused(result, interview_id)


async def _theirs(context: Context, found: LinkedEnrolment, interview_id: str) -> Interview:
    """The interview, if it is this enrolment's; else ``Refused`` 404."""
    async with context.reads() as session:
        interview = await Calendars(session).interview(interview_id)
    if interview is None or interview.enrolment_id != found.enrolment_id:
        raise not_found("interview", interview_id)
    return interview


class CandidateInterview(BaseModel):
    """The candidate's interview as their page shows it, in their time zone."""

    id: str
    interviewer_id: str
    start: AwareDatetime
    end: AwareDatetime
    timezone: str
    location: str | None
    #: Whether the candidate may still move or cancel it themselves (outside the minimum
    #: notice), and how many moves they have left.
    changeable: bool
    moves_left: int
    #: The candidate said they will come.
    confirmed: bool = False


async def interview_for_page(context: Context, found: LinkedEnrolment) -> CandidateInterview | None:
    """The interview the enrolment holds, if its campaign books one and it holds one."""
    if not any(m.type is ModuleType.SCHEDULE for m in found.campaign.modules):
        return None
    held = await holding(context, found)
    if held is None:
        return None
    async with context.reads() as session:
        stage = await Catalog(session).stage(found.job_id, found.stage_id)
    settings = (stage_settings(stage) if stage is not None else None) or InterviewSettings()
    zone = ZoneInfo(candidate_zone(found))
    return CandidateInterview(
        id=held.id,
        interviewer_id=held.interviewer_id,
        start=held.start.astimezone(zone),
        end=held.end.astimezone(zone),
        timezone=candidate_zone(found),
        location=held.location,
        changeable=datetime.now(UTC) <= held.start - settings.min_notice,
        moves_left=max(0, CANDIDATE_CHANGES - held.changes),
        confirmed=held.status is InterviewStatus.CONFIRMED,
    )


async def slots_to_move_to(context: Context, found: LinkedEnrolment, interviewer_id: str) -> Slots:
    """The free slots the candidate may move their interview to: their interviewer's."""
    settings = await settings_of(context, found)
    free = await free_by_interviewer(context, settings, datetime.now(UTC))
    return offered(found, free.get(interviewer_id, []))
