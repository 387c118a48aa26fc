"""Time is the candidate's: quiet hours in their zone, and nudges (time-skipping test server).

Each test first skips the server's clock to a chosen instant of 2027, then plays its story;
waits (quiet hours, nudge offsets, expiries) pass in milliseconds.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.campaigns import Campaign, Nudges
from domain.candidates import CandidateContact
from domain.enrolments import StatusReason
from domain.events import ApplicationWithdrawn
from domain.statuses import EnrolmentStatus as S
from domain.timing import QuietHours
from tests.workflows.conftest import (
    VALID_PHONE,
    CandidateUnderTest,
    blast,
    candidate_factory,
    multi_module,
)
from tests.workflows.test_continue_as_new import wait_for_new_run
from tests.workflows.test_lifecycle import progress

NIGHTS = QuietHours.parse("21:00-08:00", default_zone="Europe/Paris")
assert NIGHTS is not None


async def skip_to(env: WorkflowEnvironment, moment: datetime) -> None:
    """Move the test server's clock to ``moment`` (in its future)."""
    now = await env.get_current_time()
    assert moment > now, f"{moment} is not after the server's clock ({now})"
    await env.sleep(moment - now)


def contact(timezone: str | None = "UTC", phone: str = VALID_PHONE) -> CandidateContact:
    return CandidateContact(
        id=f"cand-{uuid.uuid4().hex[:8]}", name="Ada", phone=phone, timezone=timezone
    )


async def timeline(candidate: CandidateUnderTest, enrolment_id: str) -> list[str]:
    entries = candidate.read_model.timeline.get(enrolment_id, {})
    return [entries[seq].detail for seq in sorted(entries)]


def reminded(name: str = "Screening", **after: int) -> Campaign:
    """A one-module campaign with nudges ``after`` hours (``h2=2, h24=24...``)."""
    hours = sorted(after.values())
    return multi_module(name, modules=1).model_copy(
        update={
            "nudges": Nudges(
                after=[timedelta(hours=h) for h in hours], message="Still there, {first_name}?"
            )
        }
    )


async def test_a_message_due_at_night_waits_for_eight_in_the_candidates_morning(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    sydney = ZoneInfo("Australia/Sydney")
    await skip_to(time_skipping_env, datetime(2027, 6, 2, 2, 0, tzinfo=sydney))
    async with candidate_factory(time_skipping_env) as start:
        candidate = await start(contact("Australia/Sydney"))
        [e] = (await candidate.enter_stage(blast(), quiet_hours=NIGHTS)).enrolments

        thread = await candidate.wait_for(lambda t: bool(t.pending_sends))
        assert thread.enrolments[e.id].status is S.SENDING
        assert candidate.channel.sent == {}
        held = thread.pending_sends[0].not_before
        assert held == datetime(2027, 6, 2, 8, 0, tzinfo=sydney)
        await candidate.wait_projected(e.id, S.SENDING)
        assert "the message waits for the send window until 08:00 Australia/Sydney" in (
            await timeline(candidate, e.id)
        )
        assert candidate.read_model.rows[e.id].next_send_at == held

        await time_skipping_env.sleep(timedelta(hours=7))
        delivered = await candidate.wait_status(e.id, S.DELIVERED)
        assert held is not None
        sent_at = delivered.enrolments[e.id].delivered_at
        assert sent_at is not None and held <= sent_at < held + timedelta(minutes=1)
        assert len(candidate.channel.sent) == 1


async def test_quiet_hours_follow_the_clocks_on_a_daylight_saving_day(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    # New York springs forward on 2027-03-14 at 02:00: 08:00 that morning is 12:00 UTC, not 13.
    await skip_to(time_skipping_env, datetime(2027, 3, 14, 5, 30, tzinfo=UTC))
    async with candidate_factory(time_skipping_env) as start:
        candidate = await start(contact("America/New_York"))
        await candidate.enter_stage(blast(), quiet_hours=NIGHTS)

        thread = await candidate.wait_for(lambda t: bool(t.pending_sends))

        assert thread.pending_sends[0].not_before == datetime(2027, 3, 14, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("phone", "morning"),
    [
        # A 415 number is in Los Angeles: 05:00 UTC is 22:00 there; 08:00 is 15:00 UTC.
        ("+14155550123", datetime(2027, 6, 1, 15, 0, tzinfo=UTC)),
        # A UK mobile has several zones, none its own: the default zone (Paris, 07:00) decides.
        ("+447911123456", datetime(2027, 6, 1, 6, 0, tzinfo=UTC)),
    ],
)
async def test_without_a_zone_the_phone_number_then_the_default_zone_decides(
    time_skipping_env: WorkflowEnvironment, phone: str, morning: datetime
) -> None:
    await skip_to(time_skipping_env, datetime(2027, 6, 1, 5, 0, tzinfo=UTC))
    async with candidate_factory(time_skipping_env) as start:
        candidate = await start(contact(None, phone=phone))
        await candidate.enter_stage(blast(), quiet_hours=NIGHTS)

        thread = await candidate.wait_for(lambda t: bool(t.pending_sends))

        assert thread.pending_sends[0].not_before == morning


async def test_a_campaign_without_quiet_hours_sends_at_any_hour(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    await skip_to(time_skipping_env, datetime(2027, 6, 1, 2, 0, tzinfo=UTC))
    async with candidate_factory(time_skipping_env) as start:
        candidate = await start(contact("UTC"))
        anytime = blast().model_copy(update={"quiet_hours": False})
        [e] = (await candidate.enter_stage(anytime, quiet_hours=NIGHTS)).enrolments

        await candidate.wait_status(e.id, S.DELIVERED)


async def test_a_withdrawal_while_the_message_waits_cancels_it_before_it_is_sent(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    await skip_to(time_skipping_env, datetime(2027, 6, 1, 23, 0, tzinfo=UTC))
    async with candidate_factory(time_skipping_env) as start:
        candidate = await start(contact("UTC"))
        [e] = (await candidate.enter_stage(blast(), quiet_hours=NIGHTS)).enrolments
        await candidate.wait_for(lambda t: bool(t.pending_sends))

        [ended] = (
            await candidate.withdraw(
                ApplicationWithdrawn(
                    event_id="wd-1", application_id="app-1", occurred_at=datetime.now(UTC)
                )
            )
        ).enrolments

        assert (ended.status, ended.id) == (S.CANCELLED, e.id)
        await time_skipping_env.sleep(timedelta(hours=12))
        thread = await candidate.state()
        assert thread.pending_sends == [] and candidate.channel.sent == {}
        assert thread.enrolments[e.id].status_reason == StatusReason.APPLICATION_WITHDRAWN


async def test_nudges_go_out_at_each_offset_until_the_candidate_completes(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    await skip_to(time_skipping_env, datetime(2027, 6, 1, 10, 0, tzinfo=UTC))
    async with candidate_factory(time_skipping_env) as start:
        candidate = await start(contact("UTC"))
        campaign = reminded(a=2, b=24, c=48, d=96)
        [e] = (await candidate.enter_stage(campaign, quiet_hours=NIGHTS)).enrolments
        await candidate.wait_status(e.id, S.DELIVERED)

        await time_skipping_env.sleep(timedelta(hours=2, minutes=1))
        await candidate.wait_for(lambda t: t.enrolments[e.id].nudges_done == 1)
        await time_skipping_env.sleep(timedelta(hours=22))
        await candidate.wait_for(lambda t: t.enrolments[e.id].nudges_done == 2)
        await candidate.wait_for(lambda t: not t.pending_sends)
        await candidate.signal("module_progress", progress(e.id, "m1", "completed", "p1"))
        await candidate.wait_status(e.id, S.COMPLETED)
        await time_skipping_env.sleep(timedelta(days=5))

        sent = sorted(candidate.channel.sent.values(), key=lambda m: m.message_number)
        assert [m.message_number for m in sent] == [1, 2, 3]
        assert [m.body for m in sent[1:]] == ["Still there, Ada?"] * 2
        assert len({m.idempotency_key for m in sent}) == 3
        notes = await timeline(candidate, e.id)
        assert [n for n in notes if n.startswith("nudge")] == [
            "nudge 1 of 4 sent",
            "nudge 2 of 4 sent",
        ]
        assert candidate.read_model.statuses(e.id) == [
            S.SENDING,
            S.DELIVERED,
            S.IN_PROGRESS,
            S.COMPLETED,
        ]


async def test_no_nudge_after_the_enrolment_expired(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    await skip_to(time_skipping_env, datetime(2027, 6, 1, 10, 0, tzinfo=UTC))
    async with candidate_factory(time_skipping_env) as start:
        candidate = await start(contact("UTC"))
        campaign = reminded(a=2, b=24, c=48).model_copy(update={"expiry": timedelta(hours=30)})
        [e] = (await candidate.enter_stage(campaign, quiet_hours=NIGHTS)).enrolments
        await candidate.wait_status(e.id, S.DELIVERED)

        await time_skipping_env.sleep(timedelta(days=3))
        await candidate.wait_status(e.id, S.EXPIRED)

        numbers = sorted(m.message_number for m in candidate.channel.sent.values())
        assert numbers == [1, 2, 3], "nudges at 2 h and 24 h; none at 48 h, after the expiry"


async def test_a_nudge_quiet_hours_would_push_past_the_expiry_is_dropped(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    # Delivered at 19:00; the nudge falls due at 22:00 (quiet until 08:00), but the enrolment
    # expires at 05:00: the nudge is dropped, not sent after the end.
    await skip_to(time_skipping_env, datetime(2027, 6, 1, 19, 0, tzinfo=UTC))
    async with candidate_factory(time_skipping_env) as start:
        candidate = await start(contact("UTC"))
        campaign = reminded(a=3).model_copy(update={"expiry": timedelta(hours=10)})
        [e] = (await candidate.enter_stage(campaign, quiet_hours=NIGHTS)).enrolments
        await candidate.wait_status(e.id, S.DELIVERED)

        await time_skipping_env.sleep(timedelta(hours=12))
        await candidate.wait_status(e.id, S.EXPIRED)

        assert [m.message_number for m in candidate.channel.sent.values()] == [1]
        assert "nudge 1 of 1 dropped: quiet hours would hold it past the expiry" in (
            await timeline(candidate, e.id)
        )


async def test_a_held_message_keeps_its_time_across_continue_as_new(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    await skip_to(time_skipping_env, datetime(2027, 6, 1, 22, 0, tzinfo=UTC))
    async with candidate_factory(time_skipping_env, event_budget=20) as start:
        candidate = await start(contact("UTC"))
        first_run = (await candidate.handle.describe()).run_id
        [held] = (await candidate.enter_stage(blast(), quiet_hours=NIGHTS)).enrolments
        # Enough events to spend the history budget while the message waits.
        for n in range(4):
            await candidate.enter_stage(None, application=f"a{n}", stage="applied")
        await wait_for_new_run(candidate, first_run)
        thread = await candidate.state()
        assert thread.pending_sends[0].not_before == datetime(2027, 6, 2, 8, 0, tzinfo=UTC)

        await time_skipping_env.sleep(timedelta(hours=11))

        delivered = await candidate.wait_status(held.id, S.DELIVERED)
        sent_at = delivered.enrolments[held.id].delivered_at
        morning = datetime(2027, 6, 2, 8, 0, tzinfo=UTC)
        assert sent_at is not None and morning <= sent_at < morning + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("person", "opted_out", "reason"),
    [
        (dict(phone=None, email="ada@example.com"), False, StatusReason.MISSING_PHONE_NUMBER),
        (dict(phone="0412 345 678"), False, StatusReason.INVALID_PHONE_NUMBER),
        (dict(phone=VALID_PHONE), True, StatusReason.OPTED_OUT),
    ],
    ids=["email-only", "national-without-region", "opted-out"],
)
async def test_a_campaign_that_cannot_be_delivered_fails_at_once_even_at_night(
    time_skipping_env: WorkflowEnvironment,
    person: dict[str, str | None],
    opted_out: bool,
    reason: StatusReason,
) -> None:
    """An SMS campaign for a candidate with no usable number fails when it is enrolled, not
    the next morning when quiet hours end; the campaign queued behind it goes on."""
    await skip_to(time_skipping_env, datetime(2027, 6, 1, 22, 0, tzinfo=UTC))
    async with candidate_factory(time_skipping_env) as start:
        who = CandidateContact(
            id=f"cand-{uuid.uuid4().hex[:8]}", name="Ada", timezone="UTC", **person
        )
        candidate = await start(who)
        request = candidate.ats_event(blast()).model_copy(
            update={"quiet_hours": NIGHTS, "opted_out": opted_out}
        )
        [enrolment] = (await candidate.send(request)).enrolments

        assert enrolment.status is S.FAILED
        thread = await candidate.state()
        assert thread.enrolments[enrolment.id].status_reason == reason
        assert thread.pending_sends == [] and thread.holder is None
        assert candidate.channel.sent == {}
