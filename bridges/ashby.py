"""Ashby webhooks: ``POST /ats/ashby``.

Documentation: https://developers.ashbyhq.com/docs/authenticating-webhooks,
https://developers.ashbyhq.com/docs/common-payload-data, /docs/related-webhooks, /docs/retries,
https://developers.ashbyhq.com/reference/candidatestagechangewebhook (and applicationsubmit,
candidatehire); API: /reference/authentication, /docs/pagination-and-incremental-sync,
``job.list``, ``interviewStage.list``.

- Signature: header ``Ashby-Signature: sha256=<hex>``, HMAC-SHA256 of the raw body under the
  webhook's secret token. No timestamp is signed. Ashby pings a webhook when it is saved
  (``"action": "ping"``: answered 200); it retries any other answer up to 10 times, except
  401/403/404/405/410.
- Actions read: ``applicationSubmit`` (created), ``candidateStageChange``,
  ``applicationUpdate``, ``candidateHire`` (the application's ``currentInterviewStage``; an
  ``Archived`` status withdraws). A hire is a stage in Ashby (type ``Hired``): map it like any
  other. ``candidateDelete`` carries no application and is ignored.
- Event id: ``webhookActionId``, the same across retries and across the related webhooks one
  change fires (a stage change also sends ``applicationUpdate``), so those count once.
  Order: the application's ``updatedAt``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx
from pydantic import AwareDatetime

from bridges.base import (
    Change,
    Loose,
    Parsed,
    UnreadablePayload,
    VendorBridge,
    VendorCandidate,
    VendorEvent,
    derived_id,
    first_of,
    read_payload,
    verify_header,
)
from bridges.importing import VendorJob, VendorStage
from domain.ats import AtsSystem

SYSTEM = AtsSystem.ASHBY
_ACTIONS = {"applicationSubmit", "candidateStageChange", "applicationUpdate", "candidateHire"}


class _Value(Loose):
    value: str | None = None


class _Candidate(Loose):
    id: str
    name: str | None = None
    primaryEmailAddress: _Value | None = None
    primaryPhoneNumber: _Value | None = None


class _Ref(Loose):
    id: str


class _Application(Loose):
    id: str
    status: str | None = None
    updatedAt: AwareDatetime | None = None
    candidate: _Candidate
    currentInterviewStage: _Ref | None = None
    job: _Ref


class _Data(Loose):
    application: _Application | None = None


class _Hook(Loose):
    webhookActionId: str | None = None
    action: str
    data: _Data = _Data()


def _value(field: _Value | None) -> str | None:
    return None if field is None else field.value


def verify(raw: bytes, document: Any, headers: Mapping[str, str], secrets: list[str]) -> None:
    """Raise ``BadSignature`` unless ``Ashby-Signature: sha256=<hex>`` signs ``raw``."""
    verify_header(raw, headers, secrets, header="Ashby-Signature", algorithm=("sha256", "="))


def parse(document: Any, received_at: datetime) -> Parsed:
    """The delivery's event (a ping and other actions: none)."""
    hook = read_payload(_Hook, document, "Ashby")
    if hook.action not in _ACTIONS:
        return Parsed(ignored=f"{hook.action} is not about where an application is")
    application = hook.data.application
    if application is None:
        raise UnreadablePayload(f"{hook.action}: no application in data")
    status = (application.status or "").lower()
    if status == "archived":
        change, stage_id = Change.WITHDRAWN, None
    elif application.currentInterviewStage is None:
        return Parsed(ignored=f"{hook.action}: the application is in no stage")
    else:
        created = hook.action == "applicationSubmit"
        change, stage_id = (
            (Change.CREATED if created else Change.MOVED),
            (application.currentInterviewStage.id),
        )
    occurred_at = application.updatedAt or received_at
    candidate = application.candidate
    event_id = hook.webhookActionId or derived_id(
        hook.action, application.id, stage_id, status, occurred_at.isoformat()
    )
    return Parsed(
        [
            VendorEvent(
                SYSTEM,
                event_id,
                occurred_at,
                change,
                application.id,
                application.job.id,
                stage_id,
                VendorCandidate(
                    id=candidate.id,
                    name=candidate.name or "(no name)",
                    phone=first_of(_value(candidate.primaryPhoneNumber)),
                    email=first_of(_value(candidate.primaryEmailAddress)),
                ),
            )
        ]
    )


# -- the API's jobs and interview stages, for ``enrolments import-jobs`` ------------------------


async def _all(
    http: httpx.AsyncClient, endpoint: str, body: dict[str, object]
) -> list[dict[str, object]]:
    """Every result of a paginated Ashby endpoint (``cursor`` while ``moreDataAvailable``)."""
    results: list[dict[str, object]] = []
    request = {**body, "limit": 100}
    while True:
        response = await http.post(endpoint, json=request)
        response.raise_for_status()
        page = response.json()
        if not page.get("success", False):
            raise httpx.HTTPError(f"Ashby's {endpoint} failed: {page.get('errors')}")
        results.extend(page.get("results", []))
        if not page.get("moreDataAvailable") or not page.get("nextCursor"):
            return results
        request = {**body, "limit": 100, "cursor": page["nextCursor"]}


async def list_jobs(http: httpx.AsyncClient) -> list[VendorJob]:
    """Every open job with the stages of its default interview plan, in order."""
    jobs: list[VendorJob] = []
    for job in await _all(http, "job.list", {"status": ["Open"]}):
        plan = job.get("defaultInterviewPlanId")
        stages = await _all(http, "interviewStage.list", {"interviewPlanId": plan}) if plan else []
        ordered = sorted(stages, key=lambda s: int(str(s.get("orderInInterviewPlan", 0))))
        jobs.append(
            VendorJob(
                id=str(job["id"]),
                name=str(job.get("title") or job["id"]),
                stages=[VendorStage(id=str(s["id"]), name=str(s["title"])) for s in ordered],
            )
        )
    return jobs


BRIDGE = VendorBridge(
    system=SYSTEM,
    verify=verify,
    parse=parse,
    secret_of=lambda settings: settings.ashby_secret,
    api_key_of=lambda settings: settings.ashby_api_key,
    api_url_of=lambda settings: settings.ashby_api_url,
    list_jobs=list_jobs,
)
