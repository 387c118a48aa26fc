"""``InterviewerWorkflow`` on the time-skipping test server: bookings decided in order, a
booking across a daylight-saving change (America/New_York, 2027-03-14), invitations once per
change, the past forgotten, and the calendar intact across continue-as-new.

The test server takes no update-with-start: the workflow is started, then updated.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest_asyncio
from temporalio import activity, workflow
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.contracts import (
    FIND_WAITING,
    PROJECT_CALENDAR,
    READ_BUSY_TIMES,
    SEND_AVAILABILITY_REQUEST,
    SEND_INTERVIEW_MESSAGE,
    SEND_INVITATIONS,
    AvailabilityRequest,
    ProjectCalendar,
    ReadBusyTimes,
    SendInterviewMessage,
    SendInvitations,
)
from domain.events import InterviewerAvailability
from domain.identity import candidate_workflow_id, interviewer_workflow_id
from domain.interview_messages import Reach
from domain.interviewer_calendar import InterviewerCalendar
from domain.interviews import (
    Availability,
    BookingRequest,
    BusyTimes,
    FeedStatus,
    InterviewChange,
    InterviewStatus,
    Reschedule,
    Waiting,
)
from domain.slots import Interval, SlotRules
from domain.timing import QuietHours
from workers.sandbox import workflow_runner
from workflows.inputs import InterviewerWorkflowInput
from workflows.interviewer import InterviewerWorkflow

NEW_YORK = ZoneInfo("America/New_York")
OPEN = SlotRules(duration=timedelta(minutes=30), min_notice=timedelta(0))
ANYWHERE = Reach()


@dataclass
class Outside:
    """What the workflow's activities did: the read model's calendar and the invitations."""

    projected: dict[str, ProjectCalendar] = field(default_factory=dict)
    invited: list[tuple[str, int, str]] = field(default_factory=list)
    asked: list[int] = field(default_factory=list)
    told: list[tuple[str, int, datetime]] = field(default_factory=list)

    #: Who waits in ``auto_match`` on the interviewer, as the read model would say.
    waiting: list[Waiting] = field(default_factory=list)

    @activity.defn(name=FIND_WAITING)
    async def find_waiting(self, interviewer_id: str) -> list[Waiting]:
        return self.waiting

    @activity.defn(name=SEND_INTERVIEW_MESSAGE)
    async def send_interview_message(self, input: SendInterviewMessage) -> bool:
        # The server's time when the workflow asked (the test server's clock skips).
        at = activity.info().scheduled_time.astimezone(UTC)
        self.told.append((input.kind.value, input.interview.sequence, at))
        return True

    @activity.defn(name=SEND_AVAILABILITY_REQUEST)
    async def send_availability_request(self, input: AvailabilityRequest) -> bool:
        self.asked.append(input.number)
        return True

    @activity.defn(name=PROJECT_CALENDAR)
    async def project_calendar(self, input: ProjectCalendar) -> int:
        self.projected[input.interviewer_id] = input
        return input.version

    @activity.defn(name=READ_BUSY_TIMES)
    async def read_busy_times(self, input: ReadBusyTimes) -> BusyTimes:
        return BusyTimes(status=FeedStatus.NONE, checked_at=datetime.now(UTC))

    @activity.defn(name=SEND_INVITATIONS)
    async def send_invitations(self, input: SendInvitations) -> int:
        interview = input.interview
        self.invited.append((interview.id, interview.sequence, interview.status.value))
        return 2


@dataclass
class Calendar:
    env: WorkflowEnvironment
    handle: WorkflowHandle[InterviewerWorkflow, None]
    outside: Outside
    first_run: str | None = None

    async def now(self) -> datetime:
        return (await self.env.get_current_time()).astimezone(UTC)

    async def free(self, *windows: tuple[datetime, datetime]) -> int:
        intervals = [Interval(start=s, end=e) for s, e in windows]
        return await self.handle.execute_update(
            InterviewerWorkflow.set_availability, Availability(windows=intervals)
        )

    async def book(
        self, enrolment: str, start: datetime, rules: SlotRules = OPEN, reach: Reach = ANYWHERE
    ) -> BookingRequest:
        return BookingRequest(
            reach=reach,
            link="https://jobs.example.com/c/token",
            enrolment_id=enrolment,
            candidate_id=f"cand-{enrolment}",
            job_id="job",
            stage_id="interview",
            module_id="book",
            start=start,
            rules=rules,
        )

    async def state(self) -> InterviewerCalendar:
        return await self.handle.query(InterviewerWorkflow.calendar)


@pytest_asyncio.fixture(loop_scope="session")
async def calendar(time_skipping_env: WorkflowEnvironment) -> AsyncIterator[Calendar]:
    async with calendar_of(time_skipping_env) as started:
        yield started


@contextlib.asynccontextmanager
async def calendar_of(
    env: WorkflowEnvironment, event_budget: int = 2_000, *, answer_when_projected: bool = True
) -> AsyncIterator[Calendar]:
    task_queue = f"interviewer-{uuid.uuid4()}"
    outside = Outside()
    interviewer = f"iv-{uuid.uuid4().hex[:8]}"
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=[InterviewerWorkflow],
        activities=[
            outside.project_calendar,
            outside.read_busy_times,
            outside.send_invitations,
            outside.send_availability_request,
            outside.send_interview_message,
            outside.find_waiting,
        ],
        workflow_runner=workflow_runner(env.client.data_converter),
    ):
        started = await env.client.start_workflow(
            InterviewerWorkflow.run,
            InterviewerWorkflowInput(
                calendar=InterviewerCalendar(interviewer_id=interviewer),
                event_budget=event_budget,
                answer_when_projected=answer_when_projected,
            ),
            id=interviewer_workflow_id(interviewer),
            task_queue=task_queue,
        )
        # Whichever run is current: the workflow continues-as-new.
        handle = env.client.get_workflow_handle_for(InterviewerWorkflow.run, started.id)
        try:
            yield Calendar(env, handle, outside, started.first_execution_run_id)
        finally:
            with contextlib.suppress(RPCError):
                await handle.terminate("test over")


async def test_a_booking_across_the_change_to_daylight_saving_time(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    change = datetime(2027, 3, 14, tzinfo=NEW_YORK)
    now = (await time_skipping_env.get_current_time()).astimezone(UTC)
    if change - now > timedelta(days=10):  # bring the clock within the horizon
        await time_skipping_env.sleep(change - now - timedelta(days=5))
    async with calendar_of(time_skipping_env) as calendar:
        # 01:00 to 04:00 on the night the clocks go forward: two real hours.
        start = datetime(2027, 3, 14, 1, tzinfo=NEW_YORK)
        end = datetime(2027, 3, 14, 4, tzinfo=NEW_YORK)
        assert await calendar.free((start, end)) == 1
        state = await calendar.state()
        slots = state.free_slots(OPEN, await calendar.now())
        local = [s.start.astimezone(NEW_YORK).strftime("%H:%M %Z") for s in slots]
        assert local[0] == "01:00 EST" and local[-1] == "03:30 EDT" and len(slots) == 7
        last = slots[-1].start
        booked = await calendar.handle.execute_update(
            InterviewerWorkflow.book, await calendar.book("e1", last)
        )
        assert booked.interview is not None
        assert booked.interview.end.astimezone(NEW_YORK).strftime("%H:%M %Z") == "04:00 EDT"
        assert booked.interview.end - booked.interview.start == timedelta(minutes=30)


async def test_racing_bookings_get_one_interview_a_slot_and_invitations_once_per_change(
    calendar: Calendar,
) -> None:
    now = await calendar.now()
    day = (now + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    await calendar.free((day, day + timedelta(hours=1)))
    requests = [
        await calendar.book(f"e{n}", day + timedelta(minutes=30 * (n % 2))) for n in range(8)
    ]
    results = await asyncio.gather(
        *(calendar.handle.execute_update(InterviewerWorkflow.book, r) for r in requests)
    )
    won = [r.interview for r in results if r.interview is not None]
    assert sorted(i.start for i in won) == [day, day + timedelta(minutes=30)]
    assert sorted(r.refused for r in results if r.refused) == ["slot_taken"] * 6
    cancelled = await calendar.handle.execute_update(
        InterviewerWorkflow.change,
        InterviewChange(interview_id=won[0].id, status=InterviewStatus.CANCELLED),
    )
    assert cancelled.interview is not None and cancelled.interview.sequence == 1
    for _ in range(100):
        if len(calendar.outside.invited) == 3:
            break
        await asyncio.sleep(0.05)
    assert sorted(calendar.outside.invited) == sorted(
        [(won[0].id, 0, "booked"), (won[1].id, 0, "booked"), (won[0].id, 1, "cancelled")]
    )
    projected = calendar.outside.projected[won[0].interviewer_id]
    assert projected.version == (await calendar.state()).version


async def book_eight(calendar: Calendar) -> None:
    now = await calendar.now()
    day = (now + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    await calendar.free((day, day + timedelta(hours=4)))
    for n in range(8):
        request = await calendar.book(f"e{n}", day + timedelta(minutes=30 * n))
        result = await calendar.handle.execute_update(InterviewerWorkflow.book, request)
        assert result.interview is not None


async def test_the_calendar_survives_continue_as_new(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    # The test server's clock stops skipping across a continue-as-new, so nothing sleeps here.
    async with calendar_of(time_skipping_env, event_budget=40) as calendar:
        await book_eight(calendar)
        latest = calendar.env.client.get_workflow_handle(calendar.handle.id)
        for _ in range(100):  # once the invitations are out, the run is quiet: it continues
            described = await latest.describe()
            if described.run_id != calendar.first_run:
                break
            await asyncio.sleep(0.05)
        assert described.run_id != calendar.first_run, "the run continued-as-new"
        state = await calendar.state()
        assert len(state.interviews) == 8 and len(state.windows) == 1
        assert all(i.told for i in state.interviews.values()), "what was told is carried over"


async def test_the_past_is_forgotten(calendar: Calendar) -> None:
    await book_eight(calendar)
    await calendar.env.sleep(timedelta(days=5))
    forgotten = await calendar.state()
    assert forgotten.interviews == {} and forgotten.windows == []


async def settled(calendar: Calendar, asked: int) -> None:
    for _ in range(100):
        if len(calendar.outside.asked) >= asked:
            return
        await asyncio.sleep(0.05)


async def test_one_availability_request_at_a_time_reminded_after_24_and_48_hours(
    calendar: Calendar,
) -> None:
    for _ in range(3):  # three candidates enter the stage: one request
        await calendar.handle.signal(InterviewerWorkflow.ask_for_availability)
    await settled(calendar, 1)
    assert calendar.outside.asked == [0]
    await calendar.env.sleep(timedelta(hours=23))
    assert calendar.outside.asked == [0]
    await calendar.env.sleep(timedelta(hours=1, minutes=1))
    await settled(calendar, 2)
    assert calendar.outside.asked == [0, 1]
    await calendar.env.sleep(timedelta(hours=24))
    await settled(calendar, 3)
    await calendar.env.sleep(timedelta(days=3))
    assert calendar.outside.asked == [0, 1, 2]
    assert (await calendar.state()).asked_at is not None  # still waiting on them


async def test_availability_answers_the_request_and_stops_its_reminders(
    calendar: Calendar,
) -> None:
    await calendar.handle.signal(InterviewerWorkflow.ask_for_availability)
    await settled(calendar, 1)
    now = await calendar.now()
    await calendar.free((now + timedelta(days=1), now + timedelta(days=1, hours=2)))
    assert (await calendar.state()).asked_at is None
    await calendar.env.sleep(timedelta(days=3))
    assert calendar.outside.asked == [0]
    await calendar.handle.signal(InterviewerWorkflow.ask_for_availability)  # asked again later
    await settled(calendar, 2)
    assert calendar.outside.asked == [0, 0]


async def told_count(calendar: Calendar, count: int) -> None:
    for _ in range(100):
        if len(calendar.outside.told) >= count:
            return
        await asyncio.sleep(0.05)


async def test_reminders_24_and_2_hours_before_and_a_move_moves_them(calendar: Calendar) -> None:
    now = await calendar.now()
    start = (now + timedelta(days=3)).replace(hour=14, minute=0, second=0, microsecond=0)
    await calendar.free((start - timedelta(days=1), start + timedelta(hours=4)))
    booked = await calendar.handle.execute_update(
        InterviewerWorkflow.book, await calendar.book("e1", start)
    )
    assert booked.interview is not None
    await told_count(calendar, 1)
    assert [k for k, _, _ in calendar.outside.told] == ["booked"]
    moved_to = start + timedelta(hours=2)
    moved = await calendar.handle.execute_update(
        InterviewerWorkflow.reschedule,
        Reschedule(interview_id=booked.interview.id, start=moved_to, rules=OPEN),
    )
    assert moved.interview is not None and moved.interview.sequence == 1
    await told_count(calendar, 2)
    await calendar.env.sleep(moved_to - await calendar.now() + timedelta(hours=1))
    await told_count(calendar, 4)
    told = [(kind, sequence) for kind, sequence, _ in calendar.outside.told]
    assert told == [("booked", 0), ("booked", 1), ("day_before", 1), ("soon", 1)]
    moments = {kind: at for kind, sequence, at in calendar.outside.told if sequence == 1}
    assert abs(moments["day_before"] - (moved_to - timedelta(hours=24))) < timedelta(minutes=1)
    assert abs(moments["soon"] - (moved_to - timedelta(hours=2))) < timedelta(minutes=1)


async def test_a_reminder_in_quiet_hours_waits_for_them_to_end(calendar: Calendar) -> None:
    now = await calendar.now()
    day = (now + timedelta(days=3)).replace(hour=0, minute=0, second=0, microsecond=0)
    start = day + timedelta(hours=9)  # 09:00 UTC: two hours before is 07:00, quiet till 08:00
    await calendar.free((start, start + timedelta(hours=1)))
    reach = Reach(zone="UTC", quiet=QuietHours.parse("21:00-08:00"))
    booked = await calendar.handle.execute_update(
        InterviewerWorkflow.book, await calendar.book("e1", start, reach=reach)
    )
    assert booked.interview is not None
    await calendar.env.sleep(start - await calendar.now() + timedelta(minutes=30))
    await told_count(calendar, 3)
    moments = {kind: at for kind, _, at in calendar.outside.told}
    assert abs(moments["soon"] - (day + timedelta(hours=8))) < timedelta(minutes=1)
    assert abs(moments["day_before"] - (start - timedelta(hours=24))) < timedelta(minutes=1)


@workflow.defn(name="CandidateWorkflow")
class Receiver:
    """Stands for a candidate's workflow: what availability it was told."""

    def __init__(self) -> None:
        self.told: list[str] = []

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.signal(name="interviewer_availability")
    def interviewer_availability(self, event: InterviewerAvailability) -> None:
        self.told.append(event.event_id)

    @workflow.query(name="told")
    def told_events(self) -> list[str]:
        return self.told


async def test_a_release_of_many_tells_each_waiting_candidate_once_a_batch_at_a_time(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    env = time_skipping_env
    queue = f"receivers-{uuid.uuid4()}"
    candidates = [f"waiting-{uuid.uuid4().hex[:8]}" for _ in range(60)]
    async with (
        Worker(
            env.client,
            task_queue=queue,
            workflows=[Receiver],
            workflow_runner=UnsandboxedWorkflowRunner(),
        ),
        calendar_of(env) as calendar,
    ):
        receivers = [
            await env.client.start_workflow(
                Receiver.run, id=candidate_workflow_id(c), task_queue=queue
            )
            for c in candidates
        ]
        calendar.outside.waiting = [
            Waiting(job_id="job", stage_id="interview", candidate_ids=candidates)
        ]
        now = await calendar.now()
        await calendar.free((now + timedelta(days=1), now + timedelta(days=1, hours=2)))
        for _ in range(200):
            state = await calendar.state()
            if not state.releasing and not state.release_due:
                break
            await asyncio.sleep(0.05)
        told = [await r.query(Receiver.told_events) for r in receivers]
        assert all(len(events) == 1 for events in told), [len(e) for e in told]
        assert len({events[0] for events in told}) == 1  # one event id: applied once each
        for receiver in receivers:
            await receiver.terminate("test over")
