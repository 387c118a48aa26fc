"""``InterviewerWorkflow``: the one workflow that holds an interviewer's time (DESIGN.md,
decision 16). Availability, bookings, cancellations and no-shows are updates it applies one at
a time to its ``InterviewerCalendar``, so two candidates racing for one slot get one interview
and one ``slot_taken``, whatever the number of API processes.

Every answer comes once the read model holds the state it was decided on (a refusal too: the
caller's fresh slots are then read from a read model that already shows the winner). The loop
projects (with an activity: see ``_project``), forgets what is past, and continues-as-new at a
quiet point.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
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
    from domain.identity import candidate_workflow_id, interviewer_workflow_id
    from domain.interview_messages import InterviewMessage
    from domain.interviewer_calendar import InterviewerCalendar
    from domain.interviews import (
        Availability,
        BookingRequest,
        BookingResult,
        BusyTimes,
        ChangeResult,
        FeedStatus,
        Interview,
        InterviewChange,
        Reschedule,
        Waiting,
    )
    from workflows.inputs import InterviewerWorkflowInput
    from workflows.projecting import PROJECTION_RETRY, PROJECTION_WAIT

#: Candidates told at once when availability releases them (a batch's signals are acknowledged
#: before the next goes: that, and the delivery queue's rate limit, pace the release).
RELEASE_BATCH = 50
#: Past interviews and windows are forgotten at least this often.
TIDY_EVERY = timedelta(days=1)
#: How long an invitation keeps being retried (a mail server down for a day) before it is
#: given up, and how its retries back off.
INVITATION_PATIENCE = timedelta(days=1)
INVITATION_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
)


@workflow.defn(name="InterviewerWorkflow")
class InterviewerWorkflow:
    """Serialises everything that takes or gives back one interviewer's time."""

    @workflow.init
    def __init__(self, input: InterviewerWorkflowInput) -> None:
        self._input = input
        self._calendar = input.calendar
        self._wakeup = False
        self._inviting: dict[tuple[str, int], asyncio.Task[None]] = {}
        self._reading_feed: asyncio.Task[None] | None = None
        self._asking: asyncio.Task[None] | None = None
        self._timer: tuple[datetime, asyncio.Task[None]] | None = None
        self._telling: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._releasing: asyncio.Task[None] | None = None

    @workflow.run
    async def run(self, input: InterviewerWorkflowInput) -> None:
        """Project every change; continue-as-new when the history is long and all is quiet."""
        tidying = asyncio.create_task(self._tidy_daily())
        while True:
            if not self._calendar.projected:
                await self._project()
            self._start_invitations()
            self._start_asking()
            self._start_release()
            self._start_messages()
            self._arm_timer()
            workflow.set_current_details(self._summary())
            if self._quiet() and self._history_is_long():
                tidying.cancel()
                workflow.continue_as_new(
                    InterviewerWorkflowInput(
                        calendar=self._calendar,
                        event_budget=input.event_budget,
                        answer_when_projected=True,
                    )
                )
            await workflow.wait_condition(lambda: self._wakeup)
            self._wakeup = False

    async def _tidy_daily(self) -> None:
        """One durable timer a day: forget windows that ended and interviews long over."""
        while True:
            await workflow.sleep(TIDY_EVERY, summary="forget what is past")
            self._calendar.forget_the_past(workflow.now())
            self._wakeup = True

    @workflow.update
    async def set_availability(self, availability: Availability) -> int:
        """Replace (or add to) the interviewer's windows; answers with how many future windows
        they have, once the read model holds them."""
        self._calendar.set_availability(availability, workflow.now())
        await self._read_feed()
        await self._answer_once_projected()
        return len(self._calendar.windows)

    @workflow.update
    async def book(self, request: BookingRequest) -> BookingResult:
        """Give a candidate the slot they picked, or refuse it (``slot_taken``), against the
        calendar feed read at most ``FEED_FRESH`` ago."""
        if self._calendar.feed_is_stale(workflow.now()):
            await self._read_feed()
        result = self._calendar.book(request, workflow.now())
        await self._answer_once_projected()
        return result

    @workflow.update
    async def reschedule(self, request: Reschedule) -> ChangeResult:
        """The candidate moves their interview to another free slot of this interviewer."""
        if self._calendar.feed_is_stale(workflow.now()):
            await self._read_feed()
        result = self._calendar.reschedule(request, workflow.now())
        await self._answer_once_projected()
        return result

    @workflow.update
    async def confirm(self, interview_id: str) -> ChangeResult:
        """The candidate confirms they will come."""
        result = self._calendar.confirm(interview_id, workflow.now())
        await self._answer_once_projected()
        return result

    @workflow.update
    async def change(self, change: InterviewChange) -> ChangeResult:
        """Cancel an interview, or mark a no-show."""
        result = self._calendar.change(change, workflow.now())
        await self._answer_once_projected()
        return result

    @set_availability.validator
    def _validate_availability(self, availability: Availability) -> None:
        del availability  # the model validated it: only whose calendar this is matters
        self._check_owner()

    @book.validator
    def _validate_book(self, request: BookingRequest) -> None:
        del request
        self._check_owner()

    @workflow.signal(name="ask_for_availability")
    def ask_for_availability(self) -> None:
        """Candidates wait on this interviewer in ``auto_match``: ask them for availability by
        e-mail (one request at a time), reminded after 24 h and 48 h until they answer."""
        if self._calendar.ask(workflow.now()):
            self._wakeup = True

    @workflow.query(name="calendar")
    def calendar(self) -> InterviewerCalendar:
        """The whole calendar: windows and the interviews still kept."""
        return self._calendar

    def _check_owner(self) -> None:
        expected = interviewer_workflow_id(self._calendar.interviewer_id)
        if expected != workflow.info().workflow_id:
            raise ValueError(f"this calendar is {expected}'s")

    async def _answer_once_projected(self) -> None:
        version = self._calendar.version
        self._wakeup = True
        # No timeout, no timer (an Action): with the read model down, the caller's deadline
        # answers "try again", and the same request then gets the same answer.
        timeout = None if self._input.answer_when_projected else PROJECTION_WAIT
        try:
            await workflow.wait_condition(
                lambda: self._calendar.projected_version >= version, timeout=timeout
            )
        except TimeoutError:
            workflow.logger.warning("calendar version %s not yet in the read model", version)
        self._wakeup = True

    async def _project(self) -> None:
        calendar = self._calendar
        snapshot = ProjectCalendar(
            interviewer_id=calendar.interviewer_id,
            version=calendar.version,
            windows=list(calendar.windows),
            interviews=calendar.unprojected(),
            feed=calendar.feed,
            asked_at=calendar.asked_at,
        )
        # An activity, not a local one: it runs only once the decision it projects is in the
        # history. A local activity runs inside the workflow task, and when the server drops
        # that task (it does, with updates in flight) the bookings it wrote were never made.
        projected = await workflow.execute_activity(
            PROJECT_CALENDAR,
            snapshot,
            result_type=int,
            start_to_close_timeout=timedelta(seconds=20),
            retry_policy=PROJECTION_RETRY,
            summary=f"project calendar version {snapshot.version}",
        )
        calendar.projected_version = max(calendar.projected_version, projected)

    async def _read_feed(self) -> None:
        """Read the calendar feed again (one read at a time: every handler that asks while one
        is under way waits for it)."""
        if self._reading_feed is None or self._reading_feed.done():
            self._reading_feed = asyncio.create_task(self._feed_now())
        await self._reading_feed

    async def _feed_now(self) -> None:
        try:
            feed = await workflow.execute_activity(
                READ_BUSY_TIMES,
                ReadBusyTimes(
                    interviewer_id=self._calendar.interviewer_id,
                    windows=list(self._calendar.windows),
                ),
                result_type=BusyTimes,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_attempts=3),
                summary="read the calendar feed",
            )
        except ActivityError:
            feed = BusyTimes(
                status=FeedStatus.UNREACHABLE,
                checked_at=workflow.now(),
                error="the calendar feed could not be read",
            )
        self._calendar.read_feed(feed)

    def _start_asking(self) -> None:
        """Send the availability request's e-mail due now."""
        number = self._calendar.ask_due(workflow.now())
        if number is not None and (self._asking is None or self._asking.done()):
            self._asking = asyncio.create_task(self._ask(number))

    def _start_release(self) -> None:
        """New availability: tell every candidate waiting on this interviewer (a batch at a
        time, so a release of thousands is no burst; what is left survives continue-as-new)."""
        calendar = self._calendar
        if (calendar.release_due or calendar.releasing) and (
            self._releasing is None or self._releasing.done()
        ):
            self._releasing = asyncio.create_task(self._release())

    async def _release(self) -> None:
        calendar = self._calendar
        if calendar.release_due:
            waiting = await workflow.execute_activity(
                FIND_WAITING,
                calendar.interviewer_id,
                result_type=list[Waiting],
                start_to_close_timeout=timedelta(seconds=60),
                retry_policy=PROJECTION_RETRY,
                summary="who waits in auto_match",
            )
            calendar.start_release(waiting, workflow.now())
        while batch := calendar.release_batch(RELEASE_BATCH):
            await asyncio.gather(*(self._release_one(*waiting) for waiting in batch))
            calendar.released(len(batch))
            if self._history_is_long():
                break  # the loop continues-as-new; the next run goes on from here
        self._wakeup = True

    async def _release_one(self, job_id: str, stage_id: str, candidate_id: str) -> None:
        """Tell one candidate's workflow (a signal: it applies an event id once)."""
        event = self._calendar.release_event(job_id, stage_id, workflow.now())
        handle = workflow.get_external_workflow_handle(candidate_workflow_id(candidate_id))
        try:
            await handle.signal("interviewer_availability", event)
        except Exception:  # a candidate whose workflow is gone has nothing waiting
            workflow.logger.info("candidate %s not told: no workflow", candidate_id)

    def _start_messages(self) -> None:
        """Send the candidates' interview messages due now."""
        for interview, kind in self._calendar.messages_due(workflow.now()):
            key = (interview.id, f"{kind}:{interview.sequence}")
            if key not in self._telling:
                self._telling[key] = asyncio.create_task(self._tell(interview, kind))

    async def _tell(self, interview: Interview, kind: InterviewMessage) -> None:
        try:
            await workflow.execute_activity(
                SEND_INTERVIEW_MESSAGE,
                SendInterviewMessage(interview=interview, kind=kind),
                result_type=bool,
                start_to_close_timeout=timedelta(seconds=60),
                schedule_to_close_timeout=timedelta(hours=2),
                retry_policy=INVITATION_RETRY,
                summary=f"tell the candidate: {kind.label}",
            )
        except ActivityError:
            workflow.logger.warning("%s of %s given up", kind, interview.id)
        finally:
            self._calendar.told_candidate(interview.id, kind, interview.sequence)
            del self._telling[(interview.id, f"{kind}:{interview.sequence}")]
            self._wakeup = True

    def _arm_timer(self) -> None:
        """Keep one durable timer, for the next moment the workflow acts on its own: an
        availability request's reminder, a candidate's message falling due."""
        now = workflow.now()
        moments = [m for m in (self._calendar.next_ask(), self._calendar.next_message_at(now)) if m]
        due = min(moments, default=None)
        if self._timer is not None and (self._timer[0] != due or self._timer[1].done()):
            self._timer[1].cancel()
            self._timer = None
        if due is not None and self._timer is None:
            self._timer = (due, asyncio.create_task(self._wake_at(due)))

    async def _wake_at(self, due: datetime) -> None:
        await workflow.sleep(max(due - workflow.now(), timedelta(0)), summary="a message is due")
        self._wakeup = True

    async def _ask(self, number: int) -> None:
        calendar = self._calendar
        asked_at = calendar.asked_at
        if asked_at is None:
            return
        try:
            await workflow.execute_activity(
                SEND_AVAILABILITY_REQUEST,
                AvailabilityRequest(
                    interviewer_id=calendar.interviewer_id, asked_at=asked_at, number=number
                ),
                result_type=bool,
                start_to_close_timeout=timedelta(seconds=60),
                schedule_to_close_timeout=INVITATION_PATIENCE,
                retry_policy=INVITATION_RETRY,
                summary="ask for availability" if not number else f"reminder {number}",
            )
        except ActivityError:
            workflow.logger.warning("availability request %s given up", number)
        finally:
            calendar.ask_sent(number)
            self._wakeup = True

    def _start_invitations(self) -> None:
        """Tell the invitees of every change they have not heard of (once it is projected:
        the activity reads the interview's people from the read model)."""
        for interview in self._calendar.to_invite():
            key = (interview.id, interview.sequence)
            if key not in self._inviting:
                self._inviting[key] = asyncio.create_task(self._invite(interview))

    async def _invite(self, interview: Interview) -> None:
        try:
            await workflow.execute_activity(
                SEND_INVITATIONS,
                SendInvitations(interview=interview),
                result_type=int,
                start_to_close_timeout=timedelta(seconds=60),
                schedule_to_close_timeout=INVITATION_PATIENCE,
                retry_policy=INVITATION_RETRY,
                summary=f"invitations of {interview.id} at sequence {interview.sequence}",
            )
        except ActivityError:
            workflow.logger.warning(
                "invitations of %s at sequence %s given up", interview.id, interview.sequence
            )
        finally:
            self._calendar.invited(interview.id, interview.sequence)
            del self._inviting[(interview.id, interview.sequence)]
            self._wakeup = True

    def _summary(self) -> str:
        holding = sum(1 for i in self._calendar.interviews.values() if i.holds_time)
        return (
            f"{len(self._calendar.windows)} window(s), {holding} interview(s) booked; "
            f"calendar version {self._calendar.version}"
        )

    def _quiet(self) -> bool:
        return self._calendar.projected and not self._inviting and workflow.all_handlers_finished()

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() >= self._input.event_budget
        )
