"""The names of the product's metrics (``config.telemetry`` exports them; the SDK's own all
start with ``temporal_``). Counters are exported with ``_total`` appended."""

from __future__ import annotations

#: Enrolment status changes, labelled ``from`` (``new`` when created) and ``to``.
TRANSITIONS = "enrolments_transitions"
#: Messages handed to providers, by ``channel`` and ``outcome`` (sent, duplicate, refused,
#: retried).
MESSAGES = "enrolments_messages"
#: Time to hand a message to its provider, by ``channel`` (a histogram, in seconds).
SEND_SECONDS = "enrolments_send_seconds"
#: Outside events (ATS events, vendor and provider webhooks) by ``source`` and ``outcome``.
WEBHOOKS = "enrolments_webhooks"
#: Enrolments in each ``status`` now (a gauge, set when ``/metrics`` is read).
ENROLMENTS_BY_STATUS = "enrolments_by_status"
#: HTTP requests by ``method``, ``route`` (the path template) and ``status``.
HTTP_REQUESTS = "enrolments_http_requests"
#: Time to answer an HTTP request, by ``method`` and ``route`` (seconds).
HTTP_SECONDS = "enrolments_http_request_seconds"

#: What each metric means (its Prometheus ``HELP``): every meter creates it with this text.
DESCRIPTIONS = {
    TRANSITIONS: "Enrolment status changes, by the statuses before and after",
    MESSAGES: "Messages handed to providers, by channel and outcome",
    SEND_SECONDS: "Time to hand a message to its provider",
    WEBHOOKS: "Outside events received, by source and outcome",
    ENROLMENTS_BY_STATUS: "Enrolments in each status now",
    HTTP_REQUESTS: "HTTP requests answered",
    HTTP_SECONDS: "Time to answer an HTTP request",
}
