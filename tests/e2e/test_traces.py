"""One trace follows an ATS event: the HTTP request, the update, the workflow, the delivery
activity and the call to the provider, on the real stack with an in-memory span exporter."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import httpx
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from config.encryption import data_converter
from config.settings import Settings
from config.tracing import install_tracing, tracing_configured, tracing_interceptors
from store.database import create_engine
from tests.keys import ADMIN_HEADERS
from workers.worker import running_workers


class RecordingExporter(InMemorySpanExporter):
    """Keeps spans while ``recording``: tracing stays installed for the rest of the session."""

    recording = False

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return super().export(spans) if self.recording else SpanExportResult.SUCCESS


EXPORTED = RecordingExporter()


def test_tracing_is_off_unless_an_endpoint_is_configured() -> None:
    assert not tracing_configured({})
    assert tracing_configured({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert tracing_configured({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"})
    off = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"}
    assert not tracing_configured(off)
    assert not tracing_configured(off | {"OTEL_SDK_DISABLED": "", "OTEL_TRACES_EXPORTER": "none"})


async def test_one_trace_spans_api_update_workflow_activity_and_provider(
    dev_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
) -> None:
    install_tracing(SimpleSpanProcessor(EXPORTED))
    client = await Client.connect(
        dev_env.client.service_client.config.target_host,
        namespace=dev_env.client.namespace,
        data_converter=data_converter(None),
        interceptors=tracing_interceptors(),
    )
    run = uuid.uuid4().hex[:8]
    settings = Settings(
        data_dir=tmp_path,
        database_url=sqlite_url,
        task_queue=f"traces-{run}",
        delivery_task_queue=f"traces-delivery-{run}",
    )
    engine = create_engine(sqlite_url)
    try:
        async with running_workers(client, settings, engine):
            app = create_app(settings, client, engine=engine)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://test", headers=ADMIN_HEADERS
            ) as http:
                campaign = {"name": "T", "kind": "blast", "channel": "sms", "messages": ["Hi"]}
                assert (await http.put(f"/campaigns/c-{run}", json=campaign)).status_code == 200
                job = {
                    "name": "J",
                    "stages": [{"id": "s1", "name": "S", "campaign_id": f"c-{run}"}],
                }
                assert (await http.put(f"/jobs/j-{run}", json=job)).status_code == 200
                EXPORTED.clear()
                EXPORTED.recording = True
                event = {
                    "id": f"evt-{run}",
                    "type": "application.created",
                    "occurred_at": "2026-12-01T10:00:00+00:00",
                    "application": {"id": f"a-{run}", "job_id": f"j-{run}", "stage_id": "s1"},
                    "candidate": {"id": f"cand-{run}", "name": "T", "phone": "+14155550123"},
                }
                answer = await http.post("/ats/events", json=event)
                assert answer.status_code == 202, answer.text
                [enrolment] = answer.json()["enrolments"]
                deadline = time.monotonic() + 20
                while (await http.get(f"/enrolments/{enrolment['id']}")).json()[
                    "status"
                ] != "delivered":
                    assert time.monotonic() < deadline
                    await asyncio.sleep(0.05)
    finally:
        EXPORTED.recording = False
        await engine.dispose()

    spans = EXPORTED.get_finished_spans()
    EXPORTED.clear()
    # The root: the API's span for the request (FastAPI's own spans nest inside it).
    [request] = [s for s in spans if s.name == "POST /ats/events" and s.parent is None]
    trace = [s for s in spans if s.context.trace_id == request.context.trace_id]
    names = {s.name for s in trace}
    wanted = {
        "StartUpdateWithStartWorkflow:CandidateWorkflow",  # the API's client
        "HandleUpdate:enrol",  # the workflow
        "RunWorkflow:CandidateWorkflow",
        "RunActivity:deliver_message",  # the delivery worker
        "provider send",  # the call to the provider, inside the activity
    }
    assert wanted <= names, names
    # No candidate data in any span: ids only.
    for span in trace:
        assert "+14155550123" not in str(span.attributes) + span.name
