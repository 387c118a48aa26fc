"""A recruiter's actions in the candidate's workflow: cancel, and re-enrol with a corrected
number (on the time-skipping server)."""

from __future__ import annotations

import asyncio
import uuid

from temporalio.testing import WorkflowEnvironment

from domain.candidates import CandidateContact
from domain.enrolments import StatusReason
from domain.events import ActionResult, CancelEnrolment, Reenrol
from domain.statuses import EnrolmentStatus as S
from tests.workflows.conftest import (
    VALID_PHONE,
    CandidateUnderTest,
    blast,
    candidate_factory,
    multi_module,
)
from workflows.candidate import CandidateWorkflow


async def cancel(candidate: CandidateUnderTest, enrolment_id: str, event: str) -> ActionResult:
    request = CancelEnrolment(event_id=event, enrolment_id=enrolment_id)
    return await candidate.handle.execute_update(CandidateWorkflow.cancel, request)


async def reenrol(
    candidate: CandidateUnderTest, enrolment_id: str, event: str, phone: str | None = None
) -> ActionResult:
    request = Reenrol(event_id=event, enrolment_id=enrolment_id, phone=phone)
    return await candidate.handle.execute_update(CandidateWorkflow.reenrol, request)


async def test_a_recruiter_cancels_a_queued_enrolment_and_not_an_ended_one(
    candidate: CandidateUnderTest,
) -> None:
    [running] = (await candidate.enter_stage(multi_module())).enrolments
    [waiting] = (await candidate.enter_stage(blast(), application="app-2")).enrolments
    await candidate.wait_status(running.id, S.DELIVERED)

    answer = await cancel(candidate, waiting.id, "c1")

    assert answer.refused is None and answer.enrolment is not None
    assert answer.enrolment.status is S.CANCELLED
    thread = await candidate.wait_status(waiting.id, S.CANCELLED)
    assert thread.enrolments[waiting.id].status_reason == StatusReason.CANCELLED_BY_RECRUITER
    assert thread.enrolments[running.id].status is S.DELIVERED
    again = await cancel(candidate, waiting.id, "c2")
    assert again.refused == "the enrolment is cancelled already"
    repeat = await cancel(candidate, waiting.id, "c1")
    assert repeat.refused is None, "a repeated request answers as the first did"


async def test_a_failed_enrolment_is_re_enrolled_once_with_the_number_corrected(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    async with candidate_factory(time_skipping_env) as start:
        candidate = await start(
            CandidateContact(id=f"cand-{uuid.uuid4().hex[:8]}", name="Ada", phone="+1555")
        )
        [failed] = (await candidate.enter_stage(blast())).enrolments
        await candidate.wait_status(failed.id, S.FAILED)

        # Two recruiters click at once: one re-enrolment; the other is told it happened.
        answers = await asyncio.gather(
            reenrol(candidate, failed.id, "r1", phone=VALID_PHONE),
            reenrol(candidate, failed.id, "r2", phone=VALID_PHONE),
        )
        [made] = [a.enrolment for a in answers if a.refused is None and a.enrolment is not None]
        [told] = [a.refused for a in answers if a.refused is not None]
        assert told == f"it was re-enrolled already, as {made.id}"

        thread = await candidate.wait_status(made.id, S.DELIVERED)
        assert thread.candidate.phone == VALID_PHONE
        assert thread.enrolments[made.id].reenrolment_of == failed.id
        assert thread.enrolments[failed.id].reenrolled_as == made.id
        assert thread.applications["app-1"].current_enrolment_id == made.id
        [sent] = [m for m in candidate.channel.sent.values() if m.enrolment_id == made.id]
        assert sent.candidate.phone == VALID_PHONE
        winner = "r1" if answers[0].refused is None else "r2"
        repeat = await reenrol(candidate, failed.id, winner, phone=VALID_PHONE)
        assert repeat.enrolment is not None and repeat.enrolment.id == made.id
        delivered = await reenrol(candidate, made.id, "r3")
        assert (
            delivered.refused
            == "only a failed or expired enrolment can be re-enrolled, not delivered"
        )
