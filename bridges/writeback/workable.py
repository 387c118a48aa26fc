"""Writing back to Workable (SPI v3).

Documentation: https://workable.readme.io/reference/comment-on-candidate,
/reference/disqualify-candidate, /reference/job-candidates-activities,
/reference/disqualification_reasons, /reference/rate-limits.

- Base URL ``https://<subdomain>.workable.com/spi/v3``; ``Authorization: Bearer <token>``; the
  member the comment and disqualification are made as is ``member_id`` (``GET /members``).
- Note: ``POST /candidates/{id}/comments`` ``{"member_id", "comment": {"body"}}`` → 201 (no id
  is given back); found again in ``GET /candidates/{id}/activities`` (``activities[].body``).
- Reject: ``POST /candidates/{id}/disqualify`` ``{"member_id", "disqualify_reason_id",
  "disqualify_note"}``; after a lost answer ``GET /candidates/{id}`` (``disqualified``) says
  whether it was.
- Rate limit: 10 requests per 10 seconds for an account token; 429 with
  ``X-Rate-Limit-Reset`` (when the window ends).
- Token scopes (least privilege): ``r_candidates`` and ``w_candidates``.
"""

from __future__ import annotations

import httpx

from bridges.writeback.base import request
from config.settings import Settings
from domain.writeback import VendorTarget

#: Workable limits a disqualification's note to this many characters.
NOTE_LIMIT = 256


class WorkableWriter:
    def __init__(self, api_url: str, token: str, member_id: str, timeout: float) -> None:
        self._http = httpx.AsyncClient(
            base_url=api_url.rstrip("/") + "/",
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )
        self._member = member_id

    async def add_note(self, target: VendorTarget, text: str) -> str | None:
        body = {"member_id": self._member, "comment": {"body": text}}
        await request(self._http, "POST", f"candidates/{target.application_id}/comments", json=body)
        return None

    async def find_note(self, target: VendorTarget, marker: str) -> str | None:
        response = await request(
            self._http, "GET", f"candidates/{target.application_id}/activities"
        )
        for activity in response.json().get("activities", []):
            if marker in str(activity.get("body") or ""):
                return str(activity.get("id", ""))
        return None

    async def reject(self, target: VendorTarget, reason: str, text: str) -> None:
        body = {
            "member_id": self._member,
            "disqualify_reason_id": reason,
            "disqualify_note": text[:NOTE_LIMIT],
        }
        await request(
            self._http, "POST", f"candidates/{target.application_id}/disqualify", json=body
        )

    async def rejected(self, target: VendorTarget) -> bool:
        response = await request(self._http, "GET", f"candidates/{target.application_id}")
        candidate = response.json().get("candidate") or {}
        return bool(candidate.get("disqualified"))

    async def aclose(self) -> None:
        await self._http.aclose()


def writer(settings: Settings) -> WorkableWriter | None:
    token = settings.workable_api_token
    if token is None or not token.get_secret_value() or not settings.workable_member_id:
        return None
    return WorkableWriter(
        settings.workable_api_url,
        token.get_secret_value(),
        settings.workable_member_id,
        settings.vendor_timeout,
    )
