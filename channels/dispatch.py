"""Sending each message through its channel's provider, exactly once.

``ProviderChannels`` is the ``Channel`` the delivery activity uses. Per message it: validates
the address; records the attempt in the message ledger before the provider is called (and
refuses an opted-out recipient there, without calling anyone); looks the message up at the
provider when an earlier attempt's outcome is unknown; sends; records the provider's id.

Failures: a refusal about the candidate is permanent (the enrolment fails with the reason); our
own misconfiguration (credentials, sender) and anything transient raise
``TransientDeliveryError``, so the activity retries with backoff and no candidate fails for it;
a misconfiguration is also logged and reported to ``ProviderHealth`` for ``/healthz``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError

from channels.addresses import address_for
from channels.base import (
    Channel,
    PermanentDeliveryError,
    Provider,
    ProviderMisconfigured,
    SendResult,
    TransientDeliveryError,
)
from domain.channels import ChannelKind
from domain.enrolments import StatusReason
from domain.messages import OutboundMessage
from store.message_status import UNDELIVERED, StoredMessage
from store.messages import AttemptKind, Messages
from store.provider_health import ProviderHealth

logger = logging.getLogger(__name__)


class ProviderChannels(Channel):
    """Routes each message to the provider of its channel (``providers``)."""

    def __init__(
        self,
        providers: Mapping[ChannelKind, Provider],
        messages: Messages,
        health: ProviderHealth,
    ) -> None:
        self._providers = providers
        self._messages = messages
        self._health = health

    def provider_of(self, channel: ChannelKind) -> Provider:
        return self._providers[channel]

    async def send(self, message: OutboundMessage) -> SendResult:
        """Deliver ``message`` once; see the module docstring for what each failure means."""
        recipient = address_for(message.channel, message.candidate)
        provider = self._providers[message.channel]
        try:
            if provider.local:
                return await self._store(message, provider, recipient)
            return await self._send(message, provider, recipient)
        except SQLAlchemyError as err:
            raise TransientDeliveryError(f"the message ledger is unavailable: {err}") from err

    async def _store(
        self, message: OutboundMessage, provider: Provider, recipient: str
    ) -> SendResult:
        stored = await self._messages.store_sent(message, provider.name, recipient, _now())
        if stored is None:
            raise PermanentDeliveryError(StatusReason.OPTED_OUT, f"{recipient} opted out")
        row, created = stored
        return SendResult(provider_message_id=row.provider_message_id or "", duplicate=not created)

    async def _send(
        self, message: OutboundMessage, provider: Provider, recipient: str
    ) -> SendResult:
        key = message.idempotency_key
        attempt = await self._messages.begin(message, provider.name, recipient, _now())
        stored = attempt.message
        match attempt.kind:
            case AttemptKind.ACCEPTED:
                return self._accepted(provider, stored, duplicate=True)
            case AttemptKind.REFUSED:
                raise PermanentDeliveryError(
                    stored.failure_reason or StatusReason.PROVIDER_REJECTED,
                    f"refused when it was sent (error {stored.error_code})",
                    code=stored.error_code,
                )
            case AttemptKind.OPTED_OUT:
                raise PermanentDeliveryError(StatusReason.OPTED_OUT, f"{recipient} opted out")
            case AttemptKind.UNKNOWN:
                taken = await self._messages.provider_ids_to(recipient, provider.name)
                found = await provider.find(message, recipient, stored.attempted_at, taken)
                if found is not None:
                    logger.info("%s: an earlier attempt reached %s", key, provider.name)
                    recorded = await self._messages.accepted(
                        key, found.provider_message_id, found.status, _now()
                    )
                    return self._accepted(provider, recorded, duplicate=True)
        try:
            accepted = await provider.send(message, recipient)
        except PermanentDeliveryError as err:
            await self._messages.refused(key, err.reason, err.code, _now())
            raise
        except ProviderMisconfigured as err:
            logger.error("%s cannot send: %s", provider.name, err)
            await self._health.problem(provider.name, str(err))
            await self._messages.not_sent(key, _now())
            raise
        except TransientDeliveryError as err:
            if err.outcome_unknown:
                logger.warning("%s: outcome unknown, will look it up: %s", key, err)
            else:
                await self._messages.not_sent(key, _now())
            raise
        recorded = await self._messages.accepted(
            key, accepted.provider_message_id, accepted.status, _now()
        )
        await self._health.fine(provider.name)
        return self._accepted(provider, recorded, duplicate=False)

    @staticmethod
    def _accepted(provider: Provider, stored: StoredMessage, *, duplicate: bool) -> SendResult:
        """The send's result, once the provider has the message: a failure if the carrier
        already reported it undelivered (a report can overtake the provider's answer)."""
        if stored.status in UNDELIVERED:
            raise PermanentDeliveryError(
                provider.failure_reason(stored.error_code),
                f"{provider.name} reported the message {stored.status} (error {stored.error_code})",
                code=stored.error_code,
            )
        return SendResult(provider_message_id=stored.provider_message_id or "", duplicate=duplicate)


def _now() -> datetime:
    return datetime.now(UTC)
