"""The candidate thread's rules, one product behaviour per test: pure, no Temporal, and time
moves only when a test moves its clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from domain.campaigns import DEFAULT_EXPIRY, Campaign, CampaignKind, Nudges
from domain.channels import ChannelKind
from domain.enrolments import Enrolment, StatusReason
from domain.events import DeliveryOutcome, ProgressEvent
from domain.statuses import EnrolmentStatus
from domain.thread import (
    FINISHED_ENROLMENTS_KEPT,
    SEEN_EVENT_IDS,
    CandidateThread,
    PendingSend,
)
from tests.domain.factories import (
    INTERVIEW,
    REJECTION,
    SCREENING,
    START,
    Clock,
    availability,
    enrol_request,
    new_thread,
    progress,
    receipt,
    welcome,
    withdrawal,
)

S = EnrolmentStatus


@pytest.fixture
def thread() -> CandidateThread:
    return new_thread()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def enrol(
    thread: CandidateThread,
    clock: Clock,
    event_id: str,
    application_id: str = "app-1",
    *,
    campaign: Campaign | None = SCREENING,
    stage_id: str = "screen",
    job_id: str = "job-1",
    auto_match: bool = False,
) -> Enrolment:
    """Enrol and return the one enrolment the event created."""
    [enrolment] = thread.enrol(
        enrol_request(
            event_id,
            application_id,
            campaign=campaign,
            stage_id=stage_id,
            job_id=job_id,
            auto_match=auto_match,
        ),
        clock.now,
    )
    return enrolment


def deliver(thread: CandidateThread, clock: Clock, enrolment: Enrolment) -> None:
    thread.record_sent(welcome(enrolment.id), clock.now)


def complete_every_module(thread: CandidateThread, clock: Clock, enrolment: Enrolment) -> None:
    for module in enrolment.campaign.modules:
        event = progress(f"done-{enrolment.id}-{module.id}", enrolment.id, module.id)
        ignored = thread.record_progress(event, clock.now)
        assert ignored is None


def statuses(enrolment: Enrolment) -> list[EnrolmentStatus]:
    """The statuses an enrolment went through, from its not-yet-projected timeline."""
    path: list[EnrolmentStatus] = []
    for entry in enrolment.unprojected:
        if not path or path[-1] is not entry.status:
            path.append(entry.status)
    return path


def snapshot(thread: CandidateThread) -> dict[str, object]:
    return thread.model_dump(mode="json")


# -- who gets the thread ---------------------------------------------------------------------


def test_first_enrolment_goes_straight_to_sending(thread: CandidateThread, clock: Clock) -> None:
    first = enrol(thread, clock, "evt-1")

    assert first.status is S.SENDING
    assert thread.holder == first.id
    assert thread.pending_sends == [welcome(first.id)]
    assert thread.queue == []


def test_second_application_waits_queued_while_the_first_is_sending(
    thread: CandidateThread, clock: Clock
) -> None:
    first = enrol(thread, clock, "evt-1", "app-1")
    second = enrol(thread, clock, "evt-2", "app-2")

    assert second.status is S.QUEUED
    assert thread.holder == first.id
    assert thread.queue == [second.id]
    assert thread.pending_sends == [welcome(first.id)]


def test_blast_releases_the_thread_once_delivered(thread: CandidateThread, clock: Clock) -> None:
    blast = enrol(thread, clock, "evt-1", "app-1", campaign=REJECTION)
    waiting = enrol(thread, clock, "evt-2", "app-2")

    thread.record_sent(welcome(blast.id), clock.advance(timedelta(minutes=1)))

    assert blast.status is S.DELIVERED
    assert blast.delivered_at == clock.now
    assert blast.expires_at is None, "a blast has nothing to expire"
    assert waiting.status is S.SENDING
    assert thread.holder == waiting.id
    assert thread.queue == []


def test_delivered_blast_is_done_and_leaves_the_thread_free(
    thread: CandidateThread, clock: Clock
) -> None:
    blast = enrol(thread, clock, "evt-1", "app-1", campaign=REJECTION)
    deliver(thread, clock, blast)

    assert thread.holder is None
    assert thread.pending_sends == []
    assert enrol(thread, clock, "evt-2", "app-2").status is S.SENDING


def test_multi_module_campaign_keeps_the_thread_after_delivery(
    thread: CandidateThread, clock: Clock
) -> None:
    screening = enrol(thread, clock, "evt-1", "app-1")
    deliver(thread, clock, screening)

    assert screening.status is S.DELIVERED
    assert thread.holder == screening.id
    assert enrol(thread, clock, "evt-2", "app-2").status is S.QUEUED


def _expire(thread: CandidateThread, clock: Clock, holder: Enrolment) -> None:
    thread.expire_due(clock.advance(DEFAULT_EXPIRY))


def _fail_delivery(thread: CandidateThread, clock: Clock, holder: Enrolment) -> None:
    assert thread.record_receipt(receipt("rcpt-1", holder.id), clock.now) is None


def _withdraw(thread: CandidateThread, clock: Clock, holder: Enrolment) -> None:
    thread.withdraw(withdrawal("wd-1", holder.application_id), clock.now)


ENDINGS: dict[EnrolmentStatus, Callable[[CandidateThread, Clock, Enrolment], None]] = {
    S.COMPLETED: complete_every_module,
    S.EXPIRED: _expire,
    S.FAILED: _fail_delivery,
    S.CANCELLED: _withdraw,
}


@pytest.mark.parametrize("ending", list(ENDINGS), ids=str)
def test_multi_module_campaign_holds_the_thread_until_it_ends_then_the_next_goes_out(
    thread: CandidateThread, clock: Clock, ending: EnrolmentStatus
) -> None:
    screening = enrol(thread, clock, "evt-1", "app-1")
    deliver(thread, clock, screening)
    second = enrol(thread, clock, "evt-2", "app-2")
    third = enrol(thread, clock, "evt-3", "app-3")

    ENDINGS[ending](thread, clock, screening)

    assert screening.status is ending
    assert second.status is S.SENDING
    assert thread.holder == second.id
    assert third.status is S.QUEUED
    assert thread.queue == [third.id]


def test_queued_enrolments_go_out_first_in_first_out(thread: CandidateThread, clock: Clock) -> None:
    running = enrol(thread, clock, "evt-0", "app-0")
    waiting = [enrol(thread, clock, f"evt-{n}", f"app-{n}") for n in range(1, 5)]
    assert thread.queue == [e.id for e in waiting]

    sent_order = []
    current = running
    for _ in waiting:
        deliver(thread, clock, current)
        complete_every_module(thread, clock, current)
        current = thread.enrolments[thread.holder or ""]
        sent_order.append(current.id)

    assert sent_order == [e.id for e in waiting]


def test_blast_queues_behind_a_running_multi_module_campaign(
    thread: CandidateThread, clock: Clock
) -> None:
    screening = enrol(thread, clock, "evt-1", "app-1")
    deliver(thread, clock, screening)
    thread.record_progress(
        progress("p-1", screening.id, "about-us", ProgressEvent.STARTED), clock.now
    )
    assert screening.status is S.IN_PROGRESS

    blast = enrol(thread, clock, "evt-2", "app-2", campaign=REJECTION, stage_id="rejected")
    assert blast.status is S.QUEUED

    complete_every_module(thread, clock, screening)
    assert blast.status is S.SENDING
    deliver(thread, clock, blast)
    assert blast.status is S.DELIVERED
    assert thread.holder is None


def test_closing_message_keeps_the_thread_busy_until_sent(
    thread: CandidateThread, clock: Clock
) -> None:
    interview = enrol(thread, clock, "evt-1", "app-1", campaign=INTERVIEW)
    deliver(thread, clock, interview)
    waiting = enrol(thread, clock, "evt-2", "app-2")

    complete_every_module(thread, clock, interview)

    assert interview.status is S.COMPLETED
    assert thread.holder is None
    closing = PendingSend(enrolment_id=interview.id, message_number=2)
    assert thread.pending_sends == [closing]
    assert waiting.status is S.QUEUED, "the closing message goes out before the next campaign"
    later = enrol(thread, clock, "evt-3", "app-3")
    assert later.status is S.QUEUED, "a newcomer does not jump ahead either"

    thread.record_sent(closing, clock.now)

    assert interview.status is S.COMPLETED
    assert waiting.status is S.SENDING
    assert thread.queue == [later.id]


def test_a_closing_message_that_cannot_be_sent_is_noted_and_frees_the_thread(
    thread: CandidateThread, clock: Clock
) -> None:
    interview = enrol(thread, clock, "evt-1", "app-1", campaign=INTERVIEW)
    deliver(thread, clock, interview)
    waiting = enrol(thread, clock, "evt-2", "app-2")
    complete_every_module(thread, clock, interview)
    seq = interview.seq

    thread.record_send_failure(
        PendingSend(enrolment_id=interview.id, message_number=2),
        StatusReason.OPTED_OUT,
        "candidate opted out",
        clock.now,
    )

    assert interview.status is S.COMPLETED
    assert interview.seq == seq + 1
    assert "the closing message not sent" in interview.unprojected[-1].detail
    assert waiting.status is S.SENDING


# -- Auto-Match ------------------------------------------------------------------------------


def test_auto_match_enrolment_waits_for_interviewer_availability_without_taking_the_thread(
    thread: CandidateThread, clock: Clock
) -> None:
    booking = enrol(thread, clock, "evt-1", stage_id="interview", auto_match=True)

    assert booking.status is S.AUTO_MATCH
    assert thread.holder is None
    assert thread.queue == []
    assert thread.pending_sends == []
    assert enrol(thread, clock, "evt-2", "app-2").status is S.SENDING


def test_auto_match_goes_sending_when_availability_arrives_and_the_thread_is_free(
    thread: CandidateThread, clock: Clock
) -> None:
    booking = enrol(thread, clock, "evt-1", stage_id="interview", auto_match=True)

    released = thread.release_auto_match(availability("av-1"), clock.now)

    assert released == [booking]
    assert booking.status is S.SENDING
    assert thread.holder == booking.id
    assert statuses(booking) == [S.AUTO_MATCH, S.SENDING]


def test_auto_match_queues_when_availability_arrives_while_the_thread_is_busy(
    thread: CandidateThread, clock: Clock
) -> None:
    booking = enrol(thread, clock, "evt-1", stage_id="interview", auto_match=True)
    running = enrol(thread, clock, "evt-2", "app-2")

    thread.release_auto_match(availability("av-1"), clock.now)

    assert booking.status is S.QUEUED
    assert thread.queue == [booking.id]
    deliver(thread, clock, running)
    complete_every_module(thread, clock, running)
    assert booking.status is S.SENDING


@pytest.mark.parametrize(
    ("job_id", "stage_id"), [("job-1", "screen"), ("job-2", "interview")], ids=["stage", "job"]
)
def test_availability_of_another_job_stage_leaves_auto_match_waiting(
    thread: CandidateThread, clock: Clock, job_id: str, stage_id: str
) -> None:
    booking = enrol(thread, clock, "evt-1", stage_id="interview", auto_match=True)

    released = thread.release_auto_match(
        availability("av-1", job_id=job_id, stage_id=stage_id), clock.now
    )

    assert released == []
    assert booking.status is S.AUTO_MATCH


def test_availability_releases_every_auto_match_of_the_stage_in_enrolment_order(
    thread: CandidateThread, clock: Clock
) -> None:
    first = enrol(thread, clock, "evt-1", "app-1", stage_id="interview", auto_match=True)
    second = enrol(thread, clock, "evt-2", "app-2", stage_id="interview", auto_match=True)

    thread.release_auto_match(availability("av-1"), clock.now)

    assert (first.status, second.status) == (S.SENDING, S.QUEUED)
    assert thread.queue == [second.id]


# -- withdrawal ------------------------------------------------------------------------------


def test_withdrawal_cancels_a_queued_enrolment(thread: CandidateThread, clock: Clock) -> None:
    enrol(thread, clock, "evt-1", "app-1")
    queued = enrol(thread, clock, "evt-2", "app-2")

    changed = thread.withdraw(withdrawal("wd-1", "app-2"), clock.now)

    assert changed == [queued]
    assert queued.status is S.CANCELLED
    assert queued.status_reason == StatusReason.APPLICATION_WITHDRAWN
    assert thread.queue == []


def test_withdrawal_cancels_an_auto_match_enrolment(thread: CandidateThread, clock: Clock) -> None:
    booking = enrol(thread, clock, "evt-1", stage_id="interview", auto_match=True)

    thread.withdraw(withdrawal("wd-1"), clock.now)

    assert booking.status is S.CANCELLED
    assert booking.status_reason == StatusReason.APPLICATION_WITHDRAWN
    assert thread.release_auto_match(availability("av-1"), clock.now) == []


@pytest.mark.parametrize("started", [False, True], ids=["delivered", "in_progress"])
def test_withdrawal_of_the_running_campaign_releases_the_thread(
    thread: CandidateThread, clock: Clock, started: bool
) -> None:
    screening = enrol(thread, clock, "evt-1", "app-1")
    deliver(thread, clock, screening)
    if started:
        thread.record_progress(
            progress("p-1", screening.id, "about-us", ProgressEvent.STARTED), clock.now
        )
    waiting = enrol(thread, clock, "evt-2", "app-2")

    thread.withdraw(withdrawal("wd-1", "app-1"), clock.now)

    assert screening.status is S.CANCELLED
    assert screening.status_reason == StatusReason.APPLICATION_WITHDRAWN
    assert waiting.status is S.SENDING
    assert thread.holder == waiting.id
    assert thread.next_deadline() is None


def test_withdrawal_while_a_blast_is_sending_lets_it_be_delivered(
    thread: CandidateThread, clock: Clock
) -> None:
    blast = enrol(thread, clock, "evt-1", campaign=REJECTION, stage_id="rejected")
    waiting = enrol(thread, clock, "evt-2", "app-2")

    assert thread.withdraw(withdrawal("wd-1"), clock.now) == []
    assert blast.status is S.SENDING, "the message may already be with the channel"

    deliver(thread, clock, blast)

    assert blast.status is S.DELIVERED
    assert blast.status_reason is None
    assert waiting.status is S.SENDING


def test_withdrawal_while_a_multi_module_campaign_is_sending_cancels_it_once_delivered(
    thread: CandidateThread, clock: Clock
) -> None:
    screening = enrol(thread, clock, "evt-1")
    waiting = enrol(thread, clock, "evt-2", "app-2")

    assert thread.withdraw(withdrawal("wd-1"), clock.now) == []
    assert screening.status is S.SENDING
    assert thread.holder == screening.id

    deliver(thread, clock, screening)

    assert statuses(screening) == [S.SENDING, S.DELIVERED, S.CANCELLED]
    assert screening.status_reason == StatusReason.APPLICATION_WITHDRAWN
    assert screening.expires_at is None
    assert waiting.status is S.SENDING


def test_withdrawal_while_sending_then_send_failure_ends_failed(
    thread: CandidateThread, clock: Clock
) -> None:
    screening = enrol(thread, clock, "evt-1")
    thread.withdraw(withdrawal("wd-1"), clock.now)

    thread.record_send_failure(
        welcome(screening.id), StatusReason.INVALID_PHONE_NUMBER, "not a number", clock.now
    )

    assert screening.status is S.FAILED
    assert screening.status_reason == StatusReason.INVALID_PHONE_NUMBER
    assert thread.holder is None


def test_withdrawal_leaves_delivered_blasts_finished_campaigns_and_other_applications_alone(
    thread: CandidateThread, clock: Clock
) -> None:
    blast = enrol(thread, clock, "evt-1", "app-1", campaign=REJECTION)
    deliver(thread, clock, blast)
    done = enrol(thread, clock, "evt-2", "app-1", stage_id="offer")
    deliver(thread, clock, done)
    complete_every_module(thread, clock, done)
    other = enrol(thread, clock, "evt-3", "app-2")
    deliver(thread, clock, other)

    assert thread.withdraw(withdrawal("wd-1", "app-1"), clock.now) == []

    assert (blast.status, done.status, other.status) == (S.DELIVERED, S.COMPLETED, S.DELIVERED)
    assert thread.holder == other.id


# -- moving between stages -------------------------------------------------------------------


def test_moving_to_another_stage_cancels_unsent_enrolments_of_the_old_stage(
    thread: CandidateThread, clock: Clock
) -> None:
    enrol(thread, clock, "evt-0", "app-0")
    screening = enrol(thread, clock, "evt-1", "app-1", stage_id="screen")
    assert screening.status is S.QUEUED

    moved = enrol(thread, clock, "evt-2", "app-1", campaign=INTERVIEW, stage_id="interview")

    assert screening.status is S.CANCELLED
    assert screening.status_reason == StatusReason.LEFT_STAGE
    assert moved.status is S.QUEUED
    assert thread.queue == [moved.id]


def test_moving_to_another_stage_cancels_auto_match_of_the_old_stage(
    thread: CandidateThread, clock: Clock
) -> None:
    booking = enrol(thread, clock, "evt-1", stage_id="interview", auto_match=True)

    moved = enrol(thread, clock, "evt-2", campaign=REJECTION, stage_id="rejected")

    assert booking.status is S.CANCELLED
    assert booking.status_reason == StatusReason.LEFT_STAGE
    assert moved.status is S.SENDING


def test_moving_to_another_stage_ends_the_running_campaign_of_the_old_stage(
    thread: CandidateThread, clock: Clock
) -> None:
    screening = enrol(thread, clock, "evt-1", stage_id="screen")
    deliver(thread, clock, screening)

    moved = enrol(thread, clock, "evt-2", campaign=INTERVIEW, stage_id="interview")

    assert screening.status is S.CANCELLED
    assert screening.status_reason == StatusReason.LEFT_STAGE
    assert thread.holder == moved.id
    assert moved.status is S.SENDING


def test_moving_while_the_old_welcome_is_sending_cancels_it_once_the_send_returns(
    thread: CandidateThread, clock: Clock
) -> None:
    screening = enrol(thread, clock, "evt-1", stage_id="screen")

    moved = enrol(thread, clock, "evt-2", campaign=INTERVIEW, stage_id="interview")
    assert (screening.status, moved.status) == (S.SENDING, S.QUEUED)
    deliver(thread, clock, screening)

    assert screening.status is S.CANCELLED
    assert screening.status_reason == StatusReason.LEFT_STAGE
    assert moved.status is S.SENDING


def test_moving_after_a_blast_went_out_leaves_the_blast_delivered(
    thread: CandidateThread, clock: Clock
) -> None:
    rejection = enrol(thread, clock, "evt-1", campaign=REJECTION, stage_id="rejected")
    moved = enrol(thread, clock, "evt-2", campaign=INTERVIEW, stage_id="interview")
    deliver(thread, clock, rejection)

    assert rejection.status is S.DELIVERED
    assert moved.status is S.SENDING


def test_an_event_into_the_stage_the_application_is_in_is_not_a_move(
    thread: CandidateThread, clock: Clock
) -> None:
    screening = enrol(thread, clock, "evt-1", stage_id="screen")
    deliver(thread, clock, screening)

    again = thread.enrol(enrol_request("evt-2", stage_id="screen"), clock.now)

    assert again == []
    assert screening.status is S.DELIVERED
    assert list(thread.enrolments) == [screening.id]


def test_stage_without_a_campaign_creates_nothing_but_still_cancels_the_old_stage(
    thread: CandidateThread, clock: Clock
) -> None:
    enrol(thread, clock, "evt-0", "app-0")
    queued = enrol(thread, clock, "evt-1", "app-1", stage_id="screen")

    created = thread.enrol(
        enrol_request("evt-2", "app-1", campaign=None, stage_id="hired"), clock.now
    )

    assert created == []
    assert len(thread.enrolments) == 2
    assert queued.status is S.CANCELLED
    assert queued.status_reason == StatusReason.LEFT_STAGE


def test_stage_without_a_campaign_on_a_fresh_candidate_creates_nothing(
    thread: CandidateThread, clock: Clock
) -> None:
    assert thread.enrol(enrol_request("evt-1", campaign=None), clock.now) == []
    assert thread.enrolments == {}
    assert thread.holder is None


# -- the same event twice --------------------------------------------------------------------


def test_repeated_enrol_event_returns_the_same_enrolment_and_changes_nothing(
    thread: CandidateThread, clock: Clock
) -> None:
    request = enrol_request("evt-1")
    [first] = thread.enrol(request, clock.now)
    before = snapshot(thread)

    again = thread.enrol(request, clock.advance(timedelta(hours=1)))

    assert [e.id for e in again] == [first.id]
    assert again[0].status is S.SENDING
    assert snapshot(thread) == before


def test_repeated_enrol_event_returns_the_enrolment_as_it_is_now(
    thread: CandidateThread, clock: Clock
) -> None:
    request = enrol_request("evt-1")
    [first] = thread.enrol(request, clock.now)
    deliver(thread, clock, first)

    [again] = thread.enrol(request, clock.now)

    assert again.id == first.id
    assert again.status is S.DELIVERED
    assert len(thread.enrolments) == 1


def test_repeated_event_for_a_stage_without_campaign_changes_nothing(
    thread: CandidateThread, clock: Clock
) -> None:
    request = enrol_request("evt-1", campaign=None)
    thread.enrol(request, clock.now)
    before = snapshot(thread)

    assert thread.enrol(request, clock.now) == []
    assert snapshot(thread) == before


def test_an_event_repeated_after_a_thousand_newer_ones_creates_nothing(
    thread: CandidateThread, clock: Clock
) -> None:
    first = enrol_request("evt-first", "app-1", campaign=REJECTION)
    [blast] = thread.enrol(first, clock.now)
    deliver(thread, clock, blast)
    for n in range(1_000):
        thread.enrol(enrol_request(f"evt-{n}", f"app-{n % 7 + 2}", campaign=None), clock.now)
    thread.mark_projected({e.id: e.seq for e in thread.unprojected()})
    thread.enrolments.pop(blast.id, None)  # as if forgotten (finished long ago)

    assert thread.enrol(first, clock.now) == []
    assert thread.holder is None
    next_blast = enrol(thread, clock, "evt-next", "app-9", campaign=REJECTION)
    assert next_blast.status is S.SENDING


def test_an_older_event_never_moves_an_application_back(
    thread: CandidateThread, clock: Clock
) -> None:
    older = enrol_request("evt-old", stage_id="screen")
    newer = enrol_request("evt-new", campaign=INTERVIEW, stage_id="interview")

    [interview] = thread.enrol(newer, clock.now)
    assert thread.enrol(older, clock.now) == []

    assert thread.applications["app-1"].stage_id == "interview"
    assert [e.id for e in thread.enrolments.values()] == [interview.id]
    assert interview.status is S.SENDING


def test_events_at_the_same_moment_are_ordered_by_id(thread: CandidateThread, clock: Clock) -> None:
    at = clock.now
    b = enrol_request("evt-b", campaign=INTERVIEW, stage_id="interview", occurred_at=at)
    a = enrol_request("evt-a", stage_id="screen", occurred_at=at)

    thread.enrol(b, clock.now)
    assert thread.enrol(a, clock.now) == []
    assert thread.applications["app-1"].stage_id == "interview"


def test_a_withdrawal_is_final_against_older_events(thread: CandidateThread, clock: Clock) -> None:
    created = enrol_request("evt-1", stage_id="screen")
    withdrawn = withdrawal("wd-1")

    assert thread.withdraw(withdrawn, clock.now) == []
    state = thread.applications["app-1"]
    assert state.withdrawn and not state.placed
    assert thread.unprojected_applications() == [], "never heard of: shown nowhere"

    assert thread.enrol(created, clock.now) == []

    assert thread.enrolments == {}
    assert state.withdrawn and state.placed, "it existed: shown, withdrawn"
    assert thread.unprojected_applications() == [state]


def test_a_newer_event_after_a_withdrawal_makes_the_application_live_again(
    thread: CandidateThread, clock: Clock
) -> None:
    first = enrol(thread, clock, "evt-1", stage_id="screen")
    deliver(thread, clock, first)
    thread.withdraw(withdrawal("wd-1"), clock.now)

    [again] = thread.enrol(enrol_request("evt-2", stage_id="screen"), clock.now)

    assert first.status is S.CANCELLED
    assert again.status is S.SENDING
    assert not thread.applications["app-1"].withdrawn


def test_a_stale_event_does_not_change_the_candidates_details(
    thread: CandidateThread, clock: Clock
) -> None:
    newer = enrol_request("evt-2", "app-2", campaign=None)
    older = enrol_request("evt-1", "app-1", campaign=None, occurred_at=START)
    renamed = older.model_copy(
        update={"candidate": older.candidate.model_copy(update={"name": "Old"})}
    )

    thread.enrol(newer, clock.now)
    thread.enrol(renamed, clock.now)

    assert thread.candidate.name == "Ada Lovelace"
    assert thread.applications["app-1"].stage_id == "screen"


def test_duplicate_progress_event_changes_nothing(thread: CandidateThread, clock: Clock) -> None:
    screening = enrol(thread, clock, "evt-1")
    deliver(thread, clock, screening)
    event = progress("p-1", screening.id, "about-us", ProgressEvent.STARTED)
    assert thread.record_progress(event, clock.now) is None
    before = snapshot(thread)

    assert thread.record_progress(event, clock.now) == "duplicate event"
    assert snapshot(thread) == before


def test_duplicate_withdrawal_changes_nothing(thread: CandidateThread, clock: Clock) -> None:
    enrol(thread, clock, "evt-0", "app-0")
    enrol(thread, clock, "evt-1", "app-1")
    withdrawn = withdrawal("wd-1", "app-1")
    thread.withdraw(withdrawn, clock.now)
    # The application comes back (re-applied) and is enrolled again.
    back = enrol(thread, clock, "evt-2", "app-1")
    before = snapshot(thread)

    assert thread.withdraw(withdrawn, clock.now) == []
    assert back.status is S.QUEUED
    assert snapshot(thread) == before


def test_duplicate_availability_changes_nothing(thread: CandidateThread, clock: Clock) -> None:
    enrol(thread, clock, "evt-1", "app-1", stage_id="interview", auto_match=True)
    thread.release_auto_match(availability("av-1"), clock.now)
    later = enrol(thread, clock, "evt-2", "app-2", stage_id="interview", auto_match=True)
    before = snapshot(thread)

    assert thread.release_auto_match(availability("av-1"), clock.now) == []
    assert later.status is S.AUTO_MATCH
    assert snapshot(thread) == before


def test_duplicate_receipt_changes_nothing(thread: CandidateThread, clock: Clock) -> None:
    blast = enrol(thread, clock, "evt-1", campaign=REJECTION)
    deliver(thread, clock, blast)
    assert thread.record_receipt(receipt("rcpt-1", blast.id), clock.now) is None
    before = snapshot(thread)

    assert thread.record_receipt(receipt("rcpt-1", blast.id), clock.now) == "duplicate event"
    assert snapshot(thread) == before


# -- module progress -------------------------------------------------------------------------


@pytest.mark.parametrize("event", list(ProgressEvent), ids=str)
def test_first_module_event_moves_the_enrolment_to_in_progress(
    thread: CandidateThread, clock: Clock, event: ProgressEvent
) -> None:
    screening = enrol(thread, clock, "evt-1")
    deliver(thread, clock, screening)

    assert (
        thread.record_progress(progress("p-1", screening.id, "about-us", event), clock.now) is None
    )

    assert screening.status is S.IN_PROGRESS
    assert screening.modules == {"about-us": event}
    assert thread.holder == screening.id


def test_later_module_events_are_noted_on_the_timeline_without_a_status_change(
    thread: CandidateThread, clock: Clock
) -> None:
    screening = enrol(thread, clock, "evt-1")
    deliver(thread, clock, screening)
    thread.record_progress(progress("p-1", screening.id, "about-us"), clock.now)
    seq = screening.seq

    thread.record_progress(
        progress("p-2", screening.id, "questions", ProgressEvent.STARTED), clock.now
    )

    assert screening.status is S.IN_PROGRESS
    assert screening.seq == seq + 1
    assert screening.unprojected[-1].detail == "module 'Questions' started"


def test_completing_every_module_completes_the_enrolment(
    thread: CandidateThread, clock: Clock
) -> None:
    screening = enrol(thread, clock, "evt-1")
    deliver(thread, clock, screening)
    thread.record_progress(progress("p-1", screening.id, "questions"), clock.now)
    assert screening.status is S.IN_PROGRESS

    thread.record_progress(progress("p-2", screening.id, "about-us"), clock.now)

    assert screening.status is S.COMPLETED
    assert statuses(screening) == [S.SENDING, S.DELIVERED, S.IN_PROGRESS, S.COMPLETED]
    assert thread.holder is None
    assert thread.pending_sends == [], "no closing message in this campaign"
    assert thread.next_deadline() is None


def test_a_single_module_completion_goes_through_in_progress_to_completed(
    thread: CandidateThread, clock: Clock
) -> None:
    interview = enrol(thread, clock, "evt-1", campaign=INTERVIEW)
    deliver(thread, clock, interview)

    thread.record_progress(progress("p-1", interview.id, "book"), clock.now)

    assert statuses(interview) == [S.SENDING, S.DELIVERED, S.IN_PROGRESS, S.COMPLETED]


def test_progress_for_an_unknown_module_is_ignored_with_a_reason(
    thread: CandidateThread, clock: Clock
) -> None:
    screening = enrol(thread, clock, "evt-1")
    deliver(thread, clock, screening)
    seq = screening.seq

    reason = thread.record_progress(progress("p-1", screening.id, "no-such-module"), clock.now)

    assert reason == "unknown module 'no-such-module'"
    assert screening.status is S.DELIVERED
    assert screening.seq == seq


def test_progress_for_an_unknown_enrolment_is_ignored_with_a_reason(
    thread: CandidateThread, clock: Clock
) -> None:
    assert thread.record_progress(progress("p-1", "enr_nobody", "about-us"), clock.now) == (
        "unknown enrolment"
    )


def test_progress_for_a_blast_is_ignored_with_a_reason(
    thread: CandidateThread, clock: Clock
) -> None:
    blast = enrol(thread, clock, "evt-1", campaign=REJECTION)
    deliver(thread, clock, blast)

    assert thread.record_progress(progress("p-1", blast.id, "about-us"), clock.now) == (
        "a blast has no modules"
    )
    assert blast.status is S.DELIVERED


@pytest.mark.parametrize("ending", list(ENDINGS), ids=str)
def test_progress_for_a_finished_enrolment_is_ignored_with_a_reason(
    thread: CandidateThread, clock: Clock, ending: EnrolmentStatus
) -> None:
    screening = enrol(thread, clock, "evt-1")
    deliver(thread, clock, screening)
    ENDINGS[ending](thread, clock, screening)
    before = screening.model_copy(deep=True)

    reason = thread.record_progress(progress("p-late", screening.id, "about-us"), clock.now)

    assert reason == f"enrolment is {ending}"
    assert screening == before


def test_progress_before_the_welcome_is_delivered_is_ignored(
    thread: CandidateThread, clock: Clock
) -> None:
    screening = enrol(thread, clock, "evt-1")

    assert thread.record_progress(progress("p-1", screening.id, "about-us"), clock.now) == (
        "enrolment is sending"
    )
    assert screening.status is S.SENDING


def test_a_completed_module_is_not_reopened(thread: CandidateThread, clock: Clock) -> None:
    screening = enrol(thread, clock, "evt-1")
    deliver(thread, clock, screening)
    thread.record_progress(progress("p-1", screening.id, "about-us"), clock.now)

    reason = thread.record_progress(
        progress("p-2", screening.id, "about-us", ProgressEvent.STARTED), clock.now
    )

    assert reason == "module 'about-us' already completed"
    assert screening.modules["about-us"] is ProgressEvent.COMPLETED


# -- expiry ----------------------------------------------------------------------------------


def test_multi_module_enrolment_expires_seven_days_after_delivery_by_default(
    thread: CandidateThread, clock: Clock
) -> None:
    screening = enrol(thread, clock, "evt-1")
    delivered_at = clock.advance(timedelta(minutes=3))
    deliver(thread, clock, screening)
    waiting = enrol(thread, clock, "evt-2", "app-2")

    assert screening.expires_at == delivered_at + timedelta(days=7)
    assert thread.next_deadline() == screening.expires_at
    assert thread.expire_due(delivered_at + timedelta(days=7, microseconds=-1)) == []
    assert screening.status is S.DELIVERED

    assert thread.expire_due(clock.advance(timedelta(days=7))) == [screening]

    assert screening.status is S.EXPIRED
    assert waiting.status is S.SENDING
    assert thread.next_deadline() is None


def test_campaign_may_set_its_own_expiry(thread: CandidateThread, clock: Clock) -> None:
    interview = enrol(thread, clock, "evt-1", campaign=INTERVIEW)
    deliver(thread, clock, interview)

    assert interview.expires_at == clock.now + timedelta(days=2)
    assert thread.expire_due(clock.now + timedelta(days=1, hours=23)) == []
    assert thread.expire_due(clock.now + timedelta(days=2)) == [interview]
    assert interview.status is S.EXPIRED


def test_in_progress_enrolment_expires_if_not_completed_in_time(
    thread: CandidateThread, clock: Clock
) -> None:
    screening = enrol(thread, clock, "evt-1")
    deliver(thread, clock, screening)
    thread.record_progress(
        progress("p-1", screening.id, "about-us"), clock.advance(timedelta(days=6))
    )

    thread.expire_due(clock.advance(timedelta(days=1)))

    assert statuses(screening) == [S.SENDING, S.DELIVERED, S.IN_PROGRESS, S.EXPIRED]
    assert thread.holder is None


def test_expiry_never_counts_time_spent_queued(thread: CandidateThread, clock: Clock) -> None:
    running = enrol(thread, clock, "evt-1", "app-1")
    deliver(thread, clock, running)
    waiting = enrol(thread, clock, "evt-2", "app-2")

    clock.advance(timedelta(days=6))
    complete_every_module(thread, clock, running)
    assert waiting.status is S.SENDING
    deliver(thread, clock, waiting)

    assert waiting.expires_at == clock.now + DEFAULT_EXPIRY
    assert thread.expire_due(clock.advance(timedelta(days=6))) == []
    assert waiting.status is S.DELIVERED


def test_blasts_and_completed_enrolments_never_expire(
    thread: CandidateThread, clock: Clock
) -> None:
    blast = enrol(thread, clock, "evt-1", "app-1", campaign=REJECTION)
    deliver(thread, clock, blast)
    screening = enrol(thread, clock, "evt-2", "app-2")
    deliver(thread, clock, screening)
    complete_every_module(thread, clock, screening)

    assert thread.expire_due(clock.advance(timedelta(days=365))) == []
    assert (blast.status, screening.status) == (S.DELIVERED, S.COMPLETED)


def test_next_deadline_is_the_running_campaigns_expiry(
    thread: CandidateThread, clock: Clock
) -> None:
    assert thread.next_deadline() is None
    screening = enrol(thread, clock, "evt-1")
    assert thread.next_deadline() is None, "nothing expires before delivery"
    deliver(thread, clock, screening)
    assert thread.next_deadline() == clock.now + DEFAULT_EXPIRY


# -- delivery failures -----------------------------------------------------------------------


@pytest.mark.parametrize("campaign", [SCREENING, REJECTION], ids=["multi_module", "blast"])
def test_send_failure_fails_the_enrolment_with_the_reason_and_releases_the_thread(
    thread: CandidateThread, clock: Clock, campaign: Campaign
) -> None:
    doomed = enrol(thread, clock, "evt-1", "app-1", campaign=campaign)
    waiting = enrol(thread, clock, "evt-2", "app-2")

    thread.record_send_failure(
        welcome(doomed.id),
        StatusReason.INVALID_PHONE_NUMBER,
        "'12' is not a phone number",
        clock.now,
    )

    assert doomed.status is S.FAILED
    assert doomed.status_reason == StatusReason.INVALID_PHONE_NUMBER
    assert doomed.unprojected[-1].detail == "'12' is not a phone number"
    assert doomed.delivered_at is None
    assert waiting.status is S.SENDING
    assert thread.pending_sends == [welcome(waiting.id)]


@pytest.mark.parametrize("campaign", [SCREENING, REJECTION], ids=["multi_module", "blast"])
def test_undelivered_receipt_after_delivery_fails_the_enrolment(
    thread: CandidateThread, clock: Clock, campaign: Campaign
) -> None:
    doomed = enrol(thread, clock, "evt-1", "app-1", campaign=campaign)
    deliver(thread, clock, doomed)
    waiting = enrol(thread, clock, "evt-2", "app-2")

    assert thread.record_receipt(receipt("rcpt-1", doomed.id), clock.now) is None

    assert statuses(doomed) == [S.SENDING, S.DELIVERED, S.FAILED]
    assert doomed.status_reason == StatusReason.UNDELIVERED
    assert "30003 unreachable destination" in doomed.unprojected[-1].detail
    assert waiting.status is S.SENDING
    assert thread.next_deadline() is None


def test_undelivered_receipt_that_overtakes_the_send_result_fails_the_enrolment(
    thread: CandidateThread, clock: Clock
) -> None:
    screening = enrol(thread, clock, "evt-1", "app-1")
    waiting = enrol(thread, clock, "evt-2", "app-2")

    assert thread.record_receipt(receipt("rcpt-1", screening.id), clock.now) is None
    assert screening.status is S.SENDING

    deliver(thread, clock, screening)

    assert statuses(screening) == [S.SENDING, S.DELIVERED, S.FAILED]
    assert screening.status_reason == StatusReason.UNDELIVERED
    assert waiting.status is S.SENDING


def test_delivered_receipt_confirms_without_a_change(thread: CandidateThread, clock: Clock) -> None:
    screening = enrol(thread, clock, "evt-1")
    deliver(thread, clock, screening)
    before = screening.model_copy(deep=True)

    reason = thread.record_receipt(
        receipt("rcpt-1", screening.id, DeliveryOutcome.DELIVERED), clock.now
    )

    assert reason == "delivery confirmed"
    assert screening == before


def test_undelivered_receipt_once_the_candidate_is_working_is_ignored(
    thread: CandidateThread, clock: Clock
) -> None:
    screening = enrol(thread, clock, "evt-1")
    deliver(thread, clock, screening)
    thread.record_progress(progress("p-1", screening.id, "about-us"), clock.now)

    assert thread.record_receipt(receipt("rcpt-1", screening.id), clock.now) == (
        "enrolment is in_progress"
    )
    assert screening.status is S.IN_PROGRESS


def test_receipt_for_an_unknown_enrolment_is_ignored(thread: CandidateThread, clock: Clock) -> None:
    assert thread.record_receipt(receipt("rcpt-1", "enr_nobody"), clock.now) == "unknown enrolment"


# -- the timeline and the carried state ------------------------------------------------------


def test_every_change_is_numbered_and_projected_entries_are_dropped(
    thread: CandidateThread, clock: Clock
) -> None:
    screening = enrol(thread, clock, "evt-1")
    deliver(thread, clock, screening)
    thread.record_progress(
        progress("p-1", screening.id, "about-us", ProgressEvent.STARTED), clock.now
    )

    assert [t.seq for t in screening.unprojected] == [1, 2, 3]
    assert thread.unprojected() == [screening]
    assert screening.status_times == {S.SENDING: START, S.DELIVERED: START, S.IN_PROGRESS: START}

    thread.mark_projected({screening.id: 2, "enr_gone": 9})

    assert [t.seq for t in screening.unprojected] == [3]
    thread.mark_projected({screening.id: 3})
    assert thread.unprojected() == []


def _busy_thread(thread: CandidateThread, clock: Clock) -> None:
    """A candidate with something in every corner of the state."""
    running = enrol(thread, clock, "evt-1", "app-1")
    deliver(thread, clock, running)
    thread.record_progress(
        progress("p-1", running.id, "about-us", ProgressEvent.STARTED), clock.now
    )
    enrol(thread, clock, "evt-2", "app-2", campaign=REJECTION)
    enrol(thread, clock, "evt-3", "app-3", stage_id="interview", auto_match=True)
    done = enrol(thread, clock, "evt-4", "app-4", campaign=INTERVIEW)
    thread.withdraw(withdrawal("wd-1", "app-4"), clock.now)
    assert done.status is S.CANCELLED
    thread.mark_projected({running.id: 1})


def test_state_survives_a_json_round_trip_unchanged(thread: CandidateThread, clock: Clock) -> None:
    _busy_thread(thread, clock)

    carried = CandidateThread.model_validate_json(thread.model_dump_json())
    also = CandidateThread.model_validate(thread.model_dump(mode="json"))

    assert carried == thread
    assert also == thread
    assert carried.queue == thread.queue and carried.holder == thread.holder


def test_carried_state_behaves_exactly_like_the_original(
    thread: CandidateThread, clock: Clock
) -> None:
    _busy_thread(thread, clock)
    carried = CandidateThread.model_validate_json(thread.model_dump_json())
    running = thread.holder
    assert running is not None

    for state in (thread, carried):
        state.record_progress(progress("p-2", running, "about-us"), clock.now)
        state.record_progress(progress("p-3", running, "questions"), clock.now)
        state.release_auto_match(availability("av-1"), clock.now)
        state.expire_due(clock.now + timedelta(days=30))

    assert carried == thread
    assert [e.status for e in carried.enrolments.values()] == [
        S.COMPLETED,
        S.SENDING,
        S.QUEUED,
        S.CANCELLED,
    ]


# -- bounded state ---------------------------------------------------------------------------


def _finish_many(thread: CandidateThread, clock: Clock, count: int, campaign: Campaign) -> None:
    for n in range(count):
        enrolment = enrol(thread, clock, f"old-{n}", f"app-old-{n}", campaign=campaign)
        if campaign.is_blast:
            deliver(thread, clock, enrolment)
        else:
            thread.record_send_failure(
                welcome(enrolment.id), StatusReason.OPTED_OUT, "opted out", clock.now
            )
        thread.mark_projected({enrolment.id: enrolment.seq})


@pytest.mark.parametrize("campaign", [SCREENING, REJECTION], ids=["failed", "delivered_blast"])
def test_only_the_newest_finished_enrolments_are_kept(
    thread: CandidateThread, clock: Clock, campaign: Campaign
) -> None:
    extra = 30
    _finish_many(thread, clock, FINISHED_ENROLMENTS_KEPT + extra, campaign)

    kept = [e.ats_event_id for e in thread.enrolments.values()]
    assert kept == [f"old-{n}" for n in range(extra, FINISHED_ENROLMENTS_KEPT + extra)]


def test_live_and_unprojected_enrolments_are_never_forgotten(
    thread: CandidateThread, clock: Clock
) -> None:
    booking = enrol(thread, clock, "evt-am", "app-am", stage_id="interview", auto_match=True)
    unprojected = enrol(thread, clock, "evt-np", "app-np", campaign=REJECTION)
    deliver(thread, clock, unprojected)
    _finish_many(thread, clock, FINISHED_ENROLMENTS_KEPT + 10, REJECTION)

    assert booking.id in thread.enrolments
    assert unprojected.id in thread.enrolments
    assert len(thread.enrolments) == FINISHED_ENROLMENTS_KEPT + 2


def test_only_the_most_recent_webhook_ids_are_remembered(
    thread: CandidateThread, clock: Clock
) -> None:
    for n in range(SEEN_EVENT_IDS + 5):
        thread.record_receipt(receipt(f"rc-{n}", "enr_none"), clock.now)

    assert len(thread.seen_event_ids) == SEEN_EVENT_IDS
    assert thread.seen_event_ids[0] == "receipt:rc-5"


# -- odds and ends ---------------------------------------------------------------------------


def test_summary_says_who_holds_the_thread_and_how_many_wait(
    thread: CandidateThread, clock: Clock
) -> None:
    assert thread.summary() == "Candidate cand-1: no enrolments; thread held by nobody; 0 queued"
    enrol(thread, clock, "evt-1", "app-1")
    enrol(thread, clock, "evt-2", "app-2", campaign=REJECTION)

    assert thread.summary() == (
        "Candidate cand-1: 1 queued, 1 sending; thread held by Screening; 1 queued"
    )


def test_a_blast_campaign_never_gets_an_expiry() -> None:
    with pytest.raises(ValueError, match="expiry applies to multi_module campaigns only"):
        Campaign(
            name="Oops",
            kind=CampaignKind.BLAST,
            channel=ChannelKind.SMS,
            messages=["hi"],
            expiry=timedelta(days=1),
        )


def test_an_availability_releases_only_what_waited_when_it_first_arrived(
    thread: CandidateThread, clock: Clock
) -> None:
    first = enrol(thread, clock, "evt-1", "app-1", stage_id="interview", auto_match=True)
    arrived = clock.advance(timedelta(minutes=1))
    clock.advance(timedelta(seconds=1))
    later = enrol(thread, clock, "evt-2", "app-2", stage_id="interview", auto_match=True)
    # Another candidate's thread hears of the webhook for the first time now: a repeat.
    repeat = availability("av-1").model_copy(update={"received_at": arrived})

    released = thread.release_auto_match(repeat, clock.advance(timedelta(minutes=1)))

    assert [e.id for e in released] == [first.id]
    assert first.status is S.SENDING
    assert later.status is S.AUTO_MATCH


def test_a_nudge_in_flight_when_the_candidate_completes_keeps_the_thread_until_it_returns(
    thread: CandidateThread, clock: Clock
) -> None:
    nudged = SCREENING.model_copy(
        update={"nudges": Nudges(after=[timedelta(hours=2)], message="Still there?")}
    )
    screening = enrol(thread, clock, "evt-1", campaign=nudged)
    deliver(thread, clock, screening)
    queued = enrol(thread, clock, "evt-2", "app-2", campaign=REJECTION)
    thread.schedule_nudges(clock.advance(timedelta(hours=2)))
    [nudge] = thread.start_sends(clock.now)

    complete_every_module(thread, clock, screening)

    assert screening.status is S.COMPLETED
    assert queued.status is S.QUEUED, "the nudge is still on its way"
    thread.record_sent(nudge, clock.now)
    assert queued.status is S.SENDING


def test_a_nudge_not_sent_yet_when_the_enrolment_ends_is_dropped(
    thread: CandidateThread, clock: Clock
) -> None:
    nudged = SCREENING.model_copy(
        update={"nudges": Nudges(after=[timedelta(hours=2)], message="Still there?")}
    )
    screening = enrol(thread, clock, "evt-1", campaign=nudged)
    deliver(thread, clock, screening)
    thread.schedule_nudges(clock.advance(timedelta(hours=2)))

    complete_every_module(thread, clock, screening)

    assert thread.pending_sends == []
    assert thread.start_sends(clock.now) == []
