"""Interview invitations by e-mail: a short text, with the iCalendar invitation both as the
``text/calendar`` part mail clients show as an invitation (Accept / Decline) and as an
``invite.ics`` attachment for the others.

Sent over SMTP when it is configured; otherwise the ledger row (``store.invitations``) is the
record, as the outbox is for candidates' messages.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate

from pydantic import BaseModel

from channels.base import Accepted
from channels.smtp import SmtpProvider, message_id


class InvitationMail(BaseModel):
    """One invitation e-mail to one person. ``key`` makes a repeat the same e-mail."""

    key: str
    to: str
    subject: str
    body: str
    ics: bytes
    #: ``REQUEST`` or ``CANCEL`` (the calendar file's ``METHOD``).
    method: str


class PlainMail(BaseModel):
    """A plain e-mail about interviews (an availability request). ``key``: as above."""

    key: str
    to: str
    subject: str
    body: str


class InvitationMailer:
    """Sends invitation e-mails from ``sender`` through ``smtp`` (``None``: nowhere, recorded
    only)."""

    def __init__(self, smtp: SmtpProvider | None, sender: str) -> None:
        self._smtp = smtp
        self._sender = sender

    @property
    def sends(self) -> bool:
        return self._smtp is not None

    def _email(self, key: str, to: str, subject: str, body: str) -> EmailMessage:
        """A text e-mail with its headers; ``key`` makes its ``Message-ID``."""
        email = EmailMessage()
        email["From"] = self._sender
        email["To"] = to
        email["Subject"] = " ".join(subject.split())
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = message_id(key, self._sender)
        email.set_content(body)
        return email

    def compose(self, mail: InvitationMail) -> EmailMessage:
        """The invitation e-mail: the text, the calendar part and the ``.ics`` attachment."""
        email = self._email(mail.key, mail.to, mail.subject, mail.body)
        email.add_alternative(mail.ics.decode(), subtype="calendar", params={"method": mail.method})
        email.add_attachment(mail.ics, maintype="text", subtype="calendar", filename="invite.ics")
        return email

    async def send_plain(self, mail: PlainMail) -> Accepted:
        """Send a plain e-mail (the errors of ``SmtpProvider.send``); recorded only without
        SMTP."""
        if self._smtp is None:
            return Accepted(provider_message_id=f"outbox-{mail.key}", status="recorded")
        return await self._smtp.transmit(
            self._email(mail.key, mail.to, mail.subject, mail.body), mail.to
        )

    async def send(self, mail: InvitationMail) -> Accepted:
        """Hand the e-mail over (the errors of ``SmtpProvider.send``); recorded only without
        SMTP."""
        if self._smtp is None:
            return Accepted(provider_message_id=f"outbox-{mail.key}", status="recorded")
        return await self._smtp.transmit(self.compose(mail), mail.to)
