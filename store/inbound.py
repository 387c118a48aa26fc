"""The API's ledger of the outside event ids it accepted: one payload per id, forever.

ATSs and webhook senders retry: a repeat of an id with the same payload is normal and goes on
to the candidate's workflow, which decides what (if anything) it changes. The same id with a
different payload is a sender's bug, refused whichever candidate it would reach. The check is
one insert against the primary key, so two racing requests cannot both claim an id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Executable, Table, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.database import dialect_insert, per_dialect
from store.schema import InboundEventRow

_EVENTS = cast(Table, InboundEventRow.__table__)


def _build_claim(dialect: Dialect) -> Executable:
    insert = dialect_insert(dialect, _EVENTS)
    return insert.on_conflict_do_nothing(index_elements=[_EVENTS.c.source, _EVENTS.c.id]).returning(
        _EVENTS.c.received_at
    )


_claim = per_dialect(_build_claim)


class EventIdReused(Exception):
    """An event id already accepted with another payload."""

    def __init__(self, source: str, event_id: str, received_at: datetime) -> None:
        super().__init__(f"{source} event {event_id!r} was accepted with another payload")
        self.source = source
        self.event_id = event_id
        self.received_at = received_at


@dataclass(frozen=True)
class AcceptedEvent:
    """An id the ledger holds for this payload: when it first arrived, and whether it did
    before this call."""

    received_at: datetime
    repeat: bool


class InboundEvents:
    """Accepts outside event ids, each with the fingerprint of its payload."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def accept(
        self, source: str, event_id: str, fingerprint: str, now: datetime
    ) -> AcceptedEvent:
        """Record ``event_id`` of ``source`` with ``fingerprint`` unless it is known.

        Raises ``EventIdReused`` when the id is known with another fingerprint.
        """
        async with self._sessions.begin() as session:
            connection = await session.connection()
            inserted = await connection.execute(
                _claim(session),
                {"source": source, "id": event_id, "fingerprint": fingerprint, "received_at": now},
            )
            if inserted.first() is not None:
                return AcceptedEvent(received_at=now, repeat=False)
            known = (
                await connection.execute(
                    select(InboundEventRow.fingerprint, InboundEventRow.received_at).where(
                        InboundEventRow.source == source, InboundEventRow.id == event_id
                    )
                )
            ).one()
        if known.fingerprint != fingerprint:
            raise EventIdReused(source, event_id, known.received_at)
        return AcceptedEvent(received_at=known.received_at, repeat=True)
