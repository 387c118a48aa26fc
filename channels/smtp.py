"""E-mail over SMTP (``aiosmtplib``), configured by one URL.

``ENROLMENTS_SMTP_URL``: ``smtp://[user:password@]host:port`` (plain, or ``?starttls=true``
to upgrade with STARTTLS), ``smtps://...`` for implicit TLS (port 465 by default). Each message
is plain text with an HTML alternative, its ``Message-ID`` derived from the idempotency key, and
a signed one-click unsubscribe link (``List-Unsubscribe`` with ``List-Unsubscribe-Post``,
RFC 8058).

SMTP cannot be asked what it accepted. When a connection drops after the message's data was
sent but before the server's answer arrived, the outcome is unknown and the message is sent
again with the same ``Message-ID``: most mail systems (and the recipient's client) fold the two
together, but some may show both. That window (the time between the server storing a message
and its "250 OK" reaching us) is the one place a candidate could get an e-mail twice.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from channels.base import (
    Accepted,
    OutcomeUnknown,
    PermanentDeliveryError,
    ProviderMisconfigured,
    TransientDeliveryError,
)
from channels.unsubscribe import UnsubscribeLinks
from domain.enrolments import StatusReason
from domain.messages import OutboundMessage

#: How long one SMTP conversation may take.
SMTP_TIMEOUT = 20.0


class InvalidSmtpUrl(ValueError):
    """``ENROLMENTS_SMTP_URL`` is not an ``smtp://`` or ``smtps://`` URL."""


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to connect, from ``ENROLMENTS_SMTP_URL``."""

    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    starttls: bool

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """Parse ``smtp://[user:password@]host[:port][?starttls=true]`` or ``smtps://...``."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise InvalidSmtpUrl(
                "ENROLMENTS_SMTP_URL must look like smtp://user:password@host:587?starttls=true "
                "or smtps://user:password@host:465"
            )
        implicit = parts.scheme == "smtps"
        query = parse_qs(parts.query)
        starttls = query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes")
        if implicit and starttls:
            raise InvalidSmtpUrl("smtps:// is TLS from the start: drop ?starttls=true")
        try:
            port = parts.port or (465 if implicit else 25)
        except ValueError as err:
            raise InvalidSmtpUrl(f"ENROLMENTS_SMTP_URL has an invalid port: {err}") from err
        return cls(
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=implicit,
            starttls=starttls,
        )


class SmtpProvider:
    """Sends e-mails through one SMTP server."""

    name = "smtp"
    local = False

    def __init__(
        self, server: SmtpServer, sender: str, unsubscribe: UnsubscribeLinks | None
    ) -> None:
        self._server = server
        self._sender = sender
        self._unsubscribe = unsubscribe

    def compose(self, message: OutboundMessage, recipient: str) -> EmailMessage:
        """The e-mail for ``message``: text with an HTML alternative, headers set."""
        email = EmailMessage()
        email["From"] = self._sender
        email["To"] = recipient
        email["Subject"] = _one_line(message.subject or "")
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = message_id(message.idempotency_key, self._sender)
        if self._unsubscribe is not None:
            link = self._unsubscribe.url_for(recipient)
            email["List-Unsubscribe"] = f"<{link}>"
            email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email.set_content(message.body)
        paragraphs = "".join(
            f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in message.body.split("\n\n")
        )
        email.add_alternative(f"<!doctype html><html><body>{paragraphs}</body></html>", "html")
        return email

    async def send(self, message: OutboundMessage, recipient: str) -> Accepted:
        """Hand the e-mail to the SMTP server.

        A 5xx refusal of the recipient or the message is ``email_rejected``; 4xx answers and a
        server that cannot be reached are transient; a connection lost mid-conversation
        leaves the outcome unknown. A refused login or sender is our own configuration.
        """
        return await self.transmit(self.compose(message, recipient), recipient)

    async def transmit(self, email: EmailMessage, recipient: str) -> Accepted:
        """Hand a composed e-mail (``Message-ID`` set) to the SMTP server, with the errors of
        ``send``."""
        server = self._server
        try:
            await aiosmtplib.send(
                email,
                hostname=server.host,
                port=server.port,
                username=server.username,
                password=server.password,
                use_tls=server.implicit_tls,
                start_tls=server.starttls,
                timeout=SMTP_TIMEOUT,
            )
        except aiosmtplib.SMTPAuthenticationError as err:
            raise ProviderMisconfigured(f"SMTP login refused: {err}") from err
        except aiosmtplib.SMTPSenderRefused as err:
            raise ProviderMisconfigured(
                f"SMTP refused the sender {self._sender!r}: check ENROLMENTS_EMAIL_FROM ({err})"
            ) from err
        except aiosmtplib.SMTPRecipientsRefused as err:
            refused = err.recipients[0] if err.recipients else None
            code = refused.code if refused is not None else 550
            if code >= 500:
                raise PermanentDeliveryError(
                    StatusReason.EMAIL_REJECTED,
                    f"the mail server refused {recipient}: {code} {refused}",
                    code=str(code),
                ) from err
            raise TransientDeliveryError(f"recipient deferred: {code} {refused}") from err
        except aiosmtplib.SMTPResponseException as err:
            if err.code >= 500:
                raise PermanentDeliveryError(
                    StatusReason.EMAIL_REJECTED,
                    f"the mail server refused the message: {err.code} {err.message}",
                    code=str(err.code),
                ) from err
            raise TransientDeliveryError(f"mail server deferred: {err.code} {err.message}") from err
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPConnectTimeoutError) as err:
            raise TransientDeliveryError(f"cannot connect to the mail server: {err}") from err
        except (aiosmtplib.SMTPException, OSError) as err:
            raise OutcomeUnknown(f"the mail server conversation broke off: {err!r}") from err
        return Accepted(provider_message_id=email["Message-ID"], status="sent")

    async def find(
        self, message: OutboundMessage, recipient: str, since: datetime, taken: set[str]
    ) -> Accepted | None:
        """SMTP keeps no record we can ask: an unknown outcome is sent again (same Message-ID)."""
        return None

    async def check(self) -> str | None:
        """What is wrong with reaching the mail server (``None``: it answers)."""
        server = self._server
        client = aiosmtplib.SMTP(
            hostname=server.host,
            port=server.port,
            use_tls=server.implicit_tls,
            start_tls=server.starttls,
            timeout=5,
        )
        try:
            await client.connect()
            if server.username and server.password:
                await client.login(server.username, server.password)
            await client.quit()
        except aiosmtplib.SMTPAuthenticationError as err:
            return f"SMTP login refused: {err}"
        except (aiosmtplib.SMTPException, OSError) as err:
            return f"the mail server cannot be reached: {err!r}"
        return None

    def failure_reason(self, error_code: str | None) -> str:
        return StatusReason.UNDELIVERED

    async def aclose(self) -> None:
        """A connection is opened per message: nothing stays open."""


def _one_line(text: str) -> str:
    """A header value: line breaks (from a name or a subject) folded into spaces."""
    return " ".join(text.split())


def message_id(idempotency_key: str, sender: str) -> str:
    """The ``Message-ID`` of the message with ``idempotency_key``: the same on every attempt."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    domain = sender.rpartition("@")[2].strip(" >") or "enrolments.invalid"
    return f"<{digest}@{domain}>"
