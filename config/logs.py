"""Logging: text for people, JSON lines for log pipelines (``ENROLMENTS_LOG_FORMAT``).

Each record carries what is known of where it comes from: the HTTP request's id (``X-Request-ID``,
set by the API for the request's duration), and the Temporal workflow or activity it was
logged in (the SDK's loggers attach it): ``workflow_id``, ``candidate_id`` (read from the
candidate workflow's id) and ``enrolment_id`` (set by whatever handles one enrolment). Ids
only: personal data is never logged, nor a secret a URL carries: the access log shows a
candidate's link as ``/c/…`` and no query string (an unsubscribe token, a search).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal

from domain.identity import WORKFLOW_ID_PREFIX

LogFormat = Literal["text", "json"]

_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "enrolments_log_context", default=None
)

#: The fields a record may carry, in the order a text line shows them.
CONTEXT_FIELDS = ("request_id", "workflow_id", "candidate_id", "enrolment_id")


@contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """Records logged inside the block (in this task and the ones it starts) carry ``fields``."""
    token = _context.set((_context.get() or {}) | {k: v for k, v in fields.items() if v})
    try:
        yield
    finally:
        _context.reset(token)


def context_of(record: logging.LogRecord) -> dict[str, str]:
    """The context fields of ``record``: the log context, then what Temporal attached."""
    fields = dict(_context.get() or {})
    temporal: Any = getattr(record, "temporal_workflow", None) or getattr(
        record, "temporal_activity", None
    )
    if isinstance(temporal, dict):
        workflow_id = temporal.get("workflow_id")
        if isinstance(workflow_id, str):
            fields.setdefault("workflow_id", workflow_id)
            if workflow_id.startswith(WORKFLOW_ID_PREFIX):
                fields.setdefault("candidate_id", workflow_id[len(WORKFLOW_ID_PREFIX) :])
    return fields


class JsonLines(logging.Formatter):
    """One JSON object per record: ``time``, ``level``, ``logger``, ``message``, the context
    fields that are known, and ``exception`` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **context_of(record),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class TextLines(logging.Formatter):
    """``time LEVEL logger: message [request_id=… candidate_id=…]``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = context_of(record)
        # Temporal's own loggers already append their workflow's details to the message.
        shown = [
            f"{name}={fields[name]}"
            for name in CONTEXT_FIELDS
            if name in fields and not hasattr(record, "temporal_workflow")
        ]
        return f"{text} [{' '.join(shown)}]" if shown else text


#: A path segment that is a secret: the token after ``/c/`` (a candidate's link).
_SECRET_SEGMENT = re.compile(r"^(/c/)[^/]+")


def without_secrets(path: str) -> str:
    """``path`` as a log may show it: a link's token and the query string left out."""
    path, mark, _ = path.partition("?")
    return _SECRET_SEGMENT.sub(r"\1…", path) + ("?…" if mark else "")


class HidesSecretsInPaths(logging.Filter):
    """Rewrites the path of uvicorn's access-log records (``without_secrets``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) >= 3:
            record.args = (*args[:2], without_secrets(str(args[2])), *args[3:])
        return True


def configure_logging(level: str, log_format: LogFormat) -> None:
    """Send every record of this process to stderr in ``log_format`` from ``level`` up."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if log_format == "json" else TextLines())
    handler.addFilter(HidesSecretsInPaths())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # A level the settings refuse later (exit 2) logs at WARNING until then.
    wanted = level.upper()
    root.setLevel(wanted if wanted in ("DEBUG", "INFO", "WARNING", "ERROR") else "WARNING")
