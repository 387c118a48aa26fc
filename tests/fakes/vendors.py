"""Fakes of the vendor ATS APIs the bridges read, served over real HTTP.

Each checks what its vendor checks (HTTP Basic auth with the API key as user name, the method
and path) and pages the way its vendor pages:

- Lever (https://hire.lever.co/developer/documentation): ``GET /opportunities/{id}`` with
  ``expand=applications&expand=stage``; ``GET /postings`` (``limit``, ``offset`` = the previous
  page's ``next``, ``hasNext``); ``GET /stages``. Can be told to fail (``down``).
- Greenhouse Harvest (https://developers.greenhouse.io/harvest.html): ``GET /jobs`` paged with
  ``per_page``/``page`` and a ``Link: <...>; rel="next"`` header; ``GET /jobs/{id}/stages``.
- Ashby (https://developers.ashbyhq.com): ``POST /job.list`` and ``POST /interviewStage.list``
  (JSON bodies, ``cursor`` / ``moreDataAvailable`` / ``nextCursor``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.http import basic_user, serving

API_KEY = "fake-vendor-api-key"


def _unauthorised() -> JSONResponse:
    return JSONResponse({"code": "Unauthorized", "message": "Invalid API key"}, status_code=401)


@dataclass
class FakeLever:
    """Lever's opportunities, postings and stages."""

    opportunities: dict[str, dict[str, Any]] = field(default_factory=dict)
    postings: list[dict[str, Any]] = field(default_factory=list)
    stages: list[dict[str, Any]] = field(default_factory=list)
    #: ``GET /archive_reasons/{id}``: each reason's ``type`` is ``hired`` or ``non-hired``.
    archive_reasons: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            "reason-1": {"id": "reason-1", "text": "Not a fit", "type": "non-hired"},
            "reason-hired": {"id": "reason-hired", "text": "Hired", "type": "hired"},
        }
    )
    #: Answer every request with this status (a Lever outage), or ``None``.
    down: int | None = None
    lookups: int = 0
    url: str = ""

    def add_opportunity(
        self,
        opportunity_id: str,
        *,
        contact: str,
        name: str,
        posting: str,
        stage: str,
        phones: list[dict[str, Any]] | None = None,
        emails: list[str] | None = None,
    ) -> None:
        """An opportunity as ``GET /opportunities/{id}?expand=applications&expand=stage``
        answers it (the documented fields the bridge reads, and a few it does not)."""
        self.opportunities[opportunity_id] = {
            "id": opportunity_id,
            "name": name,
            "contact": contact,
            "headline": "Nurse",
            "stage": {"id": stage, "text": stage},
            "emails": emails or [],
            "phones": phones or [],
            "archived": None,
            "stageChanges": [],
            "applications": [
                {"id": f"app-{opportunity_id}", "type": "posting", "posting": posting}
            ],
            "createdAt": 1700000000000,
            "updatedAt": 1700000000000,
        }

    def move(self, opportunity_id: str, stage: str, at_ms: int) -> None:
        """The opportunity moved to ``stage`` at ``at_ms`` (its current stage is its newest)."""
        found = self.opportunities[opportunity_id]
        found["stageChanges"].append({"toStageId": stage, "toStageIndex": 0, "updatedAt": at_ms})
        newest = max(found["stageChanges"], key=lambda c: c["updatedAt"])
        found["stage"] = {"id": newest["toStageId"], "text": newest["toStageId"]}

    @property
    def app(self) -> Starlette:
        async def opportunity(request: Request) -> Response:
            if basic_user(request) != API_KEY:
                return _unauthorised()
            if self.down is not None:
                return JSONResponse({"code": "ServiceUnavailable"}, status_code=self.down)
            expand = request.query_params.getlist("expand")
            if sorted(expand) != ["applications", "stage"]:
                return JSONResponse({"code": "BadRequest", "message": f"expand {expand}"}, 400)
            self.lookups += 1
            found = self.opportunities.get(request.path_params["id"])
            if found is None:
                return JSONResponse({"code": "NotFound", "message": "no opportunity"}, 404)
            return JSONResponse({"data": found})

        async def postings(request: Request) -> Response:
            if basic_user(request) != API_KEY:
                return _unauthorised()
            limit = int(request.query_params.get("limit", "100"))
            start = int(request.query_params.get("offset", "0"))
            page = self.postings[start : start + limit]
            more = start + limit < len(self.postings)
            body: dict[str, Any] = {"data": page, "hasNext": more}
            if more:
                body["next"] = str(start + limit)
            return JSONResponse(body)

        async def stages(request: Request) -> Response:
            if basic_user(request) != API_KEY:
                return _unauthorised()
            return JSONResponse({"data": self.stages, "hasNext": False})

        async def archive_reason(request: Request) -> Response:
            if basic_user(request) != API_KEY:
                return _unauthorised()
            found = self.archive_reasons.get(request.path_params["id"])
            if found is None:
                return JSONResponse({"code": "NotFound", "message": "no archive reason"}, 404)
            return JSONResponse({"data": found})

        return Starlette(
            routes=[
                Route("/opportunities/{id}", opportunity),
                Route("/archive_reasons/{id}", archive_reason),
                Route("/postings", postings),
                Route("/stages", stages),
            ]
        )


@dataclass
class FakeGreenhouse:
    """Harvest's jobs and job stages."""

    jobs: list[dict[str, Any]] = field(default_factory=list)
    stages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    url: str = ""

    @property
    def app(self) -> Starlette:
        async def jobs(request: Request) -> Response:
            if basic_user(request) != API_KEY:
                return _unauthorised()
            per_page = int(request.query_params.get("per_page", "100"))
            page = int(request.query_params.get("page", "1"))
            chunk = self.jobs[(page - 1) * per_page : page * per_page]
            headers = {}
            if page * per_page < len(self.jobs):
                headers["link"] = (
                    f'<{self.url}/jobs?page={page + 1}&per_page={per_page}>; rel="next"'
                )
            return JSONResponse(chunk, headers=headers)

        async def job_stages(request: Request) -> Response:
            if basic_user(request) != API_KEY:
                return _unauthorised()
            return JSONResponse(self.stages.get(request.path_params["id"], []))

        return Starlette(routes=[Route("/jobs", jobs), Route("/jobs/{id}/stages", job_stages)])


@dataclass
class FakeAshby:
    """Ashby's ``job.list`` and ``interviewStage.list`` (RPC style: POST with JSON)."""

    jobs: list[dict[str, Any]] = field(default_factory=list)
    plans: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    url: str = ""

    @property
    def app(self) -> Starlette:
        async def job_list(request: Request) -> Response:
            if basic_user(request) != API_KEY:
                return _unauthorised()
            body = await request.json()
            limit = int(body.get("limit", 100))
            start = int(body.get("cursor") or 0)
            wanted = set(body.get("status") or ["Open", "Closed", "Archived"])
            matching = [j for j in self.jobs if j["status"] in wanted]
            page = matching[start : start + limit]
            more = start + limit < len(matching)
            answer: dict[str, Any] = {
                "success": True,
                "results": page,
                "moreDataAvailable": more,
            }
            if more:
                answer["nextCursor"] = str(start + limit)
            return JSONResponse(answer)

        async def interview_stages(request: Request) -> Response:
            if basic_user(request) != API_KEY:
                return _unauthorised()
            body = await request.json()
            plan = body.get("interviewPlanId")
            if plan not in self.plans:
                return JSONResponse({"success": False, "errors": ["invalid_input"]})
            return JSONResponse(
                {"success": True, "results": self.plans[plan], "moreDataAvailable": False}
            )

        return Starlette(
            routes=[
                Route("/job.list", job_list, methods=["POST"]),
                Route("/interviewStage.list", interview_stages, methods=["POST"]),
            ]
        )


@asynccontextmanager
async def running(fake: FakeLever | FakeGreenhouse | FakeAshby) -> AsyncIterator[str]:
    """Serve ``fake`` (its ``url`` is set) for the duration; yields the base URL."""
    async with serving(fake.app) as url:
        fake.url = url
        yield url
