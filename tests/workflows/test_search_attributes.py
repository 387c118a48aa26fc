"""What operators find candidates by in the Temporal UI, and what publishing it costs in history.

The ATS bridge starts a candidate's workflow with its candidate, job and application ids; the
workflow publishes its statuses once its sends settle, a new job or application at once (with
the statuses as they were), and nothing a new run already started with.
"""

from __future__ import annotations

import uuid
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.common import TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment

from domain.candidates import CandidateContact
from domain.events import ApplicationRef
from domain.statuses import EnrolmentStatus as S
from tests.workflows.conftest import VALID_PHONE, CandidateUnderTest, blast, candidate_factory
from workflows.search_attributes import (
    APPLICATION_IDS,
    CANDIDATE_ID,
    ENROLMENT_STATUSES,
    JOB_IDS,
)

FIRST = ApplicationRef(id="app-1", job_id="job-1", stage_id="screen")


def new_contact() -> CandidateContact:
    return CandidateContact(id=f"cand-{uuid.uuid4().hex[:8]}", name="Ada", phone=VALID_PHONE)


async def upserts(handle: WorkflowHandle[Any, Any]) -> int:
    history = await handle.fetch_history()
    return sum(
        e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
        for e in history.events
    )


async def published(candidate: CandidateUnderTest) -> TypedSearchAttributes:
    return (await candidate.handle.describe()).typed_search_attributes


async def test_started_findable_a_blast_publishes_its_status_once_it_is_sent(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    async with candidate_factory(time_skipping_env) as start:
        candidate = await start(new_contact(), findable_by=FIRST)
        [enrolment] = (await candidate.enter_stage(blast())).enrolments
        await candidate.wait_status(enrolment.id, S.DELIVERED)

        attributes = await published(candidate)
        assert attributes.get(CANDIDATE_ID) == candidate.contact.id
        assert attributes.get(JOB_IDS) == ["job-1"]
        assert attributes.get(APPLICATION_IDS) == ["app-1"]
        assert attributes.get(ENROLMENT_STATUSES) == ["delivered"]
        assert await upserts(candidate.handle) == 1


async def test_a_new_application_is_published_before_its_message_is_sent(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    async with candidate_factory(time_skipping_env) as start:
        candidate = await start(new_contact(), findable_by=FIRST)
        [first] = (await candidate.enter_stage(blast())).enrolments
        await candidate.wait_status(first.id, S.DELIVERED)
        [second] = (
            await candidate.enter_stage(blast("B2"), application="app-2", job="job-2")
        ).enrolments
        await candidate.wait_status(second.id, S.DELIVERED)

        attributes = await published(candidate)
        assert attributes.get(JOB_IDS) == ["job-1", "job-2"]
        assert attributes.get(APPLICATION_IDS) == ["app-1", "app-2"]
        assert attributes.get(ENROLMENT_STATUSES) == ["delivered"]
        # The first blast's status; the second application at once (while ``sending``, with
        # the statuses as they were). Sent, its status is ``delivered`` again: no more.
        assert await upserts(candidate.handle) == 2


async def test_a_new_run_does_not_publish_again_what_it_started_with(
    dev_env: WorkflowEnvironment,
) -> None:
    async with candidate_factory(dev_env, event_budget=20) as start:
        candidate = await start(new_contact(), findable_by=FIRST)
        first_run = (await candidate.handle.describe()).run_id
        for n in range(2):
            [enrolment] = (
                await candidate.enter_stage(blast(f"B{n}"), application=f"app-{n + 1}")
            ).enrolments
            await candidate.wait_status(enrolment.id, S.DELIVERED)
        await candidate.wait_for(lambda t: True)
        latest = await candidate.handle.describe()

        assert latest.run_id != first_run, "20 events should have led to continue-as-new"
        assert latest.typed_search_attributes.get(APPLICATION_IDS) == ["app-1", "app-2"]
        assert latest.typed_search_attributes.get(ENROLMENT_STATUSES) == ["delivered"]
        assert await upserts(candidate.handle) == 0
