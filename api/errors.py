"""Errors as values at the edge: every failure leaves as ``{"error": {code, message, details}}``.

Inside, code raises ``ApiError`` (or lets FastAPI/Starlette raise theirs); the handlers here
turn each into the JSON shape of API.md with a fitting status. What a request body may be, and
the order it is checked in, is ``api.bodies``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
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

from services.errors import ErrorBody, Refused, problem, sentence

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


class ErrorResponse(BaseModel):
    """The one shape of every error response."""

    error: ErrorBody


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting the error shape for ``statuses``."""
    return {
        status: {"model": ErrorResponse, "description": HTTPStatus(status).phrase}
        for status in statuses
    }


class ApiError(Refused, StarletteHTTPException):
    """A refusal of the HTTP edge itself (a body it cannot read, a caller it does not admit).

    Also an ``HTTPException``, so that one raised while FastAPI reads a body (``api.bodies``)
    reaches the handlers as it is instead of becoming a generic 400.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        Refused.__init__(self, status, code, message, details, headers)
        self.status_code = status
        self.detail = message


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


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    headers = dict(exc.headers) if exc.headers else None
    return error_json(exc.status, exc.code, exc.message, exc.details, headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [problem(e) for e in exc.errors()]
    if any(p["type"] == "json_invalid" for p in problems):
        return error_json(400, "malformed_json", "the request body is not valid JSON", problems)
    return error_json(422, "validation_failed", sentence(problems), problems)


async def http_error(request: Request, exc: Exception) -> Response:
    """A plain HTTP error (404, 405...) of Starlette or FastAPI, in the error shape."""
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
        (Refused, _refused),
        (RequestValidationError, _validation_error),
        (StarletteHTTPException, http_error),
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
