"""Conversational mode through a fake Twilio: after the welcome, each content block and each
question goes out as its own message (choices numbered); the candidate's replies, signed by
Twilio, answer them; a reply that does not fit is asked again with a hint, twice, then the
candidate gets their link; STOP in the middle opts out and answers nothing; a reply with
nothing asked is kept on the timeline."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from api.signatures import twilio_signature
from tests.api.conftest import VALID_PHONE, Stack, StackFactory
from tests.api.test_delivery import PUBLIC_URL, providers
from tests.fakes.twilio import AUTH_TOKEN, FakeTwilio, fake_twilio

pytestmark = pytest.mark.devserver

INBOUND = "/webhooks/twilio/inbound"


@pytest.fixture
async def chat(open_stack: StackFactory) -> AsyncIterator[tuple[Stack, FakeTwilio]]:
    async with fake_twilio() as twilio, open_stack(**providers(twilio)) as stack:
        yield stack, twilio


def conversational(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Quick questions",
        "kind": "multi_module",
        "channel": "sms",
        "mode": "conversational",
        "messages": ["Hi {first_name}! A few quick questions by text."],
        "modules": [
            {
                "id": "about",
                "name": "About us",
                "type": "content",
                "body": "We run **three** warehouses. [Our site](https://acme.example)",
            },
            {
                "id": "qs",
                "name": "Questions",
                "type": "question",
                "questions": [
                    {
                        "id": "shift",
                        "prompt": "Which shift?",
                        "answer": "choice",
                        "options": ["Mornings", "Nights"],
                    },
                    {
                        "id": "work",
                        "prompt": "Right to work?",
                        "answer": "yes_no",
                        "knockout": ["no"],
                    },
                ],
            },
        ],
        **overrides,
    }


async def reply(stack: Stack, body: str, sender: str = VALID_PHONE) -> None:
    form = {"From": sender, "Body": body, "MessageSid": f"SM{uuid.uuid4().hex}"}
    signature = twilio_signature(AUTH_TOKEN, f"{PUBLIC_URL}{INBOUND}", form.items())
    answer = await stack.http.post(INBOUND, data=form, headers={"X-Twilio-Signature": signature})
    assert answer.status_code == 200, answer.text


async def texts(twilio: FakeTwilio, count: int) -> list[str]:
    """The bodies Twilio was asked to send, once there are ``count`` of them."""
    for _ in range(200):
        if len(twilio.messages) >= count:
            break
        await asyncio.sleep(0.05)
    return [m.body or "" for m in twilio.messages]


async def started(stack: Stack, name: str, **overrides: Any) -> str:
    campaign = await stack.put_campaign(f"chat-{name}", conversational(**overrides))
    job = await stack.put_job(f"chat-{name}", [{"id": "s", "name": "S", "campaign_id": campaign}])
    [enrolment] = await stack.send_event(
        stack.ats_event(job_id=job, stage_id="s", application=f"a-{name}", candidate=f"c-{name}")
    )
    return str(enrolment["id"])


async def test_a_candidate_answers_by_reply(chat: tuple[Stack, FakeTwilio]) -> None:
    stack, twilio = chat
    enrolment_id = await started(stack, "answers")
    sent = await texts(twilio, 3)
    assert sent[1] == "We run three warehouses. Our site (https://acme.example)"
    assert sent[2] == "Which shift?\n1. Mornings\n2. Nights"
    await stack.wait_for(enrolment_id, "in_progress")

    await reply(stack, "2")
    sent = await texts(twilio, 4)
    assert sent[3] == "Right to work?\n(yes / no)"
    await reply(stack, "maybe")  # does not fit: asked again, with a hint
    sent = await texts(twilio, 5)
    assert sent[4].startswith("Answer yes or no.")
    await reply(stack, "Yes!")
    shown = await stack.wait_for(enrolment_id, "completed")
    assert [(a["question_id"], a["value"]) for a in shown["answers"]] == [
        ("shift", "Nights"),
        ("work", "yes"),
    ]
    # With nothing asked any more, a reply is kept for the recruiter.
    await reply(stack, "thanks, when do I start?")
    for _ in range(100):
        timeline = (await stack.enrolment(enrolment_id))["timeline"]
        if "when do I start" in timeline[-1]["detail"]:
            break
        await asyncio.sleep(0.05)
    assert "reply with nothing asked" in timeline[-1]["detail"]


async def test_answers_that_do_not_fit_end_with_the_link(chat: tuple[Stack, FakeTwilio]) -> None:
    stack, twilio = chat
    enrolment_id = await started(stack, "misfit")
    await texts(twilio, 3)
    for wrong in ("7", "purple", "both?"):
        await reply(stack, wrong)
    sent = await texts(twilio, 6)
    assert sent[3].startswith("Reply with the number of an option.")
    assert sent[5].startswith(
        "You can answer on this page instead: https://recruiting.example.com/c/"
    )
    link = sent[5].rsplit(" ", 1)[1]
    kept = (await stack.enrolment(enrolment_id))["messages"]
    assert link.rsplit("/", 1)[1] not in str(kept), "the product keeps no token"
    # The page takes over where the chat stopped.
    state = (await stack.http.get(link[link.index("/c/") :] + "/state")).json()
    assert state["current_module_id"] == "qs"


async def test_stop_in_the_middle_opts_out_and_answers_nothing(
    chat: tuple[Stack, FakeTwilio],
) -> None:
    stack, twilio = chat
    enrolment_id = await started(stack, "stop")
    await texts(twilio, 3)
    await reply(stack, "STOP")
    await asyncio.sleep(0.5)
    assert len(twilio.messages) == 3, "nothing more is sent"
    shown = await stack.enrolment(enrolment_id)
    assert shown["answers"] == [] and shown["status"] == "in_progress"


async def test_a_reply_goes_to_the_candidate_who_was_asked(chat: tuple[Stack, FakeTwilio]) -> None:
    stack, twilio = chat
    # Two candidates share one phone; only the second is asked anything.
    blast = {"name": "Hello", "kind": "blast", "channel": "sms", "messages": ["Hello!"]}
    campaign = await stack.put_campaign("shared-blast", blast)
    job = await stack.put_job("shared", [{"id": "s", "name": "S", "campaign_id": campaign}])
    [first] = await stack.send_event(
        stack.ats_event(job_id=job, stage_id="s", application="a-first", candidate="first")
    )
    await stack.wait_for(first["id"], "delivered")
    enrolment_id = await started(stack, "shared")
    await texts(twilio, 4)
    await reply(stack, "1")
    shown = await stack.enrolment(enrolment_id)
    for _ in range(100):
        if len(twilio.messages) >= 5:
            break
        await asyncio.sleep(0.05)
    assert twilio.messages[-1].body == "Right to work?\n(yes / no)"
    assert (await stack.enrolment(first["id"]))["timeline"][-1]["detail"] != "reply"
    assert shown["status"] == "in_progress"
