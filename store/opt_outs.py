"""Opt-outs: addresses that asked not to be messaged (STOP) until they ask again (START).

Only a SHA-256 of each address is kept: enough to honour a STOP from a candidate whose data was
erased, and no address to read back. (A phone number's hash can be brute-forced by someone who
holds the table: it is pseudonymous, not anonymous, and is kept on the legal ground of
honouring the opt-out.)
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.database import dialect_insert
from store.schema import OptOutRow


class OptOuts:
    """Who opted out, by normalised address.

    Addresses are compared exactly (by hash): pass them through ``channels.addresses`` first
    (E.164 for phone numbers, so an SMS STOP also stops WhatsApp messages to that number).
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def set(self, address: str, opted_out: bool) -> None:
        """Record that ``address`` opted out (``True``) or back in (``False``)."""
        async with self._sessions.begin() as session:
            insert = dialect_insert(session, OptOutRow).values(
                address_hash=address_hash(address),
                opted_out=opted_out,
                updated_at=datetime.now(UTC),
            )
            await session.execute(
                insert.on_conflict_do_update(
                    index_elements=[OptOutRow.address_hash],
                    set_={
                        "opted_out": insert.excluded.opted_out,
                        "updated_at": insert.excluded.updated_at,
                    },
                )
            )

    async def is_opted_out(self, address: str) -> bool:
        """Whether nothing may be sent to ``address``."""
        async with self._sessions() as session:
            return await opted_out_in(session, address)


#: Built once: it runs before every message is stored.
_OPT_OUTS = cast(Table, OptOutRow.__table__)
_OPTED_OUT = select(_OPT_OUTS.c.opted_out).where(
    _OPT_OUTS.c.address_hash == bindparam("address_hash")
)


async def opted_out_in(session: AsyncSession, address: str) -> bool:
    """Whether nothing may be sent to ``address``, read in ``session``'s transaction."""
    connection = await session.connection()
    opted_out = await connection.scalar(_OPTED_OUT, {"address_hash": address_hash(address)})
    return bool(opted_out)


def address_hash(address: str) -> str:
    """What ``opt_outs`` keeps of a normalised address."""
    return hashlib.sha256(address.encode()).hexdigest()
