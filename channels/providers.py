"""Which provider carries each channel, chosen by the environment (API.md, "Delivery providers").

SMS and WhatsApp go through Twilio when ``TWILIO_ACCOUNT_SID`` and ``TWILIO_AUTH_TOKEN`` are
set, e-mail over SMTP when ``ENROLMENTS_SMTP_URL`` is; any channel without a provider uses the
outbox, so the embedded stack needs nothing.
"""

from __future__ import annotations

import logging

import httpx

from channels.base import Provider
from channels.outbox import OutboxProvider
from channels.smtp import SmtpProvider, SmtpServer
from channels.twilio import TwilioProvider
from channels.unsubscribe import UnsubscribeLinks
from config.private_files import kept_secret
from config.settings import Settings
from domain.channels import CHANNELS, AddressKind, ChannelKind

logger = logging.getLogger(__name__)

STATUS_CALLBACK_PATH = "/webhooks/twilio/status"
UNSUBSCRIBE_KEY_FILE = "unsubscribe.key"


def unsubscribe_links(settings: Settings) -> UnsubscribeLinks | None:
    """The deployment's unsubscribe links, when e-mail goes out over SMTP.

    The secret is ``ENROLMENTS_UNSUBSCRIBE_SECRET``, else a random key kept in the data folder
    (made on first use), which suits one machine.
    """
    if settings.smtp_url is None:
        return None
    if settings.unsubscribe_secret is not None:
        secret = settings.unsubscribe_secret.get_secret_value().encode()
    else:
        secret = kept_secret(settings.data_dir / UNSUBSCRIBE_KEY_FILE).encode()
    return UnsubscribeLinks(secret, settings.public_base)


def build_providers(settings: Settings) -> dict[ChannelKind, Provider]:
    """The provider of each channel, as configured."""
    outbox = OutboxProvider()
    providers: dict[ChannelKind, Provider] = dict.fromkeys(ChannelKind, outbox)
    if settings.twilio_configured and settings.twilio_auth_token is not None:
        callback = (
            f"{settings.public_url.rstrip('/')}{STATUS_CALLBACK_PATH}"
            if settings.public_url
            else None
        )
        if callback is None:
            logger.warning(
                "ENROLMENTS_PUBLIC_URL is not set: Twilio will not report deliveries, so a "
                "message the carrier drops later does not fail its enrolment"
            )
        twilio = TwilioProvider(
            account_sid=settings.twilio_account_sid or "",
            auth_token=settings.twilio_auth_token.get_secret_value(),
            api_url=settings.twilio_api_url,
            sms_from=settings.sms_from,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            whatsapp_from=settings.whatsapp_from,
            status_callback=callback,
            timeout=httpx.Timeout(
                settings.twilio_timeout, connect=min(5.0, settings.twilio_timeout)
            ),
        )
        for kind in _reached_at(AddressKind.PHONE):
            providers[kind] = twilio
    if settings.smtp_url is not None:
        smtp = SmtpProvider(
            SmtpServer.from_url(settings.smtp_url.get_secret_value()),
            settings.email_from or "",
            unsubscribe_links(settings),
        )
        for kind in _reached_at(AddressKind.EMAIL):
            providers[kind] = smtp
    return providers


def _reached_at(address: AddressKind) -> list[ChannelKind]:
    """The channels a candidate is reached on at an ``address`` of this kind."""
    return [kind for kind, traits in CHANNELS.items() if traits.address is address]


def describe_providers(settings: Settings) -> list[str]:
    """One line per channel: where its messages go (for the dev stack's banner)."""
    lines = []
    for channel, traits in CHANNELS.items():
        phone = traits.address is AddressKind.PHONE
        if phone and settings.twilio_configured:
            sender = (
                settings.whatsapp_from
                if channel is ChannelKind.WHATSAPP
                else settings.twilio_messaging_service_sid or settings.sms_from
            )
            lines.append(f"{channel.value}: Twilio (from {sender or 'no sender set'})")
        elif not phone and settings.smtp_url is not None:
            server = SmtpServer.from_url(settings.smtp_url.get_secret_value())
            lines.append(f"email: SMTP {server.host}:{server.port} (from {settings.email_from})")
        else:
            lines.append(f"{channel.value}: outbox (stored, not sent)")
    return lines
