"""The default channel: messages are stored in the outbox table instead of leaving the system.

It behaves like a real provider where it matters to the engine: it validates the address,
honours opt-outs, accepts each idempotency key once, and names each message it accepted.
"""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError

from channels.addresses import address_for
from channels.base import (
    Channel,
    OutboundMessage,
    PermanentDeliveryError,
    SendResult,
    TransientDeliveryError,
)
from domain.enrolments import StatusReason
from store.opt_outs import OptOuts
from store.outbox import Outbox, OutboxMessage

PROVIDER_ID_PREFIX = "outbox-"


class OutboxChannel(Channel):
    """A ``Channel`` that delivers into the outbox."""

    def __init__(self, outbox: Outbox, opt_outs: OptOuts) -> None:
        self._outbox = outbox
        self._opt_outs = opt_outs

    async def send(self, message: OutboundMessage) -> SendResult:
        """Store ``message`` once per idempotency key and return its id ``outbox-<row id>``.

        A repeat of a stored key is a success with ``duplicate=True``, even if the candidate
        opted out since (the message did go out). Raises ``PermanentDeliveryError`` for a
        missing or invalid address or an opted-out recipient, ``TransientDeliveryError`` when
        the database cannot be reached (the activity retries).
        """
        recipient = address_for(message.channel, message.candidate)
        try:
            stored = await self._outbox.get(message.idempotency_key)
            created = False
            if stored is None:
                if await self._opt_outs.is_opted_out(recipient):
                    raise PermanentDeliveryError(
                        StatusReason.OPTED_OUT, f"{recipient} opted out of messages"
                    )
                stored, created = await self._outbox.record(
                    message, recipient, provider_id_for=_provider_message_id
                )
            provider_message_id = stored.provider_message_id or await self._name_later(stored)
        except (SQLAlchemyError, OSError) as err:
            raise TransientDeliveryError(f"outbox unavailable: {err}") from err
        return SendResult(provider_message_id=provider_message_id, duplicate=not created)

    async def _name_later(self, stored: OutboxMessage) -> str:
        # Only a message stored by another writer without a name (e.g. recorded by another
        # channel's code path) gets here; the name it ends up with is the first one given.
        assigned = await self._outbox.assign_provider_message_id(
            stored.idempotency_key, _provider_message_id(stored.id)
        )
        return assigned or _provider_message_id(stored.id)


def _provider_message_id(row_id: int) -> str:
    return f"{PROVIDER_ID_PREFIX}{row_id}"
