"""Interviews: the slots a candidate is offered, booking one, and the recruiter's view and
changes (interviewers and their availability: ``services.availability``).

Who gets a slot is never decided here: each interviewer's workflow (``InterviewerWorkflow``)
decides, one request at a time (DESIGN.md, decision 16). Slots are read from the read model,
which that workflow writes before it answers, so a candidate who loses a race is offered slots
that already leave the winner's out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel

from domain.access import Principal
from domain.campaigns import CampaignModule, ModuleType
from domain.events import (
    ApplicationRef,
)
from domain.interview_messages import Reach
from domain.interviews import (
    BookingRequest,
    ChangeResult,
    Changing,
    Interview,
    InterviewChange,
)
from domain.jobs import InterviewSettings
from domain.slots import Interval, free_slots
from domain.statuses import EnrolmentStatus
from services.candidate_pages import complete_module, open_module
from services.candidate_workflows import confirmed
from services.context import Context
from services.errors import Refused, not_found
from services.interviewer_workflows import interviewer_workflows
from store.access import record
from store.calendars import Calendars
from store.candidate_view import LinkedEnrolment
from store.catalog import Catalog, stage_settings


class OfferedSlot(BaseModel):
    """A free slot as a candidate sees it, in their time zone."""

    start: AwareDatetime
    end: AwareDatetime


class Slots(BaseModel):
    """``GET /c/{token}/slots``: the candidate's free slots, earliest first."""

    timezone: str
    slots: list[OfferedSlot]


# -- the candidate's slots and booking -------------------------------------------------------


async def settings_of(context: Context, found: LinkedEnrolment) -> InterviewSettings:
    """The interview settings of the enrolment's stage; raises ``Refused`` 409
    ``no_interviewers`` when the stage names none (the candidate cannot book yet)."""
    async with context.reads() as session:
        stage = await Catalog(session).stage(found.job_id, found.stage_id)
    settings = None if stage is None else stage_settings(stage)
    if settings is None or not settings.interviewer_ids:
        raise Refused(
            409,
            "no_interviewers",
            "no interviewer takes interviews for this step yet; the recruiter will be in touch",
        )
    return settings


async def free_by_interviewer(
    context: Context, settings: InterviewSettings, now: datetime
) -> dict[str, list[Interval]]:
    """Each of the stage's interviewers' free slots, as their calendars were last projected
    (none for an interviewer whose calendar feed could not be read)."""
    ids = settings.interviewer_ids
    async with context.reads() as session:
        store = Calendars(session)
        calendars = await store.calendars(ids)
        held = await store.held(ids, now)
    rules = settings.rules()
    free: dict[str, list[Interval]] = {}
    for i in ids:
        calendar = calendars.get(i)
        if calendar is None or not calendar.free_of_feed:
            free[i] = []
        else:
            free[i] = free_slots(calendar.windows, held[i] + calendar.busy, rules, now)
    return free


async def stage_has_free_slot(context: Context, application: ApplicationRef) -> bool:
    """Whether the application's stage has an interviewer free now (an Auto-Match stage's
    schedule request then goes out at once instead of waiting)."""
    async with context.reads() as session:
        stage = await Catalog(session).stage(application.job_id, application.stage_id)
    settings = None if stage is None else stage_settings(stage)
    if settings is None or not settings.interviewer_ids:
        return False
    free = await free_by_interviewer(context, settings, datetime.now(UTC))
    return any(free.values())


async def ask_stage_interviewers(context: Context, application: ApplicationRef) -> None:
    """Candidates wait in ``auto_match`` in the application's stage: ask each of its
    interviewers for availability. Their workflow decides (one request at a time); an
    interviewer the read model shows asked already is not told again, so a burst of entrants
    costs one signal, not one each."""
    async with context.reads() as session:
        stage = await Catalog(session).stage(application.job_id, application.stage_id)
        settings = None if stage is None else stage_settings(stage)
        ids = settings.interviewer_ids if settings is not None else []
        known = await Calendars(session).calendars(ids)
    calendars = interviewer_workflows(context)
    for interviewer_id in ids:
        calendar = known.get(interviewer_id)
        if calendar is None or calendar.asked_at is None:
            await calendars.ask_for_availability(interviewer_id)


def earliest_first(free: dict[str, list[Interval]]) -> list[Interval]:
    """Every slot some interviewer has free, once, earliest first."""
    slots = {slot.start: slot for found in free.values() for slot in found}
    return [slots[start] for start in sorted(slots)]


def reach_of(context: Context, found: LinkedEnrolment) -> Reach:
    """How the candidate is reached in time: the zone their page shows times in, and the
    quiet hours their campaign keeps."""
    settings = context.settings
    quiet = settings.quiet_hours_window if found.campaign.quiet_hours else None
    return Reach(zone=candidate_zone(found), quiet=quiet)


def candidate_zone(found: LinkedEnrolment) -> str:
    """Where the candidate's clock is: their time zone, else UTC."""
    return found.timezone or "UTC"


def offered(found: LinkedEnrolment, slots: list[Interval]) -> Slots:
    zone = candidate_zone(found)
    here = ZoneInfo(zone)
    return Slots(
        timezone=zone,
        slots=[
            OfferedSlot(start=slot.start.astimezone(here), end=slot.end.astimezone(here))
            for slot in slots
        ],
    )


async def candidate_slots(context: Context, found: LinkedEnrolment) -> Slots:
    """The slots the candidate may book, in their time zone."""
    settings = await settings_of(context, found)
    free = await free_by_interviewer(context, settings, datetime.now(UTC))
    return offered(found, earliest_first(free))


async def book(
    context: Context,
    found: LinkedEnrolment,
    module_id: str,
    start: datetime,
    link: str | None = None,
) -> Interview:
    """Book the slot starting at ``start`` for the enrolment and complete its schedule module
    (or, its interview cancelled since, book it again: ``rebooking``).

    The interviewers free then are asked in the stage's order; each one's workflow decides.
    Raises ``Refused``: 409 ``slot_taken`` (``details.slots``: the fresh slots) when no one
    gives it, 409 ``already_booked`` when the enrolment holds another interview, 409
    ``no_interviewers``, 422 ``not_a_schedule_module``. ``link``: the candidate's page, for
    the messages about the interview.
    """
    interviews = await interviews_of(context, found)
    held = _held_already(interviews, start)
    if held is not None:
        return held
    rebooking = may_rebook(found, interviews)
    module = _schedule_module(found, module_id, rebooking)
    settings = await settings_of(context, found)
    free = await free_by_interviewer(context, settings, datetime.now(UTC))
    free_then = [i for i, slots in free.items() if any(s.start == start for s in slots)]
    request = BookingRequest(
        enrolment_id=found.enrolment_id,
        candidate_id=found.candidate_id,
        job_id=found.job_id,
        stage_id=found.stage_id,
        module_id=module.id,
        start=start,
        rules=settings.rules(),
        location=settings.location,
        reach=reach_of(context, found),
        link=link,
    )
    calendars = interviewer_workflows(context)
    for interviewer_id in free_then:
        result = await confirmed(calendars.book(interviewer_id, request))
        if result.interview is not None:
            if not rebooking:
                await complete_module(context, found, module.id, {})
            return result.interview
        if result.refused == "already_booked":
            raise Refused(
                409,
                "already_booked",
                "this interview is already booked; reschedule it instead",
            )
    fresh = offered(
        found, earliest_first(await free_by_interviewer(context, settings, datetime.now(UTC)))
    )
    raise Refused(
        409,
        "slot_taken",
        "someone else has just booked that time; pick another",
        {"slots": fresh.model_dump(mode="json")["slots"], "timezone": fresh.timezone},
    )


def _held_already(interviews: list[Interview], start: datetime) -> Interview | None:
    """The enrolment's interview if this booking repeats it; raises ``Refused`` 409
    ``already_booked`` when it holds another. (Held with one interviewer, another's workflow
    would not know: each decides for their own calendar, so it is refused here.)"""
    held = next((i for i in interviews if i.holds_time), None)
    if held is not None and held.start != start:
        raise Refused(409, "already_booked", "this interview is already booked; move it instead")
    return held


async def interviews_of(context: Context, found: LinkedEnrolment) -> list[Interview]:
    """The enrolment's interviews as the read model shows them, the newest booking first."""
    async with context.reads() as session:
        return await Calendars(session).of_enrolment(found.enrolment_id)


async def holding(context: Context, found: LinkedEnrolment) -> Interview | None:
    """The interview the enrolment holds now, as the read model shows it."""
    return next((i for i in await interviews_of(context, found) if i.holds_time), None)


def may_rebook(found: LinkedEnrolment, interviews: list[Interview]) -> bool:
    """Whether the enrolment completed its schedule module and its interviews (``interviews``)
    were all cancelled since (by the recruiter or the candidate): it may book a new one."""
    return (
        found.status is EnrolmentStatus.COMPLETED
        and bool(interviews)
        and not any(i.holds_time for i in interviews)
    )


def _schedule_module(found: LinkedEnrolment, module_id: str, rebooking: bool) -> CampaignModule:
    if rebooking:
        module = next((m for m in found.campaign.modules if m.id == module_id), None)
        if module is None:
            raise Refused(404, "module_not_found", f"no module {module_id!r}")
    else:
        module = open_module(found, module_id)
    if module.type is not ModuleType.SCHEDULE:
        raise Refused(422, "not_a_schedule_module", f"module {module_id!r} books no interview")
    return module


# -- the recruiter's view and changes --------------------------------------------------------


async def interview(context: Context, interview_id: str) -> Interview:
    async with context.reads() as session:
        found = await Calendars(session).interview(interview_id)
    if found is None:
        raise not_found("interview", interview_id)
    return found


async def interviews_between(
    context: Context, start: datetime, end: datetime, job_id: str | None
) -> list[Interview]:
    if end <= start:
        raise Refused(422, "invalid_range", "'to' must be after 'from'")
    if end - start > timedelta(days=92):
        raise Refused(422, "invalid_range", "ask for at most 92 days of interviews at once")
    async with context.reads() as session:
        return await Calendars(session).between(start, end, job_id=job_id)


async def change_interview(
    context: Context, interview_id: str, status: Changing, who: Principal
) -> Interview:
    """Cancel an interview or mark a no-show, in its interviewer's workflow. Raises
    ``Refused`` 404, 409 ``interview_not_started`` / ``interview_ended``."""
    current = await interview(context, interview_id)
    change = InterviewChange(interview_id=interview_id, status=status)
    result = await confirmed(interviewer_workflows(context).change(current.interviewer_id, change))
    changed = changed_or_refused(result, interview_id)
    async with context.sessions.begin() as session:
        record(session, who.actor, f"interview.{status.value}", interview_id, {}, datetime.now(UTC))
    return changed


#: What each refusal of a change says to the one who asked.
_REFUSALS: dict[str, tuple[str, str]] = {
    "too_late": ("too_late", "it is too close to the interview to change it here"),
    "too_many_changes": (
        "too_many_changes",
        "the interview was moved twice already: contact the recruiter to change it again",
    ),
    "already_ended": ("interview_ended", "the interview is over or cancelled already"),
    "not_started": ("interview_not_started", "a no-show is marked once the interview began"),
}


def changed_or_refused(result: ChangeResult, interview_id: str) -> Interview:
    if result.interview is None:
        raise not_found("interview", interview_id)
    if result.refused is not None:
        code, message = _REFUSALS.get(result.refused, (result.refused, result.refused))
        raise Refused(409, code, message)
    return result.interview
