"""How far a message got: the ledger's word (``messages``) and its provider's later reports
(``delivery_reports``), merged. Each of the two tables has its own writer
(``store.messages``, ``store.delivery_reports``); both read messages as they stand from here.

Delivery statuses only move forward (``STATUS_RANK``): a repeated or late report changes
nothing.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.channels import ChannelKind
from store.database import dialect_of
from store.schema import DeliveryReportRow, MessageRow


class MessageStatus(StrEnum):
    """Where a message is, as we and its provider know it."""

    #: Handed to the provider; its answer has not been recorded (yet, or it was lost).
    ATTEMPTING = "attempting"
    #: The last attempt surely did not reach the provider (it will be tried again).
    NOT_SENT = "not_sent"
    #: Refused for good when it was sent (invalid number, opted out...).
    REFUSED = "refused"
    ACCEPTED = "accepted"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    UNDELIVERED = "undelivered"
    FAILED = "failed"


M = MessageStatus

#: How far along each status is: a status moves only to a higher rank. Final ones share the top.
STATUS_RANK: dict[MessageStatus, int] = {
    M.ATTEMPTING: 0,
    M.NOT_SENT: 0,
    M.ACCEPTED: 1,
    M.QUEUED: 1,
    M.SENDING: 2,
    M.SENT: 3,
    M.DELIVERED: 4,
    M.READ: 5,
    M.UNDELIVERED: 9,
    M.FAILED: 9,
    M.REFUSED: 9,
}
#: Statuses a message ends in with the carrier's word that it did not reach the candidate.
UNDELIVERED = frozenset({M.UNDELIVERED, M.FAILED})
#: Statuses a provider's report may name (Twilio's, among others); anything else is ignored.
REPORTED: dict[str, MessageStatus] = {
    "accepted": M.ACCEPTED,
    "scheduled": M.QUEUED,
    "queued": M.QUEUED,
    "sending": M.SENDING,
    "sent": M.SENT,
    "delivered": M.DELIVERED,
    "read": M.READ,
    "undelivered": M.UNDELIVERED,
    "failed": M.FAILED,
    "canceled": M.FAILED,
}


class StoredMessage(BaseModel):
    """A message as the ledger holds it."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    idempotency_key: str
    enrolment_id: str
    candidate_id: str
    message_number: int
    channel: ChannelKind
    provider: str
    recipient: str
    body: str
    provider_message_id: str | None
    status: MessageStatus
    error_code: str | None
    failure_reason: str | None
    attempts: int
    attempted_at: datetime
    created_at: datetime
    updated_at: datetime


async def one_at_a_time(session: AsyncSession, provider_message_id: str) -> None:
    """Serialise the transactions about one provider id: recording it, and a report of it.

    Without this, on PostgreSQL (read committed) a report arriving while the id is being
    recorded could miss the message and be kept as early, while the recording misses the
    early report: it would never be applied. SQLite has one writer at a time already.
    """
    if dialect_of(session).name == "postgresql":
        lock = func.pg_advisory_xact_lock(func.hashtext(provider_message_id))
        await session.execute(select(lock))


#: A message with the provider's report of it, if any.
WITH_REPORT = select(MessageRow, DeliveryReportRow).outerjoin(
    DeliveryReportRow, DeliveryReportRow.provider_message_id == MessageRow.provider_message_id
)


def as_it_stands(message: MessageRow, report: DeliveryReportRow | None) -> StoredMessage:
    """``message`` with the provider's report of it, where the report got further."""
    stored = StoredMessage.model_validate(message)
    if report is None or report.status_rank <= message.status_rank:
        return stored
    return stored.model_copy(
        update={
            "status": MessageStatus(report.status),
            "error_code": report.error_code,
            "updated_at": max(stored.updated_at, report.updated_at),
        }
    )


async def standing(session: AsyncSession, which: ColumnElement[bool]) -> StoredMessage | None:
    """The one message ``which`` selects, as it stands with its report; ``None``: no such."""
    found = (await session.execute(WITH_REPORT.where(which))).first()
    return None if found is None else as_it_stands(*found)


async def standing_message(session: AsyncSession, which: ColumnElement[bool]) -> StoredMessage:
    """``standing`` of a message that is surely there (written in this transaction)."""
    stored = await standing(session, which)
    if stored is None:  # pragma: no cover - inserted or already there in this transaction
        raise LookupError("the message vanished")
    return stored
