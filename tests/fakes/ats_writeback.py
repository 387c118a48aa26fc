"""Fakes of the vendor ATS write APIs the write-back calls, served over real HTTP, each
checking what its vendor checks (auth, method, path, the body's required fields):

- Greenhouse Harvest v3 (https://harvestdocs.greenhouse.io): ``POST /token`` (Basic
  ``client_id:client_secret``, ``grant_type=client_credentials``, ``sub``) issuing a Bearer
  token; ``POST /v3/notes``, ``GET /v3/notes?application_ids=``, ``POST
  /v3/applications/{id}/reject`` (204; an application already rejected is 422).
- Lever (https://hire.lever.co/developer/documentation): Basic with the API key;
  ``POST/GET /opportunities/{id}/notes``, ``PUT /opportunities/{id}/archived``.
- Ashby (https://developers.ashbyhq.com): Basic; ``POST /candidate.createNote``,
  ``/candidate.listNotes``, ``/application.info``, ``/interviewStage.list``,
  ``/application.changeStage`` (``{"success": false, "errorInfo"}`` refusals).
- Workable (https://workable.readme.io): Bearer; ``POST /candidates/{id}/comments``,
  ``GET /candidates/{id}/activities``, ``POST /candidates/{id}/disqualify``.

Every fake records ``notes`` and ``rejections`` as ``(application or candidate id, text)`` and
can be told to answer ``refuse`` (a status) to every write, to answer ``busy`` 429s first (with
``Retry-After: 1``), or to ``stall`` after writing a note or a rejection (``stall_on``: its
answer never comes in time). Each answers whether an application is rejected, as its vendor
does (Greenhouse ``GET /v3/applications/{id}``, Ashby ``application.info``, Workable
``GET /candidates/{id}``).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.http import basic_user
from tests.fakes.vendors import API_KEY

CLIENT_ID, CLIENT_SECRET, USER_ID = "gh-client", "gh-secret", "4080"
WORKABLE_TOKEN, MEMBER_ID = "workable-token", "member-1"
ARCHIVED_STAGE = "stage-archived"


@dataclass
class FakeAts:
    """One vendor's write API (``system``), with what it was asked to do."""

    system: str
    notes: list[tuple[str, str]] = field(default_factory=list)
    rejections: list[tuple[str, str]] = field(default_factory=list)
    refuse: int | None = None
    busy: int = 0
    stall: float = 0.0
    stall_on: str = "note"
    calls: int = 0
    #: Times the notes were listed (looked for after a lost answer).
    listed: int = 0
    tokens: set[str] = field(default_factory=set)

    def app(self) -> Starlette:
        routes = {
            "greenhouse": self._greenhouse,
            "lever": self._lever,
            "ashby": self._ashby,
            "workable": self._workable,
        }[self.system]()
        return Starlette(routes=routes)

    async def _gate(self, authorised: bool) -> Response | None:
        """The answers that come before the work: auth, a forced refusal, a rate limit."""
        self.calls += 1
        if not authorised:
            return JSONResponse({"message": "Unauthorized"}, status_code=401)
        if self.refuse is not None:
            return JSONResponse({"message": f"refused ({self.refuse})"}, status_code=self.refuse)
        if self.busy > 0:
            self.busy -= 1
            return JSONResponse(
                {"message": "Rate limit exceeded"}, status_code=429, headers={"Retry-After": "1"}
            )
        return None

    async def _noted(self, key: str, text: str) -> str:
        self.notes.append((key, text))
        await self._stall("note")
        return str(len(self.notes))

    async def _rejected(self, key: str, reason: str) -> None:
        self.rejections.append((key, reason))
        await self._stall("reject")

    async def _stall(self, step: str) -> None:
        if self.stall and self.stall_on == step:
            stall, self.stall = self.stall, 0.0
            await asyncio.sleep(stall)  # done, but the answer comes too late

    def _notes_of(self, key: str) -> list[tuple[str, str]]:
        self.listed += 1
        return [(str(n), text) for n, (k, text) in enumerate(self.notes, 1) if k == key]

    # -- Greenhouse Harvest v3 ---------------------------------------------------------------

    def _bearer(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and token in self.tokens

    def _greenhouse(self) -> list[Route]:
        async def token(request: Request) -> Response:
            form = await request.form()
            if basic_user(request) != CLIENT_ID or form.get("grant_type") != "client_credentials":
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            if not form.get("sub"):
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            issued = secrets.token_hex(8)
            self.tokens.add(issued)
            return JSONResponse(
                {"access_token": issued, "token_type": "Bearer", "expires_in": 3600}
            )

        async def notes(request: Request) -> Response:
            if (refused := await self._gate(self._bearer(request))) is not None:
                return refused
            if request.method == "GET":
                key = request.query_params.get("application_ids", "")
                return JSONResponse([{"id": n, "body": t} for n, t in self._notes_of(key)])
            body = await request.json()
            ids = ("candidate_id", "application_id", "user_id")
            if not all(isinstance(body.get(n), int) for n in ids) or not body.get("body"):
                return JSONResponse({"message": "Validation error"}, status_code=422)
            if body.get("note_type", "NOTE") not in ("NOTE", "ACTIVITY", "EMAIL"):
                return JSONResponse({"message": "note_type is invalid"}, status_code=422)
            if body.get("visibility") not in ("admin_only", "private", "public"):
                return JSONResponse({"message": "visibility is invalid"}, status_code=422)
            note = await self._noted(str(body["application_id"]), body["body"])
            return JSONResponse({"id": int(note), "body": body["body"]}, status_code=201)

        async def reject(request: Request) -> Response:
            if (refused := await self._gate(self._bearer(request))) is not None:
                return refused
            body, key = await request.json(), request.path_params["id"]
            if not isinstance(body.get("rejection_reason_id"), int):
                return JSONResponse({"message": "rejection_reason_id is required"}, 422)
            if any(k == key for k, _ in self.rejections):
                return JSONResponse({"message": "Application is not active"}, 422)
            await self._rejected(key, str(body["rejection_reason_id"]))
            return Response(status_code=204)

        async def application(request: Request) -> Response:
            if (refused := await self._gate(self._bearer(request))) is not None:
                return refused
            key = request.path_params["id"]
            rejected = any(k == key for k, _ in self.rejections)
            return JSONResponse({"id": int(key), "status": "rejected" if rejected else "active"})

        return [
            Route("/token", token, methods=["POST"]),
            Route("/v3/notes", notes, methods=["GET", "POST"]),
            Route("/v3/applications/{id}", application, methods=["GET"]),
            Route("/v3/applications/{id}/reject", reject, methods=["POST"]),
        ]

    # -- Lever -------------------------------------------------------------------------------

    def _lever(self) -> list[Route]:
        async def notes(request: Request) -> Response:
            if (refused := await self._gate(basic_user(request) == API_KEY)) is not None:
                return refused
            key = request.path_params["id"]
            if request.method == "GET":
                listed = [{"id": n, "text": t, "fields": []} for n, t in self._notes_of(key)]
                return JSONResponse({"data": listed, "hasNext": False})
            value = (await request.json()).get("value")
            if not value:
                return JSONResponse({"code": "BadRequestError", "message": "value"}, 400)
            return JSONResponse({"data": {"noteId": await self._noted(key, value)}}, 201)

        async def archived(request: Request) -> Response:
            if (refused := await self._gate(basic_user(request) == API_KEY)) is not None:
                return refused
            reason = (await request.json()).get("reason")
            if not reason:
                return JSONResponse({"code": "BadRequestError", "message": "reason"}, 400)
            await self._rejected(request.path_params["id"], reason)
            return JSONResponse({"data": {"id": request.path_params["id"]}})

        return [
            Route("/opportunities/{id}/notes", notes, methods=["GET", "POST"]),
            Route("/opportunities/{id}/archived", archived, methods=["PUT"]),
        ]

    # -- Ashby -------------------------------------------------------------------------------

    def _ashby(self) -> list[Route]:
        def ok(results: Any, **more: Any) -> Response:
            return JSONResponse({"success": True, "results": results, **more})

        def error(code: str) -> Response:
            return JSONResponse({"success": False, "errorInfo": {"code": code, "message": code}})

        async def method(request: Request) -> Response:
            if (refused := await self._gate(basic_user(request) == API_KEY)) is not None:
                return refused
            name, body = request.path_params["method"], await request.json()
            if name == "candidate.createNote":
                note = body.get("note") or {}
                if not body.get("candidateId") or not note.get("value"):
                    return error("invalid_input")
                made = await self._noted(body["candidateId"], note["value"])
                return ok({"id": made, "content": note["value"]})
            if name == "candidate.listNotes":
                listed = [{"id": n, "content": t} for n, t in self._notes_of(body["candidateId"])]
                return ok(listed, moreDataAvailable=False)
            if name == "application.info":
                stage = {"id": "stage-1", "interviewPlanId": "plan-1"}
                key = body["applicationId"]
                status = "Archived" if any(k == key for k, _ in self.rejections) else "Active"
                return ok({"id": key, "status": status, "currentInterviewStage": stage})
            if name == "interviewStage.list":
                if body.get("interviewPlanId") != "plan-1":
                    return error("invalid_input")
                return ok(
                    [
                        {"id": "stage-1", "type": "Active"},
                        {"id": ARCHIVED_STAGE, "type": "Archived"},
                    ]
                )
            if name == "application.changeStage":
                if body.get("interviewStageId") != ARCHIVED_STAGE or not body.get(
                    "archiveReasonId"
                ):
                    return error("archive_reason_not_found")
                if any(k == body["applicationId"] for k, _ in self.rejections):
                    return error("invalid_input")  # already archived
                await self._rejected(body["applicationId"], body["archiveReasonId"])
                return ok({"id": body["applicationId"]})
            return JSONResponse({"message": "not found"}, status_code=404)

        return [Route("/{method}", method, methods=["POST"])]

    # -- Workable ----------------------------------------------------------------------------

    def _workable(self) -> list[Route]:
        def authorised(request: Request) -> bool:
            return request.headers.get("authorization") == f"Bearer {WORKABLE_TOKEN}"

        async def comments(request: Request) -> Response:
            if (refused := await self._gate(authorised(request))) is not None:
                return refused
            body = await request.json()
            text = (body.get("comment") or {}).get("body")
            if body.get("member_id") != MEMBER_ID or not text:
                return JSONResponse({"error": "member_id and comment.body are required"}, 422)
            await self._noted(request.path_params["id"], text)
            return Response(status_code=201)

        async def activities(request: Request) -> Response:
            if (refused := await self._gate(authorised(request))) is not None:
                return refused
            listed = self._notes_of(request.path_params["id"])
            return JSONResponse(
                {"activities": [{"id": n, "action": "comment", "body": t} for n, t in listed]}
            )

        async def disqualify(request: Request) -> Response:
            if (refused := await self._gate(authorised(request))) is not None:
                return refused
            body = await request.json()
            if body.get("member_id") != MEMBER_ID:
                return JSONResponse({"error": "member_id is required"}, 422)
            key = request.path_params["id"]
            if any(k == key for k, _ in self.rejections):
                return JSONResponse({"error": "Candidate is already disqualified"}, 422)
            await self._rejected(key, str(body.get("disqualify_reason_id")))
            return Response("Candidate disqualified", status_code=200)

        async def candidate(request: Request) -> Response:
            if (refused := await self._gate(authorised(request))) is not None:
                return refused
            key = request.path_params["id"]
            out = any(k == key for k, _ in self.rejections)
            return JSONResponse({"candidate": {"id": key, "disqualified": out}})

        return [
            Route("/candidates/{id}", candidate, methods=["GET"]),
            Route("/candidates/{id}/comments", comments, methods=["POST"]),
            Route("/candidates/{id}/activities", activities, methods=["GET"]),
            Route("/candidates/{id}/disqualify", disqualify, methods=["POST"]),
        ]


def writeback_settings(system: str, url: str) -> dict[str, Any]:
    """The settings that point ``system``'s write-back at its fake served at ``url``."""
    return {
        "greenhouse": {
            "greenhouse_client_id": CLIENT_ID,
            "greenhouse_client_secret": CLIENT_SECRET,
            "greenhouse_user_id": USER_ID,
            "greenhouse_harvest_url": url,
            "greenhouse_auth_url": url,
        },
        "lever": {"lever_api_key": API_KEY, "lever_api_url": url},
        "ashby": {"ashby_api_key": API_KEY, "ashby_api_url": url},
        "workable": {
            "workable_api_token": WORKABLE_TOKEN,
            "workable_api_url": url,
            "workable_member_id": MEMBER_ID,
        },
    }[system]
