"""Property tests: whatever happens to a candidate, in whatever order and however often, the
thread keeps its rules.

Hypothesis drives ``CandidateThread`` with random sequences of ATS events, webhooks, send results,
time passing, projections, continue-as-new and repeats of earlier events, on a clock only it
moves, and checks the rules after every step.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from domain.campaigns import Campaign, CampaignKind, CampaignModule, ModuleType
from domain.channels import ChannelKind
from domain.enrolments import Enrolment, StatusReason
from domain.events import (
    ApplicationRef,
    ApplicationWithdrawn,
    DeliveryOutcome,
    DeliveryReceipt,
    EnrolRequest,
    InterviewerAvailability,
    ModuleProgress,
    ProgressEvent,
)
from domain.identity import enrolment_id
from domain.statuses import MULTI_MODULE_ONLY, TRANSITIONS, UNSENT, EnrolmentStatus, can_move
from domain.thread import CandidateThread
from tests.domain.factories import (
    INTERVIEW,
    REJECTION,
    SCREENING,
    Clock,
    availability,
    candidate,
    new_thread,
    receipt,
)

S = EnrolmentStatus

#: Application -> its job: three applications of one candidate, two of them to the same job.
APPLICATIONS = {"app-1": "job-1", "app-2": "job-1", "app-3": "job-2"}
STAGES = ["screen", "interview", "rejected"]
QUICK = Campaign(
    name="Quick check",
    kind=CampaignKind.MULTI_MODULE,
    channel=ChannelKind.SMS,
    messages=["One question", "Thanks!", "We will call you"],
    modules=[CampaignModule(id="one", name="One question", type=ModuleType.QUESTION)],
    expiry=timedelta(hours=12),
)
#: ``None`` is a stage without a campaign.
CAMPAIGNS: list[Campaign | None] = [None, REJECTION, SCREENING, INTERVIEW, QUICK]
SEND_FAILURES = [StatusReason.INVALID_PHONE_NUMBER, StatusReason.OPTED_OUT]
RUNNING = (S.DELIVERED, S.IN_PROGRESS)
BOGUS_MODULE = 7

Event = (
    EnrolRequest | ApplicationWithdrawn | ModuleProgress | InterviewerAvailability | DeliveryReceipt
)

applications = st.sampled_from(list(APPLICATIONS))
stages = st.sampled_from(STAGES)
campaigns = st.sampled_from(CAMPAIGNS)
#: How late an ATS event arrives, in hours (mostly on time).
ages = st.sampled_from([0, 0, 0, 1, 5])


def holds_the_thread(enrolment: Enrolment) -> bool:
    """The statuses in which an enrolment must be the thread's holder."""
    return enrolment.status is S.SENDING or (
        not enrolment.campaign.is_blast and enrolment.status in RUNNING
    )


class CandidateThreadMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.thread = new_thread()
        self.clock = Clock()
        self.events: list[Event] = []
        self.created_by: dict[str, list[str]] = {}
        self.paths: dict[str, list[EnrolmentStatus]] = {}
        self.last_seq: dict[str, int] = {}
        self.previous_queue: list[str] = []
        self.counter = 0

    # -- building blocks ------------------------------------------------------------------------

    def new_event_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter}"

    def pick_enrolment(self, pick: int) -> Enrolment | None:
        """Mostly the running campaign (where webhooks matter), else any known enrolment; ``None``
        (an id nobody knows) for a negative ``pick``."""
        known = list(self.thread.enrolments.values())
        if pick < 0 or not known:
            return None
        running = self.thread.enrolments.get(self.thread.holder or "")
        if running is not None and running.status in RUNNING and pick % 3:
            return running
        return known[pick % len(known)]

    def ats_order(self, age: int) -> datetime:
        """When an ATS event happened: now, or ``age`` hours ago (it arrives late)."""
        return self.clock.now - timedelta(hours=age)

    def applies(self, application: str, occurred_at: datetime, event_id: str) -> bool:
        """Whether the thread will take an event of ``application`` as its newest."""
        state = self.thread.applications.get(application)
        return state is None or state.is_newer((occurred_at, event_id))

    def enter_stage(
        self,
        application: str,
        stage: str,
        campaign: Campaign | None,
        auto_match: bool,
        age: int = 0,
    ) -> None:
        request = EnrolRequest(
            event_id=self.new_event_id("ats"),
            occurred_at=self.ats_order(age),
            application=ApplicationRef(
                id=application, job_id=APPLICATIONS[application], stage_id=stage
            ),
            candidate=candidate(),
            campaign_id=None if campaign is None else campaign.name,
            campaign=campaign,
            auto_match=auto_match,
        )
        busy = bool(self.thread.holder or self.thread.pending_sends or self.thread.queue)
        # Moving ends the application's own running campaign, which may free the thread.
        own_running = any(
            e.application_id == application and not e.is_finished
            for e in self.thread.enrolments.values()
        )
        before = self.thread.applications.get(application)
        newer = self.applies(application, request.occurred_at, request.event_id)
        moved = newer and (
            before is None
            or not before.placed
            or before.withdrawn
            or (before.job_id, before.stage_id) != (request.application.job_id, stage)
        )

        created = self.thread.enrol(request, self.clock.now)

        self.events.append(request)
        self.created_by[request.event_id] = [e.id for e in created]
        state = self.thread.applications[application]
        if not newer:
            assert created == [], "an older event changes nothing"
            return
        assert (state.job_id, state.stage_id, state.withdrawn) == (
            APPLICATIONS[application],
            stage,
            False,
        )
        if campaign is None or not moved:
            assert created == []
        else:
            [enrolment] = created
            assert enrolment.id == enrolment_id(request.event_id, application)
            if auto_match:
                assert enrolment.status is S.AUTO_MATCH
            elif own_running:
                assert enrolment.status in (S.SENDING, S.QUEUED)
                assert (enrolment.status is S.SENDING) is (self.thread.holder == enrolment.id)
            else:
                assert enrolment.status is (S.QUEUED if busy else S.SENDING)
        if moved:
            for other in self.thread.enrolments.values():
                if (
                    other.application_id == application
                    and other.id not in self.created_by[request.event_id]
                ):
                    assert other.is_finished or other.cancel_requested is not None, (
                        "it left that stage"
                    )

    # -- what can happen ------------------------------------------------------------------------

    @initialize(application=applications, stage=stages, campaign=campaigns)
    def candidate_applies(self, application: str, stage: str, campaign: Campaign | None) -> None:
        self.enter_stage(application, stage, campaign, auto_match=False)

    @initialize(
        application=applications, stage=stages, campaign=campaigns, auto_match=st.booleans()
    )
    def candidate_applies_elsewhere(
        self, application: str, stage: str, campaign: Campaign | None, auto_match: bool
    ) -> None:
        self.enter_stage(application, stage, campaign, auto_match)

    @rule(
        application=applications,
        stage=stages,
        campaign=campaigns,
        auto_match=st.booleans(),
        age=ages,
    )
    def application_enters_a_stage(
        self, application: str, stage: str, campaign: Campaign | None, auto_match: bool, age: int
    ) -> None:
        self.enter_stage(application, stage, campaign, auto_match, age)

    @rule(application=st.sampled_from([*APPLICATIONS, "app-unknown"]), age=ages)
    def application_is_withdrawn(self, application: str, age: int) -> None:
        event = ApplicationWithdrawn(
            event_id=self.new_event_id("wd"),
            application_id=application,
            occurred_at=self.ats_order(age),
        )
        newer = self.applies(application, event.occurred_at or self.clock.now, event.event_id)
        self.thread.withdraw(event, self.clock.now)
        self.events.append(event)
        if not newer:
            return
        assert self.thread.applications[application].withdrawn
        for enrolment in self.thread.enrolments.values():
            if enrolment.application_id == application:
                assert enrolment.is_finished or enrolment.cancel_requested is not None
                assert not (enrolment.status in RUNNING and enrolment.id == self.thread.holder)

    @invariant()
    def a_withdrawn_application_has_nothing_waiting_or_running(self) -> None:
        for state in self.thread.applications.values():
            if not state.withdrawn:
                continue
            for enrolment in self.thread.enrolments.values():
                if enrolment.application_id == state.id and enrolment.status in UNSENT:
                    raise AssertionError(f"{enrolment.id} waits for withdrawn {state.id}")

    @rule(
        pick=st.integers(-1, 20),
        module_pick=st.integers(0, BOGUS_MODULE),
        progress=st.sampled_from([ProgressEvent.STARTED, *[ProgressEvent.COMPLETED] * 2]),
    )
    def candidate_works_on_a_module(
        self, pick: int, module_pick: int, progress: ProgressEvent
    ) -> None:
        enrolment = self.pick_enrolment(pick)
        # A blast has no modules of its own: it gets one of another campaign's.
        if enrolment is None or enrolment.campaign.is_blast:
            modules = [m.id for m in SCREENING.modules]
        else:
            modules = [m.id for m in enrolment.campaign.modules]
        event = ModuleProgress(
            event_id=self.new_event_id("progress"),
            enrolment_id="enr_unknown" if enrolment is None else enrolment.id,
            module_id=(
                "no-such-module"
                if module_pick == BOGUS_MODULE
                else modules[module_pick % len(modules)]
            ),
            event=progress,
        )
        ignored = self.thread.record_progress(event, self.clock.now)
        self.events.append(event)
        if ignored is None:
            assert enrolment is not None
            assert enrolment.status in (S.IN_PROGRESS, S.COMPLETED)

    @rule(
        job_stage=st.sampled_from([(job, stage) for job in ("job-1", "job-2") for stage in STAGES])
    )
    def interviewer_shares_availability(self, job_stage: tuple[str, str]) -> None:
        job_id, stage_id = job_stage
        waiting = [e.id for e in self.thread.enrolments.values() if e.status is S.AUTO_MATCH]
        event = availability(self.new_event_id("avail"), job_id=job_id, stage_id=stage_id)
        released = self.thread.release_auto_match(event, self.clock.now)
        self.events.append(event)
        assert all(e.status in (S.SENDING, S.QUEUED) for e in released)
        for eid in waiting:
            enrolment = self.thread.enrolments[eid]
            own_stage = (enrolment.job_id, enrolment.stage_id) == job_stage
            assert (enrolment.status is S.AUTO_MATCH) is not own_stage
        assert not any(
            e.status is S.AUTO_MATCH and (e.job_id, e.stage_id) == job_stage
            for e in self.thread.enrolments.values()
        )

    @precondition(lambda self: self.thread.pending_sends)
    @rule()
    def channel_accepts_the_oldest_message(self) -> None:
        send = self.thread.pending_sends[0]
        self.thread.record_sent(send, self.clock.now)
        assert send not in self.thread.pending_sends

    @precondition(lambda self: self.thread.pending_sends)
    @rule(pick=st.integers(0, 10), failure=st.sampled_from([None, *SEND_FAILURES]))
    def channel_reports_on_any_message(self, pick: int, failure: StatusReason | None) -> None:
        send = self.thread.pending_sends[pick % len(self.thread.pending_sends)]
        if failure is None:
            self.thread.record_sent(send, self.clock.now)
        else:
            self.thread.record_send_failure(send, failure, f"refused: {failure}", self.clock.now)
        assert send not in self.thread.pending_sends

    @rule(
        pick=st.integers(-1, 20),
        outcome=st.sampled_from(list(DeliveryOutcome)),
        message_number=st.sampled_from([1, 1, 2]),
    )
    def carrier_sends_a_receipt(
        self, pick: int, outcome: DeliveryOutcome, message_number: int
    ) -> None:
        enrolment = self.pick_enrolment(pick)
        event = receipt(
            self.new_event_id("rcpt"),
            "enr_unknown" if enrolment is None else enrolment.id,
            outcome,
            message_number,
        )
        self.thread.record_receipt(event, self.clock.now)
        self.events.append(event)

    @rule(by=st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=9)))
    def time_passes(self, by: timedelta) -> None:
        now = self.clock.advance(by)
        for enrolment in self.thread.expire_due(now):
            assert enrolment.status is S.EXPIRED
            assert enrolment.expires_at is not None and enrolment.expires_at <= now
        deadline = self.thread.next_deadline()
        assert deadline is None or deadline > now

    @rule()
    def read_model_catches_up(self) -> None:
        applications = {a.id: a.seq for a in self.thread.unprojected_applications()}
        self.thread.mark_projected({e.id: e.seq for e in self.thread.unprojected()}, applications)
        assert self.thread.unprojected() == []
        assert self.thread.unprojected_applications() == []

    @rule()
    def workflow_continues_as_new(self) -> None:
        carried = CandidateThread.model_validate_json(self.thread.model_dump_json())
        assert carried == self.thread
        self.thread = carried

    @precondition(lambda self: self.events)
    @rule(pick=st.integers(0, 1000))
    def an_earlier_event_arrives_again(self, pick: int) -> None:
        event = self.events[pick % len(self.events)]
        before = self.thread.model_dump()
        before_ids = set(self.thread.enrolments)
        now = self.clock.now
        match event:
            case EnrolRequest():
                again = [e.id for e in self.thread.enrol(event, now)]
                still_held = [e for e in self.created_by[event.event_id] if e in before_ids]
                assert again == still_held
            case ApplicationWithdrawn():
                assert self.thread.withdraw(event, now) == []
            case ModuleProgress():
                assert self.thread.record_progress(event, now) == "duplicate event"
            case InterviewerAvailability():
                assert self.thread.release_auto_match(event, now) == []
            case DeliveryReceipt():
                assert self.thread.record_receipt(event, now) == "duplicate event"
        assert self.thread.model_dump() == before, "a repeat changes nothing"

    # -- the rules ------------------------------------------------------------------------------

    @invariant()
    def at_most_one_campaign_holds_the_thread(self) -> None:
        holding = [e.id for e in self.thread.enrolments.values() if holds_the_thread(e)]
        assert holding == ([self.thread.holder] if self.thread.holder else [])

    @invariant()
    def every_sending_enrolment_has_its_welcome_going_out(self) -> None:
        enrolments = self.thread.enrolments
        welcomes = [p.enrolment_id for p in self.thread.pending_sends if p.message_number == 1]
        assert sorted(welcomes) == sorted(
            e.id for e in enrolments.values() if e.status is S.SENDING
        )
        for send in self.thread.pending_sends:
            if send.message_number > 1:
                closing = enrolments[send.enrolment_id]
                assert closing.status is S.COMPLETED
                assert send.message_number <= len(closing.campaign.messages)
                assert self.thread.holder is None, "a closing message keeps the thread busy"

    @invariant()
    def a_campaign_ended_while_sending_never_runs(self) -> None:
        for enrolment in self.thread.enrolments.values():
            if enrolment.cancel_requested and not enrolment.campaign.is_blast:
                assert enrolment.status not in RUNNING

    @invariant()
    def queued_enrolments_are_the_queue_and_leave_it_first_in_first_out(self) -> None:
        thread = self.thread
        queue = thread.queue
        assert len(set(queue)) == len(queue)
        assert sorted(queue) == sorted(
            e.id for e in thread.enrolments.values() if e.status is S.QUEUED
        )
        if thread.holder is None and not thread.pending_sends:
            assert queue == [], "a free thread has nobody waiting"
        previous = self.previous_queue
        still_waiting = [eid for eid in previous if eid in queue]
        assert queue[: len(still_waiting)] == still_waiting, "newcomers join at the back"
        for position, eid in enumerate(previous):
            left = thread.enrolments.get(eid)
            if eid not in queue and left is not None and left.status is not S.CANCELLED:
                assert not any(ahead in queue for ahead in previous[:position]), (
                    f"{eid} went out before enrolments queued ahead of it"
                )
        self.previous_queue = list(queue)

    @invariant()
    def statuses_only_move_forward_along_the_table(self) -> None:
        for enrolment in self.thread.enrolments.values():
            path = self.paths.setdefault(enrolment.id, [])
            seq = self.last_seq.get(enrolment.id, 0)
            for entry in enrolment.unprojected:
                if entry.seq <= seq:
                    continue
                assert entry.seq == seq + 1, "each timeline entry takes the next number"
                seq = entry.seq
                if not path:
                    assert can_move(None, entry.status)
                    path.append(entry.status)
                elif entry.status is not path[-1]:
                    assert entry.status in TRANSITIONS[path[-1]], f"{path} -> {entry.status}"
                    path.append(entry.status)
            assert enrolment.seq == seq
            self.last_seq[enrolment.id] = seq
            assert path and path[-1] is enrolment.status
            if enrolment.campaign.is_blast:
                assert not MULTI_MODULE_ONLY & set(path), f"blast went {path}"
        for forgotten in self.paths.keys() - self.thread.enrolments.keys():
            assert self.paths[forgotten][-1] not in (S.SENDING, S.QUEUED, S.AUTO_MATCH)

    @invariant()
    def running_campaigns_expire_from_delivery(self) -> None:
        for enrolment in self.thread.enrolments.values():
            if enrolment.campaign.is_blast:
                assert enrolment.expires_at is None
            elif enrolment.status in RUNNING:
                assert enrolment.delivered_at is not None
                assert enrolment.expires_at == (
                    enrolment.delivered_at + enrolment.campaign.effective_expiry
                )
                assert enrolment.expires_at > self.clock.now

    @invariant()
    def each_event_id_is_remembered_once(self) -> None:
        seen = self.thread.seen_event_ids
        assert len(seen) == len(set(seen))


CandidateThreadMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=50, deadline=None
)
TestCandidateThreadUnderRandomEvents = CandidateThreadMachine.TestCase
