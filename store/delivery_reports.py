"""What providers report about the messages they accepted (Twilio's status callbacks), by the
provider's id for the message. Its one writer is the status callback
(``services.delivery_reports``).

A report moves forward only (``store.messages.STATUS_RANK``): a repeated, late or reordered one
changes nothing. A report may arrive before its message's id is recorded (the callback can
overtake the answer to the create call): it waits here, and the message shows it as soon as the
id is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.database import dialect_insert
from store.message_status import REPORTED, STATUS_RANK, StoredMessage, one_at_a_time, standing
from store.schema import DeliveryReportRow, MessageRow


class ReportOutcome(StrEnum):
    MOVED = "moved"
    UNCHANGED = "unchanged"
    #: No message has the id yet: the report waits for it.
    KEPT = "kept"
    #: A status we do not track.
    IGNORED = "ignored"


@dataclass(frozen=True)
class Report:
    """What a status report did, and the message as it now stands (none when kept or
    ignored)."""

    outcome: ReportOutcome
    message: StoredMessage | None = None


class DeliveryReports:
    """Records providers' reports; each call is one transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def record(
        self, provider_message_id: str, status: str, error_code: str | None, now: datetime
    ) -> Report:
        """A provider's later word on a message: kept when it gets further than the one
        before, and answered with the message as it stands (``KEPT`` while no message has
        the id)."""
        reported = REPORTED.get(status.lower())
        if reported is None:
            return Report(ReportOutcome.IGNORED)
        rank = STATUS_RANK[reported]
        async with self._sessions.begin() as session:
            # Serialised with the recording of the id (``Messages.accepted``): the one that
            # comes second sees the other.
            await one_at_a_time(session, provider_message_id)
            before = await standing(session, MessageRow.provider_message_id == provider_message_id)
            insert = dialect_insert(session, DeliveryReportRow).values(
                provider_message_id=provider_message_id,
                status=reported.value,
                status_rank=rank,
                error_code=error_code,
                received_at=now,
                updated_at=now,
            )
            await session.execute(
                insert.on_conflict_do_update(
                    index_elements=[DeliveryReportRow.provider_message_id],
                    set_={
                        "status": insert.excluded.status,
                        "status_rank": insert.excluded.status_rank,
                        "error_code": insert.excluded.error_code,
                        "updated_at": insert.excluded.updated_at,
                    },
                    where=DeliveryReportRow.status_rank < insert.excluded.status_rank,
                )
            )
            if before is None:
                return Report(ReportOutcome.KEPT)
            after = await standing(session, MessageRow.provider_message_id == provider_message_id)
            moved = after is not None and STATUS_RANK[after.status] > STATUS_RANK[before.status]
            return Report(ReportOutcome.MOVED if moved else ReportOutcome.UNCHANGED, after)
