"""Hostile input: malformed, oversized and wrongly signed requests against every write endpoint.

A hypothesis campaign per POST/PUT route of the real ASGI app (with ``ENROLMENTS_WEBHOOK_SECRET``
and a Twilio auth token set, as in production): random bytes and text, JSON of any shape, bodies
that are valid but carry no, a wrong, or a stale signature, bodies past the size limit, and any
content type. Every answer must be a 4xx in the error shape; afterwards every table holds exactly
what it held before, no candidate workflow was started, and the service still answers.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from api.bodies import MAX_BODY_BYTES
from api.candidate import screens as candidate_screens
from api.signatures import sign_webhook, twilio_signature
from bridges.base import signature
from store.schema import Base
from tests.api.conftest import Stack, StackFactory, blast_campaign, signed_headers
from tests.fakes import vendor_payloads
from tests.faults.conftest import faults_scale

pytestmark = pytest.mark.devserver

SECRET = "whsec_" + base64.b64encode(b"the faults suite's own 32 bytes.").decode()
WRONG_SECRET = "whsec_" + base64.b64encode(b"somebody else's thirty-two bytes").decode()
TWILIO_TOKEN = "twilio-token-of-the-faults-suite"
#: Each vendor bridge's secret, and the header its signature travels in (Lever's is in the body).
VENDOR_SECRETS = {
    "greenhouse_secret": "greenhouse-key-of-the-faults-suite",
    "lever_signature_token": "lever-token-of-the-faults-suite",
    "ashby_secret": "ashby-secret-of-the-faults-suite",
    "workable_secret": "workable-key-of-the-faults-suite",
}
VENDOR_SIGNATURES = {
    "/ats/greenhouse": ("signature", "sha256 {}"),
    "/ats/ashby": ("ashby-signature", "sha256={}"),
    "/ats/workable": ("x-workable-signature", "{}"),
}

#: Every route that changes something, and the answers a hostile request may get there.
WRITE_ROUTES = {
    ("PUT", "/campaigns/{campaign_id}"): {400, 404, 405, 413, 415, 422},
    ("PUT", "/jobs/{job_id}"): {400, 404, 405, 413, 415, 422},
    ("POST", "/ats/events"): {401, 413},
    ("POST", "/ats/events/batch"): {401, 413},
    ("POST", "/ats/greenhouse"): {401, 413},
    ("POST", "/ats/lever"): {401, 413},
    ("POST", "/ats/ashby"): {401, 413},
    ("POST", "/ats/workable"): {401, 413},
    ("POST", "/webhooks/candidate-progress"): {401, 413},
    ("POST", "/webhooks/interviewer-availability"): {401, 413},
    ("POST", "/webhooks/twilio/status"): {400, 401, 413, 415, 422},
    ("POST", "/webhooks/twilio/inbound"): {400, 401, 413, 415, 422},
    ("POST", "/unsubscribe/email"): {400, 404, 413, 415, 422},
    # The codec changes nothing: any JSON that reads as Payloads ({}, {"payloads": []}) is 200.
    ("POST", "/codec/decode"): {200, 400, 413, 422},
    ("POST", "/codec/encode"): {200, 400, 413, 422},
    # No candidate has a drawn id: nobody to erase.
    ("DELETE", "/candidates/{candidate_id}"): {404, 405, 413, 422},
    # No campaign has a drawn id either: nothing to delete.
    ("DELETE", "/campaigns/{campaign_id}"): {404, 405, 413, 422},
    # No link has a drawn token: the candidate's pages find nobody.
    ("POST", "/c/{token}/modules/{module_id}/start"): {404, 405, 413, 429},
    ("POST", "/c/{token}/modules/{module_id}/complete"): {400, 404, 405, 413, 422, 429},
    ("POST", "/c/{token}/modules/{module_id}/book"): {400, 404, 405, 413, 422, 429},
    ("POST", "/c/{token}/interviews/{interview_id}/reschedule"): {400, 404, 405, 413, 422, 429},
    ("POST", "/c/{token}/interviews/{interview_id}/cancel"): {400, 404, 405, 413, 422, 429},
    ("POST", "/c/{token}/interviews/{interview_id}/confirm"): {400, 404, 405, 413, 422, 429},
    ("POST", "/i/{token}"): {400, 404, 405, 413, 422, 429},
    # Drawn ids name no interviewer or interview.
    ("PUT", "/interviewers/{interviewer_id}"): {400, 404, 405, 413, 415, 422},
    ("PUT", "/interviewers/{interviewer_id}/availability"): {400, 404, 405, 413, 415, 422},
    ("POST", "/interviews/{interview_id}/cancel"): {404, 405, 413, 415, 422},
    ("POST", "/interviews/{interview_id}/no_show"): {404, 405, 413, 415, 422},
    # Drawn ids name no enrolment: 404 (or 4xx for a body the route refuses first).
    ("POST", "/enrolments/{enrolment_id}/cancel"): {404, 405, 413, 415, 422},
    ("POST", "/enrolments/{enrolment_id}/reenrol"): {400, 404, 405, 413, 415, 422},
    ("POST", "/enrolments/{enrolment_id}/writeback"): {404, 405, 413, 415, 422},
}
EXAMPLES_PER_ROUTE = 100 * faults_scale()

CONTENT_TYPES = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "multipart/form-data",
            "text/plain",
            "application/xml",
            "application/problem+json",
            "application/octet-stream",
            "",
        ]
    ),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=20), inner, max_size=5)
    ),
    max_leaves=20,
)
GARBAGE = st.one_of(
    st.binary(max_size=2_000),
    st.text(max_size=2_000).map(str.encode),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    # Past the limit: refused before anything reads it.
    st.integers(MAX_BODY_BYTES + 1, MAX_BODY_BYTES + 4_096).map(lambda n: b"{" + b" " * n + b"}"),
)
IDS = st.one_of(
    st.text(min_size=1, max_size=300),
    st.sampled_from(["..", "%2e%2e", " ", "a" * 201, "\x00", "café", "../../etc/passwd"]),
)


@st.composite
def bad_webhook_signatures(draw: st.DrawFn, body: bytes) -> dict[str, str]:
    """Standard Webhooks headers that must not pass: none, forged, stale, or for another body."""
    now = int(time.time())
    webhook_id = f"msg_{uuid.uuid4().hex}"
    kind = draw(
        st.sampled_from(["none", "garbage", "wrong-secret", "stale", "other-body", "future"])
    )
    if kind == "none":
        return {}
    if kind == "garbage":
        return {
            "webhook-id": draw(st.text(st.characters(min_codepoint=33, max_codepoint=126))),
            "webhook-timestamp": draw(st.text(st.characters(min_codepoint=33, max_codepoint=126))),
            "webhook-signature": draw(st.text(st.characters(min_codepoint=32, max_codepoint=126))),
        }
    secret, at, signed = SECRET, now, body
    if kind == "wrong-secret":
        secret = WRONG_SECRET
    elif kind == "stale":
        at = now - draw(st.integers(301, 10**6))
    elif kind == "future":
        at = now + draw(st.integers(301, 10**6))
    else:
        signed = body + b" "
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(at),
        "webhook-signature": sign_webhook(secret, webhook_id, at, signed),
    }


@st.composite
def bad_twilio_signatures(draw: st.DrawFn, url: str, body: bytes) -> dict[str, str]:
    """``X-Twilio-Signature`` values that must not pass: none, garbage, another token or URL."""
    kind = draw(st.sampled_from(["none", "garbage", "wrong-token", "other-url"]))
    params = [(k, v) for k, v in _form_pairs(body)]
    if kind == "none":
        return {}
    if kind == "garbage":
        return {
            "x-twilio-signature": draw(st.text(st.characters(min_codepoint=33, max_codepoint=126)))
        }
    token, signed_url = TWILIO_TOKEN, url
    if kind == "wrong-token":
        token = "not-" + TWILIO_TOKEN
    else:
        signed_url = url + "?again=1"
    return {"x-twilio-signature": twilio_signature(token, signed_url, params)}


@st.composite
def bad_vendor_signatures(draw: st.DrawFn, template: str, body: bytes) -> dict[str, str]:
    """A vendor's signature header that must not pass: none, garbage, another secret, another
    body. (Lever signs inside the body: its bad signatures are in ``lever_bodies``.)"""
    if template not in VENDOR_SIGNATURES:
        return {}
    header, shape = VENDOR_SIGNATURES[template]
    kind = draw(st.sampled_from(["none", "garbage", "wrong-secret", "other-body"]))
    if kind == "none":
        return {}
    if kind == "garbage":
        return {header: draw(st.text(st.characters(min_codepoint=33, max_codepoint=126)))}
    secret = "not-the-secret" if kind == "wrong-secret" else _vendor_secret(template)
    signed = body if kind == "wrong-secret" else body + b" "
    return {header: shape.format(signature(secret, signed))}


def _vendor_secret(template: str) -> str:
    setting = {"/ats/greenhouse": "greenhouse_secret", "/ats/ashby": "ashby_secret"}
    return VENDOR_SECRETS[setting.get(template, "workable_secret")]


@st.composite
def lever_bodies(draw: st.DrawFn, valid: dict[str, Any]) -> bytes:
    """A Lever delivery whose in-body signature does not pass: signed with another token, for
    another ``triggeredAt``, or missing."""
    token = draw(st.text(min_size=1, max_size=40))
    triggered_at = draw(st.integers(0, 2**53))
    kind = draw(st.sampled_from(["wrong-token", "other-time", "missing"]))
    body = {**valid, "token": token, "triggeredAt": triggered_at}
    if kind == "missing":
        body.pop("signature", None)
    else:
        secret = VENDOR_SECRETS["lever_signature_token"]
        if kind == "wrong-token":
            secret = "not-" + secret
        else:
            triggered_at += 1
        body["signature"] = signature(secret, f"{token}{triggered_at}".encode())
    return json.dumps(body).encode()


def _form_pairs(body: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(body.decode(), keep_blank_values=True)
    except UnicodeDecodeError:
        return []


@st.composite
def hostile_requests(
    draw: st.DrawFn, method: str, template: str, valid: dict[str, Any]
) -> tuple[str, str, bytes, dict[str, str]]:
    """``(method, path, body, headers)`` for the route ``template``; ``valid`` is a body the
    route would accept from a legitimate, signed caller."""
    path = template
    if "{" in template:
        name = template.split("{", 1)[1].rstrip("}")
        path = template.replace("{" + name + "}", quote(draw(IDS), safe=""))
    form = template.startswith(("/webhooks/twilio/", "/unsubscribe/"))
    valid_body = urlencode(valid).encode() if form else json.dumps(valid).encode()
    signed_route = template in (
        "/ats/events",
        "/ats/events/batch",
        "/webhooks/candidate-progress",
        "/webhooks/interviewer-availability",
    )
    vendor = template in VENDOR_SIGNATURES
    # Unsigned routes never get the valid body itself: that would be a legitimate change.
    bodies = GARBAGE | st.just(valid_body) if signed_route or form or vendor else GARBAGE
    if template == "/ats/lever":
        bodies = GARBAGE | lever_bodies(valid)
    body = draw(bodies)
    headers: dict[str, str] = {}
    content_type = draw(
        st.sampled_from(
            ["application/x-www-form-urlencoded" if form else "application/json", "drawn"]
        )
    )
    if content_type == "drawn":
        drawn = draw(CONTENT_TYPES)
        if drawn is not None:
            headers["content-type"] = drawn
    else:
        headers["content-type"] = content_type
    if signed_route:
        headers |= draw(bad_webhook_signatures(body))
    elif form:
        headers |= draw(bad_twilio_signatures(f"http://test{path}", body))
    else:
        headers |= draw(bad_vendor_signatures(template, body))
    return method, path, body, headers


async def table_contents(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every read-model table, in primary-key order."""
    contents = {}
    async with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = await connection.execute(select(table).order_by(*table.primary_key.columns))
            contents[table.name] = [tuple(row) for row in rows]
    return contents


async def configure_something_to_protect(stack: Stack) -> dict[tuple[str, str], dict[str, Any]]:
    """A campaign, a job and an enrolment; returns a valid body per write route."""
    campaign_id = await stack.put_campaign("hostile-campaign", blast_campaign())
    job_id = await stack.put_job(
        "hostile-job", [{"id": "s1", "name": "Rejected", "campaign_id": campaign_id}]
    )
    event = stack.ats_event(job_id=job_id, stage_id="s1", application="a1", candidate="c1")
    body = json.dumps(event).encode()
    response = await stack.http.post(
        "/ats/events", content=body, headers=signed_headers(SECRET, body)
    )
    assert response.status_code == 202, response.text
    [enrolment] = response.json()["enrolments"]
    await stack.wait_for(enrolment["id"], "delivered")
    now = datetime.now(UTC)
    return {
        ("PUT", "/campaigns/{campaign_id}"): blast_campaign(),
        ("PUT", "/jobs/{job_id}"): {"name": "Job", "stages": []},
        ("POST", "/ats/events"): {**event, "id": f"evt_{uuid.uuid4().hex}"},
        ("POST", "/ats/events/batch"): {"events": [{**event, "id": f"evt_{uuid.uuid4().hex}"}]},
        ("POST", "/ats/greenhouse"): vendor_payloads.greenhouse_application(
            "candidate_stage_change",
            application_id=1,
            candidate_id=2,
            job_id=3,
            stage_id=4,
            at=now,
        ),
        ("POST", "/ats/lever"): vendor_payloads.lever_event(
            "candidateStageChange",
            VENDOR_SECRETS["lever_signature_token"],
            opportunity="opp-1",
            contact="contact-1",
            at=now,
            to_stage="stage-1",
        ),
        ("POST", "/ats/ashby"): vendor_payloads.ashby_event(
            "candidateStageChange",
            application="app-1",
            candidate="cand-1",
            job="job-1",
            stage="stage-1",
            at=now,
        ),
        ("POST", "/ats/workable"): vendor_payloads.workable_event(
            "candidate_moved", candidate="cand-1", job="job-1", stage="interview", at=now
        ),
        ("POST", "/webhooks/candidate-progress"): {
            "id": "p1",
            "enrolment_id": enrolment["id"],
            "module_id": "m1",
            "event": "started",
        },
        ("POST", "/webhooks/interviewer-availability"): {
            "id": "av1",
            "job_id": job_id,
            "stage_id": "s1",
            "interviewer_id": "i1",
            "slots": [],
        },
        ("POST", "/webhooks/twilio/status"): {
            "MessageSid": "outbox-1",
            "MessageStatus": "undelivered",
        },
        ("POST", "/webhooks/twilio/inbound"): {"From": "+14155550123", "Body": "STOP"},
        ("POST", "/unsubscribe/email"): {"List-Unsubscribe": "One-Click"},
        ("POST", "/codec/decode"): {"payloads": []},
        ("POST", "/codec/encode"): {"payloads": []},
        ("DELETE", "/candidates/{candidate_id}"): {},
        ("DELETE", "/campaigns/{campaign_id}"): {},
        ("POST", "/c/{token}/modules/{module_id}/start"): {},
        ("POST", "/c/{token}/modules/{module_id}/complete"): {"answers": {"q": "yes"}},
        ("POST", "/c/{token}/modules/{module_id}/book"): {"start": now.isoformat()},
        ("POST", "/c/{token}/interviews/{interview_id}/reschedule"): {"start": now.isoformat()},
        ("POST", "/c/{token}/interviews/{interview_id}/cancel"): {},
        ("POST", "/c/{token}/interviews/{interview_id}/confirm"): {},
        ("POST", "/i/{token}"): {"free": now.isoformat()},
        ("PUT", "/interviewers/{interviewer_id}"): {
            "name": "Ana",
            "email": "ana@example.com",
            "timezone": "Europe/Madrid",
        },
        ("PUT", "/interviewers/{interviewer_id}/availability"): {"windows": []},
        ("POST", "/interviews/{interview_id}/cancel"): {},
        ("POST", "/interviews/{interview_id}/no_show"): {},
        ("POST", "/enrolments/{enrolment_id}/cancel"): {},
        ("POST", "/enrolments/{enrolment_id}/reenrol"): {"phone": "+14155550123"},
        ("POST", "/enrolments/{enrolment_id}/writeback"): {},
    }


def campaign_against(
    send: Callable[[str, str, bytes, dict[str, str]], httpx.Response],
    method: str,
    template: str,
    valid: dict[str, Any],
    allowed: set[int],
) -> list[int]:
    """Run the hypothesis campaign against one route; returns every status it saw."""
    seen: list[int] = []

    @given(request=hostile_requests(method, template, valid))
    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        deadline=None,
        database=None,
        derandomize=faults_scale() == 1,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def hostile(request: tuple[str, str, bytes, dict[str, str]]) -> None:
        response = send(*request)
        seen.append(response.status_code)
        if response.status_code == 307 and unquote(request[1]).endswith("/"):
            return  # Starlette's redirect to the path without its trailing slash: no change
        assert response.status_code in allowed, (request[:2], request[3], response.text[:300])
        if response.status_code == 200:
            return
        if template.startswith(("/c/", "/i/")) and response.headers["content-type"].startswith(
            "text/"
        ):
            return  # the candidate's forms answer as pages (a body that is not JSON is a form)
        error = response.json()["error"]
        assert error["code"] and error["message"], response.text[:300]

    hostile()
    return seen


async def test_hostile_requests_get_a_4xx_change_nothing_and_the_service_stays_up(
    open_stack: StackFactory,
) -> None:
    async with open_stack(
        webhook_secret=SECRET,
        twilio_auth_token=TWILIO_TOKEN,
        lever_api_key="lever-api-key-of-the-faults-suite",
        **VENDOR_SECRETS,
    ) as stack:
        valid = await configure_something_to_protect(stack)
        routes = {
            (method.upper(), path)
            for path, operations in stack.app.openapi()["paths"].items()
            for method in operations
            if method.upper() in {"POST", "PUT", "PATCH", "DELETE"}
        }
        assert routes == set(WRITE_ROUTES), "a write route without a hostile-input campaign"

        before = await table_contents(stack.engine)
        workflows = f'TaskQueue = "{stack.settings.task_queue}"'
        workflows_before = (await stack.env.client.count_workflows(workflows)).count
        loop = asyncio.get_running_loop()

        def send(method: str, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
            request = stack.http.request(method, path, content=body, headers=headers)
            return asyncio.run_coroutine_threadsafe(request, loop).result(timeout=60)

        started = time.monotonic()
        seen: dict[str, set[int]] = {}
        for (method, template), allowed in WRITE_ROUTES.items():
            # The candidate's routes share each token's rate limit, and every campaign draws
            # the same tokens: each starts with the limit unspent, as a new minute would.
            candidate_screens.limits = candidate_screens.RateLimit(
                candidate_screens.RATE_PER_MINUTE
            )
            statuses = await asyncio.to_thread(
                campaign_against, send, method, template, valid[(method, template)], allowed
            )
            seen[f"{method} {template}"] = set(statuses)
        took = time.monotonic() - started

        assert await table_contents(stack.engine) == before
        assert (await stack.env.client.count_workflows(workflows)).count == workflows_before
        health = await stack.http.get("/healthz")
        assert health.status_code == 200, health.text
        # Still taking legitimate callers: a properly signed event is accepted.
        event = valid[("POST", "/ats/events")]
        body = json.dumps(event).encode()
        accepted = await stack.http.post(
            "/ats/events", content=body, headers=signed_headers(SECRET, body)
        )
        assert accepted.status_code == 202, accepted.text

    # The campaign reached every check: size, media type, signature and schema.
    for route, answers in seen.items():
        if route in ("POST /unsubscribe/email", "POST /codec/decode", "POST /codec/encode"):
            # A token of its own, or a role the suite's admin key holds (the codec reads JSON).
            must = {413, 422} if "codec" not in route else {400, 413, 422}
        elif route.startswith("DELETE"):
            must = {404, 413, 422}  # no body to read: the size, then the id
        elif route.startswith(("POST /c/", "POST /i/")):
            must = {404, 413}  # the token is the key: no drawn one opens a page
        elif route.endswith(("/cancel", "/no_show", "/writeback")):
            must = {404, 413}
        elif route.endswith("/reenrol"):
            must = {413, 415, 422}
        else:
            must = {413, 401} if route.startswith("POST") else {413, 415, 422}
        assert must <= answers, (route, answers)
    assert took < 60 * faults_scale(), f"the campaign took {took:.0f}s"
