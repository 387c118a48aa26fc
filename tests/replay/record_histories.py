"""Record the histories the replay test guards: ``python -m tests.replay.record_histories``.

Run it again only when a change to ``CandidateWorkflow`` is meant to be incompatible with
running workflows (and then version the change instead, if any are still running). Name
stories to record only those (``python -m tests.replay.record_histories NAME...``): a new
story gets its history while the older ones keep guarding the older code's histories.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from domain.campaigns import CampaignMode, Nudges, WhatsAppTemplate
from domain.candidates import CandidateContact
from domain.events import (
    ApplicationRef,
    ApplicationWithdrawn,
    CandidateReply,
    InterviewerAvailability,
)
from domain.statuses import EnrolmentStatus as S
from domain.timing import QuietHours
from tests.fixtures.temporal import installed_binary, register_search_attributes
from tests.workflows.conftest import (
    VALID_PHONE,
    CandidateUnderTest,
    blast,
    candidate_factory,
    multi_module,
)
from tests.workflows.test_answers import completed, questions
from tests.workflows.test_lifecycle import progress

HISTORIES = Path(__file__).parent / "histories"

Story = Callable[[CandidateUnderTest], Awaitable[None]]


async def blast_delivered(c: CandidateUnderTest) -> None:
    [e] = (await c.enter_stage(blast())).enrolments
    await c.wait_status(e.id, S.DELIVERED)


async def campaign_completed_then_queued_blast(c: CandidateUnderTest) -> None:
    [e] = (await c.enter_stage(multi_module(modules=2, closing=True))).enrolments
    [b] = (await c.enter_stage(blast(), application="app-2", job="job-2")).enrolments
    await c.wait_status(e.id, S.DELIVERED)
    await c.signal("module_progress", progress(e.id, "m1", "started", f"{c.contact.id}-p1"))
    await c.signal("module_progress", progress(e.id, "m1", "completed", f"{c.contact.id}-p2"))
    await c.signal("module_progress", progress(e.id, "m2", "completed", f"{c.contact.id}-p3"))
    await c.wait_status(b.id, S.DELIVERED)


async def campaign_expired(c: CandidateUnderTest) -> None:
    [e] = (await c.enter_stage(multi_module(expiry=timedelta(hours=1)))).enrolments
    await c.wait_status(e.id, S.DELIVERED)
    await c.env.sleep(timedelta(hours=2))
    await c.wait_status(e.id, S.EXPIRED)


async def auto_match_then_withdrawal(c: CandidateUnderTest) -> None:
    [e] = (await c.enter_stage(multi_module("Book"), stage="interview", auto_match=True)).enrolments
    [q] = (await c.enter_stage(blast(), application="app-2", job="job-2")).enrolments
    await c.signal(
        "interviewer_availability",
        InterviewerAvailability(
            event_id=f"{c.contact.id}-a1", job_id="job-1", stage_id="interview", interviewer_id="i"
        ),
    )
    await c.wait_status(e.id, S.DELIVERED)
    await c.signal(
        "withdraw_application",
        ApplicationWithdrawn(event_id=f"{c.contact.id}-w1", application_id="app-1"),
    )
    await c.wait_status(q.id, S.DELIVERED)


async def stage_changes_out_of_order(c: CandidateUnderTest) -> None:
    now = datetime.now(UTC)
    older = c.ats_event(multi_module("Screening"), stage="screen", occurred_at=now)
    newer = c.ats_event(blast(), stage="rejected", occurred_at=now + timedelta(minutes=1))
    [rejection] = (await c.send(newer)).enrolments
    await c.send(older)
    await c.wait_status(rejection.id, S.DELIVERED)


async def withdrawal_before_creation(c: CandidateUnderTest) -> None:
    now = datetime.now(UTC)
    withdrawn = ApplicationWithdrawn(
        event_id=f"{c.contact.id}-w1",
        application_id="app-1",
        occurred_at=now + timedelta(minutes=1),
        application=FIRST_APPLICATION,
    )
    await c.withdraw(withdrawn)
    await c.send(c.ats_event(blast(), occurred_at=now))
    [other] = (await c.enter_stage(blast(), application="app-2", job="job-2")).enrolments
    await c.wait_status(other.id, S.DELIVERED)


async def moving_on_ends_the_running_campaign(c: CandidateUnderTest) -> None:
    [screening] = (await c.enter_stage(multi_module("Screening"))).enrolments
    await c.wait_status(screening.id, S.DELIVERED)
    [rejection] = (await c.enter_stage(blast(), stage="rejected")).enrolments
    await c.wait_status(rejection.id, S.DELIVERED)
    await c.wait_status(screening.id, S.CANCELLED)


async def whatsapp_template_then_closing(c: CandidateUnderTest) -> None:
    campaign = multi_module("Screening", modules=1, closing=True).model_copy(
        update={
            "messages": ["Hi {first_name}!", "Thanks {first_name}, see you at {job_name}."],
            "whatsapp_template": WhatsAppTemplate(
                content_sid="HX" + "c" * 32, variables={"1": "{first_name}"}
            ),
        }
    )
    [e] = (await c.enter_stage(campaign)).enrolments
    await c.wait_status(e.id, S.DELIVERED)
    await c.signal("module_progress", progress(e.id, "m1", "completed", f"{c.contact.id}-p1"))
    await c.wait_status(e.id, S.COMPLETED)
    await c.wait_for(lambda t: not t.pending_sends)


async def _skip_to_the_next(hour: int, c: CandidateUnderTest) -> None:
    """Move the server's clock to the next ``hour``:00 UTC."""
    now = await c.env.get_current_time()
    target = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    await c.env.sleep(target - now)


NIGHTS = QuietHours.parse("21:00-08:00")


async def quiet_hours_hold_the_welcome(c: CandidateUnderTest) -> None:
    await _skip_to_the_next(6, c)  # 22:00 in California, the zone of the candidate's number
    [e] = (await c.enter_stage(blast(), quiet_hours=NIGHTS)).enrolments
    await c.wait_for(lambda t: bool(t.pending_sends and t.pending_sends[0].not_before))
    await c.env.sleep(timedelta(hours=10))
    await c.wait_status(e.id, S.DELIVERED)


async def nudges_until_completed(c: CandidateUnderTest) -> None:
    await _skip_to_the_next(18, c)  # 10:00 in California: every nudge falls in the day
    campaign = multi_module("Screening", modules=1, closing=True).model_copy(
        update={
            "nudges": Nudges(
                after=[timedelta(hours=h) for h in (2, 24, 48, 96)],
                message="Still there, {first_name}?",
            )
        }
    )
    [e] = (await c.enter_stage(campaign, quiet_hours=NIGHTS)).enrolments
    await c.wait_status(e.id, S.DELIVERED)
    await c.env.sleep(timedelta(hours=25))
    await c.wait_for(lambda t: t.enrolments[e.id].nudges_done == 2 and not t.pending_sends)
    await c.signal("module_progress", progress(e.id, "m1", "completed", f"{c.contact.id}-p1"))
    await c.wait_status(e.id, S.COMPLETED)
    await c.wait_for(lambda t: not t.pending_sends)


async def invalid_phone_failed(c: CandidateUnderTest) -> None:
    [e] = (await c.enter_stage(blast())).enrolments
    await c.wait_status(e.id, S.FAILED)


async def withdrawals_settle_then_the_queue_moves(c: CandidateUnderTest) -> None:
    [e] = (await c.enter_stage(multi_module())).enrolments
    [b] = (await c.enter_stage(blast(), application="app-2", job="job-2")).enrolments
    await c.wait_status(e.id, S.DELIVERED)
    await c.withdraw(
        ApplicationWithdrawn(
            event_id=f"{c.contact.id}-w1",
            application_id="app-1",
            occurred_at=datetime.now(UTC),
            settle=timedelta(seconds=5),
        )
    )
    await c.wait_status(b.id, S.DELIVERED)


async def answers_on_the_page(c: CandidateUnderTest) -> None:
    [e] = (await c.enter_stage(questions())).enrolments
    await c.wait_status(e.id, S.DELIVERED)
    await c.progress(completed(e.id, {"work": "yes", "years": 3}))
    await c.wait_status(e.id, S.COMPLETED)


async def conversation_knocked_out(c: CandidateUnderTest) -> None:
    [e] = (await c.enter_stage(questions(mode=CampaignMode.CONVERSATIONAL))).enrolments
    await c.wait_status(e.id, S.IN_PROGRESS)
    await c.reply(CandidateReply(event_id=f"{c.contact.id}-r1", text="maybe"))
    await c.reply(CandidateReply(event_id=f"{c.contact.id}-r2", text="No."))
    await c.wait_status(e.id, S.COMPLETED)


async def second_blast_started_findable(c: CandidateUnderTest) -> None:
    await blast_delivered(c)
    [e] = (await c.enter_stage(blast("B2"), application="app-2", job="job-2")).enrolments
    await c.wait_status(e.id, S.DELIVERED)


STORIES: dict[str, tuple[Story, str | None]] = {
    "blast_delivered": (blast_delivered, VALID_PHONE),
    "campaign_completed_then_queued_blast": (campaign_completed_then_queued_blast, VALID_PHONE),
    "campaign_expired": (campaign_expired, VALID_PHONE),
    "auto_match_then_withdrawal": (auto_match_then_withdrawal, VALID_PHONE),
    "invalid_phone_failed": (invalid_phone_failed, "12345"),
    # Started by the ATS bridge with its first application's search attributes.
    "blast_delivered_started_findable": (blast_delivered, VALID_PHONE),
    "campaign_completed_then_queued_blast_started_findable": (
        campaign_completed_then_queued_blast,
        VALID_PHONE,
    ),
    # Rules 2: ATS events ordered per application, withdrawal as an update.
    "stage_changes_out_of_order": (stage_changes_out_of_order, VALID_PHONE),
    "withdrawal_before_creation": (withdrawal_before_creation, VALID_PHONE),
    "moving_on_ends_the_running_campaign": (moving_on_ends_the_running_campaign, VALID_PHONE),
    # Issue 9: personalised texts, a WhatsApp template, a delivery queue per channel.
    "whatsapp_template_then_closing": (whatsapp_template_then_closing, VALID_PHONE),
    # Issue 10: quiet hours hold a message until the morning; nudges until completion.
    "quiet_hours_hold_the_welcome": (quiet_hours_hold_the_welcome, VALID_PHONE),
    "nudges_until_completed": (nudges_until_completed, VALID_PHONE),
    # Rules 3 (issue 21): an undeliverable campaign fails at once; withdrawals settle.
    "undeliverable_fails_at_once": (invalid_phone_failed, "12345"),
    "withdrawals_settle_then_the_queue_moves": (
        withdrawals_settle_then_the_queue_moves,
        VALID_PHONE,
    ),
    # Issue 22: answers on the candidate's page; a conversation asking again, then knocked out.
    "answers_on_the_page": (answers_on_the_page, VALID_PHONE),
    "conversation_knocked_out": (conversation_knocked_out, VALID_PHONE),
    # Issue 25: a running candidate's next campaign published with the settled statuses.
    "second_blast_started_findable": (second_blast_started_findable, VALID_PHONE),
}
#: The application ``CandidateUnderTest.enter_stage`` enrols first, by default.
FIRST_APPLICATION = ApplicationRef(id="app-1", job_id="job-1", stage_id="screen")


async def record(names: list[str]) -> None:
    HISTORIES.mkdir(parents=True, exist_ok=True)
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=installed_binary("temporal-test-server"),
    )
    try:
        await register_search_attributes(env)
        for name in names:
            story, phone = STORIES[name]
            async with candidate_factory(env) as start:
                candidate_id = f"rec-{uuid.uuid4().hex[:8]}"
                contact = CandidateContact(id=candidate_id, name="Rec", phone=phone)
                findable = FIRST_APPLICATION if name.endswith("_started_findable") else None
                candidate: CandidateUnderTest = await start(contact, findable_by=findable)
                await story(candidate)
                history: WorkflowHistory = await candidate.handle.fetch_history()
                (HISTORIES / f"{name}.json").write_text(history.to_json())
                print(f"recorded {name}: {len(history.events)} events")
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(record(sys.argv[1:] or list(STORIES)))
