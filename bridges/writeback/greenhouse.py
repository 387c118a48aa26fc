"""Writing back to Greenhouse through Harvest v3 (v1 and v2 were removed on 31 August 2026).

Documentation: https://harvestdocs.greenhouse.io/docs/authentication (OAuth 2.0 client
credentials), https://harvestdocs.greenhouse.io/reference/post_v3-applications-id-reject,
https://harvestdocs.greenhouse.io/docs/api-rate-limiting and the Notes reference
(https://harvestdocs.greenhouse.io/reference, "Notes").

- Auth: ``POST https://auth.greenhouse.io/token`` with HTTP Basic ``client_id:client_secret``
  and the form ``grant_type=client_credentials&sub=<user id>`` (the Greenhouse user the notes
  and rejections are made as); the answer's ``access_token`` is sent as ``Authorization:
  Bearer`` until it expires (``expires_in`` seconds, else ``expires_at``; an hour if neither),
  and fetched again on a 401.
- Note: ``POST /v3/notes`` ``{"candidate_id", "application_id", "user_id", "body",
  "visibility": "private", "note_type": "NOTE"}`` (the v1 activity feed's "Add note");
  found again with ``GET /v3/notes?application_ids=<id>`` (cursor pages: the ``Link:
  rel="next"`` URL as it is).
- Reject: ``POST /v3/applications/{id}/reject`` ``{"rejection_reason_id", "notes"}`` → 204; the
  reason is the id of one of the account's rejection reasons (``GET /v3/rejection_reasons``).
  Only an active application can be rejected: after a lost answer ``GET /v3/applications/{id}``
  (``status``) says whether it was.
- Rate limit: a fixed window, ``X-RateLimit-Limit`` / ``-Remaining`` / ``-Reset`` on every
  answer; 429 with ``Retry-After`` seconds.
- Read from copies of the reference (the shapes of ``POST /v3/notes`` are those two
  independent v3 clients send); check them against the live reference when Greenhouse changes
  it.
- Scopes (least privilege): ``harvest:notes:create``, ``harvest:notes:list``, and
  ``harvest:applications:reject`` and ``harvest:applications:list`` when a stage rejects on
  knockout.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from bridges.writeback.base import VendorRefused, request
from config.settings import Settings
from domain.writeback import VendorTarget

#: When a token's lifetime is not said.
TOKEN_LIFETIME = 3600.0


class GreenhouseWriter:
    def __init__(
        self,
        harvest_url: str,
        auth_url: str,
        client_id: str,
        secret: str,
        user_id: str,
        timeout: float,
    ) -> None:
        self._http = httpx.AsyncClient(base_url=harvest_url.rstrip("/") + "/", timeout=timeout)
        self._auth_url = auth_url.rstrip("/") + "/token"
        self._client = (client_id, secret)
        self._user_id = user_id
        self._token: tuple[str, float] | None = None

    async def add_note(self, target: VendorTarget, text: str) -> str | None:
        body = {
            "candidate_id": _number(target.candidate_id),
            "application_id": _number(target.application_id),
            "user_id": _number(self._user_id),
            "body": text,
            "visibility": "private",
            "note_type": "NOTE",
        }
        return _id_of(await self._call("POST", "v3/notes", json=body))

    async def find_note(self, target: VendorTarget, marker: str) -> str | None:
        url: str | None = f"v3/notes?application_ids={target.application_id}&per_page=500"
        while url is not None:
            response = await self._call("GET", url)
            for note in _items(response.json()):
                if marker in str(note.get("body", "")):
                    return str(note.get("id", ""))
            url = response.links.get("next", {}).get("url")
        return None

    async def reject(self, target: VendorTarget, reason: str, text: str) -> None:
        body = {"rejection_reason_id": _number(reason), "notes": text}
        await self._call("POST", f"v3/applications/{target.application_id}/reject", json=body)

    async def rejected(self, target: VendorTarget) -> bool:
        response = await self._call("GET", f"v3/applications/{target.application_id}")
        return str(response.json().get("status", "")).lower() == "rejected"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return await request(self._http, method, url, headers=await self._auth(), **kwargs)
        except VendorRefused as refused:
            if not refused.answer.startswith("401"):
                raise
            self._token = None  # expired or revoked early: one fresh token, once
            return await request(self._http, method, url, headers=await self._auth(), **kwargs)

    async def _auth(self) -> dict[str, str]:
        if self._token is None or self._token[1] <= time.monotonic():
            form = {"grant_type": "client_credentials", "sub": self._user_id}
            async with httpx.AsyncClient(timeout=self._http.timeout) as auth:
                answer = await request(auth, "POST", self._auth_url, data=form, auth=self._client)
            issued = answer.json()
            lifetime = float(issued.get("expires_in") or TOKEN_LIFETIME)
            if "expires_in" not in issued and isinstance(issued.get("expires_at"), int | float):
                lifetime = float(issued["expires_at"]) - time.time()
            self._token = (str(issued["access_token"]), time.monotonic() + lifetime - 60)
        return {"Authorization": f"Bearer {self._token[0]}"}


def _number(value: str) -> int | str:
    """Greenhouse's ids are integers; a configured one that is not stays as written (the
    vendor's 422 then says so)."""
    return int(value) if value.isdigit() else value


def _id_of(response: httpx.Response) -> str | None:
    try:
        made = response.json()
    except ValueError:
        return None
    return str(made["id"]) if isinstance(made, dict) and "id" in made else None


def _items(document: Any) -> list[dict[str, Any]]:
    if isinstance(document, dict):
        document = document.get("data", [])
    return (
        [item for item in document if isinstance(item, dict)] if isinstance(document, list) else []
    )


def writer(settings: Settings) -> GreenhouseWriter | None:
    """The writer, when Harvest v3 credentials and the acting user are configured."""
    secret = settings.greenhouse_client_secret
    if not settings.greenhouse_client_id or secret is None or not settings.greenhouse_user_id:
        return None
    return GreenhouseWriter(
        settings.greenhouse_harvest_url,
        settings.greenhouse_auth_url,
        settings.greenhouse_client_id,
        secret.get_secret_value(),
        settings.greenhouse_user_id,
        settings.vendor_timeout,
    )
