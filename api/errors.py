"""Errors as values at the edge: every failure leaves as ``{"error": {code, message, details}}``.

Inside, code raises ``ApiError`` (or lets FastAPI/Starlette raise theirs); the handlers here
turn each into the JSON shape of API.md with a fitting status. The order a request is checked
in is fixed: size (413) before anything is parsed, then the signature (401, signed routes),
the media type (415), the syntax (400) and last the fields (422).
"""

from __future__ import annotations

import email.message
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, params
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.service import RPCError

logger = logging.getLogger(__name__)

#: The largest request body accepted (1 MiB): enough for any campaign or ATS event, small
#: enough that a hostile caller cannot make the server buffer much.
MAX_BODY_BYTES = 1024 * 1024

JSON_MEDIA_TYPES = ("application/json",)
FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

#: The code each plain HTTP status gets when Starlette or FastAPI raise it themselves.
_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    503: "service_unavailable",
}


class ErrorBody(BaseModel):
    """What went wrong: a stable machine-readable ``code`` and a sentence for people."""

    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    """The one shape of every error response."""

    error: ErrorBody


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting the error shape for ``statuses``."""
    return {
        status: {"model": ErrorResponse, "description": HTTPStatus(status).phrase}
        for status in statuses
    }


class ApiError(Exception):
    """An error the edge answers with: ``status`` (4xx/503), ``code`` and a message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers

    def body(self) -> ErrorBody:
        """The error as one result of a batch carries it."""
        return ErrorBody(code=self.code, message=self.message, details=self.details)


def not_found(kind: str, key: str) -> ApiError:
    """The 404 for a path naming a ``kind`` of thing (job, campaign, enrolment) that is not
    there: code ``<kind>_not_found``."""
    return ApiError(404, f"{kind}_not_found", f"no {kind} {key!r}")


class BodyTooLarge(StarletteHTTPException):
    """The request body passed ``MAX_BODY_BYTES`` while it was being read.

    An ``HTTPException`` so that FastAPI's body parsing passes it on instead of turning it
    into a generic 400.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"the request body exceeds {limit} bytes")


def error_json(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A response in the error shape."""
    body = ErrorResponse(error=ErrorBody(code=code, message=message, details=details))
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


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
    """A route that refuses a body in a media type it does not take (415) before parsing.

    JSON routes take ``application/json`` (and ``+json``), form routes take form encodings.
    Subclasses add checks that must run before parsing by overriding ``admit``.
    """

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
            await self.admit(request)
            return await handler(request)

        return checked_handler


# -- handlers -------------------------------------------------------------------------------


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_json(exc.status, exc.code, exc.message, exc.details, exc.headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [_problem(e) for e in exc.errors()]
    if any(p["type"] == "json_invalid" for p in problems):
        return error_json(400, "malformed_json", "the request body is not valid JSON", problems)
    return error_json(422, "validation_failed", _sentence(problems), problems)


def invalid_input(errors: Any, where: str) -> ErrorBody:
    """The ``validation_failed`` error for pydantic ``errors`` of an input read by hand (one
    event of a batch), located under ``where``."""
    problems = [_problem({**e, "loc": ("body", where, *e.get("loc", ()))}) for e in errors]
    return ErrorBody(code="validation_failed", message=_sentence(problems), details=problems)


def internal_error(exc: Exception, about: str) -> ErrorBody:
    """A bug met while applying one item of a batch: logged whole, answered without internals
    (the batch's other items go on)."""
    logger.error("unexpected error applying %s", about, exc_info=exc)
    return ErrorBody(code="internal_error", message="an unexpected error occurred")


def outage(exc: Exception) -> ErrorBody | None:
    """The 503 error an outage of Temporal or the database answers with; ``None`` for any
    other exception (a bug: let it reach the handlers)."""
    if isinstance(exc, RPCError):
        return ErrorBody(
            code="temporal_unavailable",
            message="the workflow service could not be reached; retry the event",
        )
    unavailable = (OperationalError, InterfaceError, ConnectionError, PoolTimeoutError)
    if isinstance(exc, unavailable) or (
        isinstance(exc, DBAPIError) and not isinstance(exc, IntegrityError | ProgrammingError)
    ):
        return ErrorBody(
            code="database_unavailable",
            message="the database could not be reached; retry the event",
        )
    return None


def _sentence(problems: list[dict[str, Any]]) -> str:
    """The first problem, naming its field (``candidate.timezone: ...``), and how many more."""
    if not problems:
        return "the request does not fit the schema"
    first = problems[0]
    # The first part of a location says where (body, query, path); the rest names the field.
    field = ".".join(str(part) for part in first["loc"][1:]) or str(
        first["loc"][0] if first["loc"] else ""
    )
    message = first["message"].removeprefix("Value error, ")
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    return f"{field}: {message}{more}" if field else f"{message}{more}"


def _problem(error: Any) -> dict[str, Any]:
    """One validation problem, without echoing the (possibly huge or hostile) input."""
    loc = error.get("loc", ()) if isinstance(error, dict) else ()
    return {
        "loc": [part if isinstance(part, int) else str(part) for part in loc],
        "message": str(error.get("msg", "")) if isinstance(error, dict) else str(error),
        "type": str(error.get("type", "")) if isinstance(error, dict) else "invalid",
    }


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = _STATUS_CODES.get(status, "http_error")
    default = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "error"
    message = exc.detail if isinstance(exc.detail, str) and exc.detail else default
    if status == 404 and message == "Not Found":
        message = f"no resource at {request.url.path}"
    headers = dict(exc.headers) if exc.headers else None
    if status == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
        headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
    return error_json(status, code, message, None, headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at the request's path (Starlette names only the first
    matching route's: ``/jobs/{id}`` takes GET and PUT from two routes)."""
    routes = request.app.router.routes
    return [
        method
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
    ]


async def _temporal_unavailable(request: Request, exc: Exception) -> Response:
    logger.warning("Temporal call failed for %s %s: %s", request.method, request.url.path, exc)
    return error_json(
        503,
        "temporal_unavailable",
        "the workflow service could not be reached; retry the request",
        headers={"Retry-After": "1"},
    )


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    logger.warning("database call failed for %s %s: %s", request.method, request.url.path, exc)
    return error_json(
        503,
        "database_unavailable",
        "the database could not be reached; retry the request",
        headers={"Retry-After": "1"},
    )


async def _database_error(request: Request, exc: Exception) -> Response:
    # asyncpg reports a refused connection as a plain DBAPIError: the database is unavailable.
    # Integrity and programming errors are bugs of ours, not an outage.
    if isinstance(exc, IntegrityError | ProgrammingError):
        return await _unexpected(request, exc)
    return await _database_unavailable(request, exc)


async def _unstorable(request: Request, exc: Exception) -> Response:
    # The database refused a value (NUL in text, too long for its column): bad input, and
    # the transaction it was in is rolled back.
    logger.info("database refused a value on %s %s: %s", request.method, request.url.path, exc)
    return error_json(422, "unstorable_value", "a value in the request cannot be stored")


async def _unexpected(request: Request, exc: Exception) -> Response:
    # A bug, not bad input: log it whole, answer in the same shape without internals.
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_json(500, "internal_error", "an unexpected error occurred")


Handler = Callable[[Request, Exception], Awaitable[Response]]


def install_error_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` leave in the error shape (see the module docstring)."""
    handlers: list[tuple[type[Exception], Handler]] = [
        (ApiError, _api_error),
        (RequestValidationError, _validation_error),
        (StarletteHTTPException, _http_error),
        (RPCError, _temporal_unavailable),
        (OperationalError, _database_unavailable),
        (InterfaceError, _database_unavailable),
        (DataError, _unstorable),
        (DBAPIError, _database_error),
        (ConnectionError, _database_unavailable),
        (PoolTimeoutError, _database_unavailable),
        (Exception, _unexpected),
    ]
    for exc_class, handler in handlers:
        app.add_exception_handler(exc_class, handler)
    app.add_middleware(RequestLimits, max_bytes=MAX_BODY_BYTES)
