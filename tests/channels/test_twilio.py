"""SMS and WhatsApp through Twilio: the request Twilio checks, and every answer it can give."""

from __future__ import annotations

import json
import uuid

import pytest

from channels.base import (
    OutcomeUnknown,
    PermanentDeliveryError,
    ProviderMisconfigured,
    TransientDeliveryError,
)
from channels.twilio import TwilioProvider, failure_reason
from domain.candidates import CandidateContact
from domain.channels import ChannelKind
from domain.enrolments import StatusReason
from domain.messages import OutboundMessage, WhatsAppContent
from tests.channels.conftest import STATUS_CALLBACK, twilio_provider
from tests.fakes.twilio import SMS_FROM, WHATSAPP_FROM, FakeTwilio

PHONE = "+14155550123"


def sms(body: str = "Hi Ana", *, channel: ChannelKind = ChannelKind.SMS) -> OutboundMessage:
    enrolment = f"enr_{uuid.uuid4().hex[:24]}"
    return OutboundMessage(
        idempotency_key=f"{enrolment}:1",
        enrolment_id=enrolment,
        message_number=1,
        channel=channel,
        candidate=CandidateContact(id="c1", name="Ana", phone=PHONE),
        body=body,
    )


async def test_an_sms_is_created_form_encoded_with_its_sender_and_status_callback(
    twilio: FakeTwilio, provider: TwilioProvider
) -> None:
    accepted = await provider.send(sms("Hello {first_name} stays literal"), PHONE)

    [created] = twilio.messages
    assert accepted.provider_message_id == created.sid
    assert (created.to, created.sender, created.body) == (
        PHONE,
        SMS_FROM,
        "Hello {first_name} stays literal",
    )
    assert created.status_callback == STATUS_CALLBACK


async def test_a_messaging_service_replaces_the_sender(twilio: FakeTwilio) -> None:
    provider = twilio_provider(twilio, sms_from=None, messaging_service_sid="MG" + "1" * 32)
    try:
        await provider.send(sms(), PHONE)
    finally:
        await provider.aclose()

    [created] = twilio.messages
    assert created.messaging_service_sid == "MG" + "1" * 32


async def test_whatsapp_goes_to_whatsapp_addresses_and_opens_with_the_template(
    twilio: FakeTwilio, provider: TwilioProvider
) -> None:
    welcome = sms(channel=ChannelKind.WHATSAPP).model_copy(
        update={"template": WhatsAppContent(content_sid="HX" + "a" * 32, variables={"1": "Ana"})}
    )

    await provider.send(welcome, PHONE)

    [created] = twilio.messages
    assert (created.to, created.sender) == (f"whatsapp:{PHONE}", f"whatsapp:{WHATSAPP_FROM}")
    assert (created.content_sid, created.content_variables, created.body) == (
        "HX" + "a" * 32,
        {"1": "Ana"},
        None,
    )


async def test_free_text_outside_the_whatsapp_window_fails_the_candidate(
    twilio: FakeTwilio, provider: TwilioProvider
) -> None:
    twilio.whatsapp_window_open = False

    with pytest.raises(PermanentDeliveryError) as refused:
        await provider.send(sms(channel=ChannelKind.WHATSAPP), PHONE)

    assert (refused.value.reason, refused.value.code) == (
        StatusReason.OUTSIDE_WHATSAPP_WINDOW,
        "63016",
    )


@pytest.mark.parametrize(
    ("number", "reason", "code"),
    [
        ("+15005550001", StatusReason.INVALID_PHONE_NUMBER, "21211"),
        ("+15005550004", StatusReason.OPTED_OUT, "21610"),
        ("+15005550009", StatusReason.LANDLINE, "21614"),
        ("+15005550002", StatusReason.PROVIDER_REJECTED, "21612"),
    ],
)
async def test_twilio_refusals_map_to_failure_reasons(
    provider: TwilioProvider, number: str, reason: StatusReason, code: str
) -> None:
    with pytest.raises(PermanentDeliveryError) as refused:
        await provider.send(sms(), number)

    assert (refused.value.reason, refused.value.code) == (reason, code)
    assert code in refused.value.detail


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ((429, 20429), TransientDeliveryError),
        ((503, None), OutcomeUnknown),
        ((500, 20500), OutcomeUnknown),
        ((401, 20003), ProviderMisconfigured),
        ((400, 21212), ProviderMisconfigured),
    ],
)
async def test_busy_broken_or_misconfigured_is_never_the_candidates_failure(
    twilio: FakeTwilio,
    provider: TwilioProvider,
    answer: tuple[int, int | None],
    error: type[TransientDeliveryError],
) -> None:
    twilio.misbehave.refusals.append(answer)

    with pytest.raises(error) as raised:
        await provider.send(sms(), PHONE)

    assert type(raised.value) is error


async def test_wrong_credentials_are_a_misconfiguration(twilio: FakeTwilio) -> None:
    provider = twilio_provider(twilio, auth_token="wrong")
    try:
        with pytest.raises(ProviderMisconfigured, match="TWILIO_AUTH_TOKEN"):
            await provider.send(sms(), PHONE)
        assert "TWILIO_AUTH_TOKEN" in (await provider.check() or "")
    finally:
        await provider.aclose()


async def test_an_unknown_sender_is_a_misconfiguration(twilio: FakeTwilio) -> None:
    provider = twilio_provider(twilio, sms_from="+15550000000")
    try:
        with pytest.raises(ProviderMisconfigured, match="ENROLMENTS_SMS_FROM"):
            await provider.send(sms(), PHONE)
    finally:
        await provider.aclose()


async def test_a_lost_answer_is_found_at_twilio(
    twilio: FakeTwilio, provider: TwilioProvider
) -> None:
    message = sms("Your interview is booked")
    for _ in range(60):  # other messages to the same number, over more than one page
        await provider.send(sms("something else"), PHONE)
    accepted = await provider.send(message, PHONE)

    found = await provider.find(message, PHONE, twilio.messages[0].created, taken=set())

    assert found is not None and found.provider_message_id == accepted.provider_message_id
    assert await provider.find(sms("never sent"), PHONE, twilio.messages[0].created, set()) is None
    assert (
        await provider.find(message, PHONE, twilio.messages[0].created, {found.provider_message_id})
        is None
    )


def test_carrier_error_codes_map_to_failure_reasons() -> None:
    assert failure_reason("30003") is StatusReason.UNREACHABLE
    assert failure_reason("30005") is StatusReason.UNREACHABLE
    assert failure_reason("30006") is StatusReason.LANDLINE
    assert failure_reason("30007") is StatusReason.CARRIER_FILTERED
    assert failure_reason("63016") is StatusReason.OUTSIDE_WHATSAPP_WINDOW
    assert failure_reason("30008") is StatusReason.UNDELIVERED
    assert failure_reason(None) is StatusReason.UNDELIVERED
    assert json.dumps(failure_reason("21610")) == '"opted_out"'
