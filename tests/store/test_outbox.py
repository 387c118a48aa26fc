"""The outbox stores each message once, however often and however concurrently it is sent."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.outbox import Outbox
from tests.store.factories import VALID_PHONE, candidate, message

Sessions = async_sessionmaker[AsyncSession]


async def test_the_same_key_twice_stores_one_message(db_sessions: Sessions) -> None:
    outbox = Outbox(db_sessions)
    outbound = message(candidate())

    first, created = await outbox.record(outbound, VALID_PHONE)
    again, created_again = await outbox.record(outbound, VALID_PHONE)

    assert (created, created_again) == (True, False)
    assert again == first
    assert await outbox.messages_for(outbound.enrolment_id) == [first]


async def test_concurrent_sends_of_one_key_store_one_message(db_sessions: Sessions) -> None:
    outbox = Outbox(db_sessions)
    outbound = message(candidate())

    results = await asyncio.gather(*(outbox.record(outbound, VALID_PHONE) for _ in range(8)))

    assert sum(created for _, created in results) == 1
    assert len({stored.id for stored, _ in results}) == 1
    assert await outbox.count_per_message() == {(outbound.enrolment_id, 1): 1}


async def test_an_enrolments_messages_come_in_message_order(db_sessions: Sessions) -> None:
    outbox = Outbox(db_sessions)
    contact = candidate()
    closing = message(contact, enrolment="enr_screening", number=2)
    welcome = message(contact, enrolment="enr_screening", number=1)
    await outbox.record(closing, VALID_PHONE)
    await outbox.record(welcome, VALID_PHONE)

    stored = await outbox.messages_for("enr_screening")

    assert [(m.message_number, m.recipient) for m in stored] == [
        (1, VALID_PHONE),
        (2, VALID_PHONE),
    ]
    assert all(m.created_at.tzinfo is not None for m in stored)


async def test_a_status_callback_finds_its_message_by_the_providers_id(
    db_sessions: Sessions,
) -> None:
    outbox = Outbox(db_sessions)
    outbound = message(candidate())
    stored, _ = await outbox.record(outbound, VALID_PHONE)

    named = await outbox.assign_provider_message_id(outbound.idempotency_key, "SM123")
    renamed = await outbox.assign_provider_message_id(outbound.idempotency_key, "SM456")

    assert named == renamed == "SM123"
    found = await outbox.by_provider_message_id("SM123")
    assert found is not None
    assert (found.id, found.enrolment_id) == (stored.id, outbound.enrolment_id)
    assert await outbox.by_provider_message_id("SM456") is None
    assert await outbox.assign_provider_message_id("enr_unknown:1", "SM789") is None
