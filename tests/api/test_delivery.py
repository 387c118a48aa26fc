"""Sending for real, over HTTP: the product configured with Twilio and SMTP (fakes of our own),
from the ATS event to the message at the provider and back through its status callbacks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from api.signatures import twilio_signature
from tests.api.conftest import Stack, StackFactory, blast_campaign, multi_module_campaign
from tests.api.test_interviews import (
    enrol,
    free,
    interviewer,
    schedule_campaign,
    scheduling_job,
    tomorrow,
)
from tests.fakes.smtp import FakeMailServer, fake_mail_server
from tests.fakes.twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SMS_FROM,
    WHATSAPP_FROM,
    FakeTwilio,
    fake_twilio,
)

pytestmark = pytest.mark.devserver

PUBLIC_URL = "https://recruiting.example.com"
STATUS_URL = f"{PUBLIC_URL}/webhooks/twilio/status"
TEMPLATE = "HX" + "b" * 32


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    async with fake_twilio() as fake:
        yield fake


@pytest.fixture
def mail() -> Iterator[FakeMailServer]:
    with fake_mail_server() as server:
        yield server


def providers(twilio: FakeTwilio, mail: FakeMailServer | None = None) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_api_url": twilio.url,
        "sms_from": SMS_FROM,
        "whatsapp_from": WHATSAPP_FROM,
        "public_url": PUBLIC_URL,
    }
    if mail is not None:
        settings |= {"smtp_url": mail.url, "email_from": "Acme Jobs <jobs@acme.example>"}
    return settings


@pytest.fixture
async def live(
    open_stack: StackFactory, twilio: FakeTwilio, mail: FakeMailServer
) -> AsyncIterator[Stack]:
    async with open_stack(**providers(twilio, mail)) as stack:
        yield stack


async def status_callback(stack: Stack, url: str, **form: str) -> None:
    """Post a status callback the way Twilio does: signed for the URL it called."""
    response = await stack.http.post(
        "/webhooks/twilio/status",
        data=form,
        headers={"X-Twilio-Signature": twilio_signature(AUTH_TOKEN, url, list(form.items()))},
    )
    assert response.status_code == 200, response.text


async def test_an_sms_reaches_twilio_once_personalised_and_is_tracked(
    live: Stack, twilio: FakeTwilio
) -> None:
    campaign = blast_campaign("Hi {first_name}, thanks for applying to {job_name}. {{ok}}")
    rejection = await live.put_campaign("rejection", campaign)
    job = await live.put_job(
        "Night nurse", [{"id": "r", "name": "Rejected", "campaign_id": rejection}]
    )
    event = live.ats_event(job_id=job, stage_id="r", application="a", candidate="ana")
    event["candidate"]["name"] = "Ana {job_name} Silva"

    [enrolment] = await live.send_event(event)
    delivered = await live.wait_for(enrolment["id"], "delivered")

    [sent] = twilio.messages
    assert sent.to == "+14155550123"
    assert sent.body == "Hi Ana, thanks for applying to Night nurse. {ok}"
    assert sent.status_callback == STATUS_URL
    [message] = delivered["messages"]
    assert (message["provider"], message["provider_message_id"], message["status"]) == (
        "twilio",
        sent.sid,
        "queued",
    )

    # Twilio reports, twice and out of order, signed with and without the default port.
    for url, status in [
        (STATUS_URL, "sent"),
        ("https://recruiting.example.com:443/webhooks/twilio/status", "read"),
        (STATUS_URL, "delivered"),
        (STATUS_URL, "sent"),
    ]:
        await status_callback(live, url, MessageSid=sent.sid, MessageStatus=status)
    [tracked] = (await live.enrolment(enrolment["id"]))["messages"]
    assert tracked["status"] == "read"
    assert (await live.enrolment(enrolment["id"]))["status"] == "delivered"


async def test_a_later_carrier_failure_fails_the_enrolment_with_its_reason(
    live: Stack, twilio: FakeTwilio
) -> None:
    rejection = await live.put_campaign("rejection", blast_campaign())
    job = await live.put_job("job", [{"id": "r", "name": "Rejected", "campaign_id": rejection}])
    [enrolment] = await live.send_event(
        live.ats_event(job_id=job, stage_id="r", application="a", candidate="c")
    )
    await live.wait_for(enrolment["id"], "delivered")
    [sent] = twilio.messages

    for _ in range(2):
        await status_callback(
            live, STATUS_URL, MessageSid=sent.sid, MessageStatus="undelivered", ErrorCode="30007"
        )

    failed = await live.wait_for(enrolment["id"], "failed")
    assert failed["status_reason"] == "carrier_filtered"
    [message] = failed["messages"]
    assert (message["status"], message["error_code"]) == ("undelivered", "30007")
    assert [t["status"] for t in failed["timeline"]].count("failed") == 1


async def test_twilio_refusals_fail_enrolments_with_the_documented_reasons(
    live: Stack, twilio: FakeTwilio
) -> None:
    rejection = await live.put_campaign("rejection", blast_campaign())
    job = await live.put_job("job", [{"id": "r", "name": "Rejected", "campaign_id": rejection}])
    expected = {"+15005550009": "landline", "+15005550004": "opted_out"}

    for n, (phone, reason) in enumerate(expected.items()):
        [enrolment] = await live.send_event(
            live.ats_event(
                job_id=job, stage_id="r", application=f"a{n}", candidate=f"c{n}", phone=phone
            )
        )
        failed = await live.wait_for(enrolment["id"], "failed")
        assert failed["status_reason"] == reason, failed
    assert twilio.messages == []


async def test_a_whatsapp_welcome_opens_with_the_template_and_the_closing_is_free_text(
    live: Stack, twilio: FakeTwilio
) -> None:
    campaign = multi_module_campaign(modules=1) | {
        "channel": "whatsapp",
        "messages": ["Welcome {first_name}!", "Thanks {first_name}, all done."],
        "whatsapp_template": {"content_sid": TEMPLATE, "variables": {"1": "{first_name}"}},
    }
    screening = await live.put_campaign("screening", campaign)
    job = await live.put_job("job", [{"id": "s", "name": "Screen", "campaign_id": screening}])
    [enrolment] = await live.send_event(
        live.ats_event(job_id=job, stage_id="s", application="a", candidate="c")
    )
    await live.wait_for(enrolment["id"], "delivered")
    response = await live.progress(enrolment["id"], "m1", "completed")
    assert response.status_code == 202
    await live.wait_for(enrolment["id"], "completed")

    for _ in range(100):
        if len(twilio.messages) == 2:
            break
        await asyncio.sleep(0.05)
    welcome, closing = twilio.messages
    assert (welcome.to, welcome.sender) == ("whatsapp:+14155550123", f"whatsapp:{WHATSAPP_FROM}")
    assert (welcome.content_sid, welcome.content_variables, welcome.body) == (
        TEMPLATE,
        {"1": "Candidate"},
        None,
    )
    assert (closing.content_sid, closing.body) == (None, "Thanks Candidate, all done.")


async def test_an_email_goes_over_smtp_and_its_one_click_link_unsubscribes(
    live: Stack, mail: FakeMailServer
) -> None:
    campaign = blast_campaign("We will keep your CV, {first_name}.") | {
        "channel": "email",
        "subject": "Your application to {job_name}",
    }
    rejection = await live.put_campaign("rejection", campaign)
    job = await live.put_job("Welder", [{"id": "r", "name": "Rejected", "campaign_id": rejection}])

    def email_event(n: int) -> dict[str, Any]:
        event = live.ats_event(job_id=job, stage_id="r", application=f"a{n}", candidate=f"c{n}")
        event["candidate"]["email"] = "ana@example.com"
        return event

    [first] = await live.send_event(email_event(1))
    await live.wait_for(first["id"], "delivered")
    [received] = mail.received
    assert received["Subject"] == "Your application to Welder"
    link = received["List-Unsubscribe"].strip("<>")
    assert link.startswith(f"{PUBLIC_URL}/unsubscribe/email?token=")
    path = urlsplit(link)
    local = f"{path.path}?{path.query}"

    page = await live.http.get(local)
    assert page.status_code == 200 and "Unsubscribe" in page.text
    [second] = await live.send_event(email_event(2))
    await live.wait_for(second["id"], "delivered")  # a GET (a link scanner) changed nothing

    one_click = await live.http.post(local, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200, one_click.text
    [third] = await live.send_event(email_event(3))
    assert (await live.wait_for(third["id"], "failed"))["status_reason"] == "opted_out"
    forged = await live.http.post("/unsubscribe/email?token=bm9wZQ.AAAA")
    assert forged.status_code == 400


async def test_bad_twilio_credentials_keep_messages_waiting_and_show_on_healthz(
    open_stack: StackFactory, twilio: FakeTwilio
) -> None:
    async with open_stack(**(providers(twilio) | {"twilio_auth_token": "wrong"})) as stack:
        rejection = await stack.put_campaign("rejection", blast_campaign())
        job = await stack.put_job("job", [{"id": "r", "name": "R", "campaign_id": rejection}])
        [enrolment] = await stack.send_event(
            stack.ats_event(job_id=job, stage_id="r", application="a", candidate="c")
        )

        for _ in range(100):
            health = (await stack.http.get("/healthz")).json()
            if health["delivery"]:
                break
            await asyncio.sleep(0.05)

        assert health["status"] == "degraded"
        assert "TWILIO_AUTH_TOKEN" in health["delivery"]["twilio"]
        assert (await stack.enrolment(enrolment["id"]))["status"] == "sending"
        assert twilio.messages == []


@pytest.mark.parametrize("reply", ["Stop.", "  stop!  ", "REVOKE", "OptOut", "unsubscribe"])
async def test_stop_type_replies_opt_out_whatever_their_case_and_punctuation(
    stack: Stack, reply: str
) -> None:
    rejection = await stack.put_campaign("rejection", blast_campaign())
    job = await stack.put_job("job", [{"id": "r", "name": "R", "campaign_id": rejection}])

    await stack.http.post("/webhooks/twilio/inbound", data={"From": "+14155550123", "Body": reply})

    [enrolment] = await stack.send_event(
        stack.ats_event(job_id=job, stage_id="r", application="a", candidate="c")
    )
    assert (await stack.wait_for(enrolment["id"], "failed"))["status_reason"] == "opted_out"


async def test_a_reply_that_merely_contains_stop_does_not_opt_out(stack: Stack) -> None:
    rejection = await stack.put_campaign("rejection", blast_campaign())
    job = await stack.put_job("job", [{"id": "r", "name": "R", "campaign_id": rejection}])

    await stack.http.post(
        "/webhooks/twilio/inbound", data={"From": "+14155550123", "Body": "please don't stop"}
    )

    [enrolment] = await stack.send_event(
        stack.ats_event(job_id=job, stage_id="r", application="a", candidate="c")
    )
    await stack.wait_for(enrolment["id"], "delivered")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("messages", ["Hi {name}"]),
        ("messages", ["Hi {first_name"]),
        ("subject", "About {job}"),
    ],
)
async def test_unknown_placeholders_are_refused_naming_the_field(
    stack: Stack, field: str, value: Any
) -> None:
    response = await stack.http.put("/campaigns/c1", json=blast_campaign() | {field: value})

    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"].startswith(field)


async def test_a_slow_channel_never_holds_back_another(open_stack: StackFactory) -> None:
    async with open_stack(email_rate=0.5) as stack:
        email = blast_campaign() | {"channel": "email"}
        emails = await stack.put_campaign("emails", email)
        texts = await stack.put_campaign("texts", blast_campaign())
        job = await stack.put_job(
            "job",
            [
                {"id": "e", "name": "E-mailed", "campaign_id": emails},
                {"id": "s", "name": "Texted", "campaign_id": texts},
            ],
        )
        waiting = []
        for n in range(6):
            event = stack.ats_event(
                job_id=job, stage_id="e", application=f"e{n}", candidate=f"e{n}"
            )
            event["candidate"]["email"] = f"e{n}@example.com"
            waiting += await stack.send_event(event)

        [text] = await stack.send_event(
            stack.ats_event(job_id=job, stage_id="s", application="s", candidate="s")
        )
        await stack.wait_for(text["id"], "delivered")

        statuses = [(await stack.enrolment(e["id"]))["status"] for e in waiting]
        assert statuses.count("sending") >= 3, statuses


async def test_a_campaign_reads_back_every_field_it_was_put_with(stack: Stack) -> None:
    body = multi_module_campaign(modules=1) | {
        "channel": "whatsapp",
        "subject": "About {job_name}",
        "whatsapp_template": {"content_sid": TEMPLATE, "variables": {"1": "{first_name}"}},
        "nudges": {"after": ["PT2H", "P1D"], "message": "Still there, {first_name}?"},
        "quiet_hours": False,
        "expiry": "P3D",
    }

    put = await stack.http.put("/campaigns/c1", json=body)
    got = await stack.http.get("/campaigns/c1")

    assert put.status_code == 200, put.text
    assert got.json() == put.json()
    stored = got.json()
    for field in ("subject", "whatsapp_template", "quiet_hours", "expiry"):
        assert stored[field] == body[field], field
    assert stored["nudges"] == {"after": ["PT2H", "P1D"], "message": body["nudges"]["message"]}


async def test_interview_messages_on_whatsapp_go_as_the_approved_interview_template(
    open_stack: StackFactory, twilio: FakeTwilio
) -> None:
    twilio.whatsapp_window_open = False  # the candidate never wrote: free text is refused
    interview_template = "HX" + "c" * 32
    settings = providers(twilio) | {"whatsapp_interview_template": interview_template}
    async with open_stack(**settings) as stack:
        ana = await interviewer(stack, "ana")
        await free(stack, ana, (tomorrow(9), tomorrow(10)))
        campaign = schedule_campaign() | {
            "channel": "whatsapp",
            "whatsapp_template": {"content_sid": TEMPLATE, "variables": {"1": "{link}"}},
        }
        job_id = await scheduling_job(stack, [ana], campaign=campaign)
        enrolment_id, page = await enrol(stack, job_id, "cara")
        await stack.wait_for(enrolment_id, "delivered")
        booked = await stack.http.post(
            f"{page}/modules/book/book", json={"start": tomorrow(9).isoformat()}
        )
        assert booked.status_code == 200, booked.text
        for _ in range(200):
            if len(twilio.messages) == 2:
                break
            await asyncio.sleep(0.05)
        welcome, confirmation = twilio.messages
        assert welcome.content_sid == TEMPLATE
        assert (confirmation.content_sid, confirmation.body) == (interview_template, None)
        assert confirmation.content_variables is not None
        assert confirmation.content_variables["1"] == "interviews"
        assert "is booked" in confirmation.content_variables["2"]
        assert page in confirmation.content_variables["2"]
        detail = await stack.enrolment(enrolment_id)
        [told] = [m for m in detail["messages"] if m["name"] == "interview confirmation"]
        assert told["status"] != "failed", told
