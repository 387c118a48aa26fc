"""No body yields a 500: arbitrary bytes and arbitrarily deep JSON, signed or not, get a 4xx.

Every JSON edge (FastAPI's routes, the vendor webhooks, the codec server) reads a body with one
bounded reader (``api.bodies.read_json``): whatever it cannot read is 400 ``malformed_json``,
after the signature where the route has one. The fuzz campaign walks every route of the app that
takes a body, and signs what it sends where a valid signature can be made.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from api.bodies import MAX_JSON_DEPTH
from api.signatures import sign_webhook, twilio_signature
from bridges.base import signature
from tests.api.conftest import Stack, StackFactory, blast_campaign, signed_headers
from tests.fakes.vendor_payloads import ashby_signed, greenhouse_signed, workable_signed

pytestmark = pytest.mark.devserver

WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"malformed bodies' own 32 bytes..").decode()
TWILIO_TOKEN = "twilio-token-of-the-malformed-bodies-suite"
VENDOR_SECRET = "vendor-secret-of-the-malformed-bodies-suite"
SECRETS: dict[str, Any] = {
    "webhook_secret": WEBHOOK_SECRET,
    "twilio_auth_token": TWILIO_TOKEN,
    "greenhouse_secret": VENDOR_SECRET,
    "lever_signature_token": VENDOR_SECRET,
    "lever_api_key": "lever-api-key-of-the-malformed-bodies-suite",
    "ashby_secret": VENDOR_SECRET,
    "workable_secret": VENDOR_SECRET,
}
#: How a header-signed vendor signs a body.
VENDOR_SIGNED = {
    "/ats/greenhouse": greenhouse_signed,
    "/ats/ashby": ashby_signed,
    "/ats/workable": workable_signed,
}
STANDARD_WEBHOOKS = {
    "/ats/events",
    "/ats/events/batch",
    "/webhooks/candidate-progress",
    "/webhooks/interviewer-availability",
}
EXAMPLES_PER_ROUTE = 15


def nested(depth: int, inner: bytes = b"") -> bytes:
    """``depth`` arrays, one in the other."""
    return b"[" * depth + inner + b"]" * depth


def lever_signed(inside: bytes) -> bytes:
    """A Lever delivery, properly signed (Lever signs ``token`` + ``triggeredAt`` in the body),
    that carries the JSON text ``inside`` as its data."""
    token, at = uuid.uuid4().hex, int(time.time() * 1000)
    sig = signature(VENDOR_SECRET, f"{token}{at}".encode())
    head = json.dumps({"token": token, "triggeredAt": at, "signature": sig, "event": "x"})
    return head[:-1].encode() + b', "data": ' + inside + b"}"


def assert_malformed(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text[:300]
    assert response.json()["error"]["code"] == "malformed_json", response.text[:300]


async def test_deep_json_is_one_400_on_every_json_edge_and_a_401_unsigned(
    open_stack: StackFactory,
) -> None:
    deep = nested(60_000)
    payload = b'{"action": "ping", "payload": ' + deep + b"}"
    async with open_stack(**SECRETS) as stack:
        # Lever's signature is in the body: a body nobody can read carries none.
        unsigned = await stack.http.post(
            "/ats/lever", content=deep, headers={"content-type": "application/json"}
        )
        assert unsigned.status_code == 401, unsigned.text
        assert unsigned.json()["error"]["code"] == "bad_signature"
        for path, signed in VENDOR_SIGNED.items():
            assert_malformed(
                await stack.http.post(path, content=payload, headers=signed(VENDOR_SECRET, payload))
            )
        for path in STANDARD_WEBHOOKS:
            headers = signed_headers(WEBHOOK_SECRET, deep)
            assert_malformed(await stack.http.post(path, content=deep, headers=headers))
            refused = await stack.http.post(path, content=deep, headers={"content-type": "a/json"})
            assert refused.status_code == 401, "the signature is checked before the syntax"
        json_headers = {"content-type": "application/json"}
        assert_malformed(await stack.http.put("/campaigns/c", content=deep, headers=json_headers))
        assert_malformed(await stack.http.post("/codec/decode", content=deep, headers=json_headers))
        # The limit is the depth, not Python's recursion: one level past it is refused, the
        # limit itself is read (and then refused for its fields).
        too_deep = await stack.http.put(
            "/campaigns/c", content=nested(MAX_JSON_DEPTH + 1), headers=json_headers
        )
        assert_malformed(too_deep)
        assert str(MAX_JSON_DEPTH) in too_deep.json()["error"]["message"]
        at_limit = await stack.http.put(
            "/campaigns/c", content=nested(MAX_JSON_DEPTH), headers=json_headers
        )
        assert at_limit.status_code == 422, at_limit.text
        not_utf8 = await stack.http.put(
            "/campaigns/c", content=b'{"name": "\xff"}', headers=json_headers
        )
        assert_malformed(not_utf8)


# -- the fuzz campaign --------------------------------------------------------------------------

JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)


@st.composite
def deep_json(draw: st.DrawFn) -> bytes:
    """A JSON text nested anywhere from 0 to far past any limit, arrays and objects mixed
    (written out directly: ``json.dumps`` itself gives up near 1,000 levels)."""
    depth = draw(st.sampled_from([0, 1, 5, MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1, 3_000, 60_000]))
    kinds = draw(st.lists(st.booleans(), min_size=1, max_size=8))
    key = json.dumps(draw(st.text(max_size=5))).encode()
    opening = b"".join(b"[" if kinds[n % len(kinds)] else b"{" + key + b":" for n in range(depth))
    closing = b"".join(b"]" if kinds[n % len(kinds)] else b"}" for n in reversed(range(depth)))
    return opening + json.dumps(draw(JSON_LEAVES)).encode() + closing


BODIES = st.one_of(st.binary(max_size=1_000), st.text(max_size=300).map(str.encode), deep_json())


def signed_request(path: str, body: bytes, sign: bool) -> tuple[bytes, dict[str, str]]:
    """``body`` and the headers a legitimate caller of ``path`` would send with it (no
    signature when ``sign`` is false)."""
    path = path.partition("?")[0]
    form = path.startswith("/webhooks/twilio/") or path.startswith("/unsubscribe/")
    headers = {"content-type": "application/x-www-form-urlencoded" if form else "application/json"}
    if path.startswith("/ui/") and path.endswith("/upload"):
        headers["content-type"] = "text/csv"
    if not sign:
        return body, headers
    if path in STANDARD_WEBHOOKS:
        webhook_id, at = f"msg_{uuid.uuid4().hex}", int(time.time())
        headers |= {
            "webhook-id": webhook_id,
            "webhook-timestamp": str(at),
            "webhook-signature": sign_webhook(WEBHOOK_SECRET, webhook_id, at, body),
        }
    elif path in VENDOR_SIGNED:
        headers |= VENDOR_SIGNED[path](VENDOR_SECRET, body)
    elif path == "/ats/lever":
        body = lever_signed(body)
    elif path.startswith("/webhooks/twilio/"):
        try:
            params = parse_qsl(body.decode(), keep_blank_values=True)
        except UnicodeDecodeError:
            params = []
        url = f"http://test{path}?stage_id=fuzzed-id"
        headers["x-twilio-signature"] = twilio_signature(TWILIO_TOKEN, url, params)
    return body, headers


def body_routes(stack: Stack) -> list[tuple[str, str]]:
    """``(method, path)`` of every route of the app that takes a body, ids filled in."""
    found = []
    for route in iter_route_contexts(stack.app.routes):
        for method in sorted((route.methods or set()) & {"POST", "PUT", "PATCH"}):
            path = re.sub(r"\{[^}]+\}", "fuzzed-id", route.path or "")
            # Query parameters a route requires (the upload's stage) are given, so that the
            # body is what is refused.
            found.append((method, f"{path}?stage_id=fuzzed-id"))
    return found


async def test_no_body_on_any_route_signed_or_not_gets_a_5xx(open_stack: StackFactory) -> None:
    async with open_stack(**SECRETS) as stack:
        routes = body_routes(stack)
        paths = {path.partition("?")[0] for _, path in routes}
        assert {"/ats/lever", "/campaigns/fuzzed-id", "/ui/jobs/fuzzed-id/upload"} <= paths
        loop = asyncio.get_running_loop()

        def send(method: str, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
            request = stack.http.request(method, path, content=body, headers=headers)
            return asyncio.run_coroutine_threadsafe(request, loop).result(timeout=60)

        def campaign(method: str, path: str) -> None:
            @given(body=BODIES, sign=st.booleans())
            @settings(
                max_examples=EXAMPLES_PER_ROUTE,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def each(body: bytes, sign: bool) -> None:
                sent, headers = signed_request(path, body, sign)
                response = send(method, path, sent, headers)
                assert response.status_code < 500, (method, path, sent[:200], response.text[:300])

            each()

        for method, path in routes:
            await asyncio.to_thread(campaign, method, path)
        health = await stack.http.get("/healthz")
        assert health.status_code == 200, health.text


async def test_the_upload_reads_any_line_ending_and_refuses_files_that_are_not_csv_text(
    stack: Stack,
) -> None:
    campaign_id = await stack.put_campaign("upload", blast_campaign())
    job_id = await stack.put_job("upload", [{"id": "s1", "name": "S", "campaign_id": campaign_id}])
    url = f"/ui/jobs/{job_id}/upload?stage_id=s1"
    csv_headers = {"content-type": "text/csv"}
    rows = ["name,phone", "Ada Lovelace,+14155550101", "x" * 200_000 + ",+14155550102"]

    old_mac = await stack.http.post(url, content="\r".join(rows).encode(), headers=csv_headers)
    assert old_mac.status_code == 200, old_mac.text
    assert old_mac.json()["applied"] == 1
    assert [p["line"] for p in old_mac.json()["problems"]] == [3]
    for refused in (
        "\n".join(rows[:2]).encode("utf-16"),
        gzip.compress("\n".join(rows[:2]).encode()),
        b"name,phone\n" + bytes(range(256)),
    ):
        answer = await stack.http.post(url, content=refused, headers=csv_headers)
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["code"] == "unreadable_csv"
