"""Lever webhooks: ``POST /ats/lever``.

Documentation: https://hire.lever.co/developer/documentation#webhooks ("Securing webhooks",
"Receiving webhooks"), #opportunities, #postings, #stages, #pagination; per-webhook tokens:
https://help.lever.co/hc/en-us/articles/4402565460237.

- Signature: in the body, not a header. ``signature`` is the hex HMAC-SHA256 of ``token``
  followed by ``triggeredAt`` (as its decimal digits) under the webhook's signature token.
  Each webhook (event type) has its own token, so several may be configured, comma-separated.
  The signature does not cover the rest of the body: ``token`` is random per delivery, and the
  HTTP edge refuses a token it has seen with another body (``api/vendor_events.py``), so a
  captured signature cannot carry another event. ``triggeredAt`` (milliseconds since the
  epoch) orders the application's events.
- Events read: ``applicationCreated`` (created), ``candidateStageChange`` (to ``toStageId``),
  ``candidateArchiveChange`` (archived: withdrawn, unless the archive reason's type is
  ``hired``, read from ``GET /archive_reasons/{id}``: then hired; unarchived: back to its
  current stage), ``candidateHired`` (to the stage mapped ``hired``: Lever archives a hire, it
  is no stage), ``candidateDeleted`` (withdrawn, for a candidate we know: the opportunity is
  gone from the API, so the payload's ``contactId`` names the person). Anything else, and
  Lever's test request (empty ``data``), is answered 200 and ignored.
- Contact details are not in the payload: the bridge reads the opportunity
  (``GET /opportunities/{id}?expand=applications&expand=stage``, Basic auth with the API key)
  for the name, phones (mobile first), e-mails and the posting (the job). An event that names
  no stage (created, unarchived) takes the stage the opportunity was in at ``triggeredAt``,
  from its ``stageChanges``: the API tells where it is now, which a late delivery must not
  take.
  When Lever's API cannot answer, the webhook gets a 503 and Lever retries it. The person is
  the opportunity's ``contact`` (the same across their opportunities).
- Event id: the envelope's ``id`` when Lever sends one, else derived from the event, the
  opportunity and ``triggeredAt``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx

from bridges.base import (
    HIRED_STAGE,
    BadSignature,
    Change,
    Loose,
    Parsed,
    UnreadablePayload,
    VendorBridge,
    VendorCandidate,
    VendorEvent,
    VendorUnavailable,
    derived_id,
    first_of,
    mobile_first,
    read_payload,
    signed_by_one_of,
)
from bridges.importing import VendorJob, VendorStage
from domain.ats import AtsSystem

SYSTEM = AtsSystem.LEVER
_EVENTS = {
    "applicationCreated",
    "candidateStageChange",
    "candidateArchiveChange",
    "candidateHired",
    "candidateDeleted",
}


class LeverUnavailable(VendorUnavailable):
    """Lever's API did not answer the contact lookup; the webhook should be retried."""


class _Data(Loose):
    opportunityId: str | None = None
    candidateId: str | None = None
    contactId: str | None = None
    toStageId: str | None = None
    toArchived: dict[str, Any] | None = None


class _Hook(Loose):
    id: str | None = None
    event: str
    triggeredAt: int
    token: str
    signature: str
    data: _Data = _Data()


def verify(raw: bytes, document: Any, headers: Mapping[str, str], secrets: list[str]) -> None:
    """Raise ``BadSignature`` unless the body's ``signature`` signs ``token`` + ``triggeredAt``
    (``document`` is the body read as JSON, ``None`` when it could not be)."""
    if not isinstance(document, dict) or not {"token", "triggeredAt", "signature"} <= set(document):
        raise BadSignature("no token, triggeredAt and signature in the body")
    token, triggered_at, given = document["token"], document["triggeredAt"], document["signature"]
    if not (isinstance(token, str) and isinstance(triggered_at, int) and isinstance(given, str)):
        raise BadSignature("token, triggeredAt or signature has the wrong type")
    if not signed_by_one_of(secrets, f"{token}{triggered_at}".encode(), given):
        raise BadSignature("the signature does not match any configured signature token")


def parse(document: Any, received_at: datetime) -> Parsed:
    """The delivery's event, still without contact details (``complete`` adds them)."""
    hook = read_payload(_Hook, document, "Lever")
    if hook.event not in _EVENTS:
        return Parsed(ignored=f"{hook.event} is not about where an application is")
    opportunity = hook.data.opportunityId
    if opportunity is None:
        return Parsed(ignored=f"{hook.event} without an opportunity (Lever's test request)")
    try:
        occurred_at = datetime.fromtimestamp(hook.triggeredAt / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise UnreadablePayload(f"triggeredAt {hook.triggeredAt} is no time") from None
    reason = None
    if hook.event == "candidateArchiveChange":
        if hook.data.toArchived:
            reason = str(hook.data.toArchived.get("reason") or "") or None
        change = Change.WITHDRAWN if hook.data.toArchived else Change.MOVED
    else:
        change = {
            "applicationCreated": Change.CREATED,
            "candidateDeleted": Change.WITHDRAWN,
        }.get(hook.event, Change.MOVED)
    stage_id = {"candidateHired": HIRED_STAGE, "candidateStageChange": hook.data.toStageId}.get(
        hook.event
    )
    person = hook.data.contactId or hook.data.candidateId or opportunity
    return Parsed(
        [
            VendorEvent(
                SYSTEM,
                hook.id or derived_id(hook.event, opportunity, hook.triggeredAt),
                occurred_at,
                change,
                opportunity,
                None,  # the posting comes from the API
                None if change is Change.WITHDRAWN else stage_id,
                VendorCandidate(id=person, name="(unknown)"),
                reason,
            )
        ]
    )


async def complete(event: VendorEvent, http: httpx.AsyncClient) -> VendorEvent | None:
    """``event`` with the opportunity's contact details, posting and (when the event does not
    name one) current stage, read from Lever's API; ``None`` when Lever no longer has the
    opportunity. Raises ``LeverUnavailable`` when the API does not answer."""
    try:
        response = await http.get(
            f"opportunities/{event.application_id}",
            params=[("expand", "applications"), ("expand", "stage")],
        )
    except httpx.HTTPError as err:
        raise LeverUnavailable(f"Lever's API did not answer: {err!r}") from err
    if response.status_code == 404:
        # Gone (deleted): a withdrawal still reaches the person the payload names.
        return event if event.change is Change.WITHDRAWN else None
    if response.status_code != 200:
        raise LeverUnavailable(f"Lever's API answered {response.status_code}")
    try:
        data = response.json()["data"]
        applications = data.get("applications") or []
        posting = next((a.get("posting") for a in applications if a.get("posting")), None)
        stage = data.get("stage")
        current_stage = stage.get("id") if isinstance(stage, dict) else stage
        stage_then = _stage_at(data.get("stageChanges") or [], event.occurred_at) or current_stage
        phones = data.get("phones") or []
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise LeverUnavailable(f"Lever's API answered something unexpected: {err!r}") from err
    candidate = VendorCandidate(
        id=data.get("contact") or event.candidate.id,
        name=data.get("name") or "(no name)",
        phone=mobile_first((p.get("type"), p.get("value")) for p in phones),
        email=first_of(*(data.get("emails") or [])),
    )
    change, stage_id = event.change, event.stage_id
    if event.reason is not None and await _hired_reason(event.reason, http):
        change, stage_id = Change.MOVED, HIRED_STAGE
    if stage_id is None and change is not Change.WITHDRAWN:
        stage_id = stage_then
    return replace(
        event, change=change, job_id=posting, stage_id=stage_id, candidate=candidate, reason=None
    )


async def _hired_reason(reason: str, http: httpx.AsyncClient) -> bool:
    """Whether the archive reason is one of type ``hired`` (Lever archives a hire)."""
    try:
        response = await http.get(f"archive_reasons/{reason}")
    except httpx.HTTPError as err:
        raise LeverUnavailable(f"Lever's API did not answer: {err!r}") from err
    if response.status_code == 404:
        return False
    if response.status_code != 200:
        raise LeverUnavailable(f"Lever's API answered {response.status_code}")
    try:
        return bool(response.json()["data"].get("type") == "hired")
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise LeverUnavailable(f"Lever's API answered something unexpected: {err!r}") from err


def _stage_at(changes: list[dict[str, Any]], moment: datetime) -> str | None:
    """The stage the opportunity was in at ``moment`` by its ``stageChanges`` (the API tells
    where it is now; an event from before a later move must not take that later stage)."""
    limit = moment.timestamp() * 1000
    reached = [
        (change["updatedAt"], change["toStageId"])
        for change in changes
        if isinstance(change.get("updatedAt"), int | float)
        and change.get("toStageId")
        and change["updatedAt"] <= limit
    ]
    return max(reached)[1] if reached else None


# -- the API's postings and stages, for ``enrolments import-jobs`` -------------------------------


async def list_jobs(http: httpx.AsyncClient) -> list[VendorJob]:
    """Every posting, each with the account's stages (Lever's stages are account-wide) and the
    ``hired`` stage. Pages follow ``next`` while ``hasNext``."""
    stages_response = await http.get("stages")
    stages_response.raise_for_status()
    stages = [VendorStage(id=s["id"], name=s["text"]) for s in stages_response.json()["data"]]
    stages.append(VendorStage(id=HIRED_STAGE, name="Hired"))
    jobs: list[VendorJob] = []
    params: dict[str, str] = {"limit": "100"}
    while True:
        response = await http.get("postings", params=params)
        response.raise_for_status()
        body = response.json()
        jobs.extend(
            VendorJob(id=p["id"], name=p.get("text") or p["id"], stages=stages)
            for p in body["data"]
        )
        if not body.get("hasNext") or not body.get("next"):
            return jobs
        params = {"limit": "100", "offset": body["next"]}


def _tokens(value: str) -> list[str]:
    """Lever signs each webhook with that webhook's own token: one, or several comma-separated."""
    return [token.strip() for token in value.split(",") if token.strip()]


def _token(document: Any) -> str | None:
    """What signs a delivery (``verify`` checked it is there): seen once with one body only."""
    return str(document["token"])


BRIDGE = VendorBridge(
    system=SYSTEM,
    verify=verify,
    parse=parse,
    secret_of=lambda settings: settings.lever_signature_token,
    api_key_of=lambda settings: settings.lever_api_key,
    api_url_of=lambda settings: settings.lever_api_url,
    secrets_in=_tokens,
    delivery_key=_token,
    complete=complete,
    list_jobs=list_jobs,
)
