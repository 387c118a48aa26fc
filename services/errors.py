"""How a use case refuses: ``Refused``, with a stable code, a sentence and the HTTP status that
fits, so that every way in (a route, a page, the CLI) reports it alike.

Inside a use case, code raises ``Refused``; the HTTP edge answers it in the error shape of
API.md, a batch puts ``Refused.body()`` in the refused item's result, the CLI prints its
message. An outage of Temporal or the database is no refusal: ``outage`` names it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from temporalio.service import RPCError

logger = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    """What went wrong: a stable machine-readable ``code`` and a sentence for people."""

    code: str
    message: str
    details: Any = None


class Refused(Exception):
    """A use case refuses: ``status`` (4xx, or 503 for "retry"), ``code`` and a message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers

    def body(self) -> ErrorBody:
        """The refusal as one result of a batch carries it."""
        return ErrorBody(code=self.code, message=self.message, details=self.details)


def not_found(kind: str, key: str) -> Refused:
    """The 404 for a ``kind`` of thing (job, campaign, enrolment) that is not there: code
    ``<kind>_not_found``."""
    return Refused(404, f"{kind}_not_found", f"no {kind} {key!r}")


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


def internal_error(exc: Exception, about: str) -> ErrorBody:
    """A bug met while applying one item of a batch: logged whole, answered without internals
    (the batch's other items go on)."""
    logger.error("unexpected error applying %s", about, exc_info=exc)
    return ErrorBody(code="internal_error", message="an unexpected error occurred")


def invalid_input(errors: Any, where: str) -> ErrorBody:
    """The ``validation_failed`` error for pydantic ``errors`` of an input read by hand (one
    event of a batch), located under ``where``."""
    problems = [problem({**e, "loc": ("body", where, *e.get("loc", ()))}) for e in errors]
    return ErrorBody(code="validation_failed", message=sentence(problems), details=problems)


def sentence(problems: list[dict[str, Any]]) -> str:
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


def problem(error: Any) -> dict[str, Any]:
    """One validation problem, without echoing the (possibly huge or hostile) input."""
    loc = error.get("loc", ()) if isinstance(error, dict) else ()
    return {
        "loc": [part if isinstance(part, int) else str(part) for part in loc],
        "message": str(error.get("msg", "")) if isinstance(error, dict) else str(error),
        "type": str(error.get("type", "")) if isinstance(error, dict) else "invalid",
    }
