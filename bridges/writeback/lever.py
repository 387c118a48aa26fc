"""Writing back to Lever (API v1).

Documentation: https://hire.lever.co/developer/documentation#notes ("Create a note", "List all
notes"), #archive-reasons, #opportunities ("Update opportunity archived state"), #rate-limits.

- Auth: HTTP Basic, the API key as user name, no password; ``perform_as`` names the Lever user
  the note and the archive are made as (optional: else the key's own).
- Note: ``POST /opportunities/{id}/notes`` ``{"value": text}`` → 201 ``{"data": {"noteId"}}``;
  found again with ``GET /opportunities/{id}/notes`` (``data[].text``; pages by ``offset`` =
  ``next`` while ``hasNext``).
- Reject: ``PUT /opportunities/{id}/archived`` ``{"reason": <archive reason id>}``: it sets the
  state, so after a lost answer it is simply sent again.
- Rate limit: 10 requests a second per key (bursts to 20); 429 without ``Retry-After``: retried
  with backoff.
- The API key needs no scope (keys reach the whole account): a key made for this product alone,
  so it can be revoked alone.
"""

from __future__ import annotations

from typing import Any

from bridges.base import vendor_client
from bridges.writeback.base import request
from config.settings import Settings
from domain.writeback import VendorTarget


class LeverWriter:
    def __init__(self, api_url: str, key: str, user_id: str | None, timeout: float) -> None:
        self._http = vendor_client(api_url, key, timeout)
        self._as = {"perform_as": user_id} if user_id else {}

    async def add_note(self, target: VendorTarget, text: str) -> str | None:
        response = await request(
            self._http,
            "POST",
            f"opportunities/{target.application_id}/notes",
            params=self._as,
            json={"value": text},
        )
        data = response.json().get("data", {})
        return str(data["noteId"]) if isinstance(data, dict) and "noteId" in data else None

    async def find_note(self, target: VendorTarget, marker: str) -> str | None:
        params: dict[str, str] = {"limit": "100"}
        while True:
            response = await request(
                self._http, "GET", f"opportunities/{target.application_id}/notes", params=params
            )
            body: dict[str, Any] = response.json()
            for note in body.get("data", []):
                texts = [note.get("text") or ""] + [
                    f.get("value") or "" for f in note.get("fields", [])
                ]
                if any(marker in str(t) for t in texts):
                    return str(note.get("id", ""))
            if not body.get("hasNext") or not body.get("next"):
                return None
            params = {"limit": "100", "offset": str(body["next"])}

    async def reject(self, target: VendorTarget, reason: str, text: str) -> None:
        await request(
            self._http,
            "PUT",
            f"opportunities/{target.application_id}/archived",
            params=self._as,
            json={"reason": reason},
        )

    async def rejected(self, target: VendorTarget) -> bool:
        return False  # archiving is a PUT of the state: asking again changes nothing

    async def aclose(self) -> None:
        await self._http.aclose()


def writer(settings: Settings) -> LeverWriter | None:
    key = settings.lever_api_key
    if key is None or not key.get_secret_value():
        return None
    return LeverWriter(
        settings.lever_api_url,
        key.get_secret_value(),
        settings.lever_user_id,
        settings.vendor_timeout,
    )
