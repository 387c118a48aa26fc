"""The outbox: every outbound message, stored once per idempotency key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.base import OutboundMessage
from domain.campaigns import ChannelKind
from store.database import dialect_insert
from store.schema import OutboxMessageRow


class OutboxMessage(BaseModel):
    """A message as the outbox holds it."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    idempotency_key: str
    enrolment_id: str
    message_number: int
    channel: ChannelKind
    recipient: str
    body: str
    provider_message_id: str | None
    created_at: datetime


class Outbox:
    """Stores outbound messages; a second ``record`` of the same key stores nothing."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def record(
        self,
        message: OutboundMessage,
        recipient: str,
        *,
        provider_id_for: Callable[[int], str] | None = None,
    ) -> tuple[OutboxMessage, bool]:
        """Store ``message`` for ``recipient`` unless its idempotency key is already stored.

        Returns the stored message (the first one, for a repeated key) and whether this call
        created it. Concurrent calls with one key store one row, and exactly one of them is
        told it created it. ``provider_id_for``, if given, names a newly stored message
        (its ``provider_message_id``) from its row id, in the same transaction.
        """
        async with self._sessions.begin() as session:
            insert = dialect_insert(session, OutboxMessageRow).values(
                idempotency_key=message.idempotency_key,
                enrolment_id=message.enrolment_id,
                message_number=message.message_number,
                channel=message.channel.value,
                recipient=recipient,
                body=message.body,
                created_at=datetime.now(UTC),
            )
            created_id = (
                await session.execute(
                    insert.on_conflict_do_nothing(
                        index_elements=[OutboxMessageRow.idempotency_key]
                    ).returning(OutboxMessageRow.id)
                )
            ).scalar_one_or_none()
            if created_id is not None and provider_id_for is not None:
                await session.execute(
                    update(OutboxMessageRow)
                    .where(OutboxMessageRow.id == created_id)
                    .values(provider_message_id=provider_id_for(created_id))
                )
            row = await session.scalar(
                select(OutboxMessageRow).where(
                    OutboxMessageRow.idempotency_key == message.idempotency_key
                )
            )
        if row is None:  # pragma: no cover - the row was inserted or already there
            raise LookupError(f"outbox message {message.idempotency_key!r} vanished")
        return OutboxMessage.model_validate(row), created_id is not None

    async def assign_provider_message_id(
        self, idempotency_key: str, provider_message_id: str
    ) -> str | None:
        """Name the message the way its provider does, once; returns the name it now has.

        The first name sticks (a repeat with another name changes nothing); ``None`` if no
        message has that key.
        """
        async with self._sessions.begin() as session:
            await session.execute(
                update(OutboxMessageRow)
                .where(
                    OutboxMessageRow.idempotency_key == idempotency_key,
                    OutboxMessageRow.provider_message_id.is_(None),
                )
                .values(provider_message_id=provider_message_id)
            )
            stored: str | None = await session.scalar(
                select(OutboxMessageRow.provider_message_id).where(
                    OutboxMessageRow.idempotency_key == idempotency_key
                )
            )
        return stored

    async def get(self, idempotency_key: str) -> OutboxMessage | None:
        """The message stored under ``idempotency_key``, if any."""
        async with self._sessions() as session:
            row = await session.scalar(
                select(OutboxMessageRow).where(OutboxMessageRow.idempotency_key == idempotency_key)
            )
        return None if row is None else OutboxMessage.model_validate(row)

    async def by_provider_message_id(self, provider_message_id: str) -> OutboxMessage | None:
        """The message the provider calls ``provider_message_id`` (e.g. a Twilio SID), if any."""
        async with self._sessions() as session:
            row = await session.scalar(
                select(OutboxMessageRow).where(
                    OutboxMessageRow.provider_message_id == provider_message_id
                )
            )
        return None if row is None else OutboxMessage.model_validate(row)

    async def messages_for(self, enrolment_id: str) -> list[OutboxMessage]:
        """Every message of an enrolment, by message number."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(OutboxMessageRow)
                .where(OutboxMessageRow.enrolment_id == enrolment_id)
                .order_by(OutboxMessageRow.message_number, OutboxMessageRow.id)
            )
            return [OutboxMessage.model_validate(row) for row in rows]

    async def count_per_message(self) -> dict[tuple[str, int], int]:
        """How many rows each ``(enrolment id, message number)`` has: 1 everywhere, or a
        candidate was texted twice (what the fault-tolerance tests check)."""
        async with self._sessions() as session:
            result = await session.execute(
                select(
                    OutboxMessageRow.enrolment_id,
                    OutboxMessageRow.message_number,
                    func.count(),
                ).group_by(OutboxMessageRow.enrolment_id, OutboxMessageRow.message_number)
            )
            return {(enrolment, number): count for enrolment, number, count in result}
