"""The message ledger makes a send happen once, and delivery statuses only move forward."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.delivery_reports import DeliveryReports, ReportOutcome
from store.messages import AttemptKind, Messages, MessageStatus
from store.opt_outs import OptOuts
from tests.store.factories import VALID_PHONE, candidate, message

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def test_a_new_message_is_recorded_as_attempting_before_the_provider_is_called(
    db_sessions: Sessions,
) -> None:
    ledger = Messages(db_sessions)
    sms = message(candidate())

    attempt = await ledger.begin(sms, "twilio", VALID_PHONE, NOW)

    assert attempt.kind is AttemptKind.FRESH
    assert attempt.message.status is MessageStatus.ATTEMPTING
    assert (await ledger.begin(sms, "twilio", VALID_PHONE, NOW)).kind is AttemptKind.UNKNOWN


async def test_an_accepted_message_is_never_sent_again(db_sessions: Sessions) -> None:
    ledger = Messages(db_sessions)
    sms = message(candidate())
    await ledger.begin(sms, "twilio", VALID_PHONE, NOW)

    await ledger.accepted(sms.idempotency_key, "SM1", "queued", NOW)
    again = await ledger.begin(sms, "twilio", VALID_PHONE, NOW)

    assert again.kind is AttemptKind.ACCEPTED
    assert (again.message.provider_message_id, again.message.status) == ("SM1", "queued")


async def test_a_surely_unsent_attempt_is_tried_afresh(db_sessions: Sessions) -> None:
    ledger = Messages(db_sessions)
    sms = message(candidate())
    await ledger.begin(sms, "twilio", VALID_PHONE, NOW)

    await ledger.not_sent(sms.idempotency_key, NOW)
    again = await ledger.begin(sms, "twilio", VALID_PHONE, NOW + timedelta(seconds=1))

    assert again.kind is AttemptKind.FRESH
    assert again.message.attempts == 2


async def test_a_refused_message_stays_refused_with_its_reason(db_sessions: Sessions) -> None:
    ledger = Messages(db_sessions)
    sms = message(candidate())
    await ledger.begin(sms, "twilio", VALID_PHONE, NOW)

    await ledger.refused(sms.idempotency_key, "landline", "21614", NOW)
    again = await ledger.begin(sms, "twilio", VALID_PHONE, NOW)

    assert again.kind is AttemptKind.REFUSED
    assert (again.message.failure_reason, again.message.error_code) == ("landline", "21614")


async def test_an_opted_out_recipient_is_refused_without_an_attempt(db_sessions: Sessions) -> None:
    await OptOuts(db_sessions).set(VALID_PHONE, True)
    ledger = Messages(db_sessions)

    attempt = await ledger.begin(message(candidate()), "twilio", VALID_PHONE, NOW)

    assert attempt.kind is AttemptKind.OPTED_OUT
    assert attempt.message.status is MessageStatus.REFUSED
    assert attempt.message.failure_reason == "opted_out"


async def test_the_outbox_stores_a_message_once_in_one_go_even_when_racing(
    db_sessions: Sessions,
) -> None:
    ledger = Messages(db_sessions)
    sms = message(candidate())

    results = await asyncio.gather(
        *(ledger.store_sent(sms, "outbox", VALID_PHONE, NOW) for _ in range(8))
    )

    stored = [r for r in results if r is not None]
    assert len(stored) == 8
    assert sum(created for _, created in stored) == 1
    assert {m.provider_message_id for m, _ in stored} == {f"outbox-{sms.idempotency_key}"}
    assert await ledger.count_per_message() == {(sms.enrolment_id, 1): 1}


async def test_the_outbox_stores_nothing_for_an_opted_out_recipient_but_keeps_what_went_out(
    db_sessions: Sessions,
) -> None:
    ledger = Messages(db_sessions)
    earlier = message(candidate())
    await ledger.store_sent(earlier, "outbox", VALID_PHONE, NOW)
    await OptOuts(db_sessions).set(VALID_PHONE, True)

    assert await ledger.store_sent(message(candidate()), "outbox", VALID_PHONE, NOW) is None
    repeat = await ledger.store_sent(earlier, "outbox", VALID_PHONE, NOW)
    assert repeat is not None and repeat[1] is False


async def accepted_message(ledger: Messages, sid: str = "SM1") -> str:
    sms = message(candidate())
    await ledger.begin(sms, "twilio", VALID_PHONE, NOW)
    await ledger.accepted(sms.idempotency_key, sid, "queued", NOW)
    return sms.idempotency_key


async def test_delivery_statuses_only_move_forward(db_sessions: Sessions) -> None:
    ledger = Messages(db_sessions)
    key = await accepted_message(ledger)

    outcomes = [
        (await DeliveryReports(db_sessions).record("SM1", status, None, NOW)).outcome
        for status in ("sent", "delivered", "sent", "delivered", "read", "delivered")
    ]

    assert outcomes == [
        ReportOutcome.MOVED,
        ReportOutcome.MOVED,
        ReportOutcome.UNCHANGED,
        ReportOutcome.UNCHANGED,
        ReportOutcome.MOVED,
        ReportOutcome.UNCHANGED,
    ]
    stored = await ledger.get(key)
    assert stored is not None and stored.status is MessageStatus.READ


async def test_a_final_failure_keeps_its_error_code_and_nothing_follows_it(
    db_sessions: Sessions,
) -> None:
    ledger = Messages(db_sessions)
    key = await accepted_message(ledger)

    moved = await DeliveryReports(db_sessions).record("SM1", "undelivered", "30003", NOW)
    late = await DeliveryReports(db_sessions).record("SM1", "delivered", None, NOW)

    assert moved.outcome is ReportOutcome.MOVED and late.outcome is ReportOutcome.UNCHANGED
    stored = await ledger.get(key)
    assert stored is not None
    assert (stored.status, stored.error_code) == (MessageStatus.UNDELIVERED, "30003")


async def test_a_report_that_overtakes_the_send_is_applied_when_the_id_is_recorded(
    db_sessions: Sessions,
) -> None:
    ledger = Messages(db_sessions)
    sms = message(candidate())
    await ledger.begin(sms, "twilio", VALID_PHONE, NOW)

    kept = await DeliveryReports(db_sessions).record("SM9", "failed", "30007", NOW)
    earlier = await DeliveryReports(db_sessions).record("SM9", "queued", None, NOW)
    stored = await ledger.accepted(sms.idempotency_key, "SM9", "queued", NOW)

    assert (kept.outcome, earlier.outcome) == (ReportOutcome.KEPT, ReportOutcome.KEPT)
    assert (stored.status, stored.error_code) == (MessageStatus.FAILED, "30007")


async def test_reports_of_statuses_we_do_not_track_are_ignored(db_sessions: Sessions) -> None:
    ledger = Messages(db_sessions)
    await accepted_message(ledger)

    assert (
        await DeliveryReports(db_sessions).record("SM1", "receiving", None, NOW)
    ).outcome is ReportOutcome.IGNORED


async def test_a_report_racing_the_recording_of_its_id_is_never_lost(
    db_sessions: Sessions,
) -> None:
    ledger = Messages(db_sessions)
    keys = []
    for _ in range(20):
        sms = message(candidate())
        await ledger.begin(sms, "twilio", VALID_PHONE, NOW)
        keys.append(sms.idempotency_key)

    await asyncio.gather(
        *(
            step
            for n, key in enumerate(keys)
            for step in (
                ledger.accepted(key, f"SM{n}", "queued", NOW),
                DeliveryReports(db_sessions).record(f"SM{n}", "failed", "30007", NOW),
            )
        )
    )

    stored = [await ledger.get(key) for key in keys]
    assert [m.status if m else None for m in stored] == [MessageStatus.FAILED] * len(keys)
