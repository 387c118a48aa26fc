"""Metrics: one Temporal ``Runtime`` per process exports the SDK's metrics and ours.

Every metric goes through the SDK's meter: ``Runtime.metric_meter`` in the API,
``activity.metric_meter()`` in activities, ``workflow.metric_meter()`` in workflows (which drops
what a replay would record again, so a transition is counted once however often its workflow is
replayed). One Prometheus exporter, the SDK's, serves them all on a loopback port of the
process's own; ``GET /metrics`` on the API and on the worker's ops port pass its text on.

``install_telemetry`` must run before the process's first Temporal client is made: the client
and its workers take the default runtime.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from temporalio.common import MetricMeter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from config.ports import free_port
from domain.metrics import (
    DESCRIPTIONS,
    HTTP_SECONDS,
    MESSAGES,
    SEND_SECONDS,
    TRANSITIONS,
    WEBHOOKS,
)

#: Histogram buckets, in seconds: a provider call, an HTTP request.
BUCKETS = {
    SEND_SECONDS: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0],
    HTTP_SECONDS: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0],
}


@dataclass(frozen=True)
class Telemetry:
    """The process's runtime and where its exporter answers."""

    runtime: Runtime
    exporter_url: str


_installed: Telemetry | None = None


def install_telemetry() -> Telemetry:
    """Make a runtime exporting Prometheus metrics the process's default (once per process)."""
    global _installed
    if _installed is None:
        address = f"127.0.0.1:{free_port()}"
        runtime = Runtime(
            telemetry=TelemetryConfig(
                metrics=PrometheusConfig(
                    bind_address=address,
                    counters_total_suffix=True,
                    durations_as_seconds=True,
                    histogram_bucket_overrides=BUCKETS,
                )
            )
        )
        Runtime.set_default(runtime, error_if_already_set=False)
        _installed = Telemetry(runtime, f"http://{address}/metrics")
        _announce_counters(runtime.metric_meter)
    return _installed


def _announce_counters(metrics: MetricMeter) -> None:
    """Export each product counter from the start, at zero: a scrape before the first event
    finds the family (``rate()`` needs the zero, too)."""
    metrics.create_counter(TRANSITIONS, DESCRIPTIONS[TRANSITIONS]).add(
        0, {"from": "new", "to": "sending"}
    )
    metrics.create_counter(MESSAGES, DESCRIPTIONS[MESSAGES]).add(
        0, {"channel": "sms", "outcome": "sent"}
    )
    metrics.create_counter(WEBHOOKS, DESCRIPTIONS[WEBHOOKS]).add(
        0, {"source": "ats", "outcome": "accepted"}
    )


def meter() -> MetricMeter:
    """The process's meter (a no-op one when telemetry is not installed)."""
    return _installed.runtime.metric_meter if _installed is not None else MetricMeter.noop


async def exported_metrics() -> str:
    """The exporter's Prometheus text (empty when telemetry is not installed)."""
    if _installed is None:
        return ""
    async with httpx.AsyncClient(timeout=5.0) as http:
        response = await http.get(_installed.exporter_url)
        response.raise_for_status()
        return response.text
