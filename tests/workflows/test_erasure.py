"""Erasure in the candidate's workflow: what it ends, what it calls off, what it keeps.

On the time-skipping server, with the in-memory read model (``read_model.erased`` records the
projection told to erase the candidate's data).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from domain.candidates import CandidateContact
from domain.enrolments import StatusReason
from domain.events import ErasureRequest, ErasureResult
from domain.identity import idempotency_key
from domain.statuses import EnrolmentStatus as S
from domain.thread import CandidateThread
from tests.workflows.conftest import (
    VALID_PHONE,
    CandidateUnderTest,
    blast,
    candidate_factory,
    multi_module,
)
from workflows.candidate import CandidateWorkflow

NAME = "Zebedee Quartermaine"
EMAIL = "zebedee.q@example.org"


async def erase(candidate: CandidateUnderTest, event_id: str = "erase-1") -> ErasureResult:
    return await candidate.handle.execute_update(
        CandidateWorkflow.erase, ErasureRequest(event_id=event_id)
    )


def holds_personal_data(thread: CandidateThread) -> bool:
    dump = thread.model_dump_json()
    return any(value in dump for value in (NAME, VALID_PHONE, EMAIL))


def contact() -> CandidateContact:
    return CandidateContact(
        id=f"cand-{uuid.uuid4().hex[:8]}", name=NAME, phone=VALID_PHONE, email=EMAIL
    )


async def test_erasure_ends_every_enrolment_and_keeps_only_the_candidate_id(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    async with candidate_factory(time_skipping_env) as start:
        candidate = await start(contact())
        [running] = (await candidate.enter_stage(multi_module(modules=1))).enrolments
        [waiting] = (
            await candidate.enter_stage(blast(), application="app-2", job="job-2")
        ).enrolments
        await candidate.wait_status(running.id, S.DELIVERED)
        first_run = (await candidate.handle.describe()).run_id

        result = await erase(candidate)

        assert result.erased
        assert {e.id: e.status for e in result.enrolments} == {
            running.id: S.CANCELLED,
            waiting.id: S.CANCELLED,
        }
        thread = await candidate.state()
        for summary in (running, waiting):
            enrolment = thread.enrolments[summary.id]
            assert enrolment.status is S.CANCELLED
            assert enrolment.status_reason == StatusReason.CANDIDATE_ERASED
        assert thread.candidate == CandidateContact(id=candidate.contact.id, name="")
        assert not holds_personal_data(thread)
        assert candidate.read_model.erased == [candidate.contact.id]
        assert candidate.read_model.candidates[candidate.contact.id].name == ""
        # The queued blast never went out; the running campaign sends no closing message.
        assert idempotency_key(waiting.id, 1) not in candidate.channel.sent
        # The run whose input and history hold the data is left behind at once.
        await candidate.wait_for(lambda t: not t.erasure_pending)
        for _ in range(100):
            if (await candidate.handle.describe()).run_id != first_run:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the workflow did not continue-as-new after the erasure")
        assert not holds_personal_data(await candidate.state())


async def test_events_from_before_the_erasure_never_bring_the_candidate_back(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    async with candidate_factory(time_skipping_env) as start:
        candidate = await start(contact())
        [first] = (await candidate.enter_stage(blast())).enrolments
        await candidate.wait_status(first.id, S.DELIVERED)
        erased_at = (await erase(candidate)).erased_at

        # An ATS's late redelivery, and an event from before the erasure that arrives late.
        repeat = candidate.ats_event(blast(), event_id="evt-1", occurred_at=erased_at)
        assert [e.id for e in (await candidate.send(repeat)).enrolments] == [first.id]
        late = candidate.ats_event(
            multi_module(),
            application="app-2",
            job="job-2",
            occurred_at=erased_at - timedelta(minutes=5),
        )
        assert (await candidate.send(late)).enrolments == []
        thread = await candidate.state()
        assert "app-2" not in thread.applications
        assert not holds_personal_data(thread)

        # The candidate applies again after the erasure: the ATS's new event enrols them.
        again = candidate.ats_event(
            blast("Welcome back"),
            application="app-3",
            job="job-3",
            occurred_at=erased_at + timedelta(seconds=1),
        )
        [back] = (await candidate.send(again)).enrolments
        thread = await candidate.wait_status(back.id, S.DELIVERED)
        assert thread.candidate.name == NAME
        assert thread.contact_erased_at is None


async def test_a_message_still_being_retried_is_called_off(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    async with candidate_factory(time_skipping_env) as start:
        candidate = await start(contact())
        candidate.channel.transient_failures_left = 10_000
        [enrolment] = (await candidate.enter_stage(multi_module())).enrolments
        await candidate.wait_for(lambda _: candidate.channel.attempts >= 2)

        result = await erase(candidate)

        assert [(e.id, e.status) for e in result.enrolments] == [(enrolment.id, S.CANCELLED)]
        assert result.erased
        attempts = candidate.channel.attempts
        thread = await candidate.state()
        assert thread.enrolments[enrolment.id].status_reason == StatusReason.CANDIDATE_ERASED
        assert thread.pending_sends == []
        await candidate.env.sleep(timedelta(minutes=30))
        assert candidate.channel.attempts == attempts, "the provider was called after erasure"
        assert candidate.channel.sent == {}


async def test_erasure_racing_late_ats_events_leaves_nothing_live_and_nothing_personal(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    async with candidate_factory(time_skipping_env) as start:
        for trial in range(6):
            candidate = await start(contact())
            [running] = (await candidate.enter_stage(multi_module(modules=1))).enrolments
            # Events that happened before the erasure (when the first enrolment was made).
            happened = (await candidate.state()).enrolments[running.id].created_at
            events = [
                candidate.ats_event(
                    blast(f"Late {n}"), application=f"app-{n}", job=f"job-{n}", occurred_at=happened
                )
                for n in range(2, 5)
            ]
            sends = [candidate.send(event) for event in events]
            racers = [*sends[: trial % 3], erase(candidate, f"erase-{trial}"), *sends[trial % 3 :]]
            await asyncio.gather(*racers)

            thread = await candidate.wait_for(lambda t: not t.erasure_pending)
            live = [
                e.id
                for e in thread.enrolments.values()
                if not e.is_finished or e.status in (S.SENDING, S.QUEUED)
            ]
            assert live == [], f"trial {trial}: {live} still live after the erasure"
            assert not holds_personal_data(thread), f"trial {trial}"
            assert candidate.read_model.candidates[candidate.contact.id].name == ""
