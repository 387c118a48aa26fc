"""``/metrics``, ``/livez``, ``/readyz`` on the API, and the worker's ops port.

A small burst of blasts goes through the real stack; the scrape afterwards shows exactly that
burst in the product's metrics (transitions, messages, send times, webhooks, enrolments by
status), next to the Temporal SDK's own worker metrics.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from config.ports import free_port
from config.settings import Settings
from store.database import create_engine
from tests.api.conftest import Stack, blast_campaign
from workers.worker import run_worker

SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][\w:]*)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$")


def sample(text: str, name: str, **labels: str) -> float:
    """The sum of ``name``'s series whose labels include ``labels`` (0 when there is none)."""
    total = 0.0
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if match is None or match["name"] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match["labels"] or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match["value"])
    return total


async def scrape(http: httpx.AsyncClient) -> str:
    response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_a_burst_shows_in_the_product_metrics_next_to_the_sdks(stack: Stack) -> None:
    campaign_id = await stack.put_campaign("metrics", blast_campaign())
    job_id = await stack.put_job("metrics", [{"id": "s1", "name": "S", "campaign_id": campaign_id}])
    before = await scrape(stack.http)
    events = [
        stack.ats_event(job_id=job_id, stage_id="s1", application=f"a{n}", candidate=f"c{n}")
        for n in range(3)
    ]
    enrolled = await asyncio.gather(*(stack.send_event(event) for event in events))
    for [enrolment] in enrolled:
        await stack.wait_for(enrolment["id"], "delivered")
    refused = await stack.http.post("/ats/events", json={"id": "not an event"})
    assert refused.status_code == 422

    def delta(after: str, name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    expected = {
        ("enrolments_transitions_total", (("from", "new"), ("to", "sending"))): 3,
        ("enrolments_transitions_total", (("from", "sending"), ("to", "delivered"))): 3,
        ("enrolments_messages_total", (("channel", "sms"), ("outcome", "sent"))): 3,
        ("enrolments_send_seconds_count", (("channel", "sms"),)): 3,
        ("enrolments_webhooks_total", (("source", "ats"), ("outcome", "accepted"))): 3,
        ("enrolments_webhooks_total", (("source", "ats"), ("outcome", "rejected"))): 1,
        (
            "enrolments_http_requests_total",
            (("method", "POST"), ("route", "/ats/events"), ("status", "202")),
        ): 3,
    }
    for _ in range(50):  # the workflow's counter lands with its next completed task
        after = await scrape(stack.http)
        seen = {key: delta(after, key[0], **dict(key[1])) for key in expected}
        if seen == expected:
            break
        await asyncio.sleep(0.1)
    assert seen == expected
    assert sample(after, "enrolments_by_status", status="delivered") == 3
    assert sample(after, "enrolments_by_status", status="failed") == 0
    assert sample(after, "enrolments_http_request_seconds_count", route="/ats/events") >= 4
    # The SDK's own worker metrics, from the same exporter.
    assert re.search(r"^temporal_worker_task_slots_available\{", after, re.MULTILINE), after[:2000]
    # Every metric the alert rules and the dashboard read is one the stack exports.
    exported = {m["name"] for line in after.splitlines() if (m := SAMPLE.match(line))}
    assert metrics_read_by_deploy_files() - exported == set()


def metrics_read_by_deploy_files() -> set[str]:
    """The product's and the SDK's metric names ``deploy/`` reads (alerts, dashboard)."""
    deploy = Path(__file__).resolve().parents[2] / "deploy"
    texts = [
        (deploy / "prometheus" / "alerts.yml").read_text(),
        (deploy / "grafana" / "dashboards" / "enrolments.json").read_text(),
    ]
    return {name for text in texts for name in re.findall(r"\b(?:enrolments|temporal)_\w+", text)}


async def test_liveness_and_readiness_are_public(stack: Stack) -> None:
    transport = httpx.ASGITransport(app=stack.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as anonymous:
        assert (await anonymous.get("/livez")).json() == {"status": "alive"}
        ready = await anonymous.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["status"] == "ok"
        assert (await anonymous.get("/metrics")).status_code == 200
        echoed = await anonymous.get("/livez", headers={"X-Request-ID": "req-42"})
        assert echoed.headers["x-request-id"] == "req-42"
        made = await anonymous.get("/livez", headers={"X-Request-ID": "bad id\n"})
        assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])


async def test_the_worker_serves_its_metrics_and_health_on_its_ops_port(
    dev_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
) -> None:
    port = free_port()
    settings = Settings(
        data_dir=tmp_path,
        database_url=sqlite_url,
        task_queue=f"ops-{port}",
        delivery_task_queue=f"ops-delivery-{port}",
        metrics_port=port,
    )
    engine = create_engine(sqlite_url)
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(settings, dev_env.client, stop, engine=engine))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            for _ in range(100):
                try:
                    live = await http.get("/livez")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            assert live.json() == {"status": "alive"}
            ready = await http.get("/readyz")
            assert (ready.status_code, ready.json()["temporal"]) == (200, "ok")
            metrics = await http.get("/metrics")
            assert "temporal_worker_task_slots_available" in metrics.text
    finally:
        stop.set()
        await worker
        await engine.dispose()
