"""A candidate can live for years: history stays bounded, state survives continue-as-new."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from domain.candidates import CandidateContact
from domain.events import EnrolmentSummary
from domain.statuses import EnrolmentStatus as S
from tests.workflows.conftest import (
    VALID_PHONE,
    CandidateUnderTest,
    blast,
    candidate_factory,
    multi_module,
)
from tests.workflows.test_lifecycle import progress


async def wait_for_new_run(candidate: CandidateUnderTest, first_run: str | None) -> None:
    """Until a new run answers queries. The time-skipping server does not switch runs
    atomically (temporalio/sdk-java#1537): a query sent as the new run appears can hang to its
    deadline, so this asks with a short one until the new run answers."""
    for _ in range(200):
        if (await candidate.handle.describe()).run_id != first_run:
            try:
                await candidate.handle.query("state", rpc_timeout=timedelta(seconds=2))
                return
            except RPCError as err:
                if err.status is not RPCStatusCode.DEADLINE_EXCEEDED:
                    raise
        await asyncio.sleep(0.05)
    raise AssertionError("expected at least one continue-as-new")


async def campaign_with_five_queued_blasts(
    start: Callable[[CandidateContact], Awaitable[CandidateUnderTest]],
) -> tuple[CandidateUnderTest, str | None, EnrolmentSummary, list[EnrolmentSummary]]:
    """A 3-module campaign delivered and holding the thread, five blasts queued behind it."""
    contact = CandidateContact(id=f"cand-{uuid.uuid4().hex[:8]}", name="Ed", phone=VALID_PHONE)
    candidate = await start(contact)
    first_run = (await candidate.handle.describe()).run_id
    [running] = (await candidate.enter_stage(multi_module(modules=3))).enrolments
    queued = [
        (await candidate.enter_stage(blast(f"B{i}"), application=f"a{i}", job=f"j{i}")).enrolments[
            0
        ]
        for i in range(5)
    ]
    await candidate.wait_status(running.id, S.DELIVERED)
    return candidate, first_run, running, queued


async def test_continue_as_new_keeps_the_queue_and_the_running_campaign(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    async with candidate_factory(time_skipping_env, event_budget=40) as start:
        candidate, first_run, running, queued = await campaign_with_five_queued_blasts(start)
        for n, module in enumerate(["m1", "m2"]):
            await candidate.signal(
                "module_progress", progress(running.id, module, "completed", f"p{n}")
            )
        await candidate.wait_for(lambda t: len(t.enrolments[running.id].modules) == 2)

        # The budget is spent, so the workflow continues-as-new at its next quiet point.
        # (Signals sent while that happens are lost by the time-skipping test server, not by
        # Temporal: the same story passes on the dev server. So wait for the new run first.)
        await wait_for_new_run(candidate, first_run)
        thread = await candidate.state()
        assert thread.holder == running.id
        assert thread.queue == [e.id for e in queued]
        assert thread.enrolments[running.id].status is S.IN_PROGRESS
        assert {"progress:p0", "progress:p1"} <= set(thread.seen_event_ids)


async def test_long_lived_candidate_continues_as_new_repeatedly_without_losing_anything(
    dev_env: WorkflowEnvironment,
) -> None:
    """The whole story across several runs, on the dev server."""
    async with candidate_factory(dev_env, event_budget=40) as start:
        candidate, first_run, running, queued = await campaign_with_five_queued_blasts(start)
        for n, module in enumerate(["m1", "m2", "m3", "m1"]):
            await candidate.signal(
                "module_progress", progress(running.id, module, "completed", f"p{n % 3}")
            )
        await candidate.wait_status(running.id, S.COMPLETED)
        for enrolment in queued:
            await candidate.wait_status(enrolment.id, S.DELIVERED)

        await wait_for_new_run(candidate, first_run)
        assert len(candidate.channel.sent) == 6
        assert candidate.read_model.statuses(running.id) == [
            S.SENDING,
            S.DELIVERED,
            S.IN_PROGRESS,
            S.COMPLETED,
        ]
