"""Every enrolment status and transition, on the real Temporal time-skipping test server."""

from __future__ import annotations

from datetime import timedelta

from domain.events import ModuleProgress, ProgressEvent
from domain.statuses import EnrolmentStatus as S
from tests.workflows.conftest import CandidateUnderTest, blast, multi_module


async def test_blast_is_sent_then_delivered(candidate: CandidateUnderTest) -> None:
    result = await candidate.enter_stage(blast(), stage="rejected")

    [enrolment] = result.enrolments
    assert enrolment.status is S.SENDING
    await candidate.wait_status(enrolment.id, S.DELIVERED)
    assert candidate.read_model.statuses(enrolment.id) == [S.SENDING, S.DELIVERED]
    [message] = candidate.channel.sent.values()
    assert message.body == "Thank you."
    assert (await candidate.state()).holder is None


async def test_multi_module_goes_in_progress_then_completed(candidate: CandidateUnderTest) -> None:
    [enrolment] = (await candidate.enter_stage(multi_module(modules=2))).enrolments
    await candidate.wait_status(enrolment.id, S.DELIVERED)

    await candidate.signal("module_progress", progress(enrolment.id, "m1", "started", "p1"))
    await candidate.wait_status(enrolment.id, S.IN_PROGRESS)
    await candidate.signal("module_progress", progress(enrolment.id, "m1", "completed", "p2"))
    await candidate.signal("module_progress", progress(enrolment.id, "m2", "completed", "p3"))
    thread = await candidate.wait_status(enrolment.id, S.COMPLETED)

    assert candidate.read_model.statuses(enrolment.id) == [
        S.SENDING,
        S.DELIVERED,
        S.IN_PROGRESS,
        S.COMPLETED,
    ]
    assert thread.holder is None
    details = [t.detail for t in candidate.read_model.timeline[enrolment.id].values()]
    assert "module 'Module 1' completed" in details


async def test_second_campaign_waits_queued_until_first_completes(
    candidate: CandidateUnderTest,
) -> None:
    [first] = (await candidate.enter_stage(multi_module(modules=1), stage="screen")).enrolments
    [second] = (
        await candidate.enter_stage(blast(), application="app-2", job="job-2", stage="rejected")
    ).enrolments
    assert second.status is S.QUEUED
    await candidate.wait_status(first.id, S.DELIVERED)
    assert (await candidate.state()).enrolments[second.id].status is S.QUEUED

    await candidate.signal("module_progress", progress(first.id, "m1", "completed", "p1"))

    await candidate.wait_status(second.id, S.DELIVERED)
    assert candidate.read_model.statuses(second.id) == [S.QUEUED, S.SENDING, S.DELIVERED]


async def test_closing_message_goes_out_after_completion(candidate: CandidateUnderTest) -> None:
    [enrolment] = (await candidate.enter_stage(multi_module(modules=1, closing=True))).enrolments
    await candidate.wait_status(enrolment.id, S.DELIVERED)
    await candidate.signal("module_progress", progress(enrolment.id, "m1", "completed", "p1"))
    await candidate.wait_for(
        lambda t: not t.pending_sends and t.enrolments[enrolment.id].status is S.COMPLETED
    )

    bodies = [m.body for m in candidate.channel.sent.values()]
    assert bodies == ["Welcome!", "Thanks, we'll be in touch."]


async def test_multi_module_expires_seven_days_after_delivery(
    candidate: CandidateUnderTest,
) -> None:
    [enrolment] = (await candidate.enter_stage(multi_module())).enrolments
    await candidate.wait_status(enrolment.id, S.DELIVERED)

    await candidate.env.sleep(timedelta(days=6, hours=23))
    assert (await candidate.state()).enrolments[enrolment.id].status is S.DELIVERED
    await candidate.env.sleep(timedelta(hours=2))

    thread = await candidate.wait_status(enrolment.id, S.EXPIRED)
    expired = thread.enrolments[enrolment.id]
    assert expired.delivered_at is not None
    assert expired.status_times[S.EXPIRED] - expired.delivered_at >= timedelta(days=7)


async def test_campaign_expiry_can_be_customised(candidate: CandidateUnderTest) -> None:
    [enrolment] = (await candidate.enter_stage(multi_module(expiry=timedelta(hours=2)))).enrolments
    await candidate.wait_status(enrolment.id, S.DELIVERED)
    await candidate.signal("module_progress", progress(enrolment.id, "m1", "started", "p1"))
    await candidate.wait_status(enrolment.id, S.IN_PROGRESS)

    await candidate.env.sleep(timedelta(hours=2, minutes=1))

    await candidate.wait_status(enrolment.id, S.EXPIRED)


async def test_time_spent_queued_does_not_count_towards_expiry(
    candidate: CandidateUnderTest,
) -> None:
    [first] = (await candidate.enter_stage(multi_module(expiry=timedelta(days=3)))).enrolments
    [second] = (
        await candidate.enter_stage(
            multi_module("Second", expiry=timedelta(days=3)), application="app-2", job="job-2"
        )
    ).enrolments
    await candidate.wait_status(first.id, S.DELIVERED)
    await candidate.env.sleep(timedelta(days=3, minutes=1))
    await candidate.wait_status(first.id, S.EXPIRED)
    await candidate.wait_status(second.id, S.DELIVERED)

    await candidate.env.sleep(timedelta(days=2))
    assert (await candidate.state()).enrolments[second.id].status is S.DELIVERED
    await candidate.env.sleep(timedelta(days=1, minutes=1))
    await candidate.wait_status(second.id, S.EXPIRED)


def progress(enrolment_id: str, module_id: str, event: str, event_id: str) -> ModuleProgress:
    return ModuleProgress(
        event_id=event_id,
        enrolment_id=enrolment_id,
        module_id=module_id,
        event=ProgressEvent(event),
    )
