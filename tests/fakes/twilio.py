"""A fake of Twilio's Messages API, served over real HTTP, checking what Twilio checks.

It takes what the real API takes (form-encoded create with HTTP basic auth for the account in
the path; ``To``; ``From`` or ``MessagingServiceSid``; ``Body`` or ``ContentSid`` with JSON
``ContentVariables``; an absolute ``StatusCallback``), answers Twilio's JSON shapes, refuses
Twilio's magic test numbers with their documented error codes, lists messages newest first
with paging, and can be told to misbehave: answer slowly, swallow the answer of a message it
accepted, fail with a given status and code.

https://www.twilio.com/docs/messaging/api/message-resource,
https://www.twilio.com/docs/iam/test-credentials (magic numbers)
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.http import serving

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "fake-auth-token"
SMS_FROM = "+15005550006"
WHATSAPP_FROM = "+14155238886"

#: Twilio's test numbers and the error each one answers with.
MAGIC_NUMBERS: dict[str, int] = {
    "+15005550001": 21211,  # invalid phone number
    "+15005550004": 21610,  # the recipient unsubscribed (STOP)
    "+15005550009": 21614,  # not a mobile number
    "+15005550002": 21612,  # Twilio cannot route to this number (any other refusal)
}


@dataclass
class FakeMessage:
    sid: str
    to: str
    sender: str
    body: str | None
    content_sid: str | None
    content_variables: dict[str, str] | None
    status_callback: str | None
    messaging_service_sid: str | None
    created: datetime
    status: str = "queued"

    def resource(self) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "account_sid": ACCOUNT_SID,
            "to": self.to,
            "from": self.sender,
            "body": self.body or "",
            "messaging_service_sid": self.messaging_service_sid,
            "status": self.status,
            "direction": "outbound-api",
            "date_created": format_datetime(self.created),
            "date_sent": None,
            "error_code": None,
        }


@dataclass
class Misbehaviour:
    """What the fake does instead of answering normally (each item used once, in order)."""

    #: ``(http status, Twilio code)`` refusals to answer creates with.
    refusals: list[tuple[int, int | None]] = field(default_factory=list)
    #: Creates whose message is stored but whose answer never comes (the client times out).
    swallowed_answers: int = 0
    #: Seconds every create takes before answering.
    latency: float = 0.0


class FakeTwilio:
    """The fake's state: messages created, requests seen, misbehaviour to come."""

    def __init__(self) -> None:
        self.messages: list[FakeMessage] = []
        self.creates = 0
        self.lists = 0
        self.misbehave = Misbehaviour()
        self.whatsapp_window_open = True
        self.accepted = asyncio.Event()
        self.url = ""
        self.app = Starlette(
            routes=[
                Route(
                    "/2010-04-01/Accounts/{account}/Messages.json",
                    self._messages,
                    methods=["GET", "POST"],
                ),
                Route("/2010-04-01/Accounts/{account}.json", self._account, methods=["GET"]),
            ]
        )

    def to(self, number: str) -> list[FakeMessage]:
        return [m for m in self.messages if m.to in (number, f"whatsapp:{number}")]

    # -- the API -------------------------------------------------------------------------------

    async def _account(self, request: Request) -> Response:
        refused = self._refuse_credentials(request)
        if refused is not None:
            return refused
        return JSONResponse({"sid": ACCOUNT_SID, "status": "active"})

    async def _messages(self, request: Request) -> Response:
        refused = self._refuse_credentials(request)
        if refused is not None:
            return refused
        if request.method == "GET":
            return self._list(request)
        self.creates += 1
        if request.headers.get("content-type", "").split(";")[0] != (
            "application/x-www-form-urlencoded"
        ):
            return _error(400, 20001, "the request must be form-encoded")
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        if self.misbehave.latency:
            await asyncio.sleep(self.misbehave.latency)
        if self.misbehave.refusals:
            status, code = self.misbehave.refusals.pop(0)
            return _error(status, code, "told to refuse")
        problem = self._check(form)
        if problem is not None:
            return problem
        message = self._store(form)
        if self.misbehave.swallowed_answers:
            self.misbehave.swallowed_answers -= 1
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(3600)  # the client gives up first: the answer is lost
            return Response(status_code=499)
        return JSONResponse(message.resource(), status_code=201)

    def _refuse_credentials(self, request: Request) -> Response | None:
        if request.path_params["account"] != ACCOUNT_SID:
            return _error(404, 20404, "The requested resource was not found")
        expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return _error(401, 20003, "Authenticate")
        return None

    def _check(self, form: dict[str, str]) -> Response | None:
        to = form.get("To", "")
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        whatsapp = to.startswith("whatsapp:")
        number = to.removeprefix("whatsapp:")
        if not number.startswith("+") or not number[1:].isdigit():
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if number in MAGIC_NUMBERS:
            code = MAGIC_NUMBERS[number]
            return _error(400, code, f"magic number {number}")
        sender = form.get("From")
        if whatsapp:
            if sender != f"whatsapp:{WHATSAPP_FROM}":
                return _error(400, 63007, "Twilio could not find a Channel with the From address")
        elif form.get("MessagingServiceSid"):
            if not form["MessagingServiceSid"].startswith("MG"):
                return _error(400, 21701, "The Messaging Service Sid is invalid")
        elif sender != SMS_FROM:
            return _error(400, 21212, f"The 'From' number {sender} is not a valid phone number")
        if not form.get("Body") and not form.get("ContentSid"):
            return _error(400, 21602, "Message body is required.")
        if form.get("ContentSid"):
            if not form["ContentSid"].startswith("HX"):
                return _error(400, 21656, "The ContentSid is Invalid.")
            try:
                variables = json.loads(form.get("ContentVariables", "{}"))
            except ValueError:
                return _error(400, 21656, "ContentVariables is not valid JSON")
            if not isinstance(variables, dict) or not all(
                isinstance(v, str) for v in variables.values()
            ):
                return _error(400, 21656, "ContentVariables must map names to strings")
        elif whatsapp and not self.whatsapp_window_open:
            return _error(400, 63016, "Failed to send freeform message outside the window")
        callback = form.get("StatusCallback")
        if callback is not None and urlsplit(callback).scheme not in ("http", "https"):
            return _error(400, 21609, "The StatusCallback URL is not a valid URL")
        return None

    def _store(self, form: dict[str, str]) -> FakeMessage:
        variables = form.get("ContentVariables")
        message = FakeMessage(
            sid="SM" + secrets.token_hex(16),
            to=form["To"],
            sender=form.get("From") or "",
            body=form.get("Body"),
            content_sid=form.get("ContentSid"),
            content_variables=json.loads(variables) if variables else None,
            status_callback=form.get("StatusCallback"),
            messaging_service_sid=form.get("MessagingServiceSid"),
            created=datetime.now(UTC).replace(microsecond=0),
        )
        self.messages.append(message)
        self.accepted.set()
        return message

    def _list(self, request: Request) -> Response:
        self.lists += 1
        to = request.query_params.get("To")
        size = int(request.query_params.get("PageSize", "50"))
        page = int(request.query_params.get("Page", "0"))
        found = [m for m in reversed(self.messages) if to is None or m.to == to]
        chunk = found[page * size : (page + 1) * size]
        more = len(found) > (page + 1) * size
        path = request.url.path
        next_uri = None
        if more:
            query = {"To": to or "", "PageSize": str(size), "Page": str(page + 1)}
            next_uri = f"{path}?{urlencode(query)}"
        return JSONResponse(
            {
                "messages": [m.resource() for m in chunk],
                "page": page,
                "page_size": size,
                "next_page_uri": next_uri,
            }
        )


def _error(status: int, code: int | None, message: str) -> JSONResponse:
    body: dict[str, Any] = {"status": status, "message": message}
    if code is not None:
        body["code"] = code
        body["more_info"] = f"https://www.twilio.com/docs/errors/{code}"
    return JSONResponse(body, status_code=status)


@asynccontextmanager
async def fake_twilio() -> AsyncIterator[FakeTwilio]:
    """A running fake Twilio (``fake.url`` is its base URL)."""
    fake = FakeTwilio()
    async with serving(fake.app) as url:
        fake.url = url
        yield fake
