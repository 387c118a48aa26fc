"""The default provider: messages are stored in the message ledger instead of leaving the system.

It behaves like a real provider where it matters to the engine: the address is validated,
opt-outs are honoured, each idempotency key is accepted once, and each message gets an id
(``outbox-<idempotency key>``). Its "sending" is the ledger record itself: one transaction.
"""

from __future__ import annotations

from datetime import datetime

from channels.base import Accepted
from domain.enrolments import StatusReason
from domain.messages import OutboundMessage


class OutboxProvider:
    """A ``Provider`` that delivers into the ledger (``ProviderChannels`` stores the message)."""

    name = "outbox"
    local = True

    async def send(self, message: OutboundMessage, recipient: str) -> Accepted:
        """Never called: the ledger record is the sending (see ``ProviderChannels``)."""
        return Accepted(provider_message_id=f"{self.name}-{message.idempotency_key}")

    async def find(
        self, message: OutboundMessage, recipient: str, since: datetime, taken: set[str]
    ) -> Accepted | None:
        """The ledger is the outbox: there is nothing else to look up."""
        return None

    async def check(self) -> str | None:
        return None

    def failure_reason(self, error_code: str | None) -> str:
        return StatusReason.UNDELIVERED

    async def aclose(self) -> None:
        return None
