"""Greenhouse Recruiting web hooks: ``POST /ats/greenhouse``.

Documentation: https://developers.greenhouse.io/webhooks.html (Authentication, Retry policy,
Candidate/Applicant Events) and https://developers.greenhouse.io/harvest.html (Jobs, Job
Stages, Pagination).

- Signature: header ``Signature: sha256 <hex>``, HMAC-SHA256 of the raw body under the secret
  key entered when the web hook was created (the whole body, not only ``payload``; Greenhouse
  escapes Unicode and signs what it sends, so the raw bytes are hashed). No timestamp is signed.
- Greenhouse pings a web hook when it is saved and retries any answer but 200 (up to 7 times
  over ~15 hours): unknown actions are answered 200 and ignored, and a late retry is ordered by
  ``last_activity_at``, so it never moves an application back.
- Actions read: ``new_candidate_application`` (created), ``candidate_stage_change``,
  ``application_updated``, ``unreject_candidate``, ``unhire_candidate`` (the application's
  current stage; a ``rejected`` status withdraws, ``hired`` goes to the stage mapped
  ``hired``), ``reject_candidate``, ``delete_application`` (withdrawn), ``hire_candidate`` (to
  the stage mapped ``hired``: Greenhouse reports a hire as a status), ``delete_candidate``
  (each deleted application withdrawn, for candidates we already know).
- Contact: the candidate's first mobile number, else their first number; first e-mail.
- Event id: the ``Greenhouse-Event-ID`` header names a delivery, and Greenhouse does not say a
  retry keeps it, so the id is derived from what the event says (action, application, stage,
  status, ``last_activity_at``): every delivery of one event has the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx
from pydantic import AwareDatetime, Field

from bridges.base import (
    HIRED_STAGE,
    Change,
    Loose,
    Parsed,
    UnreadablePayload,
    VendorBridge,
    VendorCandidate,
    VendorEvent,
    derived_id,
    first_of,
    mobile_first,
    read_payload,
    verify_header,
)
from bridges.importing import VendorJob, VendorStage
from domain.ats import AtsSystem

SYSTEM = AtsSystem.GREENHOUSE


class _Typed(Loose):
    value: str | None = None
    type: str | None = None


class _Candidate(Loose):
    id: int | str
    first_name: str | None = None
    last_name: str | None = None
    phone_numbers: list[_Typed] = Field(default_factory=list)
    email_addresses: list[_Typed] = Field(default_factory=list)


class _Ref(Loose):
    id: int | str
    name: str | None = None


class _Offer(Loose):
    resolved_at: AwareDatetime | None = None


class _Application(Loose):
    id: int | str
    status: str | None = None
    prospect: bool = False
    applied_at: AwareDatetime | None = None
    last_activity_at: AwareDatetime | None = None
    rejected_at: AwareDatetime | None = None
    current_stage: _Ref | None = None
    jobs: list[_Ref] = Field(default_factory=list)
    candidate: _Candidate | None = None
    offer: _Offer | None = None
    # delete_application's flat shape
    candidate_id: int | str | None = None
    job_id: int | str | None = None


class _Person(Loose):
    id: int | str
    first_name: str | None = None
    last_name: str | None = None
    deleted_application_ids: list[int | str] = Field(default_factory=list)


class _Payload(Loose):
    application: _Application | None = None
    person: _Person | None = None


class _Hook(Loose):
    action: str
    payload: _Payload = _Payload()


#: The actions about where an application is; anything else is answered 200 and ignored.
_CURRENT_STAGE = {
    "candidate_stage_change",
    "application_updated",
    "unreject_candidate",
    "unhire_candidate",
}
_READ = _CURRENT_STAGE | {"new_candidate_application", "reject_candidate", "hire_candidate"}


def verify(raw: bytes, document: Any, headers: Mapping[str, str], secrets: list[str]) -> None:
    """Raise ``BadSignature`` unless ``Signature: sha256 <hex>`` signs ``raw``."""
    verify_header(raw, headers, secrets, header="Signature", algorithm=("sha256", " "))


def parse(document: Any, received_at: datetime) -> Parsed:
    """The events of one web hook delivery."""
    hook = read_payload(_Hook, document, "Greenhouse")
    action = hook.action
    if action == "delete_candidate":
        return _deleted_candidate(hook.payload.person, received_at)
    application = hook.payload.application
    if application is None:
        return Parsed(ignored=f"{action}: no application in the payload")
    if action == "delete_application":
        return _deleted_application(application, received_at)
    if action not in _READ:
        return Parsed(ignored=f"{action} is not about where an application is")
    if application.candidate is None:
        raise UnreadablePayload(f"{action}: the application has no candidate")
    if not application.jobs:
        return Parsed(ignored=f"{action}: a prospect without a job")
    candidate = _candidate(application.candidate)
    job_id = str(application.jobs[0].id)
    occurred_at = (
        application.last_activity_at
        or (application.offer.resolved_at if application.offer else None)
        or application.rejected_at
        or application.applied_at
        or received_at
    )
    status = (application.status or "").lower()
    if action == "reject_candidate" or (action in _CURRENT_STAGE and status == "rejected"):
        change, stage_id = Change.WITHDRAWN, None
    elif action == "hire_candidate" or status == "hired":
        change, stage_id = Change.MOVED, HIRED_STAGE
    elif application.current_stage is None:
        return Parsed(ignored=f"{action}: the application is in no stage (a prospect)")
    else:
        change = Change.CREATED if action == "new_candidate_application" else Change.MOVED
        stage_id = str(application.current_stage.id)
    event_id = derived_id(action, application.id, stage_id, status, occurred_at.isoformat())
    return Parsed(
        [
            VendorEvent(
                SYSTEM, event_id, occurred_at, change, str(application.id), job_id, stage_id,
                candidate,
            )
        ]
    )  # fmt: skip


def _candidate(candidate: _Candidate) -> VendorCandidate:
    name = " ".join(n for n in (candidate.first_name, candidate.last_name) if n) or "(no name)"
    return VendorCandidate(
        id=str(candidate.id),
        name=name,
        phone=mobile_first((p.type, p.value) for p in candidate.phone_numbers),
        email=first_of(*(e.value for e in candidate.email_addresses)),
    )


def _deleted_application(application: _Application, received_at: datetime) -> Parsed:
    if application.candidate_id is None:
        raise UnreadablePayload("delete_application: no candidate_id")
    candidate = VendorCandidate(id=str(application.candidate_id), name="(deleted)")
    job_id = None if application.job_id is None else str(application.job_id)
    event_id = derived_id("delete_application", application.id)
    return Parsed(
        [
            VendorEvent(
                SYSTEM, event_id, received_at, Change.WITHDRAWN, str(application.id), job_id,
                None, candidate,
            )
        ]
    )  # fmt: skip


def _deleted_candidate(person: _Person | None, received_at: datetime) -> Parsed:
    if person is None:
        raise UnreadablePayload("delete_candidate: no person")
    candidate = VendorCandidate(id=str(person.id), name="(deleted)")
    return Parsed(
        [
            VendorEvent(
                SYSTEM, derived_id("delete_candidate", person.id, application_id), received_at,
                Change.WITHDRAWN, str(application_id), None, None, candidate,
            )
            for application_id in person.deleted_application_ids
        ],
        ignored=None if person.deleted_application_ids else "delete_candidate: no applications",
    )  # fmt: skip


# -- Harvest API: jobs and their stages, for ``enrolments import-jobs`` -------------------------


async def list_jobs(http: httpx.AsyncClient, per_page: int = 500) -> list[VendorJob]:
    """Every job with its stages in pipeline order (``GET /jobs``, ``GET /jobs/{id}/stages``).

    ``http`` carries the base URL and Basic auth (the API token as user name). Pages follow
    the ``Link: rel="next"`` header, as Harvest asks.
    """
    jobs: list[VendorJob] = []
    url: str | None = f"jobs?per_page={per_page}"
    while url is not None:
        response = await http.get(url)
        response.raise_for_status()
        for job in response.json():
            stages = await http.get(f"jobs/{job['id']}/stages")
            stages.raise_for_status()
            ordered = sorted(
                (s for s in stages.json() if s.get("active", True)),
                key=lambda s: s.get("priority", 0),
            )
            jobs.append(
                VendorJob(
                    id=str(job["id"]),
                    name=job.get("name") or str(job["id"]),
                    stages=[VendorStage(id=str(s["id"]), name=s["name"]) for s in ordered]
                    + [VendorStage(id=HIRED_STAGE, name="Hired")],
                )
            )
        url = response.links.get("next", {}).get("url")
    return jobs


BRIDGE = VendorBridge(
    system=SYSTEM,
    verify=verify,
    parse=parse,
    secret_of=lambda settings: settings.greenhouse_secret,
    api_key_of=lambda settings: settings.greenhouse_api_key,
    api_url_of=lambda settings: settings.greenhouse_api_url,
    list_jobs=list_jobs,
)
