"""What a request body may be, checked before any route reads it, and read once.

The order a request is checked in is fixed: its size (413) before anything is read, then who
may call the route (401/403, or the signature of a signed route), the media type (415), the
syntax (400) and last the fields (422). Every JSON body, whichever edge it reaches (a FastAPI
route, a vendor's webhook, the codec server), is read by ``read_json``: at most
``MAX_BODY_BYTES``, UTF-8, nested at most ``MAX_JSON_DEPTH`` deep. Whatever it cannot read is
one error, 400 ``malformed_json``.
"""

from __future__ import annotations

import email.message
import json
import re
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from fastapi import params
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiError, error_json
from api.permissions import allow_of

#: The largest request body accepted (1 MiB): enough for any campaign or ATS event, small
#: enough that a hostile caller cannot make the server buffer much.
MAX_BODY_BYTES = 1024 * 1024
#: How deeply a JSON body may nest arrays and objects. Our deepest document (a campaign's
#: questions, a vendor's payload) nests under ten; Python's own parser gives up near 1,000 with
#: a ``RecursionError``, which must never reach a handler.
MAX_JSON_DEPTH = 64

JSON_MEDIA_TYPES = ("application/json",)
FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def malformed_json(reason: str) -> ApiError:
    """The one error of a body that cannot be read as JSON."""
    return ApiError(
        400,
        "malformed_json",
        f"the request body is not valid JSON: {reason}",
        {"max_bytes": MAX_BODY_BYTES, "max_depth": MAX_JSON_DEPTH},
    )


def read_json(raw: bytes, *, max_bytes: int = MAX_BODY_BYTES) -> Any:
    """``raw`` as a JSON value; raises ``malformed_json`` for a body over ``max_bytes``, not
    UTF-8, not JSON, or nested deeper than ``MAX_JSON_DEPTH``."""
    if len(raw) > max_bytes:
        raise malformed_json(f"it is longer than {max_bytes} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise malformed_json("it is not UTF-8 text") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise malformed_json(f"{err.msg} at line {err.lineno} column {err.colno}") from None
    except RecursionError:
        raise malformed_json(f"it nests deeper than {MAX_JSON_DEPTH} levels") from None
    if _depth_exceeds(value, MAX_JSON_DEPTH):
        raise malformed_json(f"it nests deeper than {MAX_JSON_DEPTH} levels")
    return value


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests arrays and objects more than ``limit`` deep (level by level, no
    recursion)."""
    level = [value] if isinstance(value, dict | list) else []
    for _ in range(limit):
        level = [
            child
            for node in level
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return True


class BoundedRequest(Request):
    """A request whose ``json()`` is ``read_json``: what FastAPI parses a JSON body with."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = read_json(await self.body())
        return self._json


class BodyTooLarge(ApiError):
    """The request body passed ``MAX_BODY_BYTES`` while it was being read."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413, "payload_too_large", f"the request body exceeds {limit} bytes", {"limit": limit}
        )


class RequestLimits:
    """ASGI middleware: what no request may carry, refused before any route sees it.

    A body over ``max_bytes`` gets 413 before it is buffered: ``Content-Length`` is checked up
    front and the bytes actually received are counted, so a chunked or lying request is cut
    off too. A NUL character in the path or query gets 422: no id contains one, and
    PostgreSQL cannot even compare text holding one.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        # Compare digit strings by length first: int() refuses absurdly long ones.
        if declared.isdecimal() and (len(declared) > 18 or int(declared) > self.max_bytes):
            await _too_large(self.max_bytes)(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if "\x00" in scope.get("path", "") or b"%00" in query or b"\x00" in query:
            await _nul_refused()(scope, receive, send)
            return

        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(self.max_bytes)(scope, receive, send)


def _too_large(limit: int) -> JSONResponse:
    return error_json(
        413, "payload_too_large", f"the request body exceeds {limit} bytes", {"limit": limit}
    )


def _nul_refused() -> JSONResponse:
    return error_json(422, "invalid_character", "text may not contain NUL characters (U+0000)")


def media_type(request: Request) -> str | None:
    """The request's media type without parameters (``application/json``), or ``None``."""
    raw = request.headers.get("content-type")
    if not raw:
        return None
    message = email.message.Message()
    message["content-type"] = raw
    return message.get_content_type()


#: A JSON ``\u0000`` escape that is not itself escaped (an even run of backslashes before it).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _carries_nul(body: bytes, *, form: bool) -> bool:
    if form:
        return b"\x00" in body or b"%00" in body
    return _JSON_NUL.search(body) is not None


def _accepts(accepted: Sequence[str], actual: str) -> bool:
    structured_json = actual.startswith("application/") and actual.endswith("+json")
    return actual in accepted or ("application/json" in accepted and structured_json)


class CheckedRoute(APIRoute):
    """Every route of the app: it admits only the callers its ``Allow`` names (refusing all
    when it names none), then refuses a body in a media type it does not take (415), all
    before parsing; a JSON body is parsed with ``read_json``.

    JSON routes take ``application/json`` (and ``+json``), form routes take form encodings.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.allow = allow_of(self.dependant)

    def accepted_media_types(self) -> Sequence[str]:
        """The media types this route's body may come in (empty: it takes no body)."""
        if self.body_field is None:
            return ()
        if isinstance(self.body_field.field_info, params.Form):
            return FORM_MEDIA_TYPES
        return JSON_MEDIA_TYPES

    async def admit(self, request: Request) -> None:
        """Raise ``ApiError`` if the request must not reach the handler."""
        accepted = self.accepted_media_types()
        if not accepted:
            return
        actual = media_type(request)
        if actual is None:
            # No declared type: an empty body falls through to "field required" (422).
            if await request.body():
                raise ApiError(
                    415,
                    "unsupported_media_type",
                    f"send the body as {accepted[0]} with a Content-Type header",
                    {"accepted": list(accepted)},
                )
            return
        if not _accepts(accepted, actual):
            raise ApiError(
                415,
                "unsupported_media_type",
                f"this endpoint takes {' or '.join(accepted)}, not {actual}",
                {"accepted": list(accepted), "received": actual},
            )
        if _carries_nul(await request.body(), form=accepted == FORM_MEDIA_TYPES):
            # PostgreSQL cannot store NUL in text: refuse it here, before a workflow sees it.
            raise ApiError(422, "invalid_character", "text may not contain NUL characters (U+0000)")

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked_handler(request: Request) -> Response:
            bounded = BoundedRequest(request.scope, request.receive)
            if self.allow is None:
                return error_json(403, "forbidden", "this route names no callers: nobody may")
            refusal = await self.allow.refusal(bounded, request.app.state.context.settings)
            if refusal is not None:
                return refusal
            await self.admit(bounded)
            return await handler(bounded)

        return checked_handler
