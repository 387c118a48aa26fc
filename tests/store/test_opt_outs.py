"""A STOP reply opts an address out; START opts it back in."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.opt_outs import OptOuts, address_hash
from store.schema import OptOutRow

PHONE = "+14155550123"


async def test_nobody_is_opted_out_until_they_ask(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    assert not await OptOuts(db_sessions).is_opted_out(PHONE)


async def test_stop_then_start_opts_out_and_back_in(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    opt_outs = OptOuts(db_sessions)

    await opt_outs.set(PHONE, opted_out=True)
    await opt_outs.set(PHONE, opted_out=True)
    assert await opt_outs.is_opted_out(PHONE)
    assert not await opt_outs.is_opted_out("+14155550124")

    await opt_outs.set(PHONE, opted_out=False)
    assert not await opt_outs.is_opted_out(PHONE)


async def test_only_a_hash_of_the_address_is_kept(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    await OptOuts(db_sessions).set(PHONE, opted_out=True)

    async with db_sessions() as session:
        kept = (await session.scalars(select(OptOutRow.address_hash))).all()
    assert kept == [address_hash(PHONE)]
    assert PHONE[1:] not in kept[0]
