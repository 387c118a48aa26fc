"""A real SMTP server for the tests (``aiosmtpd``) that records what it accepted and can refuse
recipients (5xx), defer them (4xx), or store a message and drop the connection before its
"250 OK" (the one moment an SMTP client cannot know whether the message went through)."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from config.ports import free_port


@dataclass
class FakeMailServer:
    received: list[EmailMessage] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)
    deferred: set[str] = field(default_factory=set)
    drops_after_data: int = 0
    port: int = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 no such user here"
        if address in self.deferred:
            return "450 4.2.1 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        if self.drops_after_data:
            self.drops_after_data -= 1
            server.transport.close()  # stored, but the client never hears "250"
        return "250 OK: queued"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@contextmanager
def fake_mail_server() -> Iterator[FakeMailServer]:
    server = FakeMailServer()
    server.port = free_port()
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
