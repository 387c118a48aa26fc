"""The candidate's thread: who holds it, who waits, and every way it is released."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.candidates import CandidateContact
from domain.enrolments import StatusReason
from domain.events import (
    ApplicationWithdrawn,
    DeliveryOutcome,
    DeliveryReceipt,
    InterviewerAvailability,
    Slot,
)
from domain.statuses import EnrolmentStatus as S
from tests.workflows.conftest import (
    CandidateUnderTest,
    blast,
    candidate_factory,
    multi_module,
)
from tests.workflows.test_lifecycle import progress


async def end_running_campaign(candidate: CandidateUnderTest, enrolment_id: str, how: S) -> None:
    """Bring the running multi-module enrolment to the terminal status ``how``."""
    if how is S.COMPLETED:
        await candidate.signal("module_progress", progress(enrolment_id, "m1", "completed", "p1"))
    elif how is S.EXPIRED:
        await candidate.env.sleep(timedelta(days=7, minutes=1))
    elif how is S.FAILED:
        receipt = DeliveryReceipt(
            event_id="r1",
            enrolment_id=enrolment_id,
            outcome=DeliveryOutcome.FAILED,
            reason="30003 unreachable handset",
        )
        await candidate.signal("delivery_receipt", receipt)
    elif how is S.CANCELLED:
        withdrawal = ApplicationWithdrawn(event_id="w1", application_id="app-1")
        await candidate.signal("withdraw_application", withdrawal)


@pytest.mark.parametrize("how", [S.COMPLETED, S.EXPIRED, S.FAILED, S.CANCELLED])
async def test_queued_campaign_goes_out_when_the_running_one_ends(
    candidate: CandidateUnderTest, how: S
) -> None:
    [running] = (await candidate.enter_stage(multi_module(modules=1))).enrolments
    [waiting] = (
        await candidate.enter_stage(multi_module("Next"), application="app-2", job="job-2")
    ).enrolments
    await candidate.wait_status(running.id, S.DELIVERED)
    assert (await candidate.state()).enrolments[waiting.id].status is S.QUEUED

    await end_running_campaign(candidate, running.id, how)

    await candidate.wait_status(running.id, how)
    thread = await candidate.wait_status(waiting.id, S.DELIVERED)
    assert thread.holder == waiting.id


async def test_queue_is_first_in_first_out(candidate: CandidateUnderTest) -> None:
    [running] = (await candidate.enter_stage(multi_module(modules=1))).enrolments
    waiting = [
        (
            await candidate.enter_stage(blast(f"B{i}"), application=f"app-{i}", job=f"job-{i}")
        ).enrolments[0]
        for i in range(2, 5)
    ]
    await candidate.wait_status(running.id, S.DELIVERED)
    await candidate.signal("module_progress", progress(running.id, "m1", "completed", "p1"))
    for enrolment in waiting:
        await candidate.wait_status(enrolment.id, S.DELIVERED)

    thread = await candidate.state()
    delivered_at = [thread.enrolments[e.id].delivered_at for e in waiting]
    assert delivered_at == sorted(delivered_at)  # type: ignore[type-var]


async def test_blast_waits_behind_running_campaign_but_never_holds_the_thread(
    candidate: CandidateUnderTest,
) -> None:
    [first_blast] = (await candidate.enter_stage(blast("B1"))).enrolments
    await candidate.wait_status(first_blast.id, S.DELIVERED)
    [campaign] = (
        await candidate.enter_stage(multi_module(), application="app-2", job="job-2")
    ).enrolments
    assert campaign.status is S.SENDING
    [second_blast] = (
        await candidate.enter_stage(blast("B2"), application="app-3", job="job-3")
    ).enrolments
    assert second_blast.status is S.QUEUED


async def test_auto_match_waits_for_interviewer_availability(
    candidate: CandidateUnderTest,
) -> None:
    [enrolment] = (
        await candidate.enter_stage(multi_module("Book"), stage="interview", auto_match=True)
    ).enrolments
    assert enrolment.status is S.AUTO_MATCH
    other_stage = InterviewerAvailability(
        event_id="a0", job_id="job-1", stage_id="screen", interviewer_id="iv-1"
    )
    await candidate.signal("interviewer_availability", other_stage)
    await candidate.env.sleep(timedelta(hours=1))
    assert (await candidate.state()).enrolments[enrolment.id].status is S.AUTO_MATCH

    available = InterviewerAvailability(
        event_id="a1",
        job_id="job-1",
        stage_id="interview",
        interviewer_id="iv-1",
        slots=[Slot(start="2026-12-01T09:00:00Z", end="2026-12-01T10:00:00Z")],
    )
    await candidate.signal("interviewer_availability", available)

    await candidate.wait_status(enrolment.id, S.DELIVERED)
    assert candidate.read_model.statuses(enrolment.id) == [S.AUTO_MATCH, S.SENDING, S.DELIVERED]


async def test_availability_update_answers_with_the_enrolments_it_released(
    candidate: CandidateUnderTest,
) -> None:
    [enrolment] = (
        await candidate.enter_stage(multi_module("Book"), stage="interview", auto_match=True)
    ).enrolments
    event = InterviewerAvailability(
        event_id="a1", job_id="job-1", stage_id="interview", interviewer_id="iv-1"
    )

    released, again = await asyncio.gather(
        candidate.availability(event), candidate.availability(event)
    )

    assert sorted([[e.id for e in released], [e.id for e in again]]) == [[], [enrolment.id]]
    assert S.SENDING in candidate.read_model.statuses(enrolment.id), "answered once projected"
    await candidate.wait_status(enrolment.id, S.DELIVERED)


async def test_auto_match_released_while_thread_busy_waits_queued(
    candidate: CandidateUnderTest,
) -> None:
    [running] = (await candidate.enter_stage(multi_module(modules=1))).enrolments
    [booking] = (
        await candidate.enter_stage(
            multi_module("Book"), application="app-2", stage="interview", auto_match=True
        )
    ).enrolments
    await candidate.signal(
        "interviewer_availability",
        InterviewerAvailability(
            event_id="a1", job_id="job-1", stage_id="interview", interviewer_id="iv"
        ),
    )
    await candidate.wait_status(booking.id, S.QUEUED)
    await candidate.signal("module_progress", progress(running.id, "m1", "completed", "p1"))
    await candidate.wait_status(booking.id, S.DELIVERED)


async def test_withdrawal_cancels_unsent_enrolments_and_frees_the_thread(
    candidate: CandidateUnderTest,
) -> None:
    [running] = (await candidate.enter_stage(multi_module())).enrolments
    [queued] = (await candidate.enter_stage(blast(), application="app-2", job="job-2")).enrolments
    [booking] = (
        await candidate.enter_stage(
            multi_module("Book"), application="app-2", stage="interview", auto_match=True
        )
    ).enrolments
    await candidate.wait_status(running.id, S.DELIVERED)

    await candidate.signal(
        "withdraw_application", ApplicationWithdrawn(event_id="w1", application_id="app-2")
    )

    # Entering the interview stage already cancelled app-2's queued blast (it left the stage).
    thread = await candidate.wait_status(booking.id, S.CANCELLED)
    assert thread.enrolments[queued.id].status is S.CANCELLED
    assert thread.enrolments[queued.id].status_reason == StatusReason.LEFT_STAGE
    assert thread.enrolments[booking.id].status_reason == StatusReason.APPLICATION_WITHDRAWN
    assert thread.enrolments[running.id].status is S.DELIVERED

    await candidate.signal(
        "withdraw_application", ApplicationWithdrawn(event_id="w2", application_id="app-1")
    )
    thread = await candidate.wait_status(running.id, S.CANCELLED)
    assert thread.holder is None
    assert thread.queue == []


async def test_invalid_phone_fails_with_a_reason_and_frees_the_thread(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    async with candidate_factory(time_skipping_env) as start:
        contact = CandidateContact(id=f"cand-{uuid.uuid4().hex[:8]}", name="Bo", phone="12345")
        candidate: CandidateUnderTest = await start(contact)
        [first] = (await candidate.enter_stage(multi_module())).enrolments
        [second] = (
            await candidate.enter_stage(blast(), application="app-2", job="job-2")
        ).enrolments

        thread = await candidate.wait_status(first.id, S.FAILED)
        assert thread.enrolments[first.id].status_reason == StatusReason.INVALID_PHONE_NUMBER
        await candidate.wait_status(second.id, S.FAILED)
        assert candidate.read_model.rows[first.id].status_reason == "invalid_phone_number"
        assert candidate.channel.sent == {}


async def test_missing_phone_fails_with_its_own_reason(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    async with candidate_factory(time_skipping_env) as start:
        contact = CandidateContact(id=f"cand-{uuid.uuid4().hex[:8]}", name="Cy", phone=None)
        candidate: CandidateUnderTest = await start(contact)
        [enrolment] = (await candidate.enter_stage(blast())).enrolments
        thread = await candidate.wait_status(enrolment.id, S.FAILED)
        assert thread.enrolments[enrolment.id].status_reason == StatusReason.MISSING_PHONE_NUMBER


async def test_a_burst_of_withdrawals_is_seen_whole_before_a_queued_campaign_goes_out(
    candidate: CandidateUnderTest,
) -> None:
    """An ATS rejecting three applications at once sends three withdrawals a moment apart: the
    first frees the thread, and the campaign queued behind it must not be sent before its own
    withdrawal arrives (the settle window is a durable timer)."""
    settle = timedelta(seconds=5)
    [running] = (await candidate.enter_stage(multi_module())).enrolments
    [second] = (await candidate.enter_stage(blast(), application="app-2", job="job-2")).enrolments
    [third] = (await candidate.enter_stage(blast(), application="app-3", job="job-3")).enrolments
    await candidate.wait_status(running.id, S.DELIVERED)

    def withdrawal(n: int) -> ApplicationWithdrawn:
        return ApplicationWithdrawn(
            event_id=f"w{n}",
            application_id=f"app-{n}",
            occurred_at=datetime.now(UTC),
            settle=settle,
        )

    await candidate.withdraw(withdrawal(1))
    thread = await candidate.state()
    assert thread.enrolments[second.id].status is S.QUEUED, "held for the rest of the burst"
    await candidate.withdraw(withdrawal(2))
    await candidate.wait_status(second.id, S.CANCELLED)
    assert all(m.enrolment_id != second.id for m in candidate.channel.sent.values())

    # Nobody withdraws the third: it goes out once the window has passed (time skips).
    await candidate.wait_status(third.id, S.DELIVERED)


async def test_a_release_after_a_completion_is_not_held(candidate: CandidateUnderTest) -> None:
    [running] = (await candidate.enter_stage(multi_module(modules=1))).enrolments
    [waiting] = (await candidate.enter_stage(blast(), application="app-2", job="job-2")).enrolments
    await candidate.wait_status(running.id, S.DELIVERED)
    await candidate.progress(progress(running.id, "m1", "completed", "p1"))
    thread = await candidate.state()
    assert thread.enrolments[waiting.id].status is not S.QUEUED


async def test_waiting_in_auto_match_never_expires_the_clock_starts_at_delivery(
    candidate: CandidateUnderTest,
) -> None:
    [enrolment] = (
        await candidate.enter_stage(multi_module("Book"), stage="interview", auto_match=True)
    ).enrolments
    await candidate.env.sleep(timedelta(days=30))  # four times the campaign's 7-day expiry
    assert (await candidate.state()).enrolments[enrolment.id].status is S.AUTO_MATCH

    available = InterviewerAvailability(
        event_id="a1", job_id="job-1", stage_id="interview", interviewer_id="iv-1"
    )
    await candidate.signal("interviewer_availability", available)
    await candidate.wait_status(enrolment.id, S.DELIVERED)
    delivered = (await candidate.state()).enrolments[enrolment.id]
    assert delivered.expires_at is not None and delivered.delivered_at is not None
    assert delivered.expires_at - delivered.delivered_at == timedelta(days=7)
    await candidate.env.sleep(timedelta(days=6))
    assert (await candidate.state()).enrolments[enrolment.id].status is S.DELIVERED
    await candidate.env.sleep(timedelta(days=1, minutes=1))
    await candidate.wait_status(enrolment.id, S.EXPIRED)
