"""Repeated events and retried deliveries never change the outcome or text a candidate twice."""

from __future__ import annotations

import asyncio

from domain.events import ReadModelResync
from domain.statuses import EnrolmentStatus as S
from tests.workflows.conftest import CandidateUnderTest, blast, multi_module
from tests.workflows.test_lifecycle import progress


async def test_repeated_ats_event_returns_the_same_enrolment(
    candidate: CandidateUnderTest,
) -> None:
    event = candidate.ats_event(blast(), event_id="evt-dup")
    first = await candidate.send(event)
    again = await candidate.send(event)

    assert [e.id for e in again.enrolments] == [e.id for e in first.enrolments]
    await candidate.wait_status(first.enrolments[0].id, S.DELIVERED)
    assert len((await candidate.state()).enrolments) == 1
    assert len(candidate.channel.sent) == 1
    [late] = (await candidate.send(event)).enrolments
    assert late.status is S.DELIVERED, "a repeat answers with the status it has now"


async def test_repeated_progress_signals_are_applied_once(candidate: CandidateUnderTest) -> None:
    [enrolment] = (await candidate.enter_stage(multi_module(modules=2))).enrolments
    await candidate.wait_status(enrolment.id, S.DELIVERED)
    for _ in range(3):
        await candidate.signal("module_progress", progress(enrolment.id, "m1", "completed", "p1"))
    await candidate.wait_status(enrolment.id, S.IN_PROGRESS)
    seq = (await candidate.state()).enrolments[enrolment.id].seq
    await candidate.signal("module_progress", progress(enrolment.id, "m1", "completed", "p1"))
    await candidate.signal("module_progress", progress(enrolment.id, "m2", "started", "p2"))
    thread = await candidate.wait_for(lambda t: t.enrolments[enrolment.id].seq == seq + 1)
    assert thread.enrolments[enrolment.id].status is S.IN_PROGRESS


async def test_progress_update_answers_once_projected_and_says_why_a_repeat_changed_nothing(
    candidate: CandidateUnderTest,
) -> None:
    [enrolment] = (await candidate.enter_stage(multi_module(modules=2))).enrolments
    await candidate.wait_status(enrolment.id, S.DELIVERED)

    first, *repeats = await asyncio.gather(
        *(candidate.progress(progress(enrolment.id, "m1", "completed", "p1")) for _ in range(3))
    )

    answers = [first, *repeats]
    assert [a.enrolment.status for a in answers if a.enrolment] == [S.IN_PROGRESS] * 3
    assert sum(a.ignored is None for a in answers) == 1, "one of the racing copies applies"
    assert candidate.read_model.statuses(enrolment.id)[-1] is S.IN_PROGRESS
    missing = await candidate.progress(progress("enr_missing", "m1", "started", "px"))
    assert missing.enrolment is None and missing.ignored


async def test_progress_for_unknown_module_or_finished_enrolment_is_ignored(
    candidate: CandidateUnderTest,
) -> None:
    [enrolment] = (await candidate.enter_stage(multi_module(modules=1))).enrolments
    await candidate.wait_status(enrolment.id, S.DELIVERED)
    await candidate.signal("module_progress", progress(enrolment.id, "nope", "started", "p0"))
    await candidate.signal("module_progress", progress("enr_missing", "m1", "started", "px"))
    await candidate.signal("module_progress", progress(enrolment.id, "m1", "completed", "p1"))
    await candidate.wait_status(enrolment.id, S.COMPLETED)
    await candidate.signal("module_progress", progress(enrolment.id, "m1", "started", "p2"))

    thread = await candidate.wait_for(lambda t: "progress:p2" in t.seen_event_ids)
    assert thread.enrolments[enrolment.id].status is S.COMPLETED


async def test_transient_channel_errors_retry_and_the_candidate_gets_one_message(
    candidate: CandidateUnderTest,
) -> None:
    candidate.channel.transient_failures_left = 2
    [enrolment] = (await candidate.enter_stage(blast())).enrolments

    await candidate.wait_status(enrolment.id, S.DELIVERED)

    assert candidate.channel.attempts == 3
    assert len(candidate.channel.sent) == 1


async def test_resync_writes_every_enrolment_to_the_read_model_again(
    candidate: CandidateUnderTest,
) -> None:
    [enrolment] = (await candidate.enter_stage(blast())).enrolments
    await candidate.wait_status(enrolment.id, S.DELIVERED)
    del candidate.read_model.rows[enrolment.id]  # the read model lost the row

    await candidate.signal("resync_read_model", ReadModelResync(event_id="r1"))

    await candidate.wait_projected(enrolment.id, S.DELIVERED)
    assert not (await candidate.state()).resync_pending
