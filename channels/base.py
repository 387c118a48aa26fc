"""The ``Channel`` interface the delivery activity sends through, the ``Provider`` interface each
way out of the system implements (Twilio, SMTP, the outbox), and their errors."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel

from domain.messages import OutboundMessage


class SendResult(BaseModel):
    """The channel accepted the message."""

    provider_message_id: str
    duplicate: bool = False


class Accepted(BaseModel):
    """A provider took a message: its id there, and the status it gave."""

    provider_message_id: str
    status: str = ""


class PermanentDeliveryError(Exception):
    """The message can never be delivered (``reason`` is a ``StatusReason`` value; ``code`` the
    provider's own error code, if it gave one)."""

    def __init__(self, reason: str, detail: str, code: str | None = None):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.code = code


class TransientDeliveryError(Exception):
    """The channel could not take the message now; trying again later may work.

    ``outcome_unknown``: the provider may have accepted it (the answer was lost), so the next
    attempt looks it up before sending again.
    """

    outcome_unknown = False


class OutcomeUnknown(TransientDeliveryError):
    """The request may have reached the provider, but its answer did not reach us."""

    outcome_unknown = True


class ProviderMisconfigured(TransientDeliveryError):
    """Our own configuration is wrong (credentials, sender): no candidate fails for it; the
    delivery waits and retries until an admin fixes it."""


class Provider(Protocol):
    """One way messages leave the system.

    ``local``: the provider's "sending" is the ledger record itself (the outbox).
    """

    name: str
    local: bool

    async def send(self, message: OutboundMessage, recipient: str) -> Accepted:
        """Hand ``message`` over; raise a permanent or transient delivery error."""
        ...

    async def find(
        self, message: OutboundMessage, recipient: str, since: datetime, taken: set[str]
    ) -> Accepted | None:
        """The message an earlier attempt (started at ``since``) left at the provider, other
        than those of ours in ``taken``; ``None`` if there is none (or no way to tell)."""
        ...

    async def check(self) -> str | None:
        """What is wrong with the provider's configuration, or ``None``."""
        ...

    def failure_reason(self, error_code: str | None) -> str:
        """The ``StatusReason`` a report that the message failed with ``error_code`` means."""
        ...

    async def aclose(self) -> None:
        """Close the provider's connections (at worker shutdown)."""
        ...


class Channel(Protocol):
    """Sends messages. Implementations must be idempotent on ``idempotency_key``."""

    async def send(self, message: OutboundMessage) -> SendResult:
        """Deliver ``message`` once, or raise a permanent or transient delivery error."""
        ...
