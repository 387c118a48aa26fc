"""A candidate who lives for months: 200 campaigns, one after another, each completed, their
events a day apart. Every run's history stays under Temporal's suggestion to continue-as-new
(10,240 events) and under the workflow's own budget, and the state stays bounded: finished
enrolments beyond ``FINISHED_ENROLMENTS_KEPT`` live on in the read model only."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import TypeVar

from temporalio.testing import WorkflowEnvironment

from domain.candidates import CandidateContact
from domain.statuses import EnrolmentStatus as S
from domain.thread import FINISHED_ENROLMENTS_KEPT
from tests.workflows.conftest import (
    VALID_PHONE,
    CandidateUnderTest,
    candidate_factory,
    multi_module,
)
from tests.workflows.test_lifecycle import progress
from workflows.inputs import DEFAULT_EVENT_BUDGET

T = TypeVar("T")

CAMPAIGNS = 200
#: Temporal's default ``limit.historyCount.suggestContinueAsNew``.
SUGGESTED = 10_240


async def settled_run(candidate: CandidateUnderTest) -> str:
    """The current run, once it has stayed the same for a moment (a continue-as-new is not
    under way: the test server stops skipping time across one)."""
    while True:
        first = (await candidate.handle.describe()).run_id
        await asyncio.sleep(0.05)
        if (await candidate.handle.describe()).run_id == first and first is not None:
            return first


async def far_from_a_new_run(candidate: CandidateUnderTest) -> bool:
    """Whether the current run is far from its budget, so it cannot continue-as-new while the
    test sleeps (the test server stops skipping time across a continue-as-new)."""
    run = await settled_run(candidate)
    history = await candidate.env.client.get_workflow_handle(
        candidate.handle.id, run_id=run
    ).fetch_history()
    return len(history.events) < DEFAULT_EVENT_BUDGET - 200


async def test_two_hundred_campaigns_over_months_keep_each_run_and_the_state_bounded(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    env = time_skipping_env
    contact = CandidateContact(id=f"cand-{uuid.uuid4().hex[:8]}", name="Lee", phone=VALID_PHONE)
    async with candidate_factory(env) as start:
        candidate = await start(contact)
        await settled_run(candidate)
        campaign = multi_module(modules=1)
        #: Each run's history length, as last seen.
        lengths: dict[str, int] = {}
        began = await env.get_current_time()
        for n in range(CAMPAIGNS):
            now = max(await env.get_current_time(), began + timedelta(days=n))
            event = candidate.ats_event(
                campaign, application=f"app-{n}", job=f"job-{n % 7}", occurred_at=now
            )
            [enrolment] = (await candidate.send(event)).enrolments
            await candidate.wait_status(enrolment.id, S.DELIVERED)
            # As the API sends it: an update (a signal sent as the run continues-as-new is lost
            # by the time-skipping server, not by Temporal), sent again if it hangs there.
            await candidate.progress(progress(enrolment.id, "m1", "completed", f"p{n}"))
            await candidate.wait_status(enrolment.id, S.COMPLETED)
            described = await candidate.handle.describe()
            info = described.raw_description.workflow_execution_info
            lengths[described.run_id or ""] = info.history_length
            if n % 10 == 9 and n < 60 and await far_from_a_new_run(candidate):
                # Days pass in the first run only: the test server stops skipping time once
                # a workflow has continued-as-new; later events are dated a day apart instead.
                await asyncio.wait_for(env.sleep(timedelta(days=1)), 20)

        thread = await candidate.state()

    assert len(candidate.channel.sent) == CAMPAIGNS, "every campaign went out, once"
    assert len(lengths) >= 2, f"one run held them all: {lengths}"
    assert max(lengths.values()) <= min(SUGGESTED, DEFAULT_EVENT_BUDGET + 100), lengths
    assert len(thread.enrolments) <= FINISHED_ENROLMENTS_KEPT
    assert len(thread.model_dump_json()) < 512 * 1024, "the state a run carries stays small"
