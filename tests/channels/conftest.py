"""A fake Twilio over real HTTP, the providers pointed at it, and the ledger they record in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.dispatch import ProviderChannels
from channels.outbox import OutboxProvider
from channels.twilio import TwilioProvider
from domain.channels import ChannelKind
from store.messages import Messages
from store.provider_health import ProviderHealth
from tests.fakes.twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SMS_FROM,
    WHATSAPP_FROM,
    FakeTwilio,
    fake_twilio,
)

STATUS_CALLBACK = "https://recruiting.example.com/webhooks/twilio/status"


@pytest_asyncio.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    async with fake_twilio() as fake:
        yield fake


def twilio_provider(fake: FakeTwilio, **overrides: str | None) -> TwilioProvider:
    settings: dict[str, str | None] = {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "api_url": fake.url,
        "sms_from": SMS_FROM,
        "whatsapp_from": WHATSAPP_FROM,
        "status_callback": STATUS_CALLBACK,
        **overrides,
    }
    return TwilioProvider(**settings)  # type: ignore[arg-type]


@pytest_asyncio.fixture
async def provider(twilio: FakeTwilio) -> AsyncIterator[TwilioProvider]:
    made = twilio_provider(twilio)
    yield made
    await made.aclose()


def channels_through(
    provider: TwilioProvider, sessions: async_sessionmaker[AsyncSession]
) -> ProviderChannels:
    """SMS and WhatsApp through ``provider``, e-mail to the outbox."""
    providers = {
        ChannelKind.SMS: provider,
        ChannelKind.WHATSAPP: provider,
        ChannelKind.EMAIL: OutboxProvider(),
    }
    return ProviderChannels(providers, Messages(sessions), ProviderHealth(sessions))
