"""Writing back to Ashby.

Documentation: https://developers.ashbyhq.com/reference/authentication,
/reference/candidatecreatenote, /reference/candidatelistnotes, /reference/applicationinfo,
/reference/interviewstagelist, /reference/applicationchangestage.

- Every call is ``POST https://api.ashbyhq.com/<method>`` with a JSON body, HTTP Basic with the
  API key as user name; the answer is ``{"success": true, "results": ...}`` or ``{"success":
  false, "errorInfo": {"code", "message"}}`` (even with a 200): a refusal that will not heal.
- Note: ``candidate.createNote`` ``{"candidateId", "note": {"type": "text/plain", "value"},
  "sendNotifications": false}``; found again with ``candidate.listNotes`` (``content``, pages by
  ``nextCursor`` while ``moreDataAvailable``).
- Reject: the application moves to its interview plan's ``Archived`` stage with the archive
  reason: ``application.info`` (its plan), ``interviewStage.list`` (that plan's stages),
  ``application.changeStage`` ``{"applicationId", "interviewStageId", "archiveReasonId"}``;
  after a lost answer ``application.info`` (``status``) says whether it was.
- Permissions (least privilege): ``candidatesRead`` and ``candidatesWrite``; with a knockout
  rejection also ``hiringProcessMetadataRead`` (the plan's stages).
"""

from __future__ import annotations

from typing import Any

from bridges.base import vendor_client
from bridges.writeback.base import VendorRefused, request
from config.settings import Settings
from domain.writeback import VendorTarget


class AshbyWriter:
    def __init__(self, api_url: str, key: str, timeout: float) -> None:
        self._http = vendor_client(api_url, key, timeout)

    async def add_note(self, target: VendorTarget, text: str) -> str | None:
        note = {"type": "text/plain", "value": text}
        made = await self._call(
            "candidate.createNote",
            {"candidateId": target.candidate_id, "note": note, "sendNotifications": False},
        )
        return str(made["id"]) if isinstance(made, dict) and "id" in made else None

    async def find_note(self, target: VendorTarget, marker: str) -> str | None:
        body: dict[str, Any] = {"candidateId": target.candidate_id, "limit": 100}
        while True:
            response = await self._page("candidate.listNotes", body)
            for note in response.get("results", []):
                if marker in str(note.get("content", "")):
                    return str(note.get("id", ""))
            if not response.get("moreDataAvailable") or not response.get("nextCursor"):
                return None
            body = body | {"cursor": response["nextCursor"]}

    async def reject(self, target: VendorTarget, reason: str, text: str) -> None:
        application = await self._call("application.info", {"applicationId": target.application_id})
        plan = (application.get("currentInterviewStage") or {}).get("interviewPlanId")
        stages = await self._call("interviewStage.list", {"interviewPlanId": plan})
        archived = [s["id"] for s in stages if s.get("type") == "Archived"]
        if not archived:
            raise VendorRefused(f"interview plan {plan} has no Archived stage")
        await self._call(
            "application.changeStage",
            {
                "applicationId": target.application_id,
                "interviewStageId": archived[0],
                "archiveReasonId": reason,
            },
        )

    async def rejected(self, target: VendorTarget) -> bool:
        application = await self._call("application.info", {"applicationId": target.application_id})
        return str(application.get("status", "")).lower() == "archived"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, body: dict[str, Any]) -> Any:
        return (await self._page(method, body)).get("results")

    async def _page(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = (await request(self._http, "POST", method, json=body)).json()
        if not answer.get("success"):
            info = answer.get("errorInfo") or {}
            said = info.get("code") or answer.get("errors") or "refused"
            raise VendorRefused(f"{method}: {said} {info.get('message', '')}".strip())
        return answer


def writer(settings: Settings) -> AshbyWriter | None:
    key = settings.ashby_api_key
    if key is None or not key.get_secret_value():
        return None
    return AshbyWriter(settings.ashby_api_url, key.get_secret_value(), settings.vendor_timeout)
