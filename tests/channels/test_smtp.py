"""E-mail over SMTP, against a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.base import OutcomeUnknown, PermanentDeliveryError, TransientDeliveryError
from channels.dispatch import ProviderChannels
from channels.outbox import OutboxProvider
from channels.smtp import InvalidSmtpUrl, SmtpProvider, SmtpServer, message_id
from channels.unsubscribe import UnsubscribeLinks
from domain.candidates import CandidateContact
from domain.channels import ChannelKind
from domain.enrolments import StatusReason
from domain.messages import OutboundMessage
from store.messages import Messages
from store.provider_health import ProviderHealth
from tests.fakes.smtp import FakeMailServer, fake_mail_server

Sessions = async_sessionmaker[AsyncSession]
SENDER = "Recruiting <jobs@acme.example>"
LINKS = UnsubscribeLinks(b"secret", "https://recruiting.example.com")


@pytest.fixture
def mail() -> Iterator[FakeMailServer]:
    with fake_mail_server() as server:
        yield server


def provider_for(mail: FakeMailServer) -> SmtpProvider:
    return SmtpProvider(SmtpServer.from_url(mail.url), SENDER, LINKS)


def invitation(address: str = "ana@example.com") -> OutboundMessage:
    enrolment = f"enr_{uuid.uuid4().hex[:24]}"
    return OutboundMessage(
        idempotency_key=f"{enrolment}:1",
        enrolment_id=enrolment,
        message_number=1,
        channel=ChannelKind.EMAIL,
        candidate=CandidateContact(id="c1", name="Ana", email=address),
        body="Hi Ana,\n\nPlease pick a time <here>.",
        subject="Your interview at Acme",
    )


def channels(provider: SmtpProvider, sessions: Sessions) -> ProviderChannels:
    providers = {
        ChannelKind.EMAIL: provider,
        ChannelKind.SMS: OutboxProvider(),
        ChannelKind.WHATSAPP: OutboxProvider(),
    }
    return ProviderChannels(providers, Messages(sessions), ProviderHealth(sessions))


async def test_an_email_has_text_html_a_stable_message_id_and_one_click_unsubscribe(
    mail: FakeMailServer,
) -> None:
    message = invitation()

    accepted = await provider_for(mail).send(message, "ana@example.com")

    [received] = mail.received
    assert received["Subject"] == "Your interview at Acme"
    assert received["To"] == "ana@example.com"
    assert received["Message-ID"] == accepted.provider_message_id
    assert received["Message-ID"] == message_id(message.idempotency_key, SENDER)
    assert received["List-Unsubscribe"] == f"<{LINKS.url_for('ana@example.com')}>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = received.get_body(("plain",))
    rich = received.get_body(("html",))
    assert text is not None and "Please pick a time <here>." in text.get_content()
    assert rich is not None and "&lt;here&gt;" in rich.get_content()


async def test_a_refused_recipient_fails_as_email_rejected(mail: FakeMailServer) -> None:
    mail.refused.add("gone@example.com")

    with pytest.raises(PermanentDeliveryError) as refused:
        await provider_for(mail).send(invitation("gone@example.com"), "gone@example.com")

    assert (refused.value.reason, refused.value.code) == (StatusReason.EMAIL_REJECTED, "550")


async def test_a_deferred_recipient_is_tried_again(mail: FakeMailServer) -> None:
    mail.deferred.add("busy@example.com")

    with pytest.raises(TransientDeliveryError):
        await provider_for(mail).send(invitation("busy@example.com"), "busy@example.com")


async def test_an_unreachable_server_is_transient() -> None:
    provider = SmtpProvider(SmtpServer.from_url("smtp://127.0.0.1:9"), SENDER, None)

    with pytest.raises(TransientDeliveryError) as raised:
        await provider.send(invitation(), "ana@example.com")

    assert not raised.value.outcome_unknown
    assert "cannot be reached" in (await provider.check() or "")


async def test_a_connection_dropped_after_the_data_resends_with_the_same_message_id(
    mail: FakeMailServer, db_sessions: Sessions
) -> None:
    mail.drops_after_data = 1
    sender = channels(provider_for(mail), db_sessions)
    message = invitation()

    with pytest.raises(OutcomeUnknown):
        await sender.send(message)
    await sender.send(message)
    await sender.send(message)

    # The documented window: both copies carry one Message-ID for the mail system to fold.
    assert [m["Message-ID"] for m in mail.received] == [
        message_id(message.idempotency_key, SENDER)
    ] * 2


@pytest.mark.parametrize(
    ("url", "server"),
    [
        ("smtp://mail.example.com:2525", ("mail.example.com", 2525, None, None, False, False)),
        (
            "smtps://u%40x:p%3Aw@mail.example.com",
            ("mail.example.com", 465, "u@x", "p:w", True, False),
        ),
        (
            "smtp://u:p@mail.example.com:587?starttls=true",
            ("mail.example.com", 587, "u", "p", False, True),
        ),
    ],
)
def test_the_smtp_url_says_where_and_how(url: str, server: tuple[object, ...]) -> None:
    parsed = SmtpServer.from_url(url)
    assert (
        parsed.host,
        parsed.port,
        parsed.username,
        parsed.password,
        parsed.implicit_tls,
        parsed.starttls,
    ) == server


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "smtps://h?starttls=true"])
def test_a_bad_smtp_url_is_refused(url: str) -> None:
    with pytest.raises(InvalidSmtpUrl):
        SmtpServer.from_url(url)


def test_unsubscribe_links_are_signed() -> None:
    token = LINKS.token_for("ana@example.com")

    assert LINKS.address_of(token) == "ana@example.com"
    other = UnsubscribeLinks(b"other secret", "https://x")
    with pytest.raises(ValueError):
        other.address_of(token)
    with pytest.raises(ValueError):
        LINKS.address_of(token.replace(token[-4:], "AAAA"))
