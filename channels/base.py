"""The ``Channel`` interface every messaging channel implements, and its errors."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel

from domain.campaigns import ChannelKind
from domain.candidates import CandidateContact


class OutboundMessage(BaseModel):
    """One message to one candidate. ``idempotency_key`` makes a repeat a no-op."""

    idempotency_key: str
    enrolment_id: str
    message_number: int
    channel: ChannelKind
    candidate: CandidateContact
    body: str


class SendResult(BaseModel):
    """The channel accepted the message."""

    provider_message_id: str
    duplicate: bool = False


class PermanentDeliveryError(Exception):
    """The message can never be delivered (``reason`` is a ``StatusReason`` value)."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class TransientDeliveryError(Exception):
    """The channel could not take the message now; trying again later may work."""


class Channel(Protocol):
    """Sends messages. Implementations must be idempotent on ``idempotency_key``."""

    async def send(self, message: OutboundMessage) -> SendResult:
        """Deliver ``message`` once, or raise a permanent or transient delivery error."""
        ...
