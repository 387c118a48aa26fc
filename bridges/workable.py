"""Workable webhooks: ``POST /ats/workable``.

Documentation: https://workable.readme.io/reference/webhook-subscriptions-candidates-employees,
https://workable.readme.io/reference/webhooks, https://workable.readme.io/reference/candidate-events,
https://workable.readme.io/reference/job-stages.

- Signature: header ``X-Workable-Signature``, HMAC-SHA256 of the raw body under the key that
  created the subscription (the account's API access token, or the OAuth application's
  secret), as hex. Workable wants a 200 for every delivery it should not replay.
- Events read: ``candidate_created`` (created), ``candidate_moved`` (to ``stage``; a
  ``disqualified`` candidate is withdrawn), ``candidate_deleted`` (withdrawn). A hire is a
  move to the stage of kind ``hired``: map it like any other stage.
- Jobs are named by ``shortcode``; a stage by the value of ``stage`` (its slug, as
  ``GET /spi/v3/jobs/{shortcode}/stages`` lists them): map those as ``ats_stage_id``.
- Workable reports a candidate per job: the same person in two jobs is two candidates here.
- Event id: Workable sends none (the envelope's ``id`` is the candidate's), so the id is
  derived from the event type, the candidate, its stage and disqualification, and
  ``fired_at``, which also orders the events. Its ``data`` is the candidate as they are when
  the request is sent: a redelivery showing a later stage is an event of its own, ordered by
  its ``fired_at`` (it changes nothing once a newer event is applied).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

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
from domain.ats import AtsSystem

SYSTEM = AtsSystem.WORKABLE
_EVENTS = {"candidate_created", "candidate_moved", "candidate_deleted"}


class _Job(Loose):
    shortcode: str


class _Candidate(Loose):
    id: str | int
    name: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    email: str | None = None
    phone: str | None = None
    job: _Job
    stage: str | None = None
    disqualified: bool = False
    updated_at: AwareDatetime | None = None


class _Hook(Loose):
    event_type: str
    fired_at: AwareDatetime | None = None
    data: _Candidate | None = None


def verify(raw: bytes, document: Any, headers: Mapping[str, str], secrets: list[str]) -> None:
    """Raise ``BadSignature`` unless ``X-Workable-Signature`` signs ``raw``."""
    verify_header(raw, headers, secrets, header="X-Workable-Signature")


def parse(document: Any, received_at: datetime) -> Parsed:
    """The delivery's event."""
    hook = read_payload(_Hook, document, "Workable")
    if hook.event_type not in _EVENTS:
        return Parsed(ignored=f"{hook.event_type} is not about where a candidate is")
    candidate = hook.data
    if candidate is None:
        raise UnreadablePayload(f"{hook.event_type}: no candidate in data")
    occurred_at = hook.fired_at or candidate.updated_at or received_at
    if hook.event_type == "candidate_deleted" or candidate.disqualified:
        change, stage_id = Change.WITHDRAWN, None
    elif not candidate.stage:
        return Parsed(ignored=f"{hook.event_type}: the candidate is in no stage")
    else:
        created = hook.event_type == "candidate_created"
        change, stage_id = (Change.CREATED if created else Change.MOVED), candidate.stage
    name = candidate.name or " ".join(n for n in (candidate.firstname, candidate.lastname) if n)
    person = str(candidate.id)
    return Parsed(
        [
            VendorEvent(
                SYSTEM,
                derived_id(
                    hook.event_type,
                    person,
                    stage_id,
                    candidate.disqualified,
                    occurred_at.isoformat(),
                ),
                occurred_at,
                change,
                person,
                candidate.job.shortcode,
                stage_id,
                VendorCandidate(
                    id=person,
                    name=name or "(no name)",
                    phone=first_of(candidate.phone),
                    email=first_of(candidate.email),
                ),
            )
        ]
    )


BRIDGE = VendorBridge(
    system=SYSTEM,
    verify=verify,
    parse=parse,
    secret_of=lambda settings: settings.workable_secret,
)
