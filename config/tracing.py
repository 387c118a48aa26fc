"""Traces: OpenTelemetry through the Temporal SDK's tracing interceptor, off unless configured.

Configured by the standard variables only: an OTLP endpoint (``OTEL_EXPORTER_OTLP_ENDPOINT`` or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) turns it on; ``OTEL_SERVICE_NAME``,
``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_EXPORTER_OTLP_HEADERS`` and the rest are read by the
OpenTelemetry SDK itself; ``OTEL_SDK_DISABLED=true`` or ``OTEL_TRACES_EXPORTER=none`` keep it off.

One trace follows an event through the product: the API's span for the HTTP request, the
client's span for the update (its context travels in the update's headers), the workflow's
spans for the update and the run, the delivery activity's span and, inside it, the span of the
call to the provider. Spans carry ids only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from temporalio.client import Interceptor
from temporalio.contrib.opentelemetry import TracingInterceptor

#: The tracer of the product's own spans (HTTP requests, provider calls).
tracer = trace.get_tracer("campaign-enrolments")

_installed = False


def tracing_configured(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the environment asks for traces to be exported."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if env.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "none":
        return False
    endpoints = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    return any(env.get(name, "").strip() for name in endpoints)


def install_tracing(processor: SpanProcessor | None = None) -> bool:
    """Export traces when configured (or through ``processor``, as tests do). Once per process;
    returns whether tracing is on."""
    global _installed
    if _installed:
        return True
    if processor is None:
        if not tracing_configured():
            return False
        processor = BatchSpanProcessor(_otlp_exporter())
    provider = TracerProvider(resource=Resource.create({"service.name": _service_name()}))
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    _installed = True
    return True


def tracing_interceptors() -> list[Interceptor]:
    """The Temporal client interceptors (workers made with the client take them too)."""
    return [TracingInterceptor()] if _installed else []


def _service_name() -> str:
    return os.environ.get("OTEL_SERVICE_NAME", "").strip() or "campaign-enrolments"


def _otlp_exporter() -> SpanExporter:
    # Imported only when traces are exported: the exporter reads the OTEL_* variables itself.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()
