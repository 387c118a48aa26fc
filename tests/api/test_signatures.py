"""Signed callers: Standard Webhooks on the ATS and JSON webhooks, Twilio's own signature.

A request that is not signed right gets 401 and changes nothing.
"""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator

import pytest

from api.signatures import (
    InvalidSignature,
    sign_webhook,
    twilio_signature,
    verify_twilio,
    verify_webhook,
)
from tests.api.conftest import Stack, StackFactory, as_bytes, blast_campaign, signed_headers
from tests.api.test_errors import assert_error

SECRET = "whsec_" + base64.b64encode(b"a secret of thirty-two bytes....").decode()
TWILIO_TOKEN = "twilio-auth-token"


# -- the verification itself ----------------------------------------------------------------


def test_a_whsec_secret_is_its_base64_bytes_and_any_other_is_raw() -> None:
    body = b'{"a": 1}'
    raw = "plain secret"

    signature = sign_webhook(SECRET, "msg_1", 1_700_000_000, body)
    raw_signature = sign_webhook(raw, "msg_1", 1_700_000_000, body)

    headers = {"webhook-id": "msg_1", "webhook-timestamp": "1700000000"}
    verify_webhook(SECRET, {**headers, "webhook-signature": signature}, body, now=1_700_000_000)
    verify_webhook(raw, {**headers, "webhook-signature": raw_signature}, body, now=1_700_000_000)
    with pytest.raises(InvalidSignature):
        verify_webhook(raw, {**headers, "webhook-signature": signature}, body, now=1_700_000_000)


def test_one_matching_signature_among_several_is_enough() -> None:
    body = b"{}"
    good = sign_webhook(SECRET, "msg_1", 1_700_000_000, body)
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": "1700000000",
        "webhook-signature": f"v1,bm9wZQ== {good} v2,whatever",
    }

    verify_webhook(SECRET, headers, body, now=1_700_000_100)


@pytest.mark.parametrize(
    ("change", "now"),
    [
        ({"webhook-signature": "v1,bm9wZQ=="}, 1_700_000_000),
        ({"webhook-id": "msg_2"}, 1_700_000_000),
        ({"webhook-timestamp": "1700000001"}, 1_700_000_000),
        ({"webhook-timestamp": "yesterday"}, 1_700_000_000),
        ({}, 1_700_000_000 + 301),
        ({}, 1_700_000_000 - 301),
    ],
    ids=["wrong", "other-id", "other-timestamp", "not-a-number", "stale", "from-the-future"],
)
def test_a_bad_or_stale_signature_is_refused(change: dict[str, str], now: int) -> None:
    body = b"{}"
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": "1700000000",
        "webhook-signature": sign_webhook(SECRET, "msg_1", 1_700_000_000, body),
        **change,
    }

    with pytest.raises(InvalidSignature):
        verify_webhook(SECRET, headers, body, now=now)


def test_twilio_signature_matches_twilios_documented_example() -> None:
    # https://www.twilio.com/docs/usage/security#validating-requests
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ]

    assert twilio_signature("12345", url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    verify_twilio("12345", url, params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    with pytest.raises(InvalidSignature):
        verify_twilio("12345", url, params[:-1], "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")


# -- over HTTP --------------------------------------------------------------------------------


@pytest.fixture
async def signed_stack(open_stack: StackFactory) -> AsyncIterator[Stack]:
    async with open_stack(webhook_secret=SECRET, twilio_auth_token=TWILIO_TOKEN) as stack:
        yield stack


@pytest.mark.devserver
async def test_signed_ats_events_are_taken_and_unsigned_ones_refused(signed_stack: Stack) -> None:
    stack = signed_stack
    rejection = await stack.put_campaign("rejection", blast_campaign())
    job = await stack.put_job("job", [{"id": "r", "name": "Rejected", "campaign_id": rejection}])
    event = stack.ats_event(job_id=job, stage_id="r", application="a", candidate="c")
    body = as_bytes(event)
    good = signed_headers(SECRET, body)

    unsigned = await stack.http.post(
        "/ats/events", content=body, headers={"content-type": "application/json"}
    )
    wrong = await stack.http.post(
        "/ats/events", content=body, headers=signed_headers("whsec_" + "QUJD" * 8, body)
    )
    stale = await stack.http.post(
        "/ats/events", content=body, headers=signed_headers(SECRET, body, at=time.time() - 600)
    )
    tampered = await stack.http.post(
        "/ats/events", content=body.replace(b"Candidate", b"Someone"), headers=good
    )
    malformed_and_unsigned = await stack.http.post(
        "/ats/events", content=b"{nope", headers={"content-type": "application/json"}
    )

    for response in (unsigned, wrong, stale, tampered, malformed_and_unsigned):
        assert_error(response, 401, "invalid_signature")
    assert (await stack.http.get(f"/jobs/{job}/applications")).json()["items"] == []

    accepted = await stack.http.post("/ats/events", content=body, headers=good)

    assert accepted.status_code == 202, accepted.text
    [enrolment] = accepted.json()["enrolments"]
    await stack.wait_for(enrolment["id"], "delivered")


@pytest.mark.devserver
async def test_json_webhooks_need_a_signature_too(signed_stack: Stack) -> None:
    stack = signed_stack
    progress = as_bytes(
        {"id": "p1", "enrolment_id": "enr_x", "module_id": "m1", "event": "started"}
    )
    availability = as_bytes(
        {"id": "a1", "job_id": "j", "stage_id": "s", "interviewer_id": "i", "slots": []}
    )

    for path, body in (
        ("/webhooks/candidate-progress", progress),
        ("/webhooks/interviewer-availability", availability),
    ):
        unsigned = await stack.http.post(
            path, content=body, headers={"content-type": "application/json"}
        )
        assert_error(unsigned, 401, "invalid_signature")
        # Signed, it gets through to the next check (the ids are unknown).
        signed = await stack.http.post(path, content=body, headers=signed_headers(SECRET, body))
        assert signed.status_code in (404, 422), signed.text


@pytest.mark.devserver
async def test_twilio_callbacks_need_twilios_signature(signed_stack: Stack) -> None:
    stack = signed_stack
    form = {"From": "+14155550123", "Body": "STOP", "MessageSid": "SM1"}
    url = "http://test/webhooks/twilio/inbound"
    signature = twilio_signature(TWILIO_TOKEN, url, list(form.items()))

    missing = await stack.http.post("/webhooks/twilio/inbound", data=form)
    wrong = await stack.http.post(
        "/webhooks/twilio/inbound", data=form, headers={"X-Twilio-Signature": "bm9wZQ=="}
    )
    good = await stack.http.post(
        "/webhooks/twilio/inbound", data=form, headers={"X-Twilio-Signature": signature}
    )

    assert_error(missing, 401, "invalid_signature")
    assert_error(wrong, 401, "invalid_signature")
    assert good.status_code == 200, good.text
