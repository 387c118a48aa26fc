"""The default channel: validates, honours opt-outs, sends each message once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.base import PermanentDeliveryError, TransientDeliveryError
from channels.outbox import OutboxChannel
from domain.campaigns import ChannelKind
from domain.enrolments import StatusReason
from store.database import create_engine, session_factory
from store.opt_outs import OptOuts
from store.outbox import Outbox
from tests.store.factories import VALID_PHONE, candidate, message

Sessions = async_sessionmaker[AsyncSession]


def outbox_channel(sessions: Sessions) -> OutboxChannel:
    return OutboxChannel(Outbox(sessions), OptOuts(sessions))


async def test_a_message_lands_in_the_outbox_once_under_its_outbox_id(
    db_sessions: Sessions,
) -> None:
    channel = outbox_channel(db_sessions)
    outbound = message(candidate(phone="+1 (415) 555-0123"))

    sent = await channel.send(outbound)
    retried = await channel.send(outbound)

    (stored,) = await Outbox(db_sessions).messages_for(outbound.enrolment_id)
    assert sent.provider_message_id == f"outbox-{stored.id}" == stored.provider_message_id
    assert not sent.duplicate
    assert retried.provider_message_id == sent.provider_message_id
    assert retried.duplicate
    assert stored.recipient == VALID_PHONE


async def test_concurrent_retries_send_one_message(db_sessions: Sessions) -> None:
    channel = outbox_channel(db_sessions)
    outbound = message(candidate())

    results = await asyncio.gather(*(channel.send(outbound) for _ in range(6)))

    assert len({r.provider_message_id for r in results}) == 1
    assert [r.duplicate for r in results].count(False) == 1
    assert await Outbox(db_sessions).count_per_message() == {(outbound.enrolment_id, 1): 1}


async def test_an_opted_out_candidate_is_not_messaged(db_sessions: Sessions) -> None:
    await OptOuts(db_sessions).set(VALID_PHONE, opted_out=True)
    outbound = message(candidate(phone="+14155550123"), channel=ChannelKind.WHATSAPP)

    with pytest.raises(PermanentDeliveryError) as refused:
        await outbox_channel(db_sessions).send(outbound)

    assert refused.value.reason == StatusReason.OPTED_OUT
    assert await Outbox(db_sessions).messages_for(outbound.enrolment_id) == []


async def test_a_message_sent_before_the_opt_out_still_counts_as_sent(
    db_sessions: Sessions,
) -> None:
    channel = outbox_channel(db_sessions)
    outbound = message(candidate())
    sent = await channel.send(outbound)

    await OptOuts(db_sessions).set(VALID_PHONE, opted_out=True)
    retried = await channel.send(outbound)

    assert (retried.provider_message_id, retried.duplicate) == (sent.provider_message_id, True)


@pytest.mark.parametrize(
    ("phone", "reason"),
    [
        (None, StatusReason.MISSING_PHONE_NUMBER),
        ("12345", StatusReason.INVALID_PHONE_NUMBER),
        ("+1 555 0000 not a number", StatusReason.INVALID_PHONE_NUMBER),
    ],
)
async def test_a_bad_phone_number_fails_for_good_and_sends_nothing(
    db_sessions: Sessions, phone: str | None, reason: StatusReason
) -> None:
    outbound = message(candidate(phone=phone))

    with pytest.raises(PermanentDeliveryError) as refused:
        await outbox_channel(db_sessions).send(outbound)

    assert refused.value.reason == reason
    assert await Outbox(db_sessions).messages_for(outbound.enrolment_id) == []


async def test_email_campaigns_go_to_the_email_address(db_sessions: Sessions) -> None:
    channel = outbox_channel(db_sessions)
    to_email = message(candidate(phone=None, email="ada@Example.COM"), channel=ChannelKind.EMAIL)
    no_email = message(candidate(email=None), channel=ChannelKind.EMAIL)

    await channel.send(to_email)
    with pytest.raises(PermanentDeliveryError) as refused:
        await channel.send(no_email)

    (stored,) = await Outbox(db_sessions).messages_for(to_email.enrolment_id)
    assert stored.recipient == "ada@example.com"
    assert refused.value.reason == StatusReason.MISSING_EMAIL


@pytest.mark.parametrize(
    "unreachable",
    [
        "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere",
        "sqlite+aiosqlite:///{tmp}/no-such-folder/read-model.db",
    ],
    ids=["postgresql-down", "sqlite-unopenable"],
)
async def test_a_database_outage_is_a_transient_failure(unreachable: str, tmp_path: Path) -> None:
    engine = create_engine(unreachable.format(tmp=tmp_path))
    try:
        with pytest.raises(TransientDeliveryError):
            await outbox_channel(session_factory(engine)).send(message(candidate()))
    finally:
        await engine.dispose()
