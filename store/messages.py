"""The message ledger: every outbound message, once per idempotency key, whichever provider
carried it. Its one writer is the delivery activity (through ``channels.dispatch``).

It is what makes a send happen exactly once. Before a provider is called the message is
recorded as ``attempting``; the provider's id is recorded once it accepted. A retry that finds
``attempting`` knows an earlier attempt's outcome is unknown (the answer was lost, the worker
was killed) and looks the message up at the provider before sending again. The outbox (the
embedded default) is a provider whose "sending" is this very record: one transaction.

What the provider reports later lives in ``delivery_reports`` (``store.delivery_reports``, its
own writer); a message read here shows the further of the two statuses (``STATUS_RANK``: a
status only moves forward).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import cast

from sqlalchemy import Executable, Table, func, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.messages import OutboundMessage
from store.database import dialect_insert, per_dialect
from store.message_status import (
    REPORTED,
    STATUS_RANK,
    WITH_REPORT,
    MessageStatus,
    StoredMessage,
    as_it_stands,
    one_at_a_time,
    standing,
    standing_message,
)
from store.opt_outs import opted_out_in
from store.schema import MessageRow

M = MessageStatus


class AttemptKind(StrEnum):
    #: Nothing was sent before: go ahead (the ledger now says ``attempting``).
    FRESH = "fresh"
    #: An earlier attempt may have reached the provider: look it up before sending again.
    UNKNOWN = "unknown"
    #: The provider accepted it already: done.
    ACCEPTED = "accepted"
    #: It was refused for good already.
    REFUSED = "refused"
    #: The recipient opted out: it is refused now, without calling the provider.
    OPTED_OUT = "opted_out"


@dataclass(frozen=True)
class Attempt:
    """What ``Messages.begin`` found, and what the sender must do next."""

    kind: AttemptKind
    message: StoredMessage


_MESSAGES = cast(Table, MessageRow.__table__)


def _build_insertion(dialect: Dialect) -> Executable:
    """A message's row, inserted unless its key (or provider id) is already stored; it returns
    the row it inserted."""
    # Any conflict: the outbox's provider id derives from the key, so a racing twin of this
    # insert meets both unique indexes, and PostgreSQL checks the one not named as well.
    return dialect_insert(dialect, _MESSAGES).on_conflict_do_nothing().returning(*_MESSAGES.c)


_insertion = per_dialect(_build_insertion)


def _values(
    message: OutboundMessage,
    provider: str,
    recipient: str,
    now: datetime,
    status: MessageStatus,
    provider_message_id: str | None = None,
) -> dict[str, object]:
    """A new message's row, for ``_insertion``."""
    return {
        "idempotency_key": message.idempotency_key,
        "enrolment_id": message.enrolment_id,
        "candidate_id": message.candidate.id,
        "message_number": message.message_number,
        "channel": message.channel.value,
        "provider": provider,
        "recipient": recipient,
        "body": message.kept_body,
        "provider_message_id": provider_message_id,
        "status": status.value,
        "status_rank": STATUS_RANK[status],
        "error_code": None,
        "failure_reason": None,
        "attempts": 1,
        "attempted_at": now,
        "created_at": now,
        "updated_at": now,
    }


class Messages:
    """The ledger's reads and writes; each method is one transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def begin(
        self, message: OutboundMessage, provider: str, recipient: str, now: datetime
    ) -> Attempt:
        """Record that ``message`` is about to be handed to ``provider``.

        A new message, or one whose last attempt surely failed, becomes ``attempting``
        (``FRESH``), unless its recipient opted out (then ``refused``, ``OPTED_OUT``). One
        that is already ``attempting`` comes back ``UNKNOWN``; an accepted or refused one as
        it is. Concurrent calls for one key store one row.
        """
        async with self._sessions.begin() as session:
            connection = await session.connection()
            inserted = (
                await connection.execute(
                    _insertion(session), _values(message, provider, recipient, now, M.ATTEMPTING)
                )
            ).first()
            if inserted is not None:
                if not await opted_out_in(session, recipient):
                    return Attempt(AttemptKind.FRESH, StoredMessage.model_validate(inserted))
                row = await self._row(session, message.idempotency_key)
                await self._refuse(session, row, "opted_out", None, now)
                return Attempt(AttemptKind.OPTED_OUT, await self._stored(session, row.id))
            row = await self._row(session, message.idempotency_key)
            stored = StoredMessage.model_validate(row)
            if stored.provider_message_id is not None:
                # Accepted before: as it stands, a report saying it never arrived included.
                standing_now = await standing_message(session, MessageRow.id == row.id)
                return Attempt(AttemptKind.ACCEPTED, standing_now)
            if stored.status is M.REFUSED:
                return Attempt(AttemptKind.REFUSED, stored)
            if stored.status is M.ATTEMPTING:
                return Attempt(AttemptKind.UNKNOWN, stored)
            if await opted_out_in(session, recipient):
                await self._refuse(session, row, "opted_out", None, now)
                return Attempt(AttemptKind.OPTED_OUT, await self._stored(session, row.id))
            row.status = M.ATTEMPTING.value
            row.attempts += 1
            row.attempted_at = now
            row.updated_at = now
            await session.flush()
            return Attempt(AttemptKind.FRESH, StoredMessage.model_validate(row))

    async def store_sent(
        self, message: OutboundMessage, provider: str, recipient: str, now: datetime
    ) -> tuple[StoredMessage, bool] | None:
        """Store ``message`` as sent by a provider that is this very record (the outbox).

        One transaction: ``None`` when the recipient opted out (nothing stored); otherwise the
        stored message (the first one, for a repeated key) and whether this call stored it.
        A repeat is a success even if the recipient opted out since: it did go out.
        """
        async with self._sessions.begin() as session:
            # Two statements for a new message (the common case), three for a repeat.
            if not await opted_out_in(session, recipient):
                connection = await session.connection()
                values = _values(
                    message,
                    provider,
                    recipient,
                    now,
                    M.ACCEPTED,
                    provider_message_id=f"{provider}-{message.idempotency_key}",
                )
                stored = (await connection.execute(_insertion(session), values)).first()
                if stored is not None:
                    return StoredMessage.model_validate(stored), True
            known = await session.scalar(
                select(MessageRow).where(MessageRow.idempotency_key == message.idempotency_key)
            )
            return None if known is None else (StoredMessage.model_validate(known), False)

    async def accepted(
        self, idempotency_key: str, provider_message_id: str, status: str, now: datetime
    ) -> StoredMessage:
        """The provider took the message and calls it ``provider_message_id``.

        Returns the message as it now stands, with any report of the provider's that arrived
        first (its callback overtook the create call's answer): an undelivered one shows.
        """
        reported = REPORTED.get(status.lower(), M.ACCEPTED)
        async with self._sessions.begin() as session:
            await one_at_a_time(session, provider_message_id)
            await session.execute(
                update(MessageRow)
                .where(
                    MessageRow.idempotency_key == idempotency_key,
                    MessageRow.provider_message_id.is_(None),
                )
                .values(
                    provider_message_id=provider_message_id,
                    status=reported.value,
                    status_rank=STATUS_RANK[reported],
                    updated_at=now,
                )
            )
            return await standing_message(session, MessageRow.idempotency_key == idempotency_key)

    async def not_sent(self, idempotency_key: str, now: datetime) -> None:
        """The last attempt surely did not reach the provider: the next one sends afresh."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(MessageRow)
                .where(
                    MessageRow.idempotency_key == idempotency_key,
                    MessageRow.status == M.ATTEMPTING.value,
                )
                .values(status=M.NOT_SENT.value, updated_at=now)
            )

    async def refused(
        self, idempotency_key: str, reason: str, error_code: str | None, now: datetime
    ) -> None:
        """The provider refused the message for good: ``reason`` (a ``StatusReason``) and the
        provider's ``error_code``."""
        async with self._sessions.begin() as session:
            row = await self._row(session, idempotency_key)
            await self._refuse(session, row, reason, error_code, now)

    # -- reads ------------------------------------------------------------------------------------

    async def get(self, idempotency_key: str) -> StoredMessage | None:
        """The message stored under ``idempotency_key``, if any, as it stands."""
        async with self._sessions() as session:
            return await standing(session, MessageRow.idempotency_key == idempotency_key)

    async def by_provider_message_id(self, provider_message_id: str) -> StoredMessage | None:
        """The message the provider calls ``provider_message_id`` (e.g. a Twilio SID), if any."""
        async with self._sessions() as session:
            return await standing(session, MessageRow.provider_message_id == provider_message_id)

    async def provider_ids_to(self, recipient: str, provider: str) -> set[str]:
        """The provider ids of every message already recorded for ``recipient``."""
        async with self._sessions() as session:
            ids = await session.scalars(
                select(MessageRow.provider_message_id).where(
                    MessageRow.recipient == recipient,
                    MessageRow.provider == provider,
                    MessageRow.provider_message_id.is_not(None),
                )
            )
            return {i for i in ids if i is not None}

    async def messages_for(self, enrolment_id: str) -> list[StoredMessage]:
        """Every message of an enrolment, by message number, as each stands."""
        async with self._sessions() as session:
            rows = await session.execute(
                WITH_REPORT.where(MessageRow.enrolment_id == enrolment_id).order_by(
                    MessageRow.message_number, MessageRow.id
                )
            )
            return [as_it_stands(message, report) for message, report in rows]

    async def count_per_message(self) -> dict[tuple[str, int], int]:
        """How many rows each ``(enrolment id, message number)`` has: 1 everywhere, or a
        candidate was texted twice (what the fault-tolerance tests check)."""
        async with self._sessions() as session:
            result = await session.execute(
                select(MessageRow.enrolment_id, MessageRow.message_number, func.count()).group_by(
                    MessageRow.enrolment_id, MessageRow.message_number
                )
            )
            return {(enrolment, number): count for enrolment, number, count in result}

    # -- helpers ----------------------------------------------------------------------------------

    @staticmethod
    async def _row(session: AsyncSession, idempotency_key: str) -> MessageRow:
        row = await session.scalar(
            select(MessageRow).where(MessageRow.idempotency_key == idempotency_key)
        )
        if row is None:  # pragma: no cover - inserted or already there in this transaction
            raise LookupError(f"message {idempotency_key!r} vanished")
        return row

    @staticmethod
    async def _stored(session: AsyncSession, row_id: int) -> StoredMessage:
        row = await session.get(MessageRow, row_id, populate_existing=True)
        if row is None:  # pragma: no cover
            raise LookupError(f"message {row_id} vanished")
        return StoredMessage.model_validate(row)

    @staticmethod
    async def _refuse(
        session: AsyncSession,
        row: MessageRow,
        reason: str,
        error_code: str | None,
        now: datetime,
    ) -> None:
        row.status = M.REFUSED.value
        row.status_rank = STATUS_RANK[M.REFUSED]
        row.failure_reason = reason
        row.error_code = error_code
        row.updated_at = now
        await session.flush()
