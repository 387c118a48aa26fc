"""ATS events arrive late, twice and out of order: the workflow, which sees them one at a time,
decides what each one changes (time-skipping test server)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from temporalio.testing import WorkflowEnvironment

from domain.application_events import RULES
from domain.candidates import CandidateContact
from domain.enrolments import StatusReason
from domain.events import ApplicationRef, ApplicationWithdrawn
from domain.statuses import EnrolmentStatus as S
from tests.workflows.conftest import (
    VALID_PHONE,
    CandidateUnderTest,
    blast,
    candidate_factory,
    multi_module,
)
from tests.workflows.test_continue_as_new import wait_for_new_run

EARLIER = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
LATER = EARLIER + timedelta(hours=1)


def withdrawal(event_id: str, at: datetime, application: str = "app-1") -> ApplicationWithdrawn:
    return ApplicationWithdrawn(
        event_id=event_id,
        application_id=application,
        occurred_at=at,
        application=ApplicationRef(id=application, job_id="job-1", stage_id="screen"),
    )


async def test_an_older_stage_change_arriving_late_leaves_the_application_where_it_is(
    candidate: CandidateUnderTest,
) -> None:
    older = candidate.ats_event(multi_module("Screening"), stage="screen", occurred_at=EARLIER)
    newer = candidate.ats_event(multi_module("Interview"), stage="interview", occurred_at=LATER)

    [interview] = (await candidate.send(newer)).enrolments
    assert (await candidate.send(older)).enrolments == []

    thread = await candidate.wait_status(interview.id, S.DELIVERED)
    assert list(thread.enrolments) == [interview.id]
    shown = candidate.read_model.applications["app-1"]
    assert (shown.stage_id, shown.current_enrolment_id) == ("interview", interview.id)
    assert shown.status is S.DELIVERED


async def test_a_withdrawal_overtaking_the_creation_leaves_nothing_to_send(
    candidate: CandidateUnderTest,
) -> None:
    created = candidate.ats_event(blast(), occurred_at=EARLIER)

    assert (await candidate.withdraw(withdrawal("wd-1", LATER))).enrolments == []
    assert "app-1" not in candidate.read_model.applications, "never heard of: shown nowhere"
    assert (await candidate.send(created)).enrolments == []

    thread = await candidate.state()
    assert thread.enrolments == {}
    assert candidate.channel.sent == {}
    shown = candidate.read_model.applications["app-1"]
    assert shown.withdrawn and shown.current_enrolment_id is None


async def test_a_withdrawal_answers_once_its_cancellation_is_in_the_read_model(
    candidate: CandidateUnderTest,
) -> None:
    [screening] = (await candidate.enter_stage(multi_module())).enrolments
    await candidate.wait_status(screening.id, S.DELIVERED)

    [ended] = (await candidate.withdraw(withdrawal("wd-1", datetime.now(UTC)))).enrolments

    assert (ended.id, ended.status) == (screening.id, S.CANCELLED)
    assert candidate.read_model.rows[screening.id].status is S.CANCELLED
    assert candidate.read_model.applications["app-1"].withdrawn


async def test_moving_on_ends_the_old_stages_campaign_so_the_new_one_goes_out(
    candidate: CandidateUnderTest,
) -> None:
    [screening] = (await candidate.enter_stage(multi_module("Screening"))).enrolments
    await candidate.wait_status(screening.id, S.DELIVERED)

    [rejection] = (await candidate.enter_stage(blast(), stage="rejected")).enrolments

    await candidate.wait_status(rejection.id, S.DELIVERED)
    thread = await candidate.wait_status(screening.id, S.CANCELLED)
    assert thread.enrolments[screening.id].status_reason == StatusReason.LEFT_STAGE
    assert candidate.read_model.applications["app-1"].stage_id == "rejected"


async def test_an_event_into_the_current_stage_enrols_nothing_new(
    candidate: CandidateUnderTest,
) -> None:
    [screening] = (await candidate.enter_stage(multi_module())).enrolments

    assert (await candidate.enter_stage(multi_module())).enrolments == []

    thread = await candidate.wait_status(screening.id, S.DELIVERED)
    assert list(thread.enrolments) == [screening.id]
    assert len(candidate.channel.sent) == 1


async def test_a_workflow_from_before_ordering_moves_onto_the_current_rules_at_a_new_run(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    async with candidate_factory(time_skipping_env, event_budget=30) as start:
        contact = CandidateContact(id=f"cand-{uuid.uuid4().hex[:8]}", name="Old", phone=VALID_PHONE)
        candidate = await start(contact, rules=1)
        first_run = (await candidate.handle.describe()).run_id
        [first] = (await candidate.enter_stage(blast("B1"), application="a1")).enrolments
        await candidate.wait_status(first.id, S.DELIVERED)
        assert (await candidate.state()).rules == 1
        for n in range(2, 6):
            [more] = (await candidate.enter_stage(blast(f"B{n}"), application=f"a{n}")).enrolments
            await candidate.wait_status(more.id, S.DELIVERED)

        await wait_for_new_run(candidate, first_run)

        thread = await candidate.state()
        assert thread.rules == RULES
        assert set(thread.applications) == {f"a{n}" for n in range(1, 6)}
        assert thread.applications["a1"].current_enrolment_id == first.id
