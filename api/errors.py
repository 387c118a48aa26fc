"""Errors as values at the edge: every failure leaves as ``{"error": {code, message, details}}``.

Inside, code raises ``ApiError`` (or lets FastAPI/Starlette raise theirs); the handlers here
turn each into the JSON shape of API.md with a fitting status. What a request body may be, and
the order it is checked in, is ``api.bodies``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
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
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match
from temporalio.service import RPCError

logger = logging.getLogger(__name__)

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


class ApiError(StarletteHTTPException):
    """An error the edge answers with: ``status`` (4xx/503), ``code`` and a message.

    An ``HTTPException``, so that one raised while FastAPI reads a body (``api.bodies``)
    reaches the handlers as it is instead of becoming a generic 400.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, message, headers)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def body(self) -> ErrorBody:
        """The error as one result of a batch carries it."""
        return ErrorBody(code=self.code, message=self.message, details=self.details)


def not_found(kind: str, key: str) -> ApiError:
    """The 404 for a path naming a ``kind`` of thing (job, campaign, enrolment) that is not
    there: code ``<kind>_not_found``."""
    return ApiError(404, f"{kind}_not_found", f"no {kind} {key!r}")


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


# -- handlers -------------------------------------------------------------------------------


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    headers = dict(exc.headers) if exc.headers else None
    return error_json(exc.status, exc.code, exc.message, exc.details, headers)


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
