"""Each request's id and metrics.

The id is the caller's ``X-Request-ID`` when it is a sensible token, else a new one; it is on
every log record of the request (``config.logs``) and on the response. Metrics: every HTTP
request by route, method and status, with its latency; every outside event (ATS events, vendor
and provider webhooks) by source and outcome. The route is the matched path template
(``/jobs/{job_id}/board``), never the path itself: no ids in labels.

A pure ASGI middleware: no body is read or buffered.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from opentelemetry.trace import SpanKind
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bridges import BRIDGES
from config.logs import log_context
from config.telemetry import meter
from config.tracing import tracer
from domain.metrics import DESCRIPTIONS, HTTP_REQUESTS, HTTP_SECONDS, WEBHOOKS

REQUEST_ID_HEADER = b"x-request-id"
#: A caller's request id is kept when it looks like one (no log injection through it).
_SENSIBLE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,100}")

#: Where outside events come in, and the ``source`` label each gets.
SOURCES = {
    "/ats/events": "ats",
    "/ats/events/batch": "ats_batch",
    **{bridge.path: bridge.system.value for bridge in BRIDGES.values()},
    "/webhooks/candidate-progress": "candidate_progress",
    "/webhooks/interviewer-availability": "interviewer_availability",
    "/webhooks/twilio/status": "twilio_status",
    "/webhooks/twilio/inbound": "twilio_inbound",
}


def outcome_of(status: int) -> str:
    """How an outside event went, from its answer's status."""
    if status < 300:
        return "accepted"
    if status in (401, 403):
        return "unauthenticated"
    if status == 409:
        return "conflict"
    if status < 500:
        return "rejected"
    return "failed"


def request_id_of(scope: Scope) -> str:
    """The caller's request id when it is sensible, else a new one."""
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER and _SENSIBLE_ID.fullmatch(value):
            return bytes(value).decode()
    return uuid.uuid4().hex


class RequestTelemetry:
    """Gives every request its id, counts and times it (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        metrics = meter()
        self._requests = metrics.create_counter(HTTP_REQUESTS, DESCRIPTIONS[HTTP_REQUESTS])
        self._seconds = metrics.create_histogram_float(
            HTTP_SECONDS, DESCRIPTIONS[HTTP_SECONDS], "s"
        )
        self._webhooks = metrics.create_counter(WEBHOOKS, DESCRIPTIONS[WEBHOOKS])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        request_id = request_id_of(scope)

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", []) if h[0] != REQUEST_ID_HEADER]
                message["headers"] = [*headers, (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        name = f"{scope['method']} {scope.get('path', '')}"
        with tracer.start_as_current_span(name, kind=SpanKind.SERVER) as span:
            span.set_attribute("http.request.method", scope["method"])
            span.set_attribute("enrolments.request_id", request_id)
            try:
                with log_context(request_id=request_id):
                    await self.app(scope, receive, send_status)
            finally:
                template = self._record(scope, status, time.perf_counter() - started)
                # Named by the route, not the path: ids stay out of span names.
                span.update_name(f"{scope['method']} {template}")
                span.set_attribute("http.route", template)
                span.set_attribute("http.response.status_code", status)

    def _record(self, scope: Scope, status: int, seconds: float) -> str:
        """Count and time the request; returns its route template."""
        route: Any = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        labels = {"method": scope["method"], "route": template}
        self._seconds.record(seconds, labels)
        self._requests.add(1, labels | {"status": str(status)})
        # Refused before routing (no key), the path still names the source: these have no ids.
        source = SOURCES.get(template) or SOURCES.get(scope.get("path", ""))
        if source is not None:
            self._webhooks.add(1, {"source": source, "outcome": outcome_of(status)})
        return template
