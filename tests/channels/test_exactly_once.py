"""A candidate never gets the same message twice: the attempt is recorded before Twilio is
called, and an attempt whose answer was lost is looked up at Twilio before sending again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.base import Accepted, OutcomeUnknown, PermanentDeliveryError, TransientDeliveryError
from channels.twilio import TwilioProvider
from domain.candidates import CandidateContact
from domain.channels import ChannelKind
from domain.enrolments import StatusReason
from domain.messages import OutboundMessage
from store.delivery_reports import DeliveryReports
from store.messages import Messages, MessageStatus
from store.opt_outs import OptOuts
from store.provider_health import ProviderHealth
from tests.channels.conftest import channels_through, twilio_provider
from tests.fakes.twilio import FakeTwilio

Sessions = async_sessionmaker[AsyncSession]
PHONE = "+14155550123"


def welcome(phone: str = PHONE) -> OutboundMessage:
    enrolment = f"enr_{uuid.uuid4().hex[:24]}"
    return OutboundMessage(
        idempotency_key=f"{enrolment}:1",
        enrolment_id=enrolment,
        message_number=1,
        channel=ChannelKind.SMS,
        candidate=CandidateContact(id="c1", name="Ana", phone=phone),
        body="Welcome, Ana!",
    )


@pytest.fixture
async def impatient(twilio: FakeTwilio) -> TwilioProvider:
    """A provider that gives up on an answer after half a second."""
    return twilio_provider(twilio, timeout=httpx.Timeout(0.5))  # type: ignore[arg-type]


async def test_an_answer_lost_after_twilio_accepted_does_not_text_twice(
    twilio: FakeTwilio, impatient: TwilioProvider, db_sessions: Sessions
) -> None:
    channels = channels_through(impatient, db_sessions)
    message = welcome()
    twilio.misbehave.swallowed_answers = 1

    with pytest.raises(OutcomeUnknown):
        await channels.send(message)
    retried = await channels.send(message)
    again = await channels.send(message)

    [sent] = twilio.messages
    assert retried.provider_message_id == again.provider_message_id == sent.sid
    stored = await Messages(db_sessions).get(message.idempotency_key)
    assert stored is not None and stored.provider_message_id == sent.sid
    await impatient.aclose()


async def test_a_request_twilio_never_took_is_sent_afresh(
    twilio: FakeTwilio, provider: TwilioProvider, db_sessions: Sessions
) -> None:
    channels = channels_through(provider, db_sessions)
    twilio.misbehave.refusals.append((429, 20429))
    message = welcome()

    with pytest.raises(TransientDeliveryError):
        await channels.send(message)
    sent = await channels.send(message)

    assert [m.sid for m in twilio.messages] == [sent.provider_message_id]
    assert twilio.lists == 0, "no lookup: Twilio never processes a 429"


async def test_an_opted_out_number_fails_without_a_call_to_twilio(
    twilio: FakeTwilio, provider: TwilioProvider, db_sessions: Sessions
) -> None:
    await OptOuts(db_sessions).set(PHONE, True)

    with pytest.raises(PermanentDeliveryError) as refused:
        await channels_through(provider, db_sessions).send(welcome())

    assert refused.value.reason == StatusReason.OPTED_OUT
    assert twilio.creates == 0


async def test_a_refused_message_stays_refused_without_asking_twilio_again(
    twilio: FakeTwilio, provider: TwilioProvider, db_sessions: Sessions
) -> None:
    channels = channels_through(provider, db_sessions)
    message = welcome("+15005550009")

    for _ in range(2):
        with pytest.raises(PermanentDeliveryError) as refused:
            await channels.send(message)
        assert (refused.value.reason, refused.value.code) == (StatusReason.LANDLINE, "21614")

    assert twilio.creates == 1
    stored = await Messages(db_sessions).get(message.idempotency_key)
    assert stored is not None and stored.status is MessageStatus.REFUSED


async def test_bad_credentials_keep_the_message_waiting_and_say_so(
    twilio: FakeTwilio, db_sessions: Sessions
) -> None:
    broken = twilio_provider(twilio, auth_token="wrong")
    message = welcome()
    with pytest.raises(TransientDeliveryError):
        await channels_through(broken, db_sessions).send(message)
    [problem] = await ProviderHealth(db_sessions).problems()
    assert problem.provider == "twilio" and "TWILIO_AUTH_TOKEN" in problem.problem
    await broken.aclose()

    fixed = twilio_provider(twilio)
    sent = await channels_through(fixed, db_sessions).send(message)
    await fixed.aclose()

    assert [m.sid for m in twilio.messages] == [sent.provider_message_id]
    assert await ProviderHealth(db_sessions).problems() == []


async def test_a_failure_report_that_overtook_the_answer_fails_the_send(
    twilio: FakeTwilio, provider: TwilioProvider, db_sessions: Sessions
) -> None:
    channels = channels_through(provider, db_sessions)
    message = welcome()
    # The carrier's report reaches us before Twilio's answer to the create call does.
    real_send = provider.send

    async def send_then_report(sent: OutboundMessage, recipient: str) -> Accepted:
        accepted = await real_send(sent, recipient)
        await DeliveryReports(db_sessions).record(
            accepted.provider_message_id, "undelivered", "30007", datetime.now(UTC)
        )
        return accepted

    provider.send = send_then_report  # type: ignore[method-assign]

    with pytest.raises(PermanentDeliveryError) as failed:
        await channels.send(message)

    assert failed.value.reason == StatusReason.CARRIER_FILTERED


async def test_a_retry_that_finds_the_message_reported_undelivered_fails_it(
    twilio: FakeTwilio, impatient: TwilioProvider, db_sessions: Sessions
) -> None:
    channels = channels_through(impatient, db_sessions)
    message = welcome()
    twilio.misbehave.swallowed_answers = 1
    with pytest.raises(OutcomeUnknown):
        await channels.send(message)
    [sent] = twilio.messages
    # The carrier's report comes while the worker that sent it is gone.
    await DeliveryReports(db_sessions).record(sent.sid, "undelivered", "30003", datetime.now(UTC))

    with pytest.raises(PermanentDeliveryError) as failed:
        await channels.send(message)

    assert failed.value.reason == StatusReason.UNREACHABLE
    assert twilio.creates == 1
    await impatient.aclose()
