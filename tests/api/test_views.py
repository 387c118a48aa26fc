"""The recruiter views as JSON: paginated, filtered Table; board with counts; health."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from api.app import create_app
from config.settings import Settings
from domain.jobs import InterviewSettings
from tests.api.conftest import INVALID_PHONE, Stack, blast_campaign
from tests.api.test_errors import assert_error
from tests.keys import ADMIN_HEADERS

pytestmark = pytest.mark.devserver


@pytest.fixture
def api_database_url(database_url: str) -> str:
    """These tests run on SQLite and on PostgreSQL."""
    return database_url


@pytest.fixture
async def busy_job(stack: Stack) -> str:
    """A job with five delivered blasts, two failed ones and one application in a plain stage."""
    rejection = await stack.put_campaign("rejection", blast_campaign())
    job = await stack.put_job(
        "job",
        [
            {"id": "applied", "name": "Applied"},
            {"id": "rejected", "name": "Rejected", "campaign_id": rejection},
        ],
    )
    enrolments = []
    for i in range(7):
        [enrolment] = await stack.send_event(
            stack.ats_event(
                job_id=job,
                stage_id="rejected",
                application=f"app{i}",
                candidate=f"cand{i}",
                phone=INVALID_PHONE if i in (2, 5) else "+14155550123",
            )
        )
        enrolments.append(enrolment)
    await stack.send_event(
        stack.ats_event(job_id=job, stage_id="applied", application="app7", candidate="cand7")
    )
    for i, enrolment in enumerate(enrolments):
        await stack.wait_for(enrolment["id"], "failed" if i in (2, 5) else "delivered")
    return job


async def all_pages(stack: Stack, job: str, **params: Any) -> list[list[dict[str, Any]]]:
    pages = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await stack.http.get(f"/jobs/{job}/applications", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


async def test_the_table_pages_through_every_application_once(stack: Stack, busy_job: str) -> None:
    pages = await all_pages(stack, busy_job, limit=3)

    assert [len(page) for page in pages] == [3, 3, 2]
    ids = [item["application_id"] for page in pages for item in page]
    assert ids == sorted(ids) == sorted(stack.id(f"app{i}") for i in range(8))
    first = pages[0][0]
    assert set(first) >= {
        "application_id",
        "candidate_id",
        "candidate_name",
        "stage_id",
        "campaign_id",
        "enrolment_id",
        "status",
        "status_reason",
        "updated_at",
    }


async def test_the_table_filters_by_status_and_stage(stack: Stack, busy_job: str) -> None:
    failed = await all_pages(stack, busy_job, status="failed", limit=1)
    either = await all_pages(stack, busy_job, status=["failed", "delivered"])
    applied = await all_pages(stack, busy_job, stage_id="applied")

    assert [[i["application_id"] for i in page] for page in failed] == [
        [stack.id("app2")],
        [stack.id("app5")],
    ]
    assert len(either[0]) == 7
    assert [(i["application_id"], i["status"]) for i in applied[0]] == [(stack.id("app7"), None)]


async def test_the_board_has_a_column_per_stage_with_counts(stack: Stack, busy_job: str) -> None:
    board = (await stack.http.get(f"/jobs/{busy_job}/board", params={"cards_per_column": 4})).json()

    applied, rejected = board["columns"]
    assert (applied["stage_id"], applied["name"], applied["total"]) == ("applied", "Applied", 1)
    assert applied["counts"] == {}
    assert rejected["counts"] == {"delivered": 5, "failed": 2}
    assert rejected["total"] == 7
    assert len(rejected["cards"]) == 4
    assert set(rejected["cards"][0]) >= {
        "application_id",
        "candidate_name",
        "enrolment_id",
        "status",
    }
    assert board["counts"] == {"delivered": 5, "failed": 2}
    filtered = (await stack.http.get(f"/jobs/{busy_job}/board", params={"status": "failed"})).json()
    assert [c["status"] for c in filtered["columns"][1]["cards"]] == ["failed", "failed"]


async def test_jobs_and_campaigns_read_back_as_configured(stack: Stack) -> None:
    screening = await stack.put_campaign(
        "screening",
        {
            "name": "Screening",
            "kind": "multi_module",
            "channel": "whatsapp",
            "messages": ["Hi"],
            "modules": [{"id": "m1", "name": "Q1", "type": "question"}],
        },
    )
    quick = await stack.put_campaign(
        "quick",
        {
            "name": "Quick",
            "kind": "multi_module",
            "channel": "email",
            "messages": ["Hi"],
            "modules": [{"id": "m1", "name": "Q1", "type": "content"}],
            "expiry": "PT30M",
        },
    )
    job = await stack.put_job(
        "job",
        [
            {
                "id": "screen",
                "name": "Screen",
                "campaign_id": screening,
                "interview_settings": None,
            },
            {
                "id": "interview",
                "name": "Interview",
                "campaign_id": quick,
                "interview_settings": {"auto_match": True},
            },
        ],
    )

    assert (await stack.http.get(f"/campaigns/{screening}")).json()["expiry"] == "P7D"
    assert (await stack.http.get(f"/campaigns/{quick}")).json()["expiry"] == "PT30M"
    stored = (await stack.http.get(f"/jobs/{job}")).json()
    assert [(s["id"], s["campaign_id"], s["interview_settings"]) for s in stored["stages"]] == [
        ("screen", screening, None),
        ("interview", quick, InterviewSettings(auto_match=True).model_dump(mode="json")),
    ]
    listed = (await stack.http.get("/jobs")).json()["jobs"]
    assert [j["id"] for j in listed] == [job]

    reordered = await stack.http.put(
        f"/jobs/{job}", json={"name": "Renamed", "stages": [{"id": "offer", "name": "Offer"}]}
    )
    assert [s["id"] for s in reordered.json()["stages"]] == ["offer"]


async def test_health_is_ok_when_temporal_and_the_database_answer(stack: Stack) -> None:
    response = await stack.http.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "temporal": "ok", "database": "ok", "delivery": {}}


async def test_health_is_503_when_a_dependency_is_down(stack: Stack, tmp_path: Any) -> None:
    unreachable = await Client.connect("127.0.0.1:1", lazy=True)
    settings = Settings(
        data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path}/missing/dir/x.db"
    )
    app = create_app(settings, unreachable)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", headers=ADMIN_HEADERS
    ) as http:
        response = await http.get("/healthz")

    error = assert_error(response, 503, "unhealthy")
    assert error["details"] == {
        "status": "unavailable",
        "temporal": "unreachable",
        "database": "unreachable",
        "delivery": {},
    }


async def test_the_openapi_description_is_served(stack: Stack) -> None:
    docs = await stack.http.get("/docs")
    spec = (await stack.http.get("/openapi.json")).json()

    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    assert {"/ats/events", "/jobs/{job_id}/applications", "/webhooks/twilio/status"} <= set(
        spec["paths"]
    )
    # Nothing from the internet: every asset the page names is served here.
    assets = re.findall(r'(?:href|src)="([^"]+)"|url: \'([^\']+)\'', docs.text)
    urls = [a or b for a, b in assets]
    assert urls and not [u for u in urls if u.startswith(("http:", "https:", "//"))], urls
    for url in urls:
        assert (await stack.http.get(url)).status_code == 200, url


async def test_an_unknown_page_is_the_recruiters_404_page_not_json(stack: Stack) -> None:
    page = await stack.http.get("/ui/nope")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Page not found" in page.text and "/ui/nope" in page.text
    api = await stack.http.get("/nope")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
